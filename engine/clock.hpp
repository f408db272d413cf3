// The one source of "now" for the engine. Calendar, SLAs and timers read it; tests and
// rehearsals use manual_clock and never the real time. system_clock_source is
// thread-safe; manual_clock is safe to read from many threads while one thread moves it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace reglament {

using timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

std::int64_t to_millis(timestamp t);
timestamp from_millis(std::int64_t ms);
std::string to_iso8601(timestamp t);  // UTC, "2026-11-23T09:15:00.000Z"
bool parse_iso8601(std::string_view text, timestamp& out);  // accepts Z or +HH:MM

class clock {
 public:
  virtual ~clock() = default;
  virtual timestamp now() const = 0;
};

class system_clock_source final : public clock {
 public:
  timestamp now() const override;
};

class manual_clock final : public clock {
 public:
  explicit manual_clock(timestamp start) : now_(to_millis(start)) {}
  timestamp now() const override { return from_millis(now_.load()); }
  void set(timestamp t) { now_.store(to_millis(t)); }
  void advance(std::chrono::milliseconds d) { now_.fetch_add(d.count()); }

 private:
  std::atomic<std::int64_t> now_;
};

}  // namespace reglament
