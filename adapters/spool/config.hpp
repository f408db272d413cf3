// Registration of the spool channel: reads the [spool] section of the daemon's TOML
// configuration and registers one spool_channel per configured channel name with the
// outbox dispatcher. Kept apart from the channel's logic (spool_channel.hpp).
#pragma once

#include "adapters/spool/spool_channel.hpp"
#include "engine/outbox_dispatcher.hpp"

#include <toml++/toml.h>

#include <memory>
#include <string>
#include <vector>

namespace reglament::spool {

struct config {
  std::string dir = "var/spool";
  std::vector<std::string> channels{"email", "telegram", "webchat", "api", "staff"};
};

// Reads `section` (may be null: the defaults). Unknown keys and wrong types throw
// std::runtime_error whose message starts with the key, e.g. "spool.dir: expected a string".
config read_config(const toml::table* section);

// Opens every configured spool and registers it under its channel name. The returned
// channels must outlive the dispatcher.
std::vector<std::unique_ptr<spool_channel>> register_channels(const config& cfg,
                                                              reglament::outbox_dispatcher& d,
                                                              const reglament::clock* clk = nullptr);

}  // namespace reglament::spool
