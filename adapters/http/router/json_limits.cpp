#include "adapters/http/router/json_limits.hpp"

#include <fmt/format.h>

namespace reglament::http {

std::size_t json_depth(std::string_view text, std::size_t limit) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char ch : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (ch == '\\')
        escaped = true;
      else if (ch == '"')
        in_string = false;
      continue;
    }
    if (ch == '"') {
      in_string = true;
    } else if (ch == '[' || ch == '{') {
      if (++depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if ((ch == ']' || ch == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

nlohmann::json parse_json_object(const std::string& body) {
  if (json_depth(body) > max_json_depth)
    throw invalid_request{400, "too_deep", fmt::format("request body nests deeper than {} levels", max_json_depth), {}};
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for 1e999
    throw invalid_request{400, "bad_json", fmt::format("request body is not valid JSON: {}", e.what()), {}};
  }
  if (!j.is_object()) throw invalid_request{400, "bad_json", "request body must be a JSON object", {}};
  return j;
}

void only_fields(const nlohmann::json& j, const std::set<std::string>& allowed) {
  for (const auto& [k, v] : j.items())
    if (!allowed.count(k)) throw invalid_request{400, "unknown_field", fmt::format("unknown field '{}'", k), k};
}

}  // namespace reglament::http
