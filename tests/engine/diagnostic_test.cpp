#include "engine/diagnostic.hpp"

#include <catch2/catch.hpp>

using namespace reglament;

TEST_CASE("Diagnostics print like a compiler", "[diagnostic]") {
  diagnostic d{severity::error, {"intake.yaml", 12, 5}, "greet", "нет шага «x»"};
  CHECK(d.to_string() == "intake.yaml:12:5: error: step greet: нет шага «x»");
  diagnostic w{severity::warning, {"a.yaml", 3, 0}, "", "канал"};
  CHECK(w.to_string() == "a.yaml:3: warning: канал");
  CHECK_FALSE(has_errors({w}));
  CHECK(has_errors({w, d}));
}
