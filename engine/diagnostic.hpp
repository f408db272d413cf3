// A diagnostic is an expected failure reported as a value: where it happened (file,
// line, column, step) and what was expected instead. The error policy of the whole
// project is written in docs/ERRORS.md; this is its vocabulary type.
// Plain value type; safe to copy between threads.
#pragma once

#include <string>
#include <vector>

namespace reglament {

struct source_pos {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
};

enum class severity { error, warning };

struct diagnostic {
  severity level = severity::error;
  source_pos pos;
  std::string step;     // step id, empty when the problem is not inside a step
  std::string message;  // what is wrong and what was expected

  // "file:line:col: error: step X: message"
  std::string to_string() const;
};

using diagnostics = std::vector<diagnostic>;

bool has_errors(const diagnostics& list);

}  // namespace reglament
