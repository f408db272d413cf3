#include "adapters/http/router/json_limits.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace reglament::http;

namespace {

invalid_request refusal_of(const std::string& body) {
  try {
    parse_json_object(body);
  } catch (const invalid_request& e) {
    return e;
  }
  FAIL("accepted: " << body);
  return {};
}

}  // namespace

TEST_CASE("a request body is one JSON object within the depth limit, else a 400 that says why", "[http]") {
  CHECK(parse_json_object(R"({"a":[1,{"b":"x"}]})")["a"][1]["b"] == "x");
  CHECK(refusal_of("not json").code == "bad_json");
  CHECK(refusal_of("[1]").message == "request body must be a JSON object");
  CHECK(refusal_of(std::string(max_json_depth + 1, '[')).code == "too_deep");
  // A number past a double's range is nlohmann's out_of_range, not a parse error.
  for (const auto* body : {R"({"amount":1e999})", R"({"amount":-1e400})"}) {
    const auto e = refusal_of(body);
    CHECK(e.status == 400);
    CHECK(e.code == "bad_json");
  }
}

TEST_CASE("only the listed fields are allowed", "[http]") {
  only_fields(parse_json_object(R"({"a":1})"), {"a", "b"});
  try {
    only_fields(parse_json_object(R"({"a":1,"c":2})"), {"a", "b"});
    FAIL("an unknown field was allowed");
  } catch (const invalid_request& e) {
    CHECK(e.field == "c");
    CHECK(e.code == "unknown_field");
  }
}
