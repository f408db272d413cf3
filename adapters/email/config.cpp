#include "adapters/email/config.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace reglament::email {
namespace {

[[noreturn]] void bad(const std::string& key, const std::string& what) {
  throw std::runtime_error(fmt::format("channels.email.{}: {}", key, what));
}

std::string get_string(const toml::node& node, const std::string& key) {
  auto v = node.value<std::string>();
  if (!v) bad(key, "expected a string");
  return *v;
}

bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

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

config read_config(const toml::table* section) {
  config cfg;
  if (!section) {
    cfg.enabled = false;
    return cfg;
  }
  for (const auto& [k, node] : *section) {
    const std::string key(k.str());
    const auto integer = [&](long long lo, long long hi) {
      auto v = node.value<long long>();
      if (!v || *v < lo || *v > hi) bad(key, fmt::format("expected an integer from {} to {}", lo, hi));
      return *v;
    };
    const auto boolean = [&] {
      auto v = node.value<bool>();
      if (!v) bad(key, "expected true or false");
      return *v;
    };
    if (key == "enabled") cfg.enabled = boolean();
    else if (key == "imap_url") cfg.imap_url = get_string(node, key);
    else if (key == "imap_starttls") cfg.imap_starttls = boolean();
    else if (key == "smtp_url") cfg.smtp_url = get_string(node, key);
    else if (key == "smtp_starttls") cfg.smtp_starttls = boolean();
    else if (key == "username") cfg.username = get_string(node, key);
    else if (key == "password_file") cfg.password_file = get_string(node, key);
    else if (key == "password_env") cfg.password_env = get_string(node, key);
    else if (key == "smtp_username") cfg.smtp_username = get_string(node, key);
    else if (key == "smtp_password_file") cfg.smtp_password_file = get_string(node, key);
    else if (key == "smtp_password_env") cfg.smtp_password_env = get_string(node, key);
    else if (key == "ca_file") cfg.ca_file = get_string(node, key);
    else if (key == "from_address") cfg.from_address = get_string(node, key);
    else if (key == "from_name") cfg.from_name = get_string(node, key);
    else if (key == "message_id_domain") cfg.message_id_domain = get_string(node, key);
    else if (key == "default_subject") cfg.default_subject = get_string(node, key);
    else if (key == "poll_interval") cfg.poll_interval = static_cast<int>(integer(1, 3600));
    else if (key == "timeout_seconds") cfg.timeout_seconds = static_cast<int>(integer(1, 600));
    else if (key == "initial") {
      cfg.initial = get_string(node, key);
      if (cfg.initial != "unseen" && cfg.initial != "all") bad(key, "expected \"unseen\" or \"all\"");
    } else if (key == "max_message_bytes") cfg.limits.max_message_bytes = integer(1024, 1LL << 32);
    else if (key == "max_attachment_bytes") cfg.limits.max_attachment_bytes = integer(0, 1LL << 32);
    else if (key == "password") bad(key, "a password is never written in the config: use password_file or password_env");
    else
      bad(key, "unknown key (expected enabled, imap_url, imap_starttls, smtp_url, smtp_starttls, username, "
               "password_file, password_env, smtp_username, smtp_password_file, smtp_password_env, ca_file, "
               "from_address, from_name, message_id_domain, default_subject, poll_interval, timeout_seconds, "
               "initial, max_message_bytes, max_attachment_bytes)");
  }
  if (!cfg.enabled) return cfg;
  if (cfg.imap_url.empty() && cfg.smtp_url.empty()) bad("imap_url", "set imap_url and/or smtp_url");
  if (!cfg.imap_url.empty() && !starts_with(cfg.imap_url, "imap://") && !starts_with(cfg.imap_url, "imaps://"))
    bad("imap_url", fmt::format("expected imap://HOST[:PORT]/MAILBOX or imaps://…, got \"{}\"", cfg.imap_url));
  if (!cfg.smtp_url.empty() && !starts_with(cfg.smtp_url, "smtp://") && !starts_with(cfg.smtp_url, "smtps://"))
    bad("smtp_url", fmt::format("expected smtp://HOST[:PORT] or smtps://HOST[:PORT], got \"{}\"", cfg.smtp_url));
  if (!cfg.smtp_url.empty()) {
    const auto at = cfg.from_address.find('@');
    if (at == std::string::npos || at == 0 || at + 1 == cfg.from_address.size())
      bad("from_address", "expected the firm's mailbox (name@domain) for outgoing mail");
  }
  if (cfg.message_id_domain.empty()) {
    const auto at = cfg.from_address.find('@');
    cfg.message_id_domain = at == std::string::npos ? "reglament.local" : cfg.from_address.substr(at + 1);
  }
  if (!cfg.password_file.empty() && !cfg.password_env.empty())
    bad("password_file", "set password_file or password_env, not both");
  return cfg;
}

std::string read_secret(const std::string& file, const std::string& env, const std::string& what) {
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error(fmt::format("{}: cannot read the password file {}", what, file));
    std::string line;
    std::getline(in, line);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
    return line;
  }
  if (!env.empty()) {
    const char* v = std::getenv(env.c_str());
    if (!v) throw std::runtime_error(fmt::format("{}: environment variable {} is not set", what, env));
    return v;
  }
  return {};
}

}  // namespace reglament::email
