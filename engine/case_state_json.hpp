// The case state as JSON text for the store: the same text as to_json(s).dump() (compact,
// keys sorted, invalid UTF-8 replaced by U+FFFD), written straight to a string without
// building a JSON tree, because the store writes it on every event. Pure function.
#pragma once

#include "engine/case_state.hpp"

#include <string>

namespace reglament {

std::string to_json_text(const case_state& s);

}  // namespace reglament
