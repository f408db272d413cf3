// Conversation tests for playbooks ("stories"): a YAML file that reads like a dialogue —
// the client says …, expect the reply …, the manager chooses …, the clock moves two
// working hours …, expect an escalation / an outcome. run_stories() plays each story
// against a fresh store with a manual clock and reports failures with the story's line,
// plus which branches of each playbook no story took. Not thread-safe; one run at a time.
#pragma once

#include "engine/diagnostic.hpp"
#include "engine/playbook_library.hpp"
#include "engine/store.hpp"

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace reglament {

struct story_failure {
  source_pos pos;        // the story line that failed
  std::string story;     // story name
  std::string message;   // expected vs actual
};

struct branch_coverage {
  std::string playbook;
  int total = 0;
  std::vector<std::string> missed;  // "step → exit label"
};

struct story_report {
  int stories = 0;
  int passed = 0;
  std::vector<story_failure> failures;
  diagnostics problems;                // unreadable story files, playbooks that fail validation
  std::vector<branch_coverage> coverage;
  bool ok() const { return failures.empty() && !has_errors(problems); }
};

struct story_options {
  // Makes a fresh, empty store for each story (":memory:" SQLite in practice).
  std::function<std::unique_ptr<store>()> make_store;
  // Called after each story, for progress output.
  std::function<void(const std::string& story, bool passed)> on_story;
};

// PATH: a *.story.yaml file or a directory searched recursively for them. Each story
// names its playbook folder (`playbooks:`, relative to the story file; default: the
// parent of the stories folder) and firm file (`firm:`; default firm/*.yaml there).
story_report run_stories(const std::string& path, const story_options& options);

}  // namespace reglament
