#include "engine/playbook_loader.hpp"

#include "tests/fakes/has_problem.hpp"

#include <catch2/catch.hpp>

using namespace reglament;

namespace {

std::string fixture(const std::string& name) {
  return std::string(REGLAMENT_SOURCE_DIR) + "/tests/engine/fixtures/" + name;
}

std::vector<std::string> keys(const step& s) {
  std::vector<std::string> out;
  for (const auto& e : s.exits) out.push_back(e.key);
  return out;
}

// The single diagnostic a broken fixture must produce.
diagnostic only_problem(const std::string& name) {
  load_result r = load_playbook_file(fixture(name));
  INFO(name);
  for (const auto& d : r.problems) UNSCOPED_INFO(d.to_string());
  REQUIRE(r.problems.size() == 1);
  return r.problems.front();
}

}  // namespace

TEST_CASE("The valid fixture loads with every exit in order", "[playbook]") {
  load_result r = load_playbook_file(fixture("valid.yaml"));
  for (const auto& d : r.problems) UNSCOPED_INFO(d.to_string());
  REQUIRE(r.problems.empty());
  REQUIRE(r.book);
  const playbook& b = *r.book;
  CHECK(b.id == "valid_all");
  CHECK(b.title == "Все виды шагов");
  CHECK(b.sha256.size() == 64);
  CHECK(b.source.find("valid_all") != std::string::npos);
  CHECK(b.on.channels == std::vector<std::string>{"email", "telegram"});
  REQUIRE(b.variables.size() == 2);
  CHECK(b.variables[1].default_value == "0");
  CHECK(b.variables[1].type == "number");
  CHECK(b.templates.count("offer"));
  CHECK(b.pos.line == 2);

  const step* greet = b.find_step("greet");
  REQUIRE(greet);
  CHECK(greet->kind == step_kind::say);
  CHECK(greet->title == "Поздороваться");
  CHECK(greet->pos.line == 13);
  CHECK(greet->pos.column == 5);
  CHECK(greet->exits.front().target == "check");

  CHECK(keys(*b.find_step("check")) ==
        std::vector<std::string>{"in_tariff", "over_quota", "not_included", "unknown"});
  CHECK(b.find_step("check")->exits[1].label == "Сверх лимита");
  CHECK(keys(*b.find_step("decide")) == std::vector<std::string>{"Бесплатно", "Платно", "К руководителю"});
  const step* quote = b.find_step("quote");
  REQUIRE(quote->fields.size() == 1);
  CHECK(quote->fields[0].variable == "price");
  CHECK(b.find_step("offer")->template_ref == "offer");

  const step* wait = b.find_step("wait_consent");
  CHECK(wait->kind == step_kind::wait_client);
  CHECK(keys(*wait) == std::vector<std::string>{"yes", "no", "answer1", "other", "timeout"});
  CHECK(wait->find_exit("no")->target == "end:declined");
  CHECK(wait->find_exit("other")->target == "count_ask");
  REQUIRE(wait->answers.size() == 1);
  CHECK(wait->answers[0].phrases == std::vector<std::string>{"подумаю", "позже"});
  CHECK(wait->answers[0].exit_key == "answer1");
  REQUIRE(wait->timeout);
  CHECK((wait->timeout->count == 2 && wait->timeout->working));
  CHECK(wait->find_exit("timeout")->pos.line == 42);

  CHECK(b.find_step("count_ask")->assignments.at(0).variable == "asks");
  CHECK(b.find_step("too_many")->condition->text() == "asks >= 2");
  CHECK(keys(*b.find_step("too_many")) == std::vector<std::string>{"then", "else"});
  const step* pause = b.find_step("pause");
  CHECK(pause->kind == step_kind::wait_time);
  CHECK(pause->pause->in == duration::unit::day);
  CHECK(pause->find_exit("next")->target == "offer");

  const step* invoice = b.find_step("invoice");
  CHECK(keys(*invoice) == std::vector<std::string>{"next", "skip"});
  CHECK(invoice->find_exit("next")->target == "wait_paid");
  CHECK(invoice->find_exit("skip")->target == "end:cancelled");
  CHECK(keys(*b.find_step("wait_paid")) == std::vector<std::string>{"paid", "timeout"});
  CHECK(b.find_step("wait_paid")->find_exit("paid")->target == "do_work");
  CHECK(b.find_step("do_work")->who == "accountant");
  CHECK(b.find_step("tell")->text.source() == "Заявка {{номер}} в работе");
  const step* call = b.find_step("situation");
  CHECK(call->callee == "conflict");
  CHECK(keys(*call) == std::vector<std::string>{"next", "resolved"});
  const step* done = b.find_step("done");
  CHECK(done->kind == step_kind::end);
  CHECK(done->outcome == "done");
  CHECK(done->exits.empty());
  CHECK_FALSE(done->text.empty());
  CHECK(keys(*b.find_step("ask_director")) ==
        std::vector<std::string>{"Сделать бесплатно", "Отказать", "timeout"});
  CHECK(b.find_step("ask_director_again")->find_exit("next")->target == "ask_director");
}

