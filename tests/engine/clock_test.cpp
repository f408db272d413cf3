#include "engine/clock.hpp"

#include <catch2/catch.hpp>

using namespace reglament;

TEST_CASE("ISO-8601 round trip in UTC", "[clock]") {
  timestamp t;
  REQUIRE(parse_iso8601("2026-11-23T09:15:00.000Z", t));
  CHECK(to_iso8601(t) == "2026-11-23T09:15:00.000Z");
  CHECK(from_millis(to_millis(t)) == t);
  REQUIRE(parse_iso8601("2026-11-23T12:15:00+03:00", t));
  CHECK(to_iso8601(t) == "2026-11-23T09:15:00.000Z");
  REQUIRE(parse_iso8601("2026-11-23T09:15:07.5-01:30", t));
  CHECK(to_iso8601(t) == "2026-11-23T10:45:07.500Z");
  REQUIRE(parse_iso8601("1970-01-01T00:00:00Z", t));
  CHECK(to_millis(t) == 0);
}

TEST_CASE("Malformed moments are rejected", "[clock]") {
  timestamp t;
  CHECK_FALSE(parse_iso8601("2026-11-23T09:15:00", t));  // no zone
  CHECK_FALSE(parse_iso8601("2026-02-30T09:15:00Z", t));
  CHECK_FALSE(parse_iso8601("2026-11-23 25:00Z", t));
  CHECK_FALSE(parse_iso8601("yesterday", t));
  CHECK_FALSE(parse_iso8601("2026-11-23T09:15:00Zjunk", t));
}

TEST_CASE("Manual clock moves only when told", "[clock]") {
  manual_clock c(from_millis(1000));
  CHECK(to_millis(c.now()) == 1000);
  c.advance(std::chrono::seconds(2));
  CHECK(to_millis(c.now()) == 3000);
  system_clock_source s;
  CHECK(to_millis(s.now()) > 1'700'000'000'000);
}
