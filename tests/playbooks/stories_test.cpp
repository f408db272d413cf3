// The shipped playbooks' conversation tests: every story passes and every branch of
// every shipped playbook is reached by at least one story.
#include "engine/story.hpp"

#include "tests/fakes/story_options.hpp"

#include <catch2/catch.hpp>

using namespace reglament;
using reglament::testing::memory_stores;

TEST_CASE("shipped bookkeeping playbooks pass their stories with full branch coverage", "[playbook]") {
  auto report = run_stories(REGLAMENT_SOURCE_DIR "/playbooks/bookkeeping", memory_stores());
  for (const auto& d : report.problems) UNSCOPED_INFO(d.to_string());
  for (const auto& f : report.failures)
    UNSCOPED_INFO(f.pos.file << ":" << f.pos.line << ": " << f.story << ": " << f.message);
  CHECK(report.problems.empty());
  CHECK(report.failures.empty());
  CHECK(report.stories >= 25);
  REQUIRE_FALSE(report.coverage.empty());
  for (const auto& c : report.coverage) {
    INFO(c.playbook << " misses " << c.missed.size() << " of " << c.total << " branches");
    for (const auto& m : c.missed) UNSCOPED_INFO("not reached: " << m);
    CHECK(c.missed.empty());
  }
}
