#include "engine/firm_file.hpp"

#include "tests/fakes/has_problem.hpp"

#include <catch2/catch.hpp>

using namespace reglament;

namespace {

const char* firm_yaml = R"(firm: Тест
services:
  - id: statement
    title: Выписка
    keywords: [выписка]
    price: 1500
  - id: hr
    title: Кадры
    keywords: [приказ, отпуск]
    price: 1000
tariffs:
  - id: t1
    includes: { statement: 2 }
clients:
  - id: c1
    name: ООО «Один»
    address: Анна
    tariff: t1
    timezone: "+05:00"
    contacts:
      email: [Anna@Example.RU]
)";

timestamp nov_2026() { return from_millis(1795417200000); }

}  // namespace

TEST_CASE("clients are found by contact, email case does not matter", "[firm]") {
  diagnostics p;
  auto firm = firm_file::parse(firm_yaml, "firm.yaml", p);
  REQUIRE(firm);
  auto c = firm->find_by_contact("email", "anna@example.ru");
  REQUIRE(c);
  CHECK(c->id == "c1");
  CHECK(c->utc_offset_minutes == 300);
  CHECK_FALSE(firm->find_by_contact("telegram", "anna@example.ru"));
}

TEST_CASE("tariff check: in tariff, over quota, not included, unknown", "[firm]") {
  diagnostics p;
  auto firm = firm_file::parse(firm_yaml, "firm.yaml", p);
  auto c = *firm->find("c1");
  int used = 0;
  quota_lookup q = [&](std::string_view, std::string_view, std::string_view period) {
    CHECK(period == "2026-11");
    return used;
  };
  auto r = firm->check(c, {"Пришлите ВЫПИСКУ", nov_2026()}, {q});
  CHECK(r.outcome == tariff_outcome::in_tariff);
  CHECK(r.quota_limit == 2);
  used = 2;
  r = firm->check(c, {"ещё выписка", nov_2026()}, {q});
  CHECK(r.outcome == tariff_outcome::over_quota);
  CHECK(r.price == 1500);
  r = firm->check(c, {"приказ на отпуск", nov_2026()}, {q});
  CHECK(r.outcome == tariff_outcome::not_included);
  CHECK(r.service_id == "hr");
  CHECK(r.confidence > 0.8);
  r = firm->check(c, {"как дела?", nov_2026()}, {q});
  CHECK(r.outcome == tariff_outcome::unknown);
}

TEST_CASE("a broken firm file reports every problem with its line", "[firm]") {
  diagnostics p;
  auto firm = firm_file::parse(R"(services:
  - id: a
    keywords: [x]
    price: много
tariffs:
  - id: t
    includes: { nope: 1 }
clients:
  - id: c
    tariff: missing
    timezone: Марс
)", "bad.yaml", p);
  CHECK_FALSE(firm);
  REQUIRE(p.size() == 4);
  CHECK(p[0].pos.line == 4);
  CHECK_THAT(p[0].message, Catch::Contains("price"));
  CHECK(p[1].pos.line == 7);
  CHECK_THAT(p[2].message + p[3].message, Catch::Contains("unknown tariff 'missing'"));
}

TEST_CASE("the price list gives the urgent price from the surcharge", "[firm]") {
  diagnostics p;
  auto firm = firm_file::parse(R"(services:
  - id: statement
    title: Выписка
    keywords: [выписка]
    price: 1500
    unit: за выписку
    urgent: { surcharge: 50%, within: 1 рабочий день }
  - id: payment
    title: Платёжка
    keywords: [платёжка]
    price: 333
tariffs:
  - id: t1
clients:
  - id: c1
    tariff: t1
)", "firm.yaml", p);
  REQUIRE(firm);
  auto c = *firm->find("c1");
  auto r = firm->check(c, {"нужна выписка", nov_2026()}, {});
  CHECK(r.outcome == tariff_outcome::not_included);
  CHECK(r.price == 1500);
  CHECK(r.unit == "за выписку");
  CHECK(r.urgent_surcharge == 50);
  CHECK(r.urgent_price == 2250);
  CHECK(r.urgent_within == "1 рабочий день");
  r = firm->check(c, {"платёжка", nov_2026()}, {});
  CHECK(r.urgent_surcharge == 0);
  CHECK(r.urgent_price == 333);  // no surcharge listed: urgency costs nothing extra
}

TEST_CASE("a broken urgency surcharge is reported at its line", "[firm]") {
  diagnostics p;
  auto firm = firm_file::parse(R"(services:
  - id: a
    keywords: [x]
    urgent: { surcharge: половина, within: завтра }
)", "bad.yaml", p);
  CHECK_FALSE(firm);
  REQUIRE(p.size() == 2);
  CHECK(p[0].pos.line == 4);
  CHECK_THAT(p[0].message, Catch::Contains("surcharge"));
  CHECK_THAT(p[1].message, Catch::Contains("within"));
}

