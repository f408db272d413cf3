#include "engine/message_template.hpp"

#include <catch2/catch.hpp>

using reglament::message_template;

namespace {

// A lookup from a fixed answer per name (null: unknown), for render().
template <class F>
auto values(F answer) {
  return [answer](std::string_view name, std::string& out) {
    const std::optional<std::string> v = answer(name);
    if (v) out += *v;
    return v.has_value();
  };
}

const auto none = [](std::string_view, std::string&) { return false; };

}  // namespace

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
  std::string out = t->render(values([](std::string_view name) -> std::optional<std::string> {
    if (name == "address") return "Анна";
    if (name == "client_text") return "{{price}}";
    return std::nullopt;
  }));
  CHECK(out == "Анна: {{price}} {{unknown}}");
  // A lookup that wrote part of a value and then refused leaves no trace of it.
  auto half = [](std::string_view name, std::string& out) {
    out += "half of " + std::string(name);
    return name == "address";
  };
  CHECK(t->render(half) == "half of address: {{client_text}} {{unknown}}");
  // The canonical names are the template's own: a copy outlives the parsed original.
  const message_template copy = *t;
  t.reset();
  CHECK(copy.render(half) == "half of address: {{client_text}} {{unknown}}");
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

TEST_CASE("A form choice renders the client's form of address", "[template]") {
  auto t = message_template::parse("{{вы: Подтвердите | ты: Подтверди}}, {{обращение}}! {{ Ты:твой|Вы:ваш }} тариф");
  REQUIRE(t);
  CHECK(t->has_form_choice());
  REQUIRE(t->parts().size() == 6);
  CHECK(t->parts()[0].is_form_choice);
  CHECK_FALSE(t->parts()[0].is_variable);
  CHECK(t->parts()[0].text == "Подтвердите");
  CHECK(t->parts()[0].informal == "Подтверди");
  auto value = values([](std::string_view name) -> std::optional<std::string> {
    if (name == "address") return "Елена";
    return std::nullopt;
  });
  CHECK(t->render(value) == "Подтвердите, Елена! ваш тариф");
  reglament::audience informal;
  informal.informal = true;
  CHECK(t->render(value, informal) == "Подтверди, Елена! твой тариф");
  // An empty wording is allowed: "пожалуйста" only for "Вы".
  auto p = message_template::parse("Ответь{{вы: те, пожалуйста | ты:}}");
  REQUIRE(p);
  CHECK(p->render(none) == "Ответьте, пожалуйста");
  CHECK(p->render(none, informal) == "Ответь");
}

TEST_CASE("A broken form choice is an error that shows the expected shape", "[template]") {
  std::string error;
  for (const char* bad : {"{{вы: Подтвердите}}", "{{вы: a | вы: b}}", "{{вы: a | ты: b | ты: c}}",
                          "{{Подтвердите | Подтверди}}", "{{он: a | ты: b}}"}) {
    INFO(bad);
    CHECK_FALSE(message_template::parse(bad, &error));
    CHECK_THAT(error, Catch::Contains("{{вы: текст для «Вы» | ты: текст для «ты»}}"));
  }
}

TEST_CASE("Whole variants are picked by form and language, English first", "[template]") {
  auto formal = message_template::parse("Спасибо, {{обращение}}. {{вы: Ждём вас | ты: Ждём тебя}}.");
  auto informal = message_template::parse("Спасибо, {{обращение}}! Ждём тебя, заходи.");
  auto english = message_template::parse("Thank you, {{address}}.");
  REQUIRE((formal && informal && english));
  using v = message_template::variant;
  CHECK_FALSE(formal->find_variant(v::informal));
  formal->set_variant(v::informal, *informal);
  formal->set_variant(v::english, *english);
  REQUIRE(formal->find_variant(v::english));
  auto value = values([](std::string_view) -> std::optional<std::string> { return "Джон"; });
  reglament::audience ru_formal, ru_informal, en_formal, en_informal;
  ru_informal.informal = en_informal.informal = true;
  en_formal.language = en_informal.language = "en";
  CHECK(formal->render(value, ru_formal) == "Спасибо, Джон. Ждём вас.");
  CHECK(formal->render(value, ru_informal) == "Спасибо, Джон! Ждём тебя, заходи.");
  CHECK(formal->render(value, en_formal) == "Thank you, Джон.");
  CHECK(formal->render(value, en_informal) == "Thank you, Джон.");
  // No English: the Russian text for the client's form.
  auto russian_only = message_template::parse("{{вы: Спасибо вам | ты: Спасибо тебе}}");
  REQUIRE(russian_only);
  CHECK(russian_only->render(none, en_informal) == "Спасибо тебе");
  CHECK(&russian_only->for_audience(en_formal) == &*russian_only);
}

TEST_CASE("The signature and SLA state are built-in names", "[template]") {
  CHECK(reglament::canonical_variable("подпись") == "signature");
  for (auto n : {"signature", "sla_first_reply", "sla_first_reply_target", "sla_idle_due", "sla_deadline"})
    CHECK(reglament::is_builtin_variable(n));
  CHECK_FALSE(reglament::is_builtin_variable("sla_first_reply_other"));
  CHECK_FALSE(reglament::is_builtin_variable("sla_lunch"));
}
