#include "engine/schedule.hpp"

#include "engine/production_calendar.hpp"
#include "tests/engine/calendar_time.hpp"

#include <catch2/catch.hpp>

using namespace reglament;
using reglament::testing::msk;
using std::chrono::hours;
using std::chrono::minutes;

namespace {

schedule_rule rule(const char* text) {
  std::string error;
  auto r = parse_schedule(text, &error);
  INFO(text << ": " << error);
  REQUIRE(r);
  return *r;
}

std::string error_of(const char* text) {
  std::string error;
  auto r = parse_schedule(text, &error);
  CHECK_FALSE(r);
  return error;
}

const working_calendar& ru() { return production_calendar::shipped(); }

timestamp next(const schedule_rule& r, timestamp after, annual_date occasion = {}, minutes offset = hours(3)) {
  auto t = r.next_after(after, offset, &ru(), occasion);
  REQUIRE(t);
  return *t;
}

}  // namespace

TEST_CASE("schedule: the Russian forms and their English equivalents", "[schedule]") {
  using rp = schedule_rule::repeat;
  auto last_friday = rule("в последнюю пятницу месяца в 10:00");
  CHECK(last_friday.what == rp::monthly_weekday);
  CHECK(last_friday.nth == -1);
  CHECK(last_friday.weekday == 5);
  CHECK(last_friday.minute_of_day == 600);
  CHECK(last_friday.describe() == "в последнюю пятницу месяца в 10:00");

  auto second_tuesday = rule("каждый второй вторник месяца");
  CHECK(second_tuesday.what == rp::monthly_weekday);
  CHECK(second_tuesday.nth == 2);
  CHECK(second_tuesday.weekday == 2);
  CHECK(second_tuesday.minute_of_day == 9 * 60);
  CHECK(rule("2-й вторник месяца").nth == 2);
  // Sunday is neuter in Russian: the rule reads back in the right gender.
  CHECK(rule("третье воскресенье месяца").describe().find("в третье воскресенье месяца") == 0);
  CHECK(rule("первую среду месяца").describe().find("в первую среду месяца") == 0);

  auto fifth = rule("каждое 5-е число");
  CHECK(fifth.what == rp::monthly_day);
  CHECK(fifth.day == 5);
  CHECK(rule("5-го числа каждого месяца в 11:15").minute_of_day == 11 * 60 + 15);

  CHECK(rule("ежедневно в 9:00").what == rp::daily);
  CHECK(rule("Каждый день в 08:45").minute_of_day == 8 * 60 + 45);
  auto working = rule("по рабочим дням в 9:30");
  CHECK(working.what == rp::working_days);
  CHECK(working.minute_of_day == 9 * 60 + 30);

  auto yearly = rule("ежегодно 21 ноября");
  CHECK(yearly.what == rp::yearly);
  CHECK(yearly.month == 11);
  CHECK(yearly.day == 21);

  CHECK(rule("каждую пятницу в 16:00").what == rp::weekly);
  CHECK(rule("в последний день месяца").day == -1);
  auto first_working = rule("в первый рабочий день месяца");
  CHECK(first_working.day == 1);
  CHECK(first_working.on_day_off == schedule_rule::shift::next_working_day);
  CHECK(rule("в последний рабочий день месяца").on_day_off == schedule_rule::shift::previous_working_day);

  CHECK(rule("в последнюю пятницу месяца, если выпадает на выходной — в предыдущий рабочий день").on_day_off ==
        schedule_rule::shift::previous_working_day);
  CHECK(rule("каждое 15-е число, если выпадает на выходной — в следующий рабочий день в 12:00").on_day_off ==
        schedule_rule::shift::next_working_day);

  auto birthday = rule("в день рождения контакта клиента в 10:00");
  CHECK(birthday.what == rp::contact_birthday);
  CHECK(birthday.per_client());
  CHECK(rule("в профессиональный праздник клиента").what == rp::client_holiday);

  // English.
  CHECK(rule("last Friday of the month at 10:00").nth == -1);
  CHECK(rule("second tuesday of every month").nth == 2);
  CHECK(rule("on day 5 of every month").day == 5);
  CHECK(rule("daily at 9:00").what == rp::daily);
  CHECK(rule("on working days at 9:30").what == rp::working_days);
  CHECK(rule("every year on 21 November").month == 11);
  CHECK(rule("on a contact's birthday at 10:00").what == rp::contact_birthday);
  CHECK(rule("on the client's professional holiday").what == rp::client_holiday);
  CHECK(rule("last friday of the month, if it falls on a day off, the previous working day").on_day_off ==
        schedule_rule::shift::previous_working_day);
}