TEST_CASE("staff names, the English firm name and SLA targets with a client's override", "[firm]") {
  diagnostics p;
  auto firm = firm_file::parse(R"(firm: Бухгалтерская компания «Баланс»
firm_en: Balans Accounting
staff:
  - { login: masha, name: Мария Иванова, name_en: Maria Ivanova, role: manager }
  - { login: boss, name: Алексей Баланов, role: director }
services:
  - { id: statement, title: Выписка, keywords: [выписк], price: 1500 }
tariffs:
  - id: base
    sla: { first_reply: 30 рабочих минут, idle: 4 рабочих часа }
    includes: { statement: 1 }
clients:
  - { id: plain, name: Простой, tariff: base, manager: masha }
  - { id: vip, name: Важный, tariff: base, manager: masha, sla: { first_reply: 10 рабочих минут, deadline: 2 рабочих дня } }
)", "firm.yaml", p);
  for (const auto& d : p) UNSCOPED_INFO(d.to_string());
  REQUIRE(firm);
  CHECK(p.empty());
  CHECK(firm->name("ru") == "Бухгалтерская компания «Баланс»");
  CHECK(firm->name("en") == "Balans Accounting");
  REQUIRE(firm->staff("masha"));
  CHECK(firm->staff("masha")->name == "Мария Иванова");
  CHECK(firm->staff("masha")->name_en == "Maria Ivanova");
  CHECK_FALSE(firm->staff("nobody"));
  REQUIRE(firm->staff_with_role("director"));
  CHECK(firm->staff_with_role("director")->login == "boss");

  sla_terms plain = firm->sla(*firm->find("plain"));
  REQUIRE(plain.first_reply);
  CHECK(plain.first_reply->text == "30 рабочих минут");
  CHECK(plain.first_reply->working);
  REQUIRE(plain.idle);
  CHECK(plain.idle->text == "4 рабочих часа");
  CHECK_FALSE(plain.deadline);
  sla_terms vip = firm->sla(*firm->find("vip"));
  CHECK(vip.first_reply->text == "10 рабочих минут");  // the client's own, faster
  CHECK(vip.idle->text == "4 рабочих часа");           // the tariff's, not overridden
  REQUIRE(vip.deadline);
  CHECK(vip.deadline->text == "2 рабочих дня");
}

TEST_CASE("broken staff and SLA entries are reported, a login missing from staff is a warning", "[firm]") {
  diagnostics p;
  auto firm = firm_file::parse(R"(firm: Тест
staff:
  - { login: masha, name: Мария, role: boss }
services:
  - { id: statement, title: Выписка, keywords: [выписк], price: 1500 }
tariffs:
  - { id: base, sla: { first_reply: скоро, speed: 1 час }, includes: { statement: 1 } }
clients:
  - { id: c1, name: Один, tariff: base, manager: petya, sla: [1] }
)", "firm.yaml", p);
  for (const auto& d : p) UNSCOPED_INFO(d.to_string());
  CHECK_FALSE(firm);
  CHECK(has_problem(p, severity::error, 3, "staff masha: role: expected manager, accountant or director"));
  CHECK(has_problem(p, severity::error, 7, "tariff base: sla: first_reply: expected a duration like «30 рабочих минут»"));
  CHECK(has_problem(p, severity::error, 7, "tariff base: sla: unknown key 'speed'"));
  CHECK(has_problem(p, severity::error, 9, "client c1: sla: expected { first_reply"));
  CHECK(has_problem(p, severity::warning, 9, "client c1: 'petya' is not in staff:"));
}

namespace {

const char* versioned_yaml = R"(services:
  - { id: statement, title: Выписка, keywords: [выписка], price: 1500, unit: за выписку,
      urgent: { surcharge: 50%, within: 1 рабочий день } }
  - { id: payroll, title: Зарплата, keywords: [зарплата], price: 3000 }
tariffs:
  - id: start
    includes: { statement: 1 }
    versions:
      - from: 2027-01-01
        includes: { statement: 2, payroll: 1 }
        prices: { statement: 1700 }
  - id: standard
    includes: { statement: 3, payroll: 1 }
clients:
  - id: moving
    tariffs: [{ tariff: start }, { tariff: standard, from: 2026-12-01 }]
    timezone: "+10:00"
  - id: staying
    tariff: start
)";

