// Message templates: parsing {{variables}} and {{вы: … | ты: …}} choices, and rendering
// for each audience. Rendering is deterministic; a value is inserted as it is and never
// read as a template (a value full of braces comes out unchanged); an unknown name keeps
// its hole visible.
#include "engine/message_template.hpp"
#include "fuzz/fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace reglament;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto t = message_template::parse(text, &error);
  if (!t) {
    FUZZ_CHECK(!error.empty(), "a template was refused without a reason");
    return 0;
  }
  // Every variable gets a hostile value: a template of its own and its name.
  const auto value = [](std::string_view name) -> std::optional<std::string> {
    if (name.size() % 3 == 0) return std::nullopt;  // unknown: the hole stays
    return "{{" + std::string(name) + "}} {{вы: x | ты: y}}";
  };
  const auto append = [&](std::string_view name, std::string& out) {
    const auto v = value(name);
    if (v) out += *v;
    return v.has_value();
  };
  for (const auto& to : {audience{}, audience{true, "ru"}, audience{false, "en"}, audience{true, "en"}}) {
    const auto& chosen = t->for_audience(to);
    const auto a = chosen.render(append, to);
    const auto b = chosen.render(append, to);
    FUZZ_CHECK(a == b, "rendering twice differs");
    for (const auto& p : chosen.parts()) {
      if (!p.is_variable) continue;
      const auto v = value(canonical_variable(p.text));
      if (v) FUZZ_CHECK(a.find(*v) != std::string::npos, "the value of '" + p.text + "' is not in the text as given");
    }
  }
  // A template's parts cover its source: literal text is kept byte for byte.
  for (const auto& p : t->parts()) {
    FUZZ_CHECK(p.offset >= 0 && static_cast<std::size_t>(p.offset) <= t->source().size(), "part offset outside the source");
    if (!p.is_variable && !p.is_form_choice)
      FUZZ_CHECK(t->source().compare(p.offset, p.text.size(), p.text) == 0, "literal text is not the source's");
  }
  return 0;
}
