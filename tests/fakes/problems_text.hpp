// Every diagnostic of a list as the user reads it, one a line: for INFO() and searching
// a test's expected message. Plain function; no state.
#pragma once

#include "engine/diagnostic.hpp"

#include <string>

namespace reglament {

inline std::string problems_text(const diagnostics& list) {
  std::string out;
  for (const auto& d : list) out += d.to_string() + "\n";
  return out;
}

}  // namespace reglament
