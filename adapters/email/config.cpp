#include "adapters/email/config.hpp"

#include "adapters/email/imap_source.hpp"
#include "adapters/email/smtp_channel.hpp"
#include "engine/store/channel_ledger.hpp"

#include <fmt/format.h>

#include <chrono>
#include <memory>

namespace reglament::email {
namespace {

bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

[[noreturn]] void bad(const daemon::channel_settings& s, const std::string& k, const std::string& what) {
  throw daemon::channel_config_error(fmt::format("{}: {}", s.key(k), what));
}

}  // namespace

std::string config::mailbox() const {
  const auto scheme = imap_url.find("://");
  const auto slash = imap_url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (slash == std::string::npos || slash + 1 >= imap_url.size()) return "INBOX";
  return imap_url.substr(slash + 1);
}

std::string config::imap_server() const {
  const auto scheme = imap_url.find("://");
  const auto slash = imap_url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return (slash == std::string::npos ? imap_url : imap_url.substr(0, slash)) + "/";
}

config read_config(daemon::channel_settings& s) {
  config cfg;
  cfg.imap_url = s.string("imap_url", "");
  cfg.imap_starttls = s.boolean("imap_starttls", cfg.imap_starttls);
  cfg.smtp_url = s.string("smtp_url", "");
  cfg.smtp_starttls = s.boolean("smtp_starttls", cfg.smtp_starttls);
  cfg.username = s.string("username", "");
  // Optional (a server may need no login), but once named it must be there.
  const auto named = [&](const std::string& k) { return s.has(k + "_file") || s.has(k + "_env"); };
  cfg.password = s.secret("password", named("password"));
  cfg.smtp_username = s.string("smtp_username", "");
  cfg.smtp_password = s.secret("smtp_password", named("smtp_password"));
  cfg.ca_file = s.string("ca_file", "");
  cfg.from_address = s.string("from_address", "");
  cfg.from_name = s.string("from_name", "");
  cfg.message_id_domain = s.string("message_id_domain", "");
  cfg.default_subject = s.string("default_subject", cfg.default_subject);
  cfg.poll_interval = static_cast<int>(s.integer("poll_interval", cfg.poll_interval, 1, 3600));
  cfg.timeout_seconds = static_cast<int>(s.integer("timeout_seconds", cfg.timeout_seconds, 1, 600));
  cfg.initial = s.string("initial", cfg.initial);
  if (cfg.initial != "unseen" && cfg.initial != "all") bad(s, "initial", "expected \"unseen\" or \"all\"");
  cfg.limits.max_message_bytes = static_cast<std::size_t>(
      s.integer("max_message_bytes", static_cast<std::int64_t>(cfg.limits.max_message_bytes), 1024, 1LL << 32));
  cfg.limits.max_attachment_bytes = static_cast<std::size_t>(
      s.integer("max_attachment_bytes", static_cast<std::int64_t>(cfg.limits.max_attachment_bytes), 0, 1LL << 32));

  if (cfg.imap_url.empty() && cfg.smtp_url.empty()) bad(s, "imap_url", "set imap_url and/or smtp_url");
  if (!cfg.imap_url.empty() && !starts_with(cfg.imap_url, "imap://") && !starts_with(cfg.imap_url, "imaps://"))
    bad(s, "imap_url", fmt::format("expected imap://HOST[:PORT]/MAILBOX or imaps://…, got \"{}\"", cfg.imap_url));
  if (!cfg.smtp_url.empty() && !starts_with(cfg.smtp_url, "smtp://") && !starts_with(cfg.smtp_url, "smtps://"))
    bad(s, "smtp_url", fmt::format("expected smtp://HOST[:PORT] or smtps://HOST[:PORT], got \"{}\"", cfg.smtp_url));
  if (!cfg.smtp_url.empty()) {
    const auto at = cfg.from_address.find('@');
    if (at == std::string::npos || at == 0 || at + 1 == cfg.from_address.size())
      bad(s, "from_address", "expected the firm's mailbox (name@domain) for outgoing mail");
  }
  if (cfg.message_id_domain.empty()) {
    const auto at = cfg.from_address.find('@');
    cfg.message_id_domain = at == std::string::npos ? "reglament.local" : cfg.from_address.substr(at + 1);
  }
  return cfg;
}

daemon::channel_parts make_channel(daemon::channel_settings& s, const daemon::channel_env& env) {
  const auto cfg = read_config(s);
  daemon::channel_parts parts;
  if (!cfg.smtp_url.empty()) {
    smtp_settings smtp;
    smtp.url = cfg.smtp_url;
    smtp.starttls = cfg.smtp_starttls;
    smtp.username = cfg.smtp_username.empty() ? cfg.username : cfg.smtp_username;
    smtp.password = cfg.smtp_password.empty() ? cfg.password : cfg.smtp_password;
    smtp.ca_file = cfg.ca_file;
    smtp.timeout_seconds = cfg.timeout_seconds;
    smtp.compose = {cfg.from_address, cfg.from_name, cfg.message_id_domain, cfg.default_subject};
    sent_book book;
    if (!env.store_path.empty()) {
      // The store's channel_sent table: what the server accepted is never sent again.
      auto ledger = std::make_shared<reglament::channel_ledger>(env.store_path);
      book.sent = [ledger](const std::string& key) { return ledger->find("email", key).has_value(); };
      book.record = [ledger, clk = env.clk](const std::string& key, const std::string& to, const std::string& id) {
        ledger->record({"email", key, to, id, {}, clk ? clk->now() : std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now())});
      };
    }
    parts.outbound = std::make_unique<smtp_channel>(std::move(smtp), env.clk, std::move(book));
  }
  if (!cfg.imap_url.empty()) {
    imap_source_settings in;
    in.imap.server = cfg.imap_server();
    in.imap.mailbox = cfg.mailbox();
    in.imap.starttls = cfg.imap_starttls;
    in.imap.username = cfg.username;
    in.imap.password = cfg.password;
    in.imap.ca_file = cfg.ca_file;
    in.imap.timeout_seconds = cfg.timeout_seconds;
    in.initial = cfg.initial;
    in.poll_seconds = cfg.poll_interval;
    in.limits = cfg.limits;
    source_logger log;
    if (env.log)
      log = [l = env.log](source_log level, const std::string& msg) {
        static constexpr daemon::log_level levels[] = {daemon::log_level::debug, daemon::log_level::info,
                                                       daemon::log_level::warn, daemon::log_level::error};
        l->write(levels[static_cast<int>(level)], msg, {{"channel", "email"}});
      };
    parts.inbound = std::make_unique<imap_source>(std::move(in), std::move(log));
  }
  return parts;
}

}  // namespace reglament::email
