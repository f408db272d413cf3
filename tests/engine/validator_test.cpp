#include "engine/validator.hpp"

#include "engine/playbook_loader.hpp"

#include "tests/fakes/has_problem.hpp"
#include "tests/fakes/small_stack.hpp"

#include <catch2/catch.hpp>

using namespace reglament;

namespace {

std::string fixture(const std::string& name) {
  return std::string(REGLAMENT_SOURCE_DIR) + "/tests/engine/fixtures/" + name;
}

}  // namespace

TEST_CASE("The valid fixture passes", "[playbook]") {
  path_validation v = validate_path(fixture("valid.yaml"));
  for (const auto& d : v.problems) UNSCOPED_INFO(d.to_string());
  CHECK(v.files == 1);
  CHECK(v.problems.empty());
}

TEST_CASE("Each error kind is reported with its place", "[playbook]") {
  struct row { const char* file; int line, column; const char* step; const char* fragment; };
  const row rows[] = {
      {"duplicate_step.yaml", 5, 5, "greet", "id шага «greet» уже занят шагом в строке 3"},
      {"missing_target.yaml", 5, 11, "greet", "несуществующий шаг «finsh» (похожие: finish)"},
      {"missing_template.yaml", 5, 5, "greet", "шаблон «thank» не найден в templates: (похожие: thanks)"},
      {"unknown_variable.yaml", 3, 5, "greet", "неизвестная переменная «имя_клиента» в сообщении"},
      {"unknown_expression_variable.yaml", 3, 5, "big", "неизвестная переменная «cost» в условии"},
      {"unreachable.yaml", 6, 5, "forgotten", "шаг недостижим"},
      {"dead_end.yaml", 5, 5, "thanks", "тупик"},
      {"loop_without_wait.yaml", 5, 5, "count", "цикл без ожидания: count → again → count"},
      {"choice_no_options.yaml", 3, 5, "decide", "у выбора нет вариантов"},
      {"escalate_no_decisions.yaml", 3, 5, "ask", "у эскалации нет решений"},
      {"check_tariff_missing.yaml", 3, 5, "check", "нет ветки unknown:"},
      {"wait_client_no_timeout.yaml", 3, 5, "wait_reply", "ожидание клиента без срока"},
      {"if_missing_else.yaml", 3, 5, "big", "у условия нет ветки else:"},
      {"bad_schedule.yaml", 3, 13, "", "непонятное слово «квартала» (понятные формы: «ежедневно в 9:00»"},
  };
  for (const auto& r : rows) {
    path_validation v = validate_path(fixture(r.file));
    INFO(r.file);
    for (const auto& d : v.problems) UNSCOPED_INFO(d.to_string());
    REQUIRE_FALSE(v.problems.empty());
    const diagnostic& d = v.problems.front();
    CHECK(d.level == severity::error);
    CHECK(d.pos.line == r.line);
    CHECK(d.pos.column == r.column);
    CHECK(d.step == r.step);
    CHECK_THAT(d.message, Catch::Contains(r.fragment));
  }
}

TEST_CASE("An unknown trigger channel is only a warning", "[playbook]") {
  path_validation v = validate_path(fixture("unknown_channel.yaml"));
  REQUIRE(v.problems.size() == 1);
  CHECK(v.problems[0].level == severity::warning);
  CHECK(v.problems[0].pos.line == 3);
  CHECK_THAT(v.problems[0].message, Catch::Contains("whatsapp"));
  CHECK_FALSE(has_errors(v.problems));
}

TEST_CASE("A folder is validated as a set", "[playbook]") {
  path_validation v = validate_path(fixture("set_errors"));
  for (const auto& d : v.problems) UNSCOPED_INFO(d.to_string());
  CHECK(v.files == 3);  // the firm file and the story are not playbooks
  REQUIRE(v.problems.size() == 2);
  CHECK(v.problems[0].pos.file == fixture("set_errors/first.yaml"));
  CHECK(v.problems[0].pos.line == 4);
  CHECK_THAT(v.problems[0].message, Catch::Contains("«conflikt» (похожие: conflict)"));
  CHECK(v.problems[1].pos.file == fixture("set_errors/second.yaml"));
  CHECK(v.problems[1].pos.line == 1);
  CHECK_THAT(v.problems[1].message, Catch::Contains("«shared_id» уже занят"));
}

TEST_CASE("A call is checked only in a set", "[playbook]") {
  load_result r = load_playbook_file(fixture("set_errors/first.yaml"));
  REQUIRE(r.book);
  CHECK(validate(*r.book).empty());
  CHECK(validate(std::vector<const playbook*>{&*r.book}).size() == 1);
}

