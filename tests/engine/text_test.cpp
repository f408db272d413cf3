#include "engine/text.hpp"

#include <catch2/catch.hpp>

using namespace reglament;

TEST_CASE("Russian case folding, ё as е", "[text]") {
  CHECK(fold_case("ЁЛКА Ok") == "елка ok");
  CHECK(fold_case("ПРИВЕТ, Мир") == "привет, мир");
  CHECK(words("Да, СОГЛАСЕН!!! 3-НДФЛ") == std::vector<std::string>{"да", "согласен", "3-ндфл"});
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
