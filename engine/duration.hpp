// A duration as an owner writes it in a playbook ("2 рабочих дня", "30 минут",
// "1 working hour"). It keeps the unit and whether only working time counts, because
// "2 working days" is not 48 hours; the working_calendar turns it into a due time.
// Plain value type.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace reglament {

struct duration {
  enum class unit { minute, hour, day, week };
  long count = 0;
  unit in = unit::minute;
  bool working = false;  // count only working time
  std::string text;      // as written, for messages

  // Calendar length, ignoring working time (1 day = 24 h).
  std::chrono::minutes plain() const;
};

// Parses "2 рабочих дня", "30 мин", "1 неделя", "3 working days", "45m", "2h".
// Returns nullopt with `error` filled when the text is not a duration.
std::optional<duration> parse_duration(std::string_view text, std::string* error = nullptr);

}  // namespace reglament
