#include "engine/json_text.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <random>

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

TEST_CASE("append_json_string takes short ASCII a word at a time and still escapes every byte", "[json]") {
  // Lengths 1 to 17 cross the word-at-a-time paths (under 4, 4-7, 8-15) and the windows;
  // every byte value at every position must come out as dump() spells it.
  int differ = 0;
  for (std::size_t n = 1; n <= 17; ++n)
    for (std::size_t at = 0; at < n; ++at)
      for (int c = 0; c < 256; ++c) {
        std::string s(n, 'k');
        s[at] = static_cast<char>(c);
        std::string out = "{";
        append_json_string(out, s);
        if (out != "{" + reference(json(s)) && ++differ <= 3) {
          INFO("length " << n << ", byte " << c << " at " << at);
          CHECK(out == "{" + reference(json(s)));
        }
      }
  CHECK(differ == 0);
}

TEST_CASE("append_json_string copies long texts 16 bytes at a time as dump() spells them", "[json]") {
  // Texts long enough for the 16-byte windows, built from pieces that land anywhere in
  // them: whole characters of one to four bytes, escapes, lone leads and continuations,
  // overlong leads, a lead cut off at the end.
  const std::vector<std::string> pieces{
      "а", "Я", "ё", "«", "»", "—", "…", "€", "😀", " ", "\"", "\\", "\n", "\x01", "a", "Z", "\x7F",
      "\xC2\xA0", "\xD1\x91", "\xC0\x80", "\xC1\xBF", "\xD0", "\x80", "\xBF", "\xE2\x80", "\xFF", "\xF0\x9F"};
  std::mt19937 rng(20261204);
  int differ = 0;
  for (int t = 0; t < 20000; ++t) {
    std::string s;
    const auto n = rng() % 48;
    for (unsigned k = 0; k < n; ++k) s += pieces[rng() % pieces.size()];
    std::string out = "prefix";  // appends after what is there
    append_json_string(out, s);
    if (out != "prefix" + reference(json(s)) && ++differ <= 3) {
      INFO(reference(json(s)));
      CHECK(out == "prefix" + reference(json(s)));
    }
  }
  CHECK(differ == 0);
}

}  // namespace
}  // namespace reglament
