// Reading JSON request bodies within limits the body size limit does not cover (nesting
// depth, checked before parsing, so a hostile "[[[[..." never reaches the recursive
// parser), with the errors every router answers alike. Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <set>
#include <string>
#include <string_view>

namespace reglament::http {

inline constexpr std::size_t max_json_depth = 32;

// A request that cannot be taken: the HTTP status, a code, a message, the field at fault.
struct invalid_request {
  int status;
  std::string code, message, field;
};

// The deepest nesting of arrays and objects in `text` (strings skipped, escapes honoured).
// Stops counting past `limit` + 1. Does not validate the JSON.
std::size_t json_depth(std::string_view text, std::size_t limit = max_json_depth);

// The body as a JSON object. Throws invalid_request: 400 too_deep or bad_json.
nlohmann::json parse_json_object(const std::string& body);
// Throws invalid_request 400 unknown_field naming the first field not in `allowed`.
void only_fields(const nlohmann::json& j, const std::set<std::string>& allowed);

}  // namespace reglament::http
