// Test helpers for working-time tests: Moscow wall time as a timestamp, and a duration
// parsed from its text. Header-only; included by the calendar tests.
#pragma once

#include "engine/clock.hpp"
#include "engine/duration.hpp"

#include <catch2/catch.hpp>

#include <chrono>

namespace reglament::testing {

// Moscow wall time (the default calendar's UTC+3) as a timestamp.
inline timestamp msk(int y, unsigned m, unsigned d, int h, int mi = 0) {
  using namespace std::chrono;
  return time_point_cast<milliseconds>(sys_days(year(y) / month(m) / day(d))) + hours(h) + minutes(mi) - hours(3);
}

inline reglament::duration dur(const char* text) {
  auto d = parse_duration(text);
  REQUIRE(d);
  return *d;
}

}  // namespace reglament::testing
