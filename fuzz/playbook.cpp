// Playbook YAML loading and validation. A file that loads must validate the same way
// twice (validation is a pure function of the model); a file that does not load must say
// why with at least one error; loading the same text twice gives the same diagnostics.
#include "engine/playbook_loader.hpp"
#include "engine/validator.hpp"
#include "fuzz/fuzz_check.hpp"
#include "tests/fakes/problems_text.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace reglament;
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  auto loaded = load_playbook_text(yaml, "fuzz.yaml");
  if (!loaded.book) {
    FUZZ_CHECK(has_errors(loaded.problems), "a playbook that did not load has no error:\n" + problems_text(loaded.problems));
    return 0;
  }
  const auto again = load_playbook_text(yaml, "fuzz.yaml");
  FUZZ_CHECK(again.book && problems_text(again.problems) == problems_text(loaded.problems),
             "loading the same text twice differs:\n" + problems_text(loaded.problems) + "---\n" + problems_text(again.problems));
  const auto first = problems_text(validate(*loaded.book));
  const auto second = problems_text(validate(*again.book));
  FUZZ_CHECK(first == second, "validating the same playbook twice differs:\n" + first + "---\n" + second);
  return 0;
}
