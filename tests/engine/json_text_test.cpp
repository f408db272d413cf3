#include "engine/json_text.hpp"

#include <catch2/catch.hpp>

#include <cmath>

namespace reglament {
namespace {

using nlohmann::json;

std::string reference(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

TEST_CASE("json_text spells values as dump() with replacement does", "[json]") {
  const std::vector<json> values{
      json(),
      json::object(),
      json::array(),
      true,
      false,
      0,
      -9223372036854775807LL - 1,
      std::uint64_t{18446744073709551615ULL},
      0.84,
      1.0,
      -1500.5,
      1e300,
      std::nan(""),
      "",
      "Добрый день!\r\nПришлите выписку 😀",
      "line\nbreak\ttab \"quoted\" back\\slash \x01\x1f \x7f \b\f",
      std::string("bad \xC3\x28 byte"),
      std::string("\xFF\xFE"),
      std::string("\xED\xA0\x80 surrogate, \xF4\x90\x80\x80 too high, \xC0\xAF overlong"),
      json{{"outcome", "in_tariff"}, {"confidence", 0.6}, {"quota_used", 3}, {"learned", false}},
      json{{"b", {1, "два", nullptr, true, 2.5}}, {"a", {{"z", "ё"}, {"y", json::array()}}}, {"", 1}},
      json{{std::string("ключ \xC3\x28"), 1}, {"\"q\"", "\n"}},
  };
  for (const auto& v : values) {
    INFO(reference(v));
    CHECK(json_text(v) == reference(v));
  }
}

TEST_CASE("append_json_string escapes as dump() does", "[json]") {
  for (int c = 0; c < 256; ++c) {
    const std::string s = "a" + std::string(1, static_cast<char>(c)) + "b";
    std::string out;
    append_json_string(out, s);
    INFO(c);
    CHECK(out == reference(json(s)));
  }
}

}  // namespace
}  // namespace reglament
