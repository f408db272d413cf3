// The daemon's structured log: one line per event on stderr, as key=value text or as a
// JSON object, with a level threshold. Thread-safe (one mutex around each line). It is
// not a log shipper or rotator: systemd's journal takes stderr.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace reglament::daemon {

enum class log_level { debug, info, warn, error };
bool parse_log_level(std::string_view s, log_level& out);

using log_fields = std::vector<std::pair<std::string, std::string>>;

class logger {
 public:
  enum class format { text, json };
  logger(log_level min = log_level::info, format f = format::text) : min_(min), format_(f) {}

  void configure(log_level min, format f);
  void write(log_level level, std::string_view msg, const log_fields& fields = {});
  void debug(std::string_view msg, const log_fields& f = {}) { write(log_level::debug, msg, f); }
  void info(std::string_view msg, const log_fields& f = {}) { write(log_level::info, msg, f); }
  void warn(std::string_view msg, const log_fields& f = {}) { write(log_level::warn, msg, f); }
  void error(std::string_view msg, const log_fields& f = {}) { write(log_level::error, msg, f); }

 private:
  std::mutex mutex_;
  log_level min_;
  format format_;
};

}  // namespace reglament::daemon
