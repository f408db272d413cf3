// Working time: which moments are working hours, and what "in 2 working days" means.
// The interface is what the engine reads; weekly_calendar is a plain implementation
// (hours per weekday, a lunch break, a fixed UTC offset, a set of days off and of
// transferred working days, shortened pre-holiday days). The Russian production calendar
// is data (playbooks/calendar/ru.yaml, see production_calendar.hpp) applied to one.
// Implementations are immutable after construction: thread-safe.
#pragma once

#include "engine/clock.hpp"
#include "engine/duration.hpp"

#include <array>
#include <chrono>
#include <map>
#include <set>
#include <string>

namespace reglament {

class working_calendar {
 public:
  virtual ~working_calendar() = default;
  // The moment `d` after `from`; working durations skip non-working time.
  virtual timestamp add(timestamp from, const duration& d) const = 0;
  virtual bool is_working(timestamp t) const = 0;
  // Whether the firm works at all on this local day (not a weekend, holiday or day off):
  // what schedules shift by. The default probes the day's half hours.
  virtual bool is_working_day(std::chrono::sys_days local_day) const;
  // Offset of the firm's local time from UTC.
  virtual std::chrono::minutes utc_offset() const = 0;
};

class weekly_calendar final : public working_calendar {
 public:
  struct shift {  // minutes since local midnight; start == end means a day off
    int start = 0, end = 0;
    int lunch_start = 0, lunch_end = 0;  // equal: no lunch
  };

  // Mon-Fri 09:00-18:00 with lunch 13:00-14:00, Moscow time (UTC+3).
  weekly_calendar();
  weekly_calendar(std::array<shift, 7> week /* Monday first */, std::chrono::minutes utc_offset);

  void add_holiday(std::chrono::year_month_day day);      // a day off
  void add_working_day(std::chrono::year_month_day day, shift s);  // a transferred working day
  // A pre-holiday day: whatever shift the day has ends `shorter` earlier.
  void add_short_day(std::chrono::year_month_day day, std::chrono::minutes shorter = std::chrono::hours(1));

  // The shift of the first working weekday from Monday (a day off if none works): what a
  // transferred working Saturday works by.
  shift usual_shift() const;

  timestamp add(timestamp from, const duration& d) const override;
  bool is_working(timestamp t) const override;
  bool is_working_day(std::chrono::sys_days local_day) const override;
  std::chrono::minutes utc_offset() const override { return offset_; }

 private:
  shift shift_of(std::chrono::sys_days local_day) const;

  std::array<shift, 7> week_;
  std::chrono::minutes offset_;
  std::set<std::chrono::sys_days> holidays_;
  std::map<std::chrono::sys_days, shift> extra_days_;
  std::map<std::chrono::sys_days, std::chrono::minutes> short_days_;
};

}  // namespace reglament