TEST_CASE("A loop through a wait is fine, aliases and form fields count as declared", "[playbook]") {
  load_result r = load_playbook_text(R"(id: ok
steps:
  - id: ask
    form: Данные
    fields: { сумма: Сумма }
  - id: tell
    say: "{{стоимость}} {{сумма}} {{client_text}}"
  - id: check
    if: сумма > 0 и срок == ""
    then: ask
    else: end:done
)", "ok.yaml");
  REQUIRE(r.problems.empty());
  for (const auto& d : validate(*r.book)) UNSCOPED_INFO(d.to_string());
  CHECK(validate(*r.book).empty());
}

TEST_CASE("Self-loop without a wait and a missing path", "[playbook]") {
  load_result r = load_playbook_text("id: s\nsteps:\n  - id: a\n    set: { x: 1 }\n    next: a\n", "s.yaml");
  REQUIRE(r.book);
  diagnostics d = validate(*r.book);
  REQUIRE(d.size() == 1);
  CHECK_THAT(d[0].message, Catch::Contains("a → a"));
  path_validation v = validate_path(fixture("nowhere"));
  REQUIRE(v.problems.size() == 1);
  CHECK_THAT(v.problems[0].message, Catch::Contains("нет такого"));
}

TEST_CASE("trigger.from is client or unknown", "[playbook]") {
  path_validation v = validate_path(fixture("trigger_from.yaml"));
  REQUIRE(v.problems.size() == 1);
  CHECK(v.problems[0].level == severity::error);
  CHECK(v.problems[0].pos.line == 3);
  CHECK_THAT(v.problems[0].message, Catch::Contains("trigger.from «stranger»: ожидалось client или unknown"));
}

TEST_CASE("Both forms of address and the English text are checked for unknown variables", "[playbook]") {
  load_result r = load_playbook_text(R"(id: forms
templates:
  offer:
    ru: "{{обращение}}, {{вы: ваш | ты: твой}} счёт"
    ты: "{{обращение}}, твой счёт {{номер_заказа}}"
    en: "{{address}}, your invoice {{invoice_number}}"
steps:
  - id: greet
    say:
      вы: "{{приветствие}}, {{обращение}}"
      ты: "Привет, {{имя}}"
  - id: offer
    say: { template: offer }
  - id: done
    end: done
)", "forms.yaml");
  for (const auto& d : r.problems) UNSCOPED_INFO(d.to_string());
  REQUIRE(r.problems.empty());
  diagnostics d = validate(*r.book);
  for (const auto& x : d) UNSCOPED_INFO(x.to_string());
  CHECK(has_problem(d, severity::error, 8, "неизвестная переменная «имя» в сообщении (вариант «ты»)"));
  CHECK(has_problem(d, severity::error, 4, "«номер_заказа» в шаблоне «offer» (вариант «ты»)"));
  CHECK(has_problem(d, severity::error, 4, "«invoice_number» в шаблоне «offer» (вариант en)"));
  // The playbook has English, so the greeting without it is a warning, not an error.
  CHECK(has_problem(d, severity::warning, 8, "шаг «greet»: нет английского варианта (en:)"));
  CHECK(std::count_if(d.begin(), d.end(), [](const diagnostic& x) { return x.level == severity::warning; }) == 1);
}

TEST_CASE("A playbook without any English is not flagged for it", "[playbook]") {
  load_result r = load_playbook_text(R"(id: ru_only
steps:
  - id: greet
    say: "{{приветствие}}, {{обращение}}! {{вы: Пишите | ты: Пиши}}. {{подпись}}"
  - id: done
    end: done
    say: "{{sla_first_reply}} {{sla_first_reply_target}} {{sla_idle_due}}"
)", "ru_only.yaml");
  REQUIRE(r.problems.empty());
  for (const auto& x : validate(*r.book)) UNSCOPED_INFO(x.to_string());
  CHECK(validate(*r.book).empty());
}

TEST_CASE("A chain of 20,000 steps that wait for nobody is validated on a small stack", "[playbook]") {
  // Each `say` step leads to the next; the last one goes back to the first: one loop
  // without a wait, as long as the whole playbook. The cycle search walks it with an
  // explicit stack: a recursive search needed a frame per step and overflowed this
  // thread's 512 KiB (and, with a longer playbook, the daemon's 8 MiB).
  const int n = 20000;
  std::string yaml = "id: long_chain\ntitle: Длинная цепочка\ntrigger:\n  message: [email]\nsteps:\n";
  for (int i = 0; i < n; ++i)
    yaml += "  - id: s" + std::to_string(i) + "\n    say: x\n    next: s" + std::to_string((i + 1) % n) + "\n";
  load_result r = load_playbook_text(yaml, "long_chain.yaml");
  REQUIRE(r.book);
  diagnostics problems;
  reglament::testing::run_with_stack(512 * 1024, [&] { problems = validate(std::vector<const playbook*>{&*r.book}); });
  CHECK(has_problem(problems, severity::error, 6, "цикл без ожидания: s0 → s1 → s2"));
  CHECK(has_problem(problems, severity::error, 6, "s19999 → s0 может повторяться бесконечно"));
}