// Local midnight of a date in UTC+10: the 1st starts there 10 hours before Moscow's.
timestamp vladivostok(int y, unsigned m, unsigned d, int hour) {
  auto day = std::chrono::sys_days{std::chrono::year(y) / std::chrono::month(m) / std::chrono::day(d)};
  return timestamp(std::chrono::duration_cast<timestamp::duration>(day.time_since_epoch() + std::chrono::hours(hour - 10)));
}

}  // namespace

TEST_CASE("a client's tariff changes from a date in the client's timezone", "[firm]") {
  diagnostics p;
  auto firm = firm_file::parse(versioned_yaml, "firm.yaml", p);
  INFO((p.empty() ? "" : p[0].message));
  REQUIRE(firm);
  auto c = *firm->find("moving");
  CHECK(c.tariff_id == "start");
  CHECK(tariff_on(c, "2026-11-30") == "start");
  CHECK(tariff_on(c, "2026-12-01") == "standard");
  auto before = firm->check(c, {"выписка", vladivostok(2026, 11, 30, 23)}, {});
  CHECK(before.tariff_id == "start");
  CHECK(before.quota_limit == 1);
  CHECK(before.period == "2026-11");
  // 1 December 00:30 in Vladivostok is still 30 November in Moscow and UTC.
  auto after = firm->check(c, {"выписка", vladivostok(2026, 12, 1, 0) + std::chrono::minutes(30)}, {});
  CHECK(after.tariff_id == "standard");
  CHECK(after.quota_limit == 3);
  CHECK(after.period == "2026-12");
}

TEST_CASE("a tariff version applies from its date with its quotas and prices", "[firm]") {
  diagnostics p;
  auto firm = firm_file::parse(versioned_yaml, "firm.yaml", p);
  REQUIRE(firm);
  auto c = *firm->find("staying");
  auto december = firm->check(c, {"выписка", vladivostok(2026, 12, 31, 12)}, {});
  CHECK(december.tariff_from.empty());
  CHECK(december.quota_limit == 1);
  CHECK(december.price == 1500);
  auto payroll_old = firm->check(c, {"зарплата", vladivostok(2026, 12, 31, 12)}, {});
  CHECK(payroll_old.outcome == tariff_outcome::not_included);
  auto january = firm->check(c, {"выписка", vladivostok(2027, 1, 11, 12)}, {});
  CHECK(january.tariff_from == "2027-01-01");
  CHECK(january.quota_limit == 2);
  CHECK(january.price == 1700);
  CHECK(january.urgent_price == 2550);
  auto payroll_new = firm->check(c, {"зарплата", vladivostok(2027, 1, 11, 12)}, {});
  CHECK(payroll_new.outcome == tariff_outcome::in_tariff);
  CHECK(payroll_new.price == 3000);  // not in the version's prices: the catalog's
}

TEST_CASE("the manager's service and past corrections drive the check", "[firm]") {
  diagnostics p;
  auto firm = firm_file::parse(versioned_yaml, "firm.yaml", p);
  REQUIRE(firm);
  auto c = *firm->find("staying");
  auto at = vladivostok(2026, 11, 20, 12);
  auto forced = firm->check(c, {"что-то непонятное", at, "payroll"}, {});
  CHECK(forced.service_id == "payroll");
  CHECK(forced.outcome == tariff_outcome::not_included);
  CHECK(forced.confidence == 1);
  CHECK(firm->check(c, {"выписка", at, "nope"}, {}).outcome == tariff_outcome::unknown);
  CHECK(firm->has_service("payroll"));
  CHECK_FALSE(firm->has_service("nope"));
  tariff_lookups store;
  store.learned = [](std::string_view client) {
    CHECK(client == "staying");
    return std::vector<learned_service>{{request_key("выписка по сотрудникам"), "payroll", 1}};
  };
  auto learned = firm->check(c, {"Пришлите выписку по сотрудникам", at}, store);
  CHECK(learned.service_id == "payroll");
  CHECK(learned.learned);
  CHECK_THAT(learned.matched, Catch::Contains("исправление менеджера"));
  CHECK(firm->check(c, {"Пришлите выписку", at}, store).service_id == "statement");
}

