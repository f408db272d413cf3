// JSON text as the store writes it: byte for byte what nlohmann::json's
// dump(-1, ' ', false, error_handler_t::replace) gives (compact, keys sorted, invalid
// UTF-8 replaced by U+FFFD), written with less work per byte, because the store writes
// every fact's data and the case state on every event. Pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace reglament {

std::string json_text(const nlohmann::json& j);

// Pieces for writers that spell a structure without building a tree (case_state_json).
void append_json(std::string& out, const nlohmann::json& j);
void append_json_string(std::string& out, std::string_view utf8);
void append_json_int(std::string& out, std::int64_t v);

}  // namespace reglament
