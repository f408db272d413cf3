// Registration of the Telegram channel: reads [channels.telegram] of the daemon's TOML
// configuration, finds the bot token (a file or an environment variable; never logged),
// and builds the bot: the outbound channel, the inbound source, the store-backed ledger
// of sent messages and `/start CODE` linking through the client registry. Kept apart
// from the channel's logic (telegram_channel.hpp, telegram_source.hpp).
#pragma once

#include "adapters/telegram/bot_api.hpp"
#include "adapters/telegram/sent_ledger.hpp"
#include "adapters/telegram/telegram_channel.hpp"
#include "adapters/telegram/telegram_source.hpp"
#include "engine/clock.hpp"

#include <toml++/toml.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace reglament {
class channel_ledger;
class client_registry;
}  // namespace reglament

namespace reglament::telegram {

struct config {
  bool enabled = true;
  std::string api_url = "https://api.telegram.org";
  std::string token_file;                           // read and trimmed at start
  std::string token_env = "REGLAMENT_TELEGRAM_TOKEN";  // used when token_file is empty
  int poll_timeout_seconds = 25;
  std::uint64_t max_attachment_bytes = 20u << 20;
  std::string bot_username;                          // for t.me links; empty: asked with getMe
  int link_code_ttl_minutes = 72 * 60;
};

// Reads `section` (null: the defaults). Unknown keys and wrong types throw
// std::runtime_error whose message starts with the key, e.g.
// "channels.telegram.poll_timeout: expected whole seconds from 0 to 50".
config read_config(const toml::table* section);

// The bot token from token_file or token_env. Throws std::runtime_error naming the file
// or variable (never the token) when it is missing, empty or not shaped like a token.
std::string read_token(const config& cfg);

// Everything the daemon runs for Telegram. REQUIRES: `ledger`, `clients` (may be null:
// no linking) and `clk` outlive the bot; start the source with the daemon's inbound sink
// and stop it before they go.
class bot {
 public:
  using log_fn = std::function<void(bool warn, const std::string& message, const std::string& detail)>;
  bot(const config& cfg, const std::string& token, reglament::channel_ledger& ledger,
      reglament::client_registry* clients, const reglament::clock& clk, log_fn log);
  ~bot();

  telegram_channel& channel() { return *channel_; }
  telegram_source& source() { return *source_; }
  // "https://t.me/<bot>?start=CODE"; "" while the username is unknown (getMe failed).
  std::string deep_link(const std::string& code);

 private:
  config cfg_;
  std::shared_ptr<bot_api> api_;
  std::shared_ptr<sent_ledger> ledger_;
  std::unique_ptr<telegram_channel> channel_;
  std::unique_ptr<telegram_source> source_;
  std::mutex username_mutex_;
  std::string username_;
};

}  // namespace reglament::telegram
