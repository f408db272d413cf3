#include "engine/service_catalog.hpp"
#include "engine/case_event.hpp"

#include <catch2/catch.hpp>
#include <libstemmer.h>

#include <atomic>
#include <cmath>
#include <map>
#include <memory>
#include <random>
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

// The rules as the header states them, checked the slow way: every rule at every word,
// stems compared pair by pair.
bool same_stem(const std::string& a, const std::string& b) {
  if (a == b) return true;
  const auto& longer = a.size() > b.size() ? a : b;
  const auto& shorter = a.size() > b.size() ? b : a;
  if (longer.size() != shorter.size() + 2 || longer.size() < 8) return false;
  for (std::size_t i = 0; i + 2 <= longer.size(); i += 2) {
    const auto two = longer.substr(i, 2);
    if ((two == "о" || two == "е") && longer.substr(0, i) + longer.substr(i + 2) == shorter) return true;
  }
  return false;
}

struct reference_catalog {
  std::vector<std::pair<std::string, std::string>> rules;  // service, phrase
  std::vector<std::string> order;

  void add(const std::string& service, const std::vector<std::string>& phrases) {
    if (std::find(order.begin(), order.end(), service) == order.end()) order.push_back(service);
    for (const auto& p : phrases) rules.emplace_back(service, p);
  }

  service_guess classify(std::string_view text) const {
    const auto t = stems(text);
    std::map<std::string, double> score;
    std::map<std::string, std::vector<std::string>> hits;
    for (const auto& [service, phrase] : rules) {
      const auto p = stems(phrase);
      bool found = false;
      for (std::size_t i = 0; i < t.size() && !found; ++i) {
        if (!same_stem(t[i], p[0])) continue;
        std::size_t at = i, k = 1;
        for (; k < p.size(); ++k) {
          if (at + 1 < t.size() && same_stem(t[at + 1], p[k]))
            at += 1;
          else if (at + 2 < t.size() && same_stem(t[at + 2], p[k]))
            at += 2;
          else
            break;
        }
        found = k == p.size();
      }
      if (!found) continue;
      score[service] += static_cast<double>(p.size());
      hits[service].push_back(phrase);
    }
    service_guess g;
    std::vector<std::string> ranked;
    for (const auto& s : order)
      if (score.count(s)) ranked.push_back(s);
    if (ranked.empty()) return g;
    std::stable_sort(ranked.begin(), ranked.end(), [&](const auto& a, const auto& b) { return score[a] > score[b]; });
    const double best = score[ranked[0]], second = ranked.size() > 1 ? score[ranked[1]] : 0;
    g.service_id = ranked[0];
    g.matched = hits[ranked[0]];
    if (ranked.size() > 1) g.runner_up = ranked[1];
    g.confidence = (1 - std::pow(0.4, best)) * best / (best + second);
    return g;
  }
};

}  // namespace

