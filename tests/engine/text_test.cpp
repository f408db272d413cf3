#include "engine/text.hpp"

#include <catch2/catch.hpp>

using namespace reglament;

TEST_CASE("Russian case folding, ё as е", "[text]") {
  CHECK(fold_case("ЁЛКА Ok") == "елка ok");
  CHECK(fold_case("ПРИВЕТ, Мир") == "привет, мир");
  CHECK(words("Да, СОГЛАСЕН!!! 3-НДФЛ") == std::vector<std::string>{"да", "согласен", "3-ндфл"});
}

TEST_CASE("words: runs of letters and digits, hyphens kept inside a word only", "[text]") {
  using v = std::vector<std::string>;
  CHECK(words("").empty());
  CHECK(words("  ,!? - -- ").empty());
  CHECK(words("да -  -нет- по-русски") == v{"да", "нет", "по-русски"});
  CHECK(words("a--b ---c---") == v{"a--b", "c"});
  CHECK(words("Акт\tсверки\nза 2025г.") == v{"акт", "сверки", "за", "2025г"});
  CHECK(words("Счёт👍ЁЖИК") == v{"счет", "ежик"});  // an emoji separates words
  CHECK(words("Café ÉTÉ naïve") == v{"café", "été", "naïve"});  // outside the fast path: ICU
  CHECK(words("конец") == v{"конец"});
  // A broken byte separates words and is never part of one.
  CHECK(words(std::string("при\xFFвет \xD0") ) == v{"при", "вет"});
}

TEST_CASE("phrases match whole words only", "[text]") {
  CHECK(contains_phrase("Нет, не надо!", "не надо"));
  CHECK(contains_phrase("ДА", "да"));
  CHECK_FALSE(contains_phrase("Дайте счёт", "да"));
  CHECK_FALSE(contains_phrase("надо", "не надо"));
}

TEST_CASE("a phrase of symbols only (an emoji) matches where the text holds it", "[text]") {
  CHECK(contains_phrase("👍", "👍"));
  CHECK(contains_phrase("Ок 👍👍", "👍"));
  CHECK_FALSE(contains_phrase("👎", "👍"));
  CHECK_FALSE(contains_phrase("да", ""));
}

TEST_CASE("UTF-8 validity", "[text]") {
  CHECK(valid_utf8("Привет"));
  CHECK_FALSE(valid_utf8(std::string("\xd0", 1)));
  CHECK_FALSE(valid_utf8(std::string("\xff\xfe", 2)));
}
