#include "engine/production_calendar.hpp"

#include "tests/engine/calendar_time.hpp"

#include <catch2/catch.hpp>

using namespace reglament;
using namespace reglament::testing;
using namespace std::chrono;

namespace {

const std::string shipped_file = std::string(REGLAMENT_SOURCE_DIR) + "/playbooks/calendar/ru.yaml";

weekly_calendar shipped_calendar() {
  diagnostics problems;
  auto pc = production_calendar::load(shipped_file, problems);
  for (const auto& p : problems) UNSCOPED_INFO(p.to_string());
  REQUIRE(pc);
  weekly_calendar cal;
  pc->apply_to(cal);
  return cal;
}

}  // namespace

TEST_CASE("The shipped production calendar loads without problems", "[calendar]") {
  diagnostics problems;
  auto pc = production_calendar::load(shipped_file, problems);
  for (const auto& p : problems) UNSCOPED_INFO(p.to_string());
  REQUIRE(pc);
  CHECK(problems.empty());
  REQUIRE(pc->years().size() == 3);
  for (const auto& y : pc->years()) CHECK_FALSE(y.source.empty());
  CHECK(production_calendar::beside(std::string(REGLAMENT_SOURCE_DIR) + "/playbooks/bookkeeping") != "");
}

TEST_CASE("Holidays, transferred days and short days of the shipped calendar", "[calendar]") {
  auto cal = shipped_calendar();
  // 1 May 2026 is a Friday and a public holiday.
  CHECK_FALSE(cal.is_working(msk(2026, 5, 1, 11, 0)));
  CHECK(cal.is_working(msk(2026, 4, 29, 11, 0)));
  // Saturday 1 November 2025 is a transferred working day, one hour shorter (pre-holiday).
  CHECK(cal.is_working(msk(2025, 11, 1, 11, 0)));
  CHECK_FALSE(cal.is_working(msk(2025, 11, 1, 17, 30)));
  CHECK_FALSE(cal.is_working(msk(2025, 11, 3, 11, 0)));  // the Monday it was moved to
  CHECK(cal.add(msk(2025, 10, 31, 11, 0), dur("1 рабочий день")) == msk(2025, 11, 1, 11, 0));
  // 31 Dec 2025 is a day off; January holidays run to Sunday 11 January 2026.
  CHECK_FALSE(cal.is_working(msk(2025, 12, 31, 10, 0)));
  CHECK(cal.add(msk(2025, 12, 31, 12, 0), dur("1 рабочий час")) == msk(2026, 1, 12, 10, 0));
  CHECK(cal.add(msk(2025, 12, 30, 17, 30), dur("1 рабочий час")) == msk(2026, 1, 12, 9, 30));
  // Thursday 30 April 2026 ends at 17:00.
  CHECK_FALSE(cal.is_working(msk(2026, 4, 30, 17, 15)));
  CHECK(cal.add(msk(2026, 4, 30, 16, 30), dur("1 рабочий час")) == msk(2026, 5, 4, 9, 30));
  // 2027 by the Labour Code: Saturday 1 May moves to Monday 3 May.
  CHECK_FALSE(cal.is_working(msk(2027, 5, 3, 11, 0)));
  CHECK(cal.is_working(msk(2027, 1, 11, 9, 0)));
}

TEST_CASE("A short day cut into lunch ends when lunch starts", "[calendar]") {
  weekly_calendar cal({weekly_calendar::shift{9 * 60, 14 * 60, 13 * 60, 14 * 60}, {}, {}, {}, {}, {}, {}}, hours(3));
  cal.add_short_day(year(2026) / November / day(23));  // a Monday
  CHECK(cal.is_working(msk(2026, 11, 23, 12, 59)));
  CHECK_FALSE(cal.is_working(msk(2026, 11, 23, 13, 0)));
  CHECK(cal.usual_shift().end == 14 * 60);
}

TEST_CASE("A broken production calendar reports every problem with its place", "[calendar]") {
  diagnostics problems;
  CHECK_FALSE(production_calendar::parse("years:\n  2026: {source: x, days_off: [2026-05-01\n", "bad.yaml", problems));
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].pos.file == "bad.yaml");
  CHECK(problems[0].pos.line == 3);
  CHECK(problems[0].pos.column > 0);

  problems.clear();
  const char* text =
      "years:\n"
      "  2026:\n"
      "    source: decree\n"
      "    days_off: [2026-05-01, 2026-02-30]\n"
      "    working_days: [2027-01-09]\n"
      "    short_days: [2026-05-01]\n"
      "    holidays: []\n"
      "  2027:\n"
      "    days_off: [2027-01-01..2027-01-08]\n";
  CHECK_FALSE(production_calendar::parse(text, "cal.yaml", problems));
  std::vector<std::string> shown;
  for (const auto& p : problems) shown.push_back(p.to_string());
  REQUIRE(problems.size() == 5);
  CHECK(problems[0].pos.line == 7);  // unknown key first: checked before the lists
  CHECK(shown[0].find("2026.holidays: unknown key") != std::string::npos);
  CHECK(problems[1].pos.line == 4);
  CHECK(problems[1].pos.column == 28);
  CHECK(shown[1].find("'2026-02-30' is not a date") != std::string::npos);
  CHECK(shown[2].find("'2027-01-09' is not in 2026") != std::string::npos);
  CHECK(shown[3].find("2026-05-01 is also in days_off") != std::string::npos);
  CHECK(problems[4].pos.line == 9);
  CHECK(shown[4].find("2027: `source:` is required") != std::string::npos);
}
