// Whether a list of diagnostics holds one of `level` at `line` whose message contains
// `fragment`: how a test checks a message and its place without spelling out the rest.
// Plain function; no state.
#pragma once

#include "engine/diagnostic.hpp"

#include <algorithm>
#include <string_view>

namespace reglament {

inline bool has_problem(const diagnostics& list, severity level, int line, std::string_view fragment) {
  return std::any_of(list.begin(), list.end(), [&](const diagnostic& d) {
    return d.level == level && d.pos.line == line && d.message.find(fragment) != std::string::npos;
  });
}

}  // namespace reglament
