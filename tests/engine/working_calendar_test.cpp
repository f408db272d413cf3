#include "engine/working_calendar.hpp"

#include "tests/engine/calendar_time.hpp"

#include <catch2/catch.hpp>

using namespace reglament;
using namespace reglament::testing;
using namespace std::chrono;

// 2026-11-20 is a Friday; 2026-11-23 a Monday.
TEST_CASE("Working hours skip the weekend", "[calendar]") {
  weekly_calendar cal;
  CHECK(to_iso8601(cal.add(msk(2026, 11, 20, 17, 30), dur("1 рабочий час"))) ==
        to_iso8601(msk(2026, 11, 23, 9, 30)));
  CHECK(cal.add(msk(2026, 11, 20, 17, 0), dur("1 working hour")) == msk(2026, 11, 20, 18, 0));
}

TEST_CASE("Working minutes skip lunch and night", "[calendar]") {
  weekly_calendar cal;
  CHECK(cal.add(msk(2026, 11, 23, 12, 45), dur("30 рабочих минут")) == msk(2026, 11, 23, 14, 15));
  CHECK(cal.add(msk(2026, 11, 23, 13, 20), dur("10 рабочих минут")) == msk(2026, 11, 23, 14, 10));
  CHECK(cal.add(msk(2026, 11, 23, 20, 0), dur("1 рабочий час")) == msk(2026, 11, 24, 10, 0));
  CHECK(cal.add(msk(2026, 11, 23, 7, 0), dur("8 рабочих часов")) == msk(2026, 11, 23, 18, 0));
}

TEST_CASE("Plain durations are calendar time", "[calendar]") {
  weekly_calendar cal;
  CHECK(cal.add(msk(2026, 11, 20, 17, 30), dur("1 час")) == msk(2026, 11, 20, 18, 30));
  CHECK(cal.add(msk(2026, 11, 20, 17, 30), dur("2 дня")) == msk(2026, 11, 22, 17, 30));
  CHECK(cal.add(msk(2026, 11, 20, 17, 30), dur("1 неделя")) == msk(2026, 11, 27, 17, 30));
}

TEST_CASE("Working days keep the time of day", "[calendar]") {
  weekly_calendar cal;
  CHECK(cal.add(msk(2026, 11, 20, 11, 0), dur("1 рабочий день")) == msk(2026, 11, 23, 11, 0));
  CHECK(cal.add(msk(2026, 11, 23, 11, 0), dur("2 рабочих дня")) == msk(2026, 11, 25, 11, 0));
  CHECK(cal.add(msk(2026, 11, 23, 11, 0), dur("1 рабочая неделя")) == msk(2026, 11, 30, 11, 0));
  // After hours the count starts at the next morning.
  CHECK(cal.add(msk(2026, 11, 20, 19, 0), dur("1 рабочий день")) == msk(2026, 11, 24, 9, 0));
  // In the lunch break it starts when lunch ends.
  CHECK(cal.add(msk(2026, 11, 23, 13, 30), dur("1 рабочий день")) == msk(2026, 11, 24, 14, 0));
}

TEST_CASE("Holidays are skipped, transferred working days count", "[calendar]") {
  weekly_calendar cal;
  cal.add_holiday(year(2026) / November / day(4));  // Day of National Unity, a Wednesday
  CHECK(cal.add(msk(2026, 11, 3, 17, 30), dur("1 рабочий час")) == msk(2026, 11, 5, 9, 30));
  CHECK(cal.add(msk(2026, 11, 3, 10, 0), dur("1 рабочий день")) == msk(2026, 11, 5, 10, 0));
  CHECK_FALSE(cal.is_working(msk(2026, 11, 4, 10, 0)));

  cal.add_working_day(year(2026) / November / day(21), {10 * 60, 15 * 60, 0, 0});  // a Saturday
  CHECK(cal.is_working(msk(2026, 11, 21, 10, 30)));
  CHECK_FALSE(cal.is_working(msk(2026, 11, 21, 16, 0)));
  CHECK(cal.add(msk(2026, 11, 20, 17, 30), dur("1 рабочий час")) == msk(2026, 11, 21, 10, 30));
  // 17:00 on a day that ends at 15:00 becomes 15:00.
  CHECK(cal.add(msk(2026, 11, 20, 17, 0), dur("1 рабочий день")) == msk(2026, 11, 21, 15, 0));
}

TEST_CASE("Working time by the local clock", "[calendar]") {
  weekly_calendar cal;
  CHECK(cal.utc_offset() == hours(3));
  CHECK(cal.is_working(msk(2026, 11, 23, 9, 0)));
  CHECK_FALSE(cal.is_working(msk(2026, 11, 23, 8, 59)));
  CHECK_FALSE(cal.is_working(msk(2026, 11, 23, 13, 0)));
  CHECK(cal.is_working(msk(2026, 11, 23, 17, 59)));
  CHECK_FALSE(cal.is_working(msk(2026, 11, 23, 18, 0)));
  CHECK_FALSE(cal.is_working(msk(2026, 11, 22, 12, 0)));  // Sunday
}

TEST_CASE("A calendar with no working time falls back to calendar time", "[calendar]") {
  weekly_calendar cal(std::array<weekly_calendar::shift, 7>{}, hours(0));
  timestamp t = msk(2026, 11, 23, 10, 0);
  CHECK(cal.add(t, dur("2 рабочих часа")) == t + hours(2));
}