TEST_CASE("broken tariff versions and tariff changes are reported", "[firm]") {
  diagnostics p;
  auto firm = firm_file::parse(R"(services:
  - { id: s, keywords: [выписка] }
tariffs:
  - id: t
    includes: { s: 1 }
    versions:
      - from: 2027-13-01
        includes: { s: 2 }
      - from: 2026-01-01
        includes: { s: 2 }
        prices: { x: 5 }
clients:
  - id: c
    tariffs: [{ tariff: t }, { tariff: gone, from: 2026-12-01 }, { tariff: t, from: 2026-11-01 }]
)", "bad.yaml", p);
  CHECK_FALSE(firm);
  std::string all;
  for (const auto& d : p) all += d.message + "\n";
  INFO(all);
  CHECK_THAT(all, Catch::Contains("expected from: YYYY-MM-DD"));
  CHECK_THAT(all, Catch::Contains("prices: unknown service 'x'"));
  CHECK_THAT(all, Catch::Contains("unknown tariff 'gone'"));
  CHECK_THAT(all, Catch::Contains("changes must go in date order"));
}

TEST_CASE("staff choose how they are notified: email and/or Telegram, each with its address", "[firm]") {
  diagnostics p;
  auto firm = firm_file::parse(R"(firm: Тест
staff:
  - { login: boss, name: Алексей, role: director, notify: [email, telegram], email: boss@firm.test, telegram: "4242" }
  - { login: masha, name: Мария, role: manager }
services:
  - { id: statement, title: Выписка, keywords: [выписка], price: 1500 }
tariffs:
  - { id: base, includes: { statement: 1 } }
)", "firm.yaml", p);
  for (const auto& d : p) UNSCOPED_INFO(d.to_string());
  REQUIRE(firm);
  auto boss = firm->staff("boss");
  REQUIRE(boss);
  CHECK(boss->notify == std::vector<std::string>{"email", "telegram"});
  CHECK(boss->email == "boss@firm.test");
  CHECK(boss->telegram == "4242");
  CHECK(firm->staff("masha")->notify.empty());

  diagnostics q;
  auto broken = firm_file::parse(R"(firm: Тест
staff:
  - { login: boss, name: Алексей, role: director, notify: [email, sms] }
  - { login: masha, name: Мария, role: manager, notify: telegram }
services:
  - { id: statement, title: Выписка, keywords: [выписка], price: 1500 }
tariffs:
  - { id: base, includes: { statement: 1 } }
)", "firm.yaml", q);
  for (const auto& d : q) UNSCOPED_INFO(d.to_string());
  CHECK_FALSE(broken);
  CHECK(has_problem(q, severity::error, 3, "staff boss: notify: email needs the person's email: address"));
  CHECK(has_problem(q, severity::error, 3, "staff boss: notify: expected email or telegram, got 'sms'"));
  CHECK(has_problem(q, severity::error, 4, "staff masha: notify: expected a list like [email, telegram]"));
}

TEST_CASE("a value of the wrong shape is an error at its place, never an exception", "[firm]") {
  diagnostics p;
  firm_file::parse("firm: X\npricing: 5\n", "shape.yaml", p);
  CHECK(has_problem(p, severity::error, 2, "pricing: expected a map"));
  CHECK(p.front().pos.column == 10);

  p.clear();
  auto firm = firm_file::parse(R"(services:
  - id: a
    keywords: { x: 1 }
  - plain
tariffs:
  - id: t
    includes: [a]
    versions: { from: 2026-01-01 }
  - id: u
    includes: { a: { many: 1 } }
staff: nobody
clients:
  - id: c
    tariff: t
    tariffs: 7
    birthdays: { name: x }
    contacts: [ a@b.ru ]
  - [c2]
  - id: c3
    tariff: t
    contacts: { email: [ { a: b } ] }
)", "shapes.yaml", p);
  CHECK_FALSE(firm);
  CHECK(has_problem(p, severity::error, 3, "keywords: expected a list"));
  CHECK(has_problem(p, severity::error, 4, "service: expected"));
  CHECK(has_problem(p, severity::error, 7, "includes: expected a map"));
  CHECK(has_problem(p, severity::error, 8, "versions: expected a list"));
  CHECK(has_problem(p, severity::error, 10, "a: expected a number per month"));
  CHECK(has_problem(p, severity::error, 11, "staff: expected a list"));
  CHECK(has_problem(p, severity::error, 15, "tariffs: expected a list"));
  CHECK(has_problem(p, severity::error, 16, "birthdays: expected a list"));
  CHECK(has_problem(p, severity::error, 17, "contacts: expected a map"));
  CHECK(has_problem(p, severity::error, 18, "client: expected a map"));
  CHECK(has_problem(p, severity::error, 21, "contacts: email: expected an address"));

  p.clear();
  std::vector<source_pos> at;
  auto clients = firm_file::parse_clients("clients:\n  - { id: a, contacts: 5, tariffs: [1, {tariff: {x: y}}] }\n", "c.yaml", p, &at);
  CHECK(clients.size() == at.size());
  CHECK(has_problem(p, severity::error, 2, "contacts: expected a map"));
}
