// A schedule rule: when a scheduled playbook starts, read from the Russian (or English)
// text of its trigger ("в последнюю пятницу месяца в 10:00", "по рабочим дням в 9:30",
// "в день рождения контакта клиента"). A parsed rule is an immutable value, safe to share
// between threads. It does not start anything: the scheduler does, and keeps the record
// of what already fired.
#pragma once

#include "engine/clock.hpp"
#include "engine/firm.hpp"
#include "engine/working_calendar.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace reglament {

struct schedule_rule {
  enum class repeat {
    daily,             // every day
    working_days,      // every working day of the calendar
    weekly,            // every WEEKDAY
    monthly_day,       // day N of every month (N beyond the month's end: its last day)
    monthly_weekday,   // the Nth (or last) WEEKDAY of every month
    yearly,            // one day a year (29 February: 28 February in other years)
    client_holiday,    // per client: the client's professional holiday
    contact_birthday,  // per client contact: their birthday
  };
  // Where an occurrence on a day off moves.
  enum class shift { none, previous_working_day, next_working_day };

  repeat what = repeat::daily;
  int day = 0;        // monthly_day: 1..31, or -1 for the last day; yearly: 1..31
  int month = 0;      // yearly: 1..12
  int weekday = 0;    // weekly, monthly_weekday: ISO 1 (Monday) .. 7 (Sunday)
  int nth = 0;        // monthly_weekday: 1..5, or -1 for the last
  int minute_of_day = 9 * 60;  // local time; 09:00 when the text names none
  shift on_day_off = shift::none;
  std::string text;   // as written

  // Per-client rules start one case per client (holiday) or per contact (birthday) on
  // their date in the client's timezone; the others start one case for the firm.
  bool per_client() const { return what == repeat::client_holiday || what == repeat::contact_birthday; }

  // The first start strictly after `after`. `offset` is the local time's UTC offset (the
  // firm's, or the client's for per-client rules); `calendar` tells working days for
  // working_days and shifting (without it every Monday-Friday is a working day);
  // `occasion` is the client's holiday or the contact's birthday for per-client rules
  // (invalid: nullopt). Nullopt also when nothing fires within eight years.
  std::optional<timestamp> next_after(timestamp after, std::chrono::minutes offset,
                                      const working_calendar* calendar,
                                      annual_date occasion = {}) const;

  // "последняя пятница месяца, 10:00, на выходной — в предыдущий рабочий день": the rule
  // as understood, in Russian, for graphs and the validator's notes.
  std::string describe() const;
};

// Parses a rule; on failure returns nullopt and sets `error` to what is wrong (the word
// not understood) and which forms are accepted. `error` may be null.
std::optional<schedule_rule> parse_schedule(std::string_view text, std::string* error);

// The forms the parser accepts, one line each, for error messages and --help.
const char* schedule_forms();

}  // namespace reglament