TEST_CASE("the catalog classifies random requests as the slow reading of its rules does", "[catalog]") {
  // Rules with fleeting vowels on both sides (листок/листки, конец/конца, ребёнок/ребёнка),
  // several words, shared words between services, a hyphenated word; texts of their word
  // forms and filler in random order, case and punctuation.
  const std::vector<std::pair<std::string, std::vector<std::string>>> services{
      {"payslips", {"расчётный листок", "листки", "зарплата"}},
      {"year_end", {"конец года", "отчёт", "годовой отчёт"}},
      {"child", {"ребёнок", "пособие на ребёнка", "декрет"}},
      {"loans", {"заём", "займы", "договор займа"}},
      {"invoices", {"счёт-фактура", "счёт", "акт сверки", "акт"}},
      {"payroll", {"зарплата", "аванс", "ведомость"}},
      {"roof", {"потолок", "ремонт потолка"}},
  };
  service_catalog fast;
  reference_catalog slow;
  for (const auto& [id, phrases] : services) {
    REQUIRE(fast.add(id, phrases).empty());
    slow.add(id, phrases);
  }
  const std::vector<std::string> pool{
      "расчётный", "расчетные", "РАСЧЁТНОГО", "листок", "листка", "листки", "листков", "Листочек", "зарплату",
      "зарплаты", "конец", "конца", "концом", "года", "год", "годовой", "годового", "отчёт", "отчета", "отчеты",
      "ребёнок", "ребенка", "РЕБЁНКУ", "детей", "пособие", "пособия", "на", "декрет", "декрета", "заём", "займа",
      "займы", "займов", "договор", "договора", "счёт-фактура", "счета-фактуры", "счет", "счёта", "акт", "актов",
      "сверки", "взаимной", "аванс", "аванса", "ведомость", "потолок", "потолка", "ремонт", "ремонта", "и", "за",
      "нужен", "срочно", "пожалуйста", "по", "2025", "ООО", "«Ромашка»"};
  const std::vector<std::string> gaps{" ", ", ", "! ", " — ", "\n", "? "};
  std::mt19937 rng(4122026);
  int matched = 0, ambiguous = 0;
  for (int t = 0; t < 3000; ++t) {
    std::string text;
    for (unsigned k = 1 + rng() % 10; k > 0; --k) text += pool[rng() % pool.size()] + gaps[rng() % gaps.size()];
    INFO(text);
    const auto want = slow.classify(text);
    const auto given = stems(text);  // as the receiving thread passes them
    REQUIRE(given == stems(text + " €"));  // "€" sends the text through ICU's folding
    for (const auto& got : {fast.classify(text), fast.classify(text, {}, &given)}) {
      REQUIRE(got.service_id == want.service_id);
      REQUIRE(got.matched == want.matched);
      REQUIRE(got.runner_up == want.runner_up);
      REQUIRE(got.confidence == want.confidence);
    }
    matched += !want.service_id.empty();
    ambiguous += !want.runner_up.empty();
  }
  CHECK(matched > 1500);  // the texts exercise the rules, ties and runners-up included
  CHECK(ambiguous > 500);
}

TEST_CASE("stems fold case, ё and inflections", "[catalog]") {
  CHECK(stems("Выписку") == stems("выписка"));
  CHECK(stems("ВЫПИСКАМИ") == stems("выписки"));
  CHECK(stems("актов сверки") == stems("Акт Сверки"));
  CHECK(stems("счетов-фактур") == stems("счёт-фактура"));
  CHECK(stems("ПРИЁМ") == stems("прием"));
  CHECK(stems("выписка").size() == 1);
}

TEST_CASE("words without Cyrillic letters stem as Snowball stems them: unchanged, lower-cased", "[catalog]") {
  // They skip the stemmer (and its cache); this holds them to what it would say.
  std::unique_ptr<sb_stemmer, void (*)(sb_stemmer*)> snowball(sb_stemmer_new("russian", "UTF_8"), sb_stemmer_delete);
  REQUIRE(snowball);
  std::mt19937 rng(1205);
  const std::string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  for (int i = 0; i < 5000; ++i) {
    std::string w;
    for (unsigned k = 1 + rng() % 14; k > 0; --k) w += alphabet[rng() % alphabet.size()];
    const std::string folded = fold_case(w);
    const auto* out = sb_stemmer_stem(snowball.get(), reinterpret_cast<const sb_symbol*>(folded.data()), static_cast<int>(folded.size()));
    REQUIRE(out);
    const std::string want(reinterpret_cast<const char*>(out), static_cast<std::size_t>(sb_stemmer_length(snowball.get())));
    INFO(w);
    REQUIRE(stems(w) == std::vector<std::string>{want});
  }
  CHECK(stems("Client1234@Mail.example счетов-фактур e-Mail") ==
        std::vector<std::string>{"client1234", "mail", "example", "счет-фактур", "e-mail"});
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

TEST_CASE("a copy of a catalog, or one given more rules, does not reuse another's lookups", "[catalog]") {
  // The stem cache keeps, per word, what the last catalog found for it.
  auto original = std::make_unique<service_catalog>(demo_catalog());
  CHECK(original->classify("пришлите ведомость и выписку").service_id == "bank_statement");
  service_catalog copy = *original;
  original.reset();  // what it found points into its maps: gone
  CHECK(copy.classify("пришлите ведомость и выписку").service_id == "bank_statement");
  REQUIRE(copy.add("payroll", {"ведомость", "ведомость и выписку"}).empty());
  const auto g = copy.classify("пришлите ведомость и выписку");
  CHECK(g.service_id == "payroll");
  CHECK(g.runner_up == "bank_statement");
  CHECK(g.matched == std::vector<std::string>{"ведомость", "ведомость и выписку"});
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
