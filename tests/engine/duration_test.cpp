#include "engine/duration.hpp"

#include <catch2/catch.hpp>

using reglament::duration;
using reglament::parse_duration;

TEST_CASE("Russian durations in every grammatical form", "[duration]") {
  struct row { const char* text; long count; duration::unit in; bool working; };
  const row rows[] = {
      {"1 минута", 1, duration::unit::minute, false},  {"2 минуты", 2, duration::unit::minute, false},
      {"30 минут", 30, duration::unit::minute, false}, {"15 мин", 15, duration::unit::minute, false},
      {"1 час", 1, duration::unit::hour, false},       {"2 часа", 2, duration::unit::hour, false},
      {"5 часов", 5, duration::unit::hour, false},     {"3 ч", 3, duration::unit::hour, false},
      {"1 день", 1, duration::unit::day, false},       {"3 дня", 3, duration::unit::day, false},
      {"10 дней", 10, duration::unit::day, false},     {"2 д", 2, duration::unit::day, false},
      {"1 неделя", 1, duration::unit::week, false},    {"2 недели", 2, duration::unit::week, false},
      {"5 недель", 5, duration::unit::week, false},
      {"1 рабочий день", 1, duration::unit::day, true}, {"2 рабочих дня", 2, duration::unit::day, true},
      {"30 рабочих минут", 30, duration::unit::minute, true},
      {"4 рабочих часа", 4, duration::unit::hour, true},
      {"2 Рабочие Недели", 2, duration::unit::week, true},
      {"1 рабочего дня", 1, duration::unit::day, true},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    auto d = parse_duration(r.text);
    REQUIRE(d);
    CHECK(d->count == r.count);
    CHECK(d->in == r.in);
    CHECK(d->working == r.working);
    CHECK(d->text == r.text);
  }
}

TEST_CASE("English and compact durations", "[duration]") {
  auto d = parse_duration("3 working days");
  REQUIRE(d);
  CHECK((d->count == 3 && d->in == duration::unit::day && d->working));
  d = parse_duration("1 hour");
  REQUIRE(d);
  CHECK((d->in == duration::unit::hour && !d->working));
  d = parse_duration("45m");
  REQUIRE(d);
  CHECK((d->count == 45 && d->in == duration::unit::minute));
  d = parse_duration("2h");
  REQUIRE(d);
  CHECK(d->plain() == std::chrono::hours(2));
  d = parse_duration("3d");
  REQUIRE(d);
  CHECK(d->plain() == std::chrono::hours(72));
  d = parse_duration("  1 week ");
  REQUIRE(d);
  CHECK(d->plain() == std::chrono::hours(168));
  CHECK(d->text == "1 week");
}

TEST_CASE("Not durations say what was expected", "[duration]") {
  std::string error;
  CHECK_FALSE(parse_duration("два дня", &error));
  CHECK_THAT(error, Catch::Contains("с числа"));
  CHECK_FALSE(parse_duration("2 попугая", &error));
  CHECK_THAT(error, Catch::Contains("попугая"));
  CHECK_FALSE(parse_duration("2", &error));
  CHECK_THAT(error, Catch::Contains("единица"));
  CHECK_FALSE(parse_duration("1,5 часа", &error));
  CHECK_THAT(error, Catch::Contains("целое"));
  CHECK_FALSE(parse_duration("2 часа 3 дня", &error));
  CHECK_FALSE(parse_duration("", &error));
}