TEST_CASE("A task without next skips to where next goes", "[playbook]") {
  load_result r = load_playbook_text(
      "id: t\nsteps:\n  - id: a\n    task: Сделать\n    next: c\n  - id: b\n    end: x\n  - id: c\n    end: y\n",
      "t.yaml");
  REQUIRE(r.problems.empty());
  CHECK(r.book->steps[0].find_exit("skip")->target == "c");
  CHECK(r.book->title == "t");  // title defaults to the id
  CHECK(r.book->steps[0].title == "a");
}

TEST_CASE("Broken YAML gives one diagnostic and no playbook", "[playbook]") {
  load_result r = load_playbook_file(fixture("yaml_syntax.yaml"));
  CHECK_FALSE(r.book);
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].pos.line == 5);
  CHECK(r.problems[0].pos.column == 7);
  CHECK_THAT(r.problems[0].message, Catch::StartsWith("ошибка YAML"));
}

TEST_CASE("Loader errors point at the line and column", "[playbook]") {
  struct row { const char* file; int line, column; const char* step; const char* fragment; };
  const row rows[] = {
      {"unknown_key.yaml", 5, 5, "greet", "неизвестный ключ «wait_for» в шаге say (допустимы: id, title, instruction, say, buttons, editable, next)"},
      {"unknown_kind.yaml", 3, 5, "greet", "неизвестный вид шага «ask»"},
      {"say_with_other_kind.yaml", 6, 10, "quote", "«say:» нельзя совмещать с «form:»"},
      {"bad_duration.yaml", 5, 10, "pause", "непонятное слово «попугая»"},
      {"bad_expression.yaml", 6, 9, "big", "столбец 8: ожидалось значение"},
      {"bad_template.yaml", 4, 10, "greet", "«{{» не закрыта «}}» (байт 26)"},
  };
  for (const auto& r : rows) {
    diagnostic d = only_problem(r.file);
    INFO(d.to_string());
    CHECK(d.pos.line == r.line);
    CHECK(d.pos.column == r.column);
    CHECK(d.step == r.step);
    CHECK_THAT(d.message, Catch::Contains(r.fragment));
    CHECK(d.pos.file == fixture(r.file));
  }
}

TEST_CASE("Several problems in one file are all reported", "[playbook]") {
  load_result r = load_playbook_text(
      "id: Bad-Id\nfoo: 1\nsteps:\n  - id: a\n    wait: later\n  - say: hi\n  - id: c\n    end: x\n"
      "    say: \"{{a\"\n",
      "m.yaml");
  REQUIRE(r.book);
  std::vector<std::string> all;
  for (const auto& d : r.problems) all.push_back(d.to_string());
  REQUIRE(all.size() == 5);
  CHECK_THAT(all[0], Catch::Contains("m.yaml:2:1") && Catch::Contains("«foo»"));
  CHECK_THAT(all[1], Catch::Contains("m.yaml:1:5") && Catch::Contains("Bad-Id"));
  CHECK_THAT(all[2], Catch::Contains("m.yaml:5:11") && Catch::Contains("client, payment или time"));
  CHECK_THAT(all[3], Catch::Contains("m.yaml:6:5") && Catch::Contains("нет id"));
  CHECK_THAT(all[4], Catch::Contains("m.yaml:9:10") && Catch::Contains("step c"));
}

TEST_CASE("A key written twice is reported at the second, the first one counts", "[playbook]") {
  load_result r = load_playbook_text(
      "id: twice\ntitle: Первый\ntitle: Второй\nsteps:\n  - id: a\n    say: Привет\n    say: Пока\n"
      "  - id: done\n    end: done\n",
      "twice.yaml");
  REQUIRE(r.book);
  std::vector<std::string> all;
  for (const auto& d : r.problems) all.push_back(d.to_string());
  REQUIRE(all.size() == 2);
  CHECK_THAT(all[0], Catch::Contains("twice.yaml:3:1") && Catch::Contains("ключ «title» повторяется"));
  CHECK_THAT(all[1], Catch::Contains("twice.yaml:7:5") && Catch::Contains("ключ «say» повторяется"));
  CHECK(r.book->title == "Первый");
  CHECK(r.book->steps[0].text.source() == "Привет");
}

TEST_CASE("A YAML error in a playbook names libyaml's problem and its place", "[playbook]") {
  load_result r = load_playbook_text("id: x\nsteps:\n  - id: a\n    say: \"Привет\n", "q.yaml");
  CHECK_FALSE(r.book);
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].to_string() ==
        "q.yaml:5:1: error: ошибка YAML: found unexpected end of stream (while scanning a quoted scalar started at "
        "line 4, column 10)");
  load_result alias = load_playbook_text("id: x\nsteps: *missing\n", "a.yaml");
  CHECK_FALSE(alias.book);
  REQUIRE(alias.problems.size() == 1);
  CHECK_THAT(alias.problems[0].to_string(), Catch::StartsWith("a.yaml:2:8: error: ошибка YAML: ссылка *missing"));
}

