// Checks a set of loaded playbooks for what the loader cannot see alone: duplicate ids,
// references to missing steps, playbooks, templates and variables, unreachable steps,
// dead ends, loops that can spin without waiting, choices and checks missing a branch.
// Every problem is reported, each with file:line:col, step and what was expected.
// Stateless; thread-safe.
#pragma once

#include "engine/diagnostic.hpp"
#include "engine/playbook.hpp"

#include <vector>

namespace reglament {

diagnostics validate(const std::vector<const playbook*>& books);
diagnostics validate(const playbook& book);  // alone: calls to other playbooks are not checked

// Loads and validates a file or every *.yaml in a directory (not *.story.yaml):
// what `reglament validate PATH` runs.
struct path_validation {
  int files = 0;
  diagnostics problems;
};
path_validation validate_path(const std::string& path);

}  // namespace reglament