TEST_CASE("schedule: an unreadable rule says which word and lists the forms", "[schedule]") {
  auto e = error_of("в последнюю пятницу квартала");
  CHECK(e.find("«квартала»") != std::string::npos);
  CHECK(e.find("каждое 5-е число") != std::string::npos);
  CHECK(error_of("").find("пустое") != std::string::npos);
  CHECK(error_of("каждый второй вторник").find("месяца") != std::string::npos);
  CHECK(error_of("ежегодно 30 февраля").find("нет такой даты") != std::string::npos);
  CHECK(error_of("каждое 32-е число").find("32") != std::string::npos);
  CHECK(error_of("ежедневно в 25:00").find("25:00") != std::string::npos);
  CHECK(error_of("в последнюю пятницу месяца, если выходной — перенести").find("куда переносить") != std::string::npos);
  CHECK(error_of("в день рождения контакта 5 числа").find("дата своя") != std::string::npos);
  CHECK(error_of("в 10:00 и в 11:00 ежедневно").find("два разных времени") != std::string::npos);
}

TEST_CASE("schedule: the last Friday of months with four and five Fridays, across the year", "[schedule]") {
  auto r = rule("в последнюю пятницу месяца в 10:00");
  // October 2026 has five Fridays (2 … 30), November four (6 … 27).
  CHECK(next(r, msk(2026, 10, 1, 0)) == msk(2026, 10, 30, 10));
  CHECK(next(r, msk(2026, 10, 30, 10)) == msk(2026, 11, 27, 10));
  CHECK(next(r, msk(2026, 11, 27, 9, 59)) == msk(2026, 11, 27, 10));
  CHECK(next(r, msk(2026, 11, 27, 10)) == msk(2026, 12, 25, 10));
  CHECK(next(r, msk(2026, 12, 25, 10)) == msk(2027, 1, 29, 10));  // the year boundary
  CHECK(next(r, msk(2027, 1, 29, 10)) == msk(2027, 2, 26, 10));   // February

  auto fifth = rule("каждую пятую пятницу месяца в 10:00");
  CHECK(next(fifth, msk(2026, 10, 1, 0)) == msk(2026, 10, 30, 10));
  // November and December 2026 have four Fridays: the next fifth is in January.
  CHECK(next(fifth, msk(2026, 10, 30, 10)) == msk(2027, 1, 29, 10));
}

TEST_CASE("schedule: a last Friday that is a holiday moves to the previous working day", "[schedule]") {
  weekly_calendar cal;  // Mon-Fri, Moscow
  cal.add_holiday(std::chrono::year(2026) / 11 / 27);
  cal.add_holiday(std::chrono::year(2026) / 11 / 26);
  auto shifted = rule("в последнюю пятницу месяца в 10:00, если выпадает на выходной — в предыдущий рабочий день");
  CHECK(shifted.next_after(msk(2026, 11, 1, 0), hours(3), &cal) == msk(2026, 11, 25, 10));
  // Between the shifted day and the nominal one nothing fires twice.
  CHECK(shifted.next_after(msk(2026, 11, 25, 10), hours(3), &cal) == msk(2026, 12, 25, 10));
  auto later = rule("в последнюю пятницу месяца в 10:00, если выпадает на выходной — в следующий рабочий день");
  CHECK(later.next_after(msk(2026, 11, 1, 0), hours(3), &cal) == msk(2026, 11, 30, 10));
  // Without a shift it fires on the holiday itself.
  CHECK(rule("в последнюю пятницу месяца в 10:00").next_after(msk(2026, 11, 1, 0), hours(3), &cal) ==
        msk(2026, 11, 27, 10));
}

TEST_CASE("schedule: the production calendar's holidays shift the first working day", "[schedule]") {
  // 1-11 January 2026 are days off; 1 May 2026 is a Friday holiday.
  auto first_working = rule("в первый рабочий день месяца в 9:30");
  CHECK(next(first_working, msk(2025, 12, 31, 12)) == msk(2026, 1, 12, 9, 30));
  CHECK(next(first_working, msk(2026, 4, 30, 12)) == msk(2026, 5, 4, 9, 30));
  auto first_friday = rule("каждую первую пятницу месяца, если выпадает на выходной — в следующий рабочий день");
  CHECK(next(first_friday, msk(2026, 1, 1, 0)) == msk(2026, 1, 12, 9));
  auto last_working = rule("в последний рабочий день месяца в 15:00");
  CHECK(next(last_working, msk(2026, 12, 1, 0)) == msk(2026, 12, 30, 15));  // 31 December is a day off

  auto working = rule("по рабочим дням в 9:30");
  CHECK(next(working, msk(2026, 11, 3, 10)) == msk(2026, 11, 5, 9, 30));  // 4 November is a holiday
  CHECK(next(working, msk(2026, 11, 27, 9, 30)) == msk(2026, 11, 30, 9, 30));  // over the weekend
  auto daily = rule("ежедневно в 9:00");
  CHECK(next(daily, msk(2026, 12, 31, 9)) == msk(2027, 1, 1, 9));
}

