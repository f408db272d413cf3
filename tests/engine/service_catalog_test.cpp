#include "engine/service_catalog.hpp"
#include "engine/case_event.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

using namespace reglament;

namespace {

service_catalog demo_catalog() {
  service_catalog c;
  CHECK(c.add("bank_statement", {"выписка", "банк"}).empty());
  CHECK(c.add("certificate", {"справка", "акт сверки"}).empty());
  CHECK(c.add("primary_docs", {"первичка", "счёт-фактура", "накладная", "УПД"}).empty());
  CHECK(c.add("payroll", {"зарплата", "расчётный листок", "аванс"}).empty());
  CHECK(c.add("hr_docs", {"приказ", "отпуск", "приём на работу"}).empty());
  return c;
}

}  // namespace

TEST_CASE("stems fold case, ё and inflections", "[catalog]") {
  CHECK(stems("Выписку") == stems("выписка"));
  CHECK(stems("ВЫПИСКАМИ") == stems("выписки"));
  CHECK(stems("актов сверки") == stems("Акт Сверки"));
  CHECK(stems("счетов-фактур") == stems("счёт-фактура"));
  CHECK(stems("ПРИЁМ") == stems("прием"));
  CHECK(stems("выписка").size() == 1);
}

TEST_CASE("realistic requests find their service whatever the word form", "[catalog]") {
  auto c = demo_catalog();
  struct example {
    const char* text;
    const char* service;
  };
  for (auto [text, service] : {
           example{"Добрый день! Пришлите, пожалуйста, выписку за октябрь", "bank_statement"},
           example{"Нужны выписки по двум счетам", "bank_statement"},
           example{"Что с выписками? Банк прислал новые", "bank_statement"},
           example{"Сделайте, пожалуйста, акт сверки с ООО «Лютик»", "certificate"},
           example{"Нужно несколько актов сверки с поставщиками", "certificate"},
           example{"Нужен акт взаимной сверки", "certificate"},
           example{"Прошу подготовить СПРАВКУ об отсутствии долгов", "certificate"},
           example{"Загрузили первичку и счета-фактуры за ноябрь", "primary_docs"},
           example{"Когда будет расчёт зарплаты? Нужны и расчетные листки", "payroll"},
           example{"Оформите приём на работу нового менеджера", "hr_docs"},
           example{"Не пришли расчётные листки за ноябрь", "payroll"},  // листок/листки: a fleeting о
           example{"Сотрудник уходит в ОТПУСК с понедельника, нужен приказ", "hr_docs"},
       }) {
    INFO(text);
    auto g = c.classify(text);
    CHECK(g.service_id == service);
    CHECK(g.confidence >= 0.5);
    CHECK_FALSE(g.matched.empty());
  }
  CHECK(c.classify("Как у вас дела?").service_id.empty());
  CHECK(c.classify("").confidence == 0);
}

TEST_CASE("a request stemmed on the receiving thread is classified as its text is", "[catalog]") {
  // analyse() stems a message before the writer sees it; the tariff check then passes
  // those stems instead of stemming the text again.
  auto c = demo_catalog();
  for (const char* text : {"Добрый день! Пришлите, пожалуйста, выписку за октябрь", "Нужен акт взаимной сверки",
                           "Загрузили первичку и счета-фактуры за ноябрь", "Как у вас дела?", ""}) {
    INFO(text);
    inbound_message m;
    m.text = text;
    analyse(m);
    REQUIRE(m.stems);
    CHECK(*m.stems == stems(text));
    const auto plain = c.classify(text), given = c.classify(text, {}, m.stems.get());
    CHECK(given.service_id == plain.service_id);
    CHECK(given.confidence == plain.confidence);
    CHECK(given.matched == plain.matched);
  }
  // The stems given are what is classified: a caller's mistake shows, it is not hidden.
  inbound_message other;
  other.text = "Пришлите выписку";
  analyse(other);
  CHECK(c.classify("Оформите отпуск", {}, other.stems.get()).service_id == "bank_statement");
}

TEST_CASE("a fleeting vowel is ignored whichever side has it", "[catalog]") {
  service_catalog c;
  REQUIRE(c.add("payslips", {"листки"}).empty());  // the rule's stem lacks the о: "листк"
  REQUIRE(c.add("dog", {"пёс"}).empty());
  CHECK(c.classify("Пришлите листок, пожалуйста").service_id == "payslips");  // the text's has it
  CHECK(c.classify("листки за ноябрь").service_id == "payslips");
  CHECK(c.classify("пёс").service_id == "dog");
  CHECK(c.classify("пса").service_id.empty());  // same length, another stem
}

TEST_CASE("confidence grows with the rules that hit and falls with ambiguity", "[catalog]") {
  auto c = demo_catalog();
  auto one = c.classify("нужна выписка");
  auto two = c.classify("нужна выписка из банка");
  CHECK(one.confidence == Approx(0.6));
  CHECK(two.confidence > one.confidence);
  CHECK(two.matched.size() == 2);
  // A two-word phrase says more than a single word.
  auto phrase = c.classify("акт сверки");
  CHECK(phrase.confidence > one.confidence);
  // "справка для банка": one rule for each of two services — a tie the manager must settle.
  auto tie = c.classify("справка для банка");
  CHECK(tie.confidence < 0.5);
  CHECK_FALSE(tie.runner_up.empty());
  // Mostly one service with a hint of another: still that service, less sure.
  auto lean = c.classify("выписка из банка и справка");
  CHECK(lean.service_id == "bank_statement");
  CHECK(lean.runner_up == "certificate");
  CHECK(lean.confidence < two.confidence);
  CHECK(lean.confidence >= 0.5);
}

TEST_CASE("the request key keeps the content words only", "[catalog]") {
  CHECK(request_key("Добрый день! Пришлите, пожалуйста, выписку за октябрь 2026") == request_key("выписка"));
  CHECK(request_key("Нужна СПРАВКА об отсутствии задолженности") ==
        request_key("справку об отсутствии задолженности, пожалуйста"));
  CHECK(request_key("справка об отсутствии задолженности").find(' ') != std::string::npos);
  CHECK(request_key("Спасибо!").empty());
}

TEST_CASE("a manager's correction comes before the rules for similar requests", "[catalog]") {
  auto c = demo_catalog();
  // The client calls its reconciliation with the bank "выписка по расчётам": rules say
  // bank statement, the manager said certificate.
  std::vector<learned_service> learned{{request_key("выписка по расчётам с банком"), "certificate", 1}};
  auto g = c.classify("Пришлите выписку по расчётам с банком", learned);
  CHECK(g.service_id == "certificate");
  CHECK(g.learned);
  CHECK(g.confidence > 0.9);
  // A request that shares too little keeps the rules' answer.
  auto other = c.classify("выписка за март", learned);
  CHECK(other.service_id == "bank_statement");
  CHECK_FALSE(other.learned);
  // Confirmed twice is surer than once.
  learned[0].count = 2;
  CHECK(c.classify("выписка по расчётам с банком", learned).confidence > g.confidence);
}

TEST_CASE("a phrase without words is refused", "[catalog]") {
  service_catalog c;
  CHECK_THAT(c.add("x", {"!!!"}), Catch::Contains("no words"));
}

TEST_CASE("classification from several threads at once", "[catalog]") {
  auto c = demo_catalog();
  std::vector<std::thread> threads;
  std::atomic<int> right{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i)
        if (c.classify("Пришлите выписки из банка").service_id == "bank_statement") ++right;
    });
  for (auto& t : threads) t.join();
  CHECK(right == 800);
}
