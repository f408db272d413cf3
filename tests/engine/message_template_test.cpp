#include "engine/message_template.hpp"

#include <catch2/catch.hpp>

using reglament::message_template;

TEST_CASE("Holes with and without spaces", "[template]") {
  auto t = message_template::parse("{{приветствие}}, {{ обращение }}! Стоимость — {{price}} руб.");
  REQUIRE(t);
  REQUIRE(t->parts().size() == 6);
  CHECK(t->parts()[0].is_variable);
  CHECK(t->parts()[0].text == "приветствие");
  CHECK(t->parts()[2].text == "обращение");
  CHECK(t->parts()[4].text == "price");
  CHECK(t->parts()[1].offset == static_cast<int>(std::string("{{приветствие}}").size()));
}

TEST_CASE("Rendering passes canonical names and never re-reads values", "[template]") {
  auto t = message_template::parse("{{обращение}}: {{client_text}} {{unknown}}");
  REQUIRE(t);
  std::string out = t->render([](std::string_view name) -> std::optional<std::string> {
    if (name == "address") return "Анна";
    if (name == "client_text") return "{{price}}";
    return std::nullopt;
  });
  CHECK(out == "Анна: {{price}} {{unknown}}");
}

TEST_CASE("Unmatched braces are errors with the offset", "[template]") {
  std::string error;
  CHECK_FALSE(message_template::parse("Привет, {{name", &error));
  CHECK_THAT(error, Catch::Contains("байт 14"));
  CHECK_FALSE(message_template::parse("ok }} x", &error));
  CHECK_THAT(error, Catch::Contains("байт 3"));
  CHECK_FALSE(message_template::parse("{{ }}", &error));
  CHECK_THAT(error, Catch::Contains("пустое"));
  CHECK_FALSE(message_template::parse("{{a {{b}}", &error));
  CHECK(message_template::parse("single { brace } is text"));
}

TEST_CASE("Aliases and built-in names", "[template]") {
  using reglament::canonical_variable;
  using reglament::is_builtin_variable;
  CHECK(canonical_variable("приветствие") == "greeting");
  CHECK(canonical_variable("обращение") == "address");
  CHECK(canonical_variable("клиент") == "client");
  CHECK(canonical_variable("менеджер") == "manager");
  CHECK(canonical_variable("номер") == "case_no");
  CHECK(canonical_variable("услуга") == "service");
  CHECK(canonical_variable("стоимость") == "price");
  CHECK(canonical_variable("срок") == "deadline");
  CHECK(canonical_variable("остаток") == "quota_left");
  CHECK(canonical_variable("лимит") == "quota_limit");
  CHECK(canonical_variable("my_var") == "my_var");
  for (auto n : {"greeting", "address", "client", "manager", "case_no", "service", "price",
                 "deadline", "quota_left", "quota_limit", "client_text", "tariff", "invoice_no", "amount"})
    CHECK(is_builtin_variable(n));
  CHECK_FALSE(is_builtin_variable("приветствие"));
  CHECK_FALSE(is_builtin_variable("my_var"));
}
