#include "engine/story.hpp"

#include "tests/fakes/story_options.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace reglament;
using reglament::testing::memory_stores;

namespace {

// A story file beside the shipped playbooks' folder layout, in a temp dir.
std::string write_story(const std::string& body) {
  namespace fs = std::filesystem;
  auto dir = fs::temp_directory_path() / ("reglament-story-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto file = dir / "t.story.yaml";
  std::ofstream(file) << "playbooks: " << REGLAMENT_SOURCE_DIR << "/playbooks/bookkeeping\n"
                      << "firm: " << REGLAMENT_SOURCE_DIR << "/playbooks/bookkeeping/firm/demo-firm.yaml\n"
                      << body;
  return file.string();
}

}  // namespace

TEST_CASE("a failing expectation names the story line and what actually happened", "[playbook]") {
  auto path = write_story(R"(stories:
  - name: wrong greeting
    from: romashka
    dialogue:
      - client: "Пришлите выписку"
      - reply: "Добрый вечер"
      - step: quote
)");
  auto report = run_stories(path, memory_stores());
  REQUIRE(report.stories == 1);
  REQUIRE(report.failures.size() == 2);
  CHECK(report.failures[0].pos.line == 8);  // two header lines precede the story
  CHECK_THAT(report.failures[0].message, Catch::Contains("Доброе утро, Анна Сергеевна"));
  CHECK(report.failures[1].pos.line == 9);
  CHECK_THAT(report.failures[1].message, Catch::Contains("expected step quote, got set_deadline"));
  CHECK_FALSE(report.ok());
}

TEST_CASE("an unknown instruction and an action refused without `refused:` fail the story", "[playbook]") {
  auto path = write_story(R"(stories:
  - name: bad lines
    from: romashka
    dialogue:
      - client: "Пришлите выписку"
      - wait_for: 2 дня
      - manager: { choose: "Нет такого" }
)");
  auto report = run_stories(path, memory_stores());
  REQUIRE(report.failures.size() == 2);
  CHECK_THAT(report.failures[0].message, Catch::Contains("unknown instruction 'wait_for'"));
  CHECK_THAT(report.failures[1].message, Catch::Contains("refused"));
}

TEST_CASE("a broken story file is reported with its position", "[playbook]") {
  auto path = write_story("stories: [ {name: x\n");
  auto report = run_stories(path, memory_stores());
  REQUIRE_FALSE(report.problems.empty());
  CHECK(report.problems[0].pos.line >= 1);
  CHECK_FALSE(report.ok());
}

TEST_CASE("a scheduled start at a moment its schedule does not fire fails with the next start", "[playbook]") {
  auto path = write_story(R"(stories:
  - name: wrong friday
    dialogue:
      - start: { playbook: monthly_supplies, at: "2026-12-04 10:00" }
  - name: birthday of another client
    dialogue:
      - start: { playbook: contact_birthday, at: "2026-11-24 10:00", client: vektor }
  - name: the clock cannot go back
    start: "2027-02-20 10:00"
    dialogue:
      - start: { playbook: contact_birthday, at: "2026-11-24 10:00" }
  - name: wrong list of starts
    dialogue:
      - schedules: { from: "2026-11-26 00:00", to: "2026-11-28 00:00", expect: ["monthly_supplies 2026-11-27 11:00"] }
)");
  auto report = run_stories(path, memory_stores());
  REQUIRE(report.failures.size() == 4);
  CHECK_THAT(report.failures[0].message,
             Catch::Contains("does not start monthly_supplies at 2026-12-04 10:00; its next start is 2026-12-25 10:00"));
  CHECK_THAT(report.failures[1].message,
             Catch::Contains("for vektor at 2026-11-24 10:00; its next start is 2027-03-15 10:00"));
  // The story starts after 24 November 2026: its clock is past that moment.
  CHECK_THAT(report.failures[2].message, Catch::Contains("the story's clock is already at 2027-02-20 10:00"));
  CHECK_THAT(report.failures[3].message, Catch::Contains("they are:\n      monthly_supplies 2026-11-27 10:00"));
}

TEST_CASE("a scheduled start sets what the schedule knows and can be followed like any case", "[playbook]") {
  auto path = write_story(R"(stories:
  - name: birthday
    dialogue:
      - start: { playbook: contact_birthday, at: "2026-11-24 10:00", client: romashka, contact: "Анна Сергеевна" }
      - var: { contact_name: "Анна Сергеевна", occasion: "день рождения", occasion_date: "24 ноября" }
      - step: decide
)");
  auto report = run_stories(path, memory_stores());
  for (const auto& f : report.failures) UNSCOPED_INFO(f.message);
  CHECK(report.failures.empty());
}
