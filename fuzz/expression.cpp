// The expression language of playbook conditions: parse, then evaluate against variables
// of every type. Evaluation has no side effects, so it is deterministic; truthy() agrees
// with evaluate(); the variables() it reports are exactly the ones it may read.
#include "engine/expression.hpp"
#include "fuzz/fuzz_check.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace reglament;
  using nlohmann::json;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto e = expression::parse(text, &error);
  if (!e) {
    FUZZ_CHECK(!error.empty(), "an expression was refused without a reason");
    return 0;
  }
  // Values of every type, picked by the name's length.
  const auto& known = e->variables();
  const auto vars = [&](std::string_view name) -> json {
    FUZZ_CHECK(std::find(known.begin(), known.end(), std::string(name)) != known.end(),
               "evaluation read '" + std::string(name) + "', which variables() does not list");
    switch (name.size() % 7) {
      case 0: return json();
      case 1: return 0;
      case 2: return -3.5;
      case 3: return "текст";
      case 4: return true;
      case 5: return json::array({1, 2});
      default: return 9223372036854775807LL;
    }
  };
  const auto a = e->evaluate(vars).dump(-1, ' ', false, json::error_handler_t::replace);
  const auto b = e->evaluate(vars).dump(-1, ' ', false, json::error_handler_t::replace);
  FUZZ_CHECK(a == b, "evaluating twice differs: " + a + " / " + b);
  FUZZ_CHECK(e->truthy(vars) == is_truthy(e->evaluate(vars)), "truthy() disagrees with evaluate()");
  return 0;
}
