#include "adapters/telegram/config.hpp"

#include "engine/store/channel_ledger.hpp"
#include "engine/store/client_registry.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace reglament::telegram {
namespace {

std::runtime_error bad(const std::string& key, const std::string& what) {
  return std::runtime_error(fmt::format("channels.telegram.{}: {}", key, what));
}

std::string trim(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// The Telegram ledger of sent messages, in the store's channel_sent table.
class store_ledger final : public sent_ledger {
 public:
  store_ledger(reglament::channel_ledger& l, const reglament::clock& clk) : l_(l), clock_(clk) {}
  std::optional<sent_record> find(const std::string& key) override {
    auto e = l_.find("telegram", key);
    if (!e) return std::nullopt;
    return to_record(*e);
  }
  std::optional<sent_record> by_message(const std::string& chat_id, std::int64_t message_id) override {
    auto e = l_.by_message("telegram", chat_id, std::to_string(message_id));
    if (!e) return std::nullopt;
    return to_record(*e);
  }
  void record(const sent_record& r) override {
    l_.record({"telegram", r.key, r.chat_id, std::to_string(r.message_id), r.buttons, clock_.now()});
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
  reglament::channel_ledger& l_;
  const reglament::clock& clock_;
};

}  // namespace

config read_config(const toml::table* section) {
  config cfg;
  if (!section) return cfg;
  for (const auto& [key, node] : *section) {
    const std::string k(key.str());
    auto text = [&](std::string& out, bool allow_empty) {
      auto v = node.value<std::string>();
      if (!v || (!allow_empty && v->empty())) throw bad(k, "expected a non-empty string");
      out = *v;
    };
    if (k == "enabled") {
      auto v = node.value<bool>();
      if (!v || !node.is_boolean()) throw bad(k, "expected true or false");
      cfg.enabled = *v;
    } else if (k == "api_url") {
      text(cfg.api_url, false);
      if (cfg.api_url.rfind("https://", 0) != 0 && cfg.api_url.rfind("http://", 0) != 0)
        throw bad(k, fmt::format("expected an http(s):// URL, got '{}'", cfg.api_url));
    } else if (k == "token_file") {
      text(cfg.token_file, false);
    } else if (k == "token_env") {
      text(cfg.token_env, false);
    } else if (k == "poll_timeout") {
      auto v = node.value<std::int64_t>();
      if (!node.is_integer() || !v || *v < 0 || *v > 50) throw bad(k, "expected whole seconds from 0 to 50");
      cfg.poll_timeout_seconds = static_cast<int>(*v);
    } else if (k == "max_attachment_mb") {
      auto v = node.value<std::int64_t>();
      if (!node.is_integer() || !v || *v < 1 || *v > 2000) throw bad(k, "expected whole megabytes from 1 to 2000");
      cfg.max_attachment_bytes = static_cast<std::uint64_t>(*v) << 20;
    } else if (k == "bot_username") {
      text(cfg.bot_username, false);
      if (!cfg.bot_username.empty() && cfg.bot_username[0] == '@') cfg.bot_username.erase(0, 1);
    } else if (k == "link_code_ttl_hours") {
      auto v = node.value<std::int64_t>();
      if (!node.is_integer() || !v || *v < 1 || *v > 24 * 90) throw bad(k, "expected whole hours from 1 to 2160");
      cfg.link_code_ttl_minutes = static_cast<int>(*v) * 60;
    } else {
      throw bad(k, "unknown key (expected enabled, api_url, token_file, token_env, poll_timeout, "
                   "max_attachment_mb, bot_username, link_code_ttl_hours)");
    }
  }
  return cfg;
}

std::string read_token(const config& cfg) {
  std::string token, where;
  if (!cfg.token_file.empty()) {
    where = fmt::format("channels.telegram.token_file: '{}'", cfg.token_file);
    std::ifstream in(cfg.token_file);
    if (!in) throw std::runtime_error(where + ": cannot be read");
    std::stringstream ss;
    ss << in.rdbuf();
    token = trim(ss.str());
  } else {
    where = fmt::format("channels.telegram.token_env: ${}", cfg.token_env);
    const char* v = std::getenv(cfg.token_env.c_str());
    if (!v) throw std::runtime_error(where + " is not set (or set channels.telegram.token_file)");
    token = trim(v);
  }
  if (token.empty()) throw std::runtime_error(where + ": the token is empty");
  static const std::regex shape("[0-9]+:[A-Za-z0-9_-]+");
  if (!std::regex_match(token, shape))
    throw std::runtime_error(where + ": not a bot token (expected digits, ':' and letters, as @BotFather gives)");
  return token;
}

bot::bot(const config& cfg, const std::string& token, reglament::channel_ledger& ledger,
         reglament::client_registry* clients, const reglament::clock& clk, log_fn log)
    : cfg_(cfg), username_(cfg.bot_username) {
  api_ = std::make_shared<bot_api>(cfg.api_url, token);
  ledger_ = std::make_shared<store_ledger>(ledger, clk);
  channel_ = std::make_unique<telegram_channel>(api_, ledger_);
  source_options opt;
  opt.poll_timeout_seconds = cfg.poll_timeout_seconds;
  opt.max_attachment_bytes = cfg.max_attachment_bytes;
  opt.log = log;
  if (clients) {
    opt.redeem = [clients, &clk](const std::string& code, const std::string& user) {
      auto r = clients->redeem_link_code(code, "telegram", user, clk.now());
      link_reply out;
      out.client_name = r.client_name;
      switch (r.status) {
        case redeem_status::linked: out.outcome = link_outcome::linked; break;
        case redeem_status::already_linked: out.outcome = link_outcome::already_linked; break;
        case redeem_status::unknown_code: out.outcome = link_outcome::unknown_code; break;
        case redeem_status::expired: out.outcome = link_outcome::expired; break;
        case redeem_status::used: out.outcome = link_outcome::used; break;
        case redeem_status::taken: out.outcome = link_outcome::taken; break;
      }
      return out;
    };
  }
  source_ = std::make_unique<telegram_source>(api_, ledger_, std::move(opt));
}

bot::~bot() {
  if (source_) source_->stop();
}

std::string bot::deep_link(const std::string& code) {
  std::lock_guard lock(username_mutex_);
  if (username_.empty()) {
    auto me = api_->call("getMe", nlohmann::json::object(), std::chrono::seconds(10));
    if (me.ok && me.result.is_object()) username_ = me.result.value("username", std::string{});
  }
  if (username_.empty()) return {};
  return fmt::format("https://t.me/{}?start={}", username_, code);
}

}  // namespace reglament::telegram