TEST_CASE("SHA-256 matches the standard vectors", "[playbook]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex(std::string(1000, 'a')) ==
        "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

TEST_CASE("SHA-256 pads every length around the block boundary", "[playbook]") {
  // Expected values from Python's hashlib.
  const std::pair<std::size_t, const char*> rows[] = {
      {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
      {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
      {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
      {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
      {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
      {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
      {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
      {128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e"},
  };
  for (auto [length, hex] : rows) {
    INFO(length);
    CHECK(sha256_hex(std::string(length, 'a')) == hex);
  }
  CHECK(sha256_hex("Здравствуйте") == "41793c3111357a551b810e7de701f05148c89bc934135b08e04baf3a9279c81f");
}

TEST_CASE("A missing file is a diagnostic", "[playbook]") {
  load_result r = load_playbook_file(fixture("no_such_file.yaml"));
  CHECK_FALSE(r.book);
  REQUIRE(r.problems.size() == 1);
  CHECK_THAT(r.problems[0].message, Catch::Contains("не удалось открыть"));
}

TEST_CASE("Message variants and the sla section load, their mistakes are placed", "[playbook]") {
  load_result ok = load_playbook_text(R"(id: variants
sla:
  greeting_counts: true
  first_reply: { remind: manager, escalate: director, after: 1 рабочий час }
  idle: off
steps:
  - id: greet
    say:
      ru: "Здравствуйте, {{обращение}}"
      ты: "Привет, {{обращение}}"
      en: "Hello, {{address}}"
  - id: done
    end: done
)", "variants.yaml");
  for (const auto& d : ok.problems) UNSCOPED_INFO(d.to_string());
  REQUIRE(ok.problems.empty());
  const step* greet = ok.book->find_step("greet");
  REQUIRE(greet);
  CHECK(greet->text.source() == "Здравствуйте, {{обращение}}");
  using v = message_template::variant;
  REQUIRE(greet->text.find_variant(v::informal));
  CHECK(greet->text.find_variant(v::informal)->source() == "Привет, {{обращение}}");
  REQUIRE(greet->text.find_variant(v::english));
  REQUIRE(ok.book->sla);
  CHECK(ok.book->sla->greeting_counts);
  const sla_rule* first = ok.book->sla->find("first_reply");
  REQUIRE(first);
  CHECK(first->enabled);
  CHECK(first->remind == "manager");
  CHECK(first->escalate_to == "director");
  REQUIRE(first->escalate_after);
  CHECK(first->escalate_after->text == "1 рабочий час");
  CHECK_FALSE(ok.book->sla->find("idle")->enabled);
  CHECK(ok.book->sla->find("deadline")->enabled);  // not listed: on, with the defaults

  load_result on = load_playbook_text("id: on\nsla: on\nsteps:\n  - id: done\n    end: done\n", "on.yaml");
  REQUIRE(on.problems.empty());
  CHECK(on.book->sla);
  load_result none = load_playbook_text("id: none\nsteps:\n  - id: done\n    end: done\n", "none.yaml");
  CHECK_FALSE(none.book->sla);

  load_result bad = load_playbook_text(R"(id: bad
sla: { first_reply: { remind: manager, wait: 5 минут }, speed: fast }
steps:
  - id: a
    say: { ты: "Привет" }
  - id: b
    say: { ru: "Добрый день", de: "Guten Tag" }
  - id: c
    say: { ru: "{{вы: Вы | ты: ты}}", en: "{{вы: you | ты: thou}}" }
  - id: d
    say: { ru: "Да", вы: "Да" }
  - id: done
    end: done
)", "bad.yaml");
  for (const auto& d : bad.problems) UNSCOPED_INFO(d.to_string());
  CHECK(has_problem(bad.problems, severity::error, 2, "sla.first_reply: неизвестный ключ «wait» (ожидались remind, escalate, after)"));
  CHECK(has_problem(bad.problems, severity::error, 2, "sla: неизвестный ключ «speed»"));
  CHECK(has_problem(bad.problems, severity::error, 5, "нет русского текста (ожидалось ru: или вы:"));
  CHECK(has_problem(bad.problems, severity::error, 7, "неизвестный ключ «de» (ожидались ru или вы, ты, en)"));
  CHECK(has_problem(bad.problems, severity::error, 9, "выбор {{вы: … | ты: …}} в английском тексте не нужен"));
  CHECK(has_problem(bad.problems, severity::error, 11, "«ru» и «вы» — один и тот же текст"));
  CHECK(bad.problems.size() == 6);
}
