#include "adapters/telegram/config.hpp"

#include "adapters/telegram/bot_api.hpp"
#include "adapters/telegram/sent_ledger.hpp"
#include "adapters/telegram/telegram_channel.hpp"
#include "adapters/telegram/telegram_source.hpp"
#include "engine/store/channel_ledger.hpp"
#include "engine/store/client_registry.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <memory>
#include <regex>

namespace reglament::telegram {
namespace {

// The Telegram part of the store's channel_sent table.
class store_ledger final : public sent_ledger {
 public:
  store_ledger(const std::string& store_path, const reglament::clock& clk)
      : ledger_(std::make_unique<reglament::channel_ledger>(store_path)), clock_(clk) {}
  std::optional<sent_record> find(const std::string& key) override {
    auto e = ledger_->find("telegram", key);
    if (!e) return std::nullopt;
    return to_record(*e);
  }
  std::optional<sent_record> by_message(const std::string& chat_id, std::int64_t message_id) override {
    auto e = ledger_->by_message("telegram", chat_id, std::to_string(message_id));
    if (!e) return std::nullopt;
    return to_record(*e);
  }
  void record(const sent_record& r) override {
    ledger_->record({"telegram", r.key, r.chat_id, std::to_string(r.message_id), r.buttons, clock_.now()});
  }

 private:
  static sent_record to_record(const reglament::sent_entry& e) {
    sent_record r;
    r.key = e.key;
    r.chat_id = e.thread;
    r.message_id = std::atoll(e.external_id.c_str());
    r.buttons = e.buttons;
    return r;
  }
  std::unique_ptr<reglament::channel_ledger> ledger_;
  const reglament::clock& clock_;
};

link_outcome outcome_of(redeem_status s) {
  switch (s) {
    case redeem_status::linked: return link_outcome::linked;
    case redeem_status::already_linked: return link_outcome::already_linked;
    case redeem_status::unknown_code: return link_outcome::unknown_code;
    case redeem_status::expired: return link_outcome::expired;
    case redeem_status::used: return link_outcome::used;
    case redeem_status::taken: return link_outcome::taken;
  }
  return link_outcome::unknown_code;
}

}  // namespace

std::string deep_link(const std::string& bot_username, const std::string& code) {
  if (bot_username.empty()) return {};
  return fmt::format("https://t.me/{}?start={}", bot_username, code);
}

daemon::channel_parts make_channel(daemon::channel_settings& s, const daemon::channel_env& env) {
  const std::string api_url = s.string("api_url", "https://api.telegram.org");
  if (api_url.rfind("https://", 0) != 0 && api_url.rfind("http://", 0) != 0)
    throw daemon::channel_config_error(fmt::format("{}: expected an https:// URL, got '{}'", s.key("api_url"), api_url));
  const std::string token = s.secret("token");
  static const std::regex shape("[0-9]+:[A-Za-z0-9_-]+");
  if (!std::regex_match(token, shape))
    throw daemon::channel_config_error(
        fmt::format("{}: the token read is not a bot token (expected digits, ':' and letters, as @BotFather gives)",
                    s.key(s.has("token_file") ? "token_file" : "token_env")));
  source_options opt;
  opt.poll_timeout_seconds = static_cast<int>(
      s.seconds("poll_timeout", std::chrono::seconds(25), std::chrono::seconds(0), std::chrono::seconds(50)).count());
  opt.max_attachment_bytes =
      static_cast<std::uint64_t>(s.integer("max_file_bytes", std::int64_t{20} << 20, 1, std::int64_t{2000} << 20));
  // Read by the daemon for the API's link codes (read here too so they count as known keys).
  s.string("bot_username", "");
  s.integer("link_code_ttl_hours", 72, 1, 24 * 90);
  if (!env.clk || env.store_path.empty())
    throw daemon::channel_config_error(s.key("enabled") + ": the Telegram channel needs the store and a clock");
  const reglament::clock& clk = *env.clk;

  auto api = std::make_shared<bot_api>(api_url, token);
  std::shared_ptr<sent_ledger> ledger = std::make_shared<store_ledger>(env.store_path, clk);
  if (auto* log = env.log) {
    opt.log = [log](bool warn, const std::string& message, const std::string& detail) {
      if (warn)
        log->warn(message, {{"detail", detail}});
      else
        log->info(message, {{"detail", detail}});
    };
  }
  if (auto* clients = env.registry) {
    opt.redeem = [clients, &clk](const std::string& code, const std::string& user) {
      auto r = clients->redeem_link_code(code, "telegram", user, clk.now());
      return link_reply{outcome_of(r.status), r.client_name};
    };
  }
  daemon::channel_parts parts;
  parts.outbound = std::make_unique<telegram_channel>(api, ledger);
  parts.inbound = std::make_unique<telegram_source>(api, ledger, std::move(opt));
  return parts;
}

}  // namespace reglament::telegram
