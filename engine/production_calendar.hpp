// The production calendar (производственный календарь): per year, the days off a
// government decree or the Labour Code adds to the weekends, the Saturdays turned into
// working days, and the shortened pre-holiday days. It is data the owner updates
// (playbooks/calendar/ru.yaml), not hours: apply_to() marks the days in a firm's
// weekly_calendar. Immutable after load; thread-safe to read. It does not know weekends.
#pragma once

#include "engine/diagnostic.hpp"
#include "engine/working_calendar.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace reglament {

struct production_year {
  int year = 0;
  std::string source;  // the decree or "Labour Code only"
  std::vector<std::chrono::year_month_day> days_off;      // holidays and transferred days off
  std::vector<std::chrono::year_month_day> working_days;  // transferred working days
  std::vector<std::chrono::year_month_day> short_days;    // one hour shorter
};

class production_calendar {
 public:
  // Reads `path`; on any error returns nullopt with every problem in `problems`
  // (file:line:col), not only the first.
  static std::optional<production_calendar> load(const std::string& path, diagnostics& problems);
  static std::optional<production_calendar> parse(const std::string& yaml, const std::string& name,
                                                  diagnostics& problems);

  // Days off become holidays, transferred working days work the calendar's usual shift,
  // short days end one hour earlier.
  void apply_to(weekly_calendar& cal) const;

  const std::vector<production_year>& years() const { return years_; }

  // DIR/../calendar/ru.yaml or DIR/calendar/ru.yaml for a playbooks folder DIR, or "".
  static std::string beside(const std::string& playbooks_dir);

  // The default weekly hours with the shipped calendar applied, loaded once (found in
  // ./playbooks/calendar/ru.yaml, then in the source tree). If the file is missing or
  // broken, the plain weekly calendar: stories and rehearsals still run, and the
  // production_calendar tests fail loudly instead.
  static const weekly_calendar& shipped();

 private:
  std::vector<production_year> years_;
};

}  // namespace reglament
