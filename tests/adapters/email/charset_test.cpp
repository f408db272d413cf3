#include "adapters/email/charset.hpp"

#include "engine/text.hpp"

#include <catch2/catch.hpp>

using namespace reglament::email;

TEST_CASE("UTF-8 is checked as strictly as the engine checks it", "[email]") {
  CHECK(is_valid_utf8("Акт сверки ✓ 😀"));
  CHECK(is_valid_utf8(""));
  for (const std::string bad : {"\xED\xA0\x80", "\xED\xBF\xBF", "\xE0\x80\xAF", "\xC0\xAF", "\xF0\x80\x80\xAF",
                                "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xD0", "\x80", "\xFF"}) {
    CHECK_FALSE(is_valid_utf8(bad));
    CHECK_FALSE(reglament::valid_utf8(bad));
  }
}

TEST_CASE("text that is not UTF-8 comes out as UTF-8 the engine accepts", "[email]") {
  for (const std::string bad : {"\xED\xA0\x80 \xE0\x80\xAF", "\xF4\x90\x80\x80", "abc\xC0"}) {
    for (const char* declared : {"", "utf-8", "x-unknown"}) {
      const auto out = to_utf8(bad, declared);
      CHECK(reglament::valid_utf8(out.text));
      CHECK_FALSE(out.note.empty());
    }
  }
  CHECK(reglament::valid_utf8(decode_header_text("=?utf-8?B?7aCA?= =?utf-8?Q?=F4=90=80=80?=")));
}
