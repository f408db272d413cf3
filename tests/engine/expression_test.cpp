#include "engine/expression.hpp"

#include <catch2/catch.hpp>

#include <map>

using nlohmann::json;
using reglament::expression;

namespace {

json eval(const std::string& text, const std::map<std::string, json>& vars = {}) {
  std::string error;
  auto e = expression::parse(text, &error);
  INFO(text << ": " << error);
  REQUIRE(e);
  return e->evaluate([&](std::string_view name) {
    auto it = vars.find(std::string(name));
    return it == vars.end() ? json() : it->second;
  });
}

std::string parse_error(const std::string& text) {
  std::string error;
  auto e = expression::parse(text, &error);
  CHECK_FALSE(e);
  return error;
}

}  // namespace

TEST_CASE("Arithmetic and precedence", "[expression]") {
  CHECK(eval("1 + 2 * 3") == 7);
  CHECK(eval("(1 + 2) * 3") == 9);
  CHECK(eval("10 / 4") == 2.5);
  CHECK(eval("-2 + 5") == 3);
  CHECK(eval("1 / 0").is_null());
  CHECK(eval("\"abc\" * 2").is_null());
  CHECK(eval("\"№\" + 5") == "№5");
}

TEST_CASE("Comparisons: numbers numerically, strings exactly", "[expression]") {
  CHECK(eval("1 == 1.0") == true);
  CHECK(eval("price > 1000", {{"price", 1500}}) == true);
  CHECK(eval("price > 1000", {{"price", "1500"}}) == true);  // a form fills text
  CHECK(eval("\"abc\" == \"abc\"") == true);
  CHECK(eval("\"abc\" == \"ABC\"") == false);
  CHECK(eval("'a' != 'b'") == true);
  CHECK(eval("x == \"\"") == true);  // unset is empty
  CHECK(eval("n + 1", {}) == 1);     // unset next to a number is 0
}

TEST_CASE("Russian and English logic words", "[expression]") {
  CHECK(eval("да и не нет") == true);
  CHECK(eval("нет или да") == true);
  CHECK(eval("true and false") == false);
  CHECK(eval("not (1 > 2) && !false") == true);
  CHECK(eval("срочно и стоимость >= 500", {{"срочно", true}, {"стоимость", 500}}) == true);
}

TEST_CASE("Variables are listed once, Cyrillic included", "[expression]") {
  auto e = expression::parse("цена_2 > 0 and цена_2 < limit or urgent");
  REQUIRE(e);
  CHECK(e->variables() == std::vector<std::string>{"цена_2", "limit", "urgent"});
  CHECK(e->text() == "цена_2 > 0 and цена_2 < limit or urgent");
}

TEST_CASE("Syntax errors give the column and what was expected", "[expression]") {
  CHECK_THAT(parse_error("price + "), Catch::Contains("столбец 9") && Catch::Contains("ожидалось значение"));
  CHECK_THAT(parse_error("(1 + 2"), Catch::Contains("столбец 7") && Catch::Contains("«)»"));
  CHECK_THAT(parse_error("цена > > 1"), Catch::Contains("столбец 8"));
  CHECK_THAT(parse_error("1 2"), Catch::Contains("столбец 3") && Catch::Contains("оператор"));
  CHECK_THAT(parse_error("\"open"), Catch::Contains("кавычкой"));
  CHECK_THAT(parse_error("a @ b"), Catch::Contains("столбец 3"));
  CHECK_THAT(parse_error(""), Catch::Contains("пустое"));
}

TEST_CASE("Truthiness", "[expression]") {
  CHECK_FALSE(reglament::is_truthy(json()));
  CHECK_FALSE(reglament::is_truthy(json(0)));
  CHECK_FALSE(reglament::is_truthy(json("")));
  CHECK(reglament::is_truthy(json("x")));
  CHECK(reglament::is_truthy(json(2.5)));
  auto e = expression::parse("a");
  REQUIRE(e);
  CHECK_FALSE(e->truthy([](std::string_view) { return json(); }));
}

TEST_CASE("nesting and length are bounded with a clear error, so no condition can exhaust the stack", "[expression]") {
  std::string error;
  CHECK(expression::parse(std::string(64, '(') + "1" + std::string(64, ')'), &error));
  CHECK_FALSE(expression::parse(std::string(65, '(') + "1" + std::string(65, ')'), &error));
  CHECK_THAT(error, Catch::Contains("вложенность глубже 64"));
  CHECK_FALSE(expression::parse(std::string(100000, '-') + "1", &error));
  CHECK_THAT(error, Catch::Contains("длиннее 4096 байт"));
  std::string nots;
  for (int i = 0; i < 70; ++i) nots += "не ";
  CHECK_FALSE(expression::parse(nots + "да", &error));
  CHECK_THAT(error, Catch::Contains("вложенность"));
  // A long flat chain is fine: it nests nothing.
  std::string sum = "1";
  for (int i = 0; i < 1000; ++i) sum += "+1";
  auto e = expression::parse(sum, &error);
  REQUIRE(e);
  CHECK(e->evaluate([](std::string_view) { return nlohmann::json(); }) == 1001);
}
