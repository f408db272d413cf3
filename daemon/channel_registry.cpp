#include "daemon/channel_registry.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace reglament::daemon {

channel_settings::channel_settings(std::string name, toml::table table)
    : name_(std::move(name)), table_(std::move(table)) {}

void channel_settings::bad(const std::string& k, const std::string& what) const {
  throw channel_config_error(fmt::format("{}: {}", key(k), what));
}

const toml::node* channel_settings::get(const std::string& k) {
  read_.insert(k);
  return table_.get(k);
}

bool channel_settings::has(const std::string& k) const { return table_.get(k) != nullptr; }

bool channel_settings::enabled() const {
  const auto* n = table_.get("enabled");
  if (!n) return true;  // a table is written to be used; `enabled = false` turns it off
  if (!n->is_boolean()) bad("enabled", "expected true or false");
  return *n->value<bool>();
}

std::string channel_settings::string(const std::string& k, const std::string& fallback) {
  const auto* n = get(k);
  if (!n) return fallback;
  if (!n->is_string()) bad(k, "expected a string");
  return *n->value<std::string>();
}

std::string channel_settings::required_string(const std::string& k) {
  const auto* n = get(k);
  if (!n) bad(k, "required");
  if (!n->is_string()) bad(k, "expected a string");
  auto v = *n->value<std::string>();
  if (v.empty()) bad(k, "must not be empty");
  return v;
}

std::int64_t channel_settings::integer(const std::string& k, std::int64_t fallback, std::int64_t min,
                                       std::int64_t max) {
  const auto* n = get(k);
  if (!n) return fallback;
  if (!n->is_integer()) bad(k, fmt::format("expected an integer {}..{}", min, max));
  auto v = *n->value<std::int64_t>();
  if (v < min || v > max) bad(k, fmt::format("expected {}..{}, got {}", min, max, v));
  return v;
}

bool channel_settings::boolean(const std::string& k, bool fallback) {
  const auto* n = get(k);
  if (!n) return fallback;
  if (!n->is_boolean()) bad(k, "expected true or false");
  return *n->value<bool>();
}

std::vector<std::string> channel_settings::strings(const std::string& k, std::vector<std::string> fallback) {
  const auto* n = get(k);
  if (!n) return fallback;
  const auto* arr = n->as_array();
  if (!arr) bad(k, "expected a list of strings");
  std::vector<std::string> out;
  for (const auto& e : *arr) {
    if (!e.is_string()) bad(k, "expected a list of strings");
    out.push_back(*e.value<std::string>());
  }
  return out;
}

std::chrono::seconds channel_settings::seconds(const std::string& k, std::chrono::seconds fallback,
                                               std::chrono::seconds min, std::chrono::seconds max) {
  return std::chrono::seconds(integer(k, fallback.count(), min.count(), max.count()));
}

std::string channel_settings::secret(const std::string& k, bool required) {
  const auto file_key = k + "_file", env_key = k + "_env";
  // A secret written into the config would end up in backups and bug reports.
  if (has(k)) {
    read_.insert(k);
    bad(k, fmt::format("write the secret in a file ({0}_file = \"/etc/reglament/{0}\") or an environment "
                       "variable ({0}_env = \"NAME\"), not in the config",
                       k));
  }
  const bool by_file = has(file_key), by_env = has(env_key);
  if (by_file && by_env) bad(file_key, fmt::format("set {} or {}, not both", key(file_key), key(env_key)));
  if (by_file) {
    auto path = required_string(file_key);
    std::ifstream in(path, std::ios::binary);
    if (!in) bad(file_key, fmt::format("cannot read '{}'", path));
    std::ostringstream ss;
    ss << in.rdbuf();
    auto v = ss.str();
    if (!v.empty() && v.back() == '\n') v.pop_back();
    if (!v.empty() && v.back() == '\r') v.pop_back();
    if (v.empty() && required) bad(file_key, fmt::format("'{}' is empty", path));
    return v;
  }
  if (by_env) {
    auto var = required_string(env_key);
    const char* v = std::getenv(var.c_str());
    if ((!v || !*v) && required) bad(env_key, fmt::format("environment variable {} is not set", var));
    return v ? v : "";
  }
  read_.insert(file_key);
  read_.insert(env_key);
  if (required) bad(file_key, fmt::format("required (or {})", key(env_key)));
  return {};
}

void channel_settings::check_unknown() const {
  for (const auto& [k, v] : table_) {
    std::string name(k.str());
    if (name == "enabled" || read_.count(name)) continue;
    std::string list;
    for (const auto& r : read_) list += (list.empty() ? "" : ", ") + r;
    bad(name, fmt::format("unknown key (this channel reads: enabled{}{})", list.empty() ? "" : ", ", list));
  }
}

void channel_registry::add(const std::string& name, channel_factory f) { factories_[name] = std::move(f); }

std::vector<std::string> channel_registry::names() const {
  std::vector<std::string> out;
  for (const auto& [n, f] : factories_) out.push_back(n);
  return out;
}

std::vector<built_channel> channel_registry::build(const std::map<std::string, toml::table>& tables,
                                                   const channel_env& env, logger& log) const {
  std::vector<built_channel> out;
  for (const auto& [name, table] : tables) {
    channel_settings s(name, table);
    try {
      if (!s.enabled()) {
        log.info("channel disabled", {{"channel", name}, {"key", s.key("enabled")}});
        continue;
      }
      auto it = factories_.find(name);
      if (it == factories_.end()) {
        std::string list;
        for (const auto& n : names()) list += (list.empty() ? "" : ", ") + n;
        throw channel_config_error(fmt::format("channels.{}: no such channel in this build (known: {})", name,
                                               list.empty() ? "none" : list));
      }
      auto parts = it->second(s, env);
      s.check_unknown();
      if (!parts.outbound && !parts.inbound)
        throw channel_config_error(fmt::format("channels.{}: the adapter built nothing", name));
      log.info("channel started", {{"channel", name},
                                   {"outbound", parts.outbound ? "yes" : "no"},
                                   {"inbound", parts.inbound ? "yes" : "no"}});
      out.push_back({name, std::move(parts)});
    } catch (const std::exception& e) {
      log.error("channel not started: its configuration is wrong; the other channels go on",
                {{"channel", name}, {"error", e.what()}});
    }
  }
  return out;
}

}  // namespace reglament::daemon
