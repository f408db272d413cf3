// Reads one playbook YAML file into the model, keeping line and column for every
// node so later checks can point at it. Reports every problem it can find in one pass
// (syntax, unknown keys and step kinds, bad durations/expressions/templates) rather
// than stopping at the first. Stateless functions; thread-safe.
#pragma once

#include "engine/diagnostic.hpp"
#include "engine/playbook.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace reglament {

struct load_result {
  std::optional<playbook> book;  // empty when the file cannot be read or parsed at all
  diagnostics problems;
};

load_result load_playbook_text(std::string_view yaml, const std::string& file_name);
load_result load_playbook_file(const std::string& path);

std::string sha256_hex(std::string_view bytes);

}  // namespace reglament
