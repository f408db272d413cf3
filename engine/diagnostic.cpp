#include "engine/diagnostic.hpp"

#include <algorithm>

namespace reglament {

std::string diagnostic::to_string() const {
  std::string out = pos.file.empty() ? std::string("<input>") : pos.file;
  if (pos.line > 0) {
    out += ':' + std::to_string(pos.line);
    if (pos.column > 0) out += ':' + std::to_string(pos.column);
  }
  out += level == severity::error ? ": error: " : ": warning: ";
  if (!step.empty()) out += "step " + step + ": ";
  out += message;
  return out;
}

bool has_errors(const diagnostics& list) {
  return std::any_of(list.begin(), list.end(),
                     [](const diagnostic& d) { return d.level == severity::error; });
}

}  // namespace reglament
