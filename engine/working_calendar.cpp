#include "engine/working_calendar.hpp"

#include <algorithm>
#include <vector>

namespace reglament {

using namespace std::chrono;

namespace {

constexpr weekly_calendar::shift office{9 * 60, 18 * 60, 13 * 60, 14 * 60};
constexpr weekly_calendar::shift day_off{};

// A calendar with no working time at all would never reach a working deadline; after
// this many days we give up and fall back to calendar time.
constexpr int max_days_searched = 3 * 366;

bool works(const weekly_calendar::shift& s) { return s.start < s.end; }

// Working intervals of a day in minutes since local midnight, lunch cut out.
std::vector<std::pair<int, int>> intervals(const weekly_calendar::shift& s) {
  if (!works(s)) return {};
  if (s.lunch_start < s.lunch_end && s.lunch_start > s.start && s.lunch_end < s.end)
    return {{s.start, s.lunch_start}, {s.lunch_end, s.end}};
  return {{s.start, s.end}};
}

using local_ms = sys_time<milliseconds>;  // local wall time stored in a sys_time

}  // namespace

weekly_calendar::weekly_calendar()
    : weekly_calendar({office, office, office, office, office, day_off, day_off}, hours(3)) {}

weekly_calendar::weekly_calendar(std::array<shift, 7> week, minutes utc_offset)
    : week_(week), offset_(utc_offset) {}

// The last call wins, so a day can be turned back after a decree changes.
void weekly_calendar::add_holiday(year_month_day day) {
  extra_days_.erase(sys_days(day));
  holidays_.insert(sys_days(day));
}

void weekly_calendar::add_working_day(year_month_day day, shift s) {
  holidays_.erase(sys_days(day));
  extra_days_[sys_days(day)] = s;
}

void weekly_calendar::add_short_day(year_month_day day, minutes shorter) {
  short_days_[sys_days(day)] = shorter;
}

weekly_calendar::shift weekly_calendar::usual_shift() const {
  for (const auto& s : week_)
    if (works(s)) return s;
  return day_off;
}

weekly_calendar::shift weekly_calendar::shift_of(sys_days local_day) const {
  shift s;
  if (auto it = extra_days_.find(local_day); it != extra_days_.end())
    s = it->second;
  else if (holidays_.count(local_day))
    return day_off;
  else
    s = week_[weekday(local_day).iso_encoding() - 1];
  if (auto it = short_days_.find(local_day); it != short_days_.end() && works(s)) {
    s.end = std::max(s.start, s.end - static_cast<int>(it->second.count()));
    // A day cut back into its lunch ends when lunch starts.
    if (s.lunch_start < s.lunch_end && s.lunch_end >= s.end) {
      s.end = std::min(s.end, std::max(s.start, s.lunch_start));
      s.lunch_start = s.lunch_end = 0;
    }
  }
  return s;
}

bool weekly_calendar::is_working(timestamp t) const {
  local_ms local = t + offset_;
  sys_days day = floor<days>(local);
  auto minute = duration_cast<milliseconds>(local - day);
  for (auto [a, b] : intervals(shift_of(day)))
    if (minute >= minutes(a) && minute < minutes(b)) return true;
  return false;
}

bool working_calendar::is_working_day(sys_days local_day) const {
  for (auto m = minutes(0); m < hours(24); m += minutes(30))
    if (is_working(time_point_cast<milliseconds>(local_day + m - utc_offset()))) return true;
  return false;
}

bool weekly_calendar::is_working_day(sys_days local_day) const { return works(shift_of(local_day)); }

timestamp weekly_calendar::add(timestamp from, const duration& d) const {
  if (!d.working || d.count <= 0) return from + d.plain();
  local_ms cursor = from + offset_;

  if (d.in == duration::unit::minute || d.in == duration::unit::hour) {
    milliseconds remaining = d.plain();
    for (int n = 0; n < max_days_searched; ++n) {
      sys_days day = floor<days>(cursor);
      for (auto [a, b] : intervals(shift_of(day))) {
        local_ms start = std::max(cursor, local_ms(day + minutes(a)));
        local_ms end = day + minutes(b);
        if (start >= end) continue;
        if (remaining <= end - start) return start + remaining - offset_;
        remaining -= end - start;
        cursor = end;
      }
      cursor = day + days(1);
    }
    return from + d.plain();
  }

  // Working days (a week is five of them): the same time of day N working days later.
  // Outside working hours the count starts at the next working period.
  long count = d.in == duration::unit::week ? d.count * 5 : d.count;
  bool found = false;
  for (int n = 0; n < max_days_searched && !found; ++n) {
    sys_days day = floor<days>(cursor);
    for (auto [a, b] : intervals(shift_of(day))) {
      if (cursor < day + minutes(b)) {
        cursor = std::max(cursor, local_ms(day + minutes(a)));
        found = true;
        break;
      }
    }
    if (!found) cursor = day + days(1);
  }
  if (!found) return from + d.plain();
  sys_days day = floor<days>(cursor);
  milliseconds time_of_day = cursor - day;
  for (int n = 0; count > 0 && n < max_days_searched; ++n) {
    day += days(1);
    if (works(shift_of(day))) --count;
  }
  if (count > 0) return from + d.plain();
  // A shorter shift that day moves the time into its hours.
  shift s = shift_of(day);
  time_of_day = std::clamp<milliseconds>(time_of_day, minutes(s.start), minutes(s.end));
  return day + time_of_day - offset_;
}

}  // namespace reglament
