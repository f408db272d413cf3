// The channel registry: how the daemon builds each channel adapter (email, Telegram, the
// website chat) from its [channels.NAME] table of the TOML config. Each adapter gives one
// factory (see register_builtin_channels in daemon/channels.cpp); the registry calls it
// for every table unless it says `enabled = false`. A factory that throws (a missing password file,
// a bad port) is logged with the key at fault and skipped: the daemon and the other
// channels go on. Not thread-safe; used once at start-up from the main thread.
// It does not run adapters: the daemon registers what is built with the dispatcher and
// starts the inbound sources.
#pragma once

#include "daemon/log.hpp"
#include "engine/channel.hpp"
#include "engine/clock.hpp"
#include "engine/firm.hpp"

#include <toml++/toml.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace reglament {
class client_registry;
}
namespace reglament::http {
class web_service;  // adapters/http/web_service.hpp
}

namespace reglament::daemon {

// A channel table is wrong; the message starts with the full key:
// "channels.email.smtp_port: expected an integer 1..65535, got 'x'".
class channel_config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One [channels.NAME] table with typed getters. Every getter remembers the key it read,
// so check_unknown() can name a misspelt key. Errors throw channel_config_error.
class channel_settings {
 public:
  channel_settings(std::string name, toml::table table);

  const std::string& name() const { return name_; }
  const toml::table& table() const { return table_; }
  std::string key(const std::string& k) const { return "channels." + name_ + "." + k; }

  bool has(const std::string& k) const;
  bool enabled() const;  // `enabled`, default true
  std::string string(const std::string& k, const std::string& fallback);
  std::string required_string(const std::string& k);
  std::int64_t integer(const std::string& k, std::int64_t fallback, std::int64_t min, std::int64_t max);
  bool boolean(const std::string& k, bool fallback);
  std::vector<std::string> strings(const std::string& k, std::vector<std::string> fallback = {});
  // Seconds, as an integer (`poll_interval = 30`).
  std::chrono::seconds seconds(const std::string& k, std::chrono::seconds fallback, std::chrono::seconds min,
                               std::chrono::seconds max);
  // A credential, never written in the config itself: `K_file` (a file holding it; one
  // trailing newline is dropped) or `K_env` (an environment variable). Both set, or
  // neither when `required`, is an error naming the keys. Empty if not required and unset.
  std::string secret(const std::string& k, bool required = true);

  // Throws naming the first key of the table no getter read. Call after reading all.
  void check_unknown() const;

 private:
  const toml::node* get(const std::string& k);
  [[noreturn]] void bad(const std::string& k, const std::string& what) const;

  std::string name_;
  toml::table table_;
  std::set<std::string> read_;
};

// What an adapter may use besides its table. Pointers may be null where noted; all
// outlive the built channel.
struct channel_env {
  const clock* clk = nullptr;
  logger* log = nullptr;
  std::string data_dir;                       // for adapter state files, if any
  const firm_profile* firm = nullptr;         // the firm's name and staff
  const client_directory* clients = nullptr;  // who a sender is
  client_registry* registry = nullptr;        // linking a contact to a client (Telegram /start CODE)
  std::string store_path;                     // a source may open its own reading connection
};

// What a factory builds: any part may be null (an outbound-only channel).
struct channel_parts {
  std::unique_ptr<channel> outbound;       // registered with the dispatcher under the name
  std::unique_ptr<inbound_source> inbound; // started with the inbound gateway
  // Pages and a WebSocket on the HTTP port (the website chat), behind the access gate.
  std::shared_ptr<http::web_service> web;
};

using channel_factory = std::function<channel_parts(channel_settings&, const channel_env&)>;

struct built_channel {
  std::string name;
  channel_parts parts;
};

class channel_registry {
 public:
  // `name` is the table's name ([channels.email] -> "email") and the outbox channel.
  void add(const std::string& name, channel_factory f);
  bool known(const std::string& name) const { return factories_.count(name) > 0; }
  std::vector<std::string> names() const;

  // Builds every enabled table; logs and skips the ones that fail (unknown channel, a
  // bad key, a factory's exception). `tables` maps names to their tables.
  std::vector<built_channel> build(const std::map<std::string, toml::table>& tables, const channel_env& env,
                                   logger& log) const;

 private:
  std::map<std::string, channel_factory> factories_;
};

// The adapters compiled into this build. daemon/channels.cpp: one line per adapter.
void register_builtin_channels(channel_registry& r);

}  // namespace reglament::daemon
