#include "daemon/log.hpp"

#include "engine/clock.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>

namespace reglament::daemon {

namespace {

const char* name_of(log_level l) {
  switch (l) {
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warn: return "warn";
    case log_level::error: return "error";
  }
  return "info";
}

// Quotes a text value when it would otherwise break the key=value reading.
std::string text_value(std::string_view v) {
  bool plain = !v.empty();
  for (char c : v)
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) plain = false;
  if (plain) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + '"';
}

}  // namespace

bool parse_log_level(std::string_view s, log_level& out) {
  for (auto l : {log_level::debug, log_level::info, log_level::warn, log_level::error})
    if (s == name_of(l)) {
      out = l;
      return true;
    }
  return false;
}

void logger::configure(log_level min, format f) {
  std::lock_guard lock(mutex_);
  min_ = min;
  format_ = f;
}

void logger::write(log_level level, std::string_view msg, const log_fields& fields) {
  std::lock_guard lock(mutex_);
  if (level < min_) return;
  const auto at = to_iso8601(system_clock_source{}.now());
  std::string line;
  if (format_ == format::json) {
    nlohmann::json j = {{"at", at}, {"level", name_of(level)}, {"msg", msg}};
    for (const auto& [k, v] : fields) j[k] = v;
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = fmt::format("{} {} msg={}", at, name_of(level), text_value(msg));
    for (const auto& [k, v] : fields) line += fmt::format(" {}={}", k, text_value(v));
  }
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace reglament::daemon