TEST_CASE("schedule: days of the month past the month's end, February and leap years", "[schedule]") {
  auto thirtieth = rule("каждое 30-е число в 10:00");
  CHECK(next(thirtieth, msk(2027, 1, 30, 10)) == msk(2027, 2, 28, 10));
  CHECK(next(thirtieth, msk(2027, 2, 28, 10)) == msk(2027, 3, 30, 10));
  CHECK(next(thirtieth, msk(2028, 1, 30, 10)) == msk(2028, 2, 29, 10));
  auto last = rule("в последний день месяца в 18:00");
  CHECK(next(last, msk(2026, 11, 1, 0)) == msk(2026, 11, 30, 18));
  CHECK(next(last, msk(2028, 2, 1, 0)) == msk(2028, 2, 29, 18));

  auto leap_day = rule("ежегодно 29 февраля в 10:00");
  CHECK(next(leap_day, msk(2026, 3, 1, 0)) == msk(2027, 2, 28, 10));
  CHECK(next(leap_day, msk(2027, 3, 1, 0)) == msk(2028, 2, 29, 10));
  auto yearly = rule("ежегодно 21 ноября");
  CHECK(next(yearly, msk(2026, 11, 21, 9)) == msk(2027, 11, 21, 9));
}

TEST_CASE("schedule: birthdays and holidays of clients, in the client's timezone", "[schedule]") {
  auto birthday = rule("в день рождения контакта клиента в 10:00");
  annual_date nov24{11, 24};
  // Moscow: 10:00 local is 07:00 UTC; Yekaterinburg (+5): 05:00 UTC, two hours earlier.
  CHECK(next(birthday, msk(2026, 11, 1, 0), nov24) == msk(2026, 11, 24, 10));
  CHECK(next(birthday, msk(2026, 11, 1, 0), nov24, hours(5)) == msk(2026, 11, 24, 8));
  // 24 November 2029 is a Saturday: a birthday is congratulated on the day.
  CHECK(next(birthday, msk(2029, 1, 1, 0), nov24) == msk(2029, 11, 24, 10));
  // Born on 29 February: 28 February in other years.
  annual_date feb29{2, 29};
  CHECK(next(birthday, msk(2026, 3, 1, 0), feb29) == msk(2027, 2, 28, 10));
  CHECK(next(birthday, msk(2027, 3, 1, 0), feb29) == msk(2028, 2, 29, 10));
  // No date: nothing fires.
  CHECK_FALSE(birthday.next_after(msk(2026, 3, 1, 0), hours(3), &ru(), annual_date{}));

  auto holiday = rule("в профессиональный праздник клиента в 10:00, если выпадает на выходной — в предыдущий рабочий день");
  // 21 November 2026 is a Saturday.
  CHECK(next(holiday, msk(2026, 11, 1, 0), annual_date{11, 21}) == msk(2026, 11, 20, 10));
}

TEST_CASE("schedule: Moscow keeps UTC+3 all year (no daylight saving time)", "[schedule]") {
  using std::chrono::sys_days;
  auto daily = rule("ежедневно в 9:00");
  auto utc = [](int y, unsigned m, unsigned d, int h) {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        sys_days(std::chrono::year(y) / std::chrono::month(m) / std::chrono::day(d)) + hours(h));
  };
  // The last Sunday of March and of October changed nothing: 09:00 is 06:00 UTC in both.
  CHECK(next(daily, utc(2026, 3, 29, 0)) == utc(2026, 3, 29, 6));
  CHECK(next(daily, utc(2026, 7, 15, 7)) == utc(2026, 7, 16, 6));
  CHECK(next(daily, utc(2026, 10, 25, 0)) == utc(2026, 10, 25, 6));
  CHECK(next(daily, utc(2026, 12, 31, 23)) == utc(2027, 1, 1, 6));
}
