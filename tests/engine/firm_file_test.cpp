#include "engine/firm_file.hpp"

#include <catch2/catch.hpp>

using namespace reglament;

namespace {

const char* firm_yaml = R"(firm: Тест
services:
  - id: statement
    title: Выписка
    keywords: [выписк]
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

TEST_CASE("clients are found by contact; email case does not matter", "[firm]") {
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
  auto r = firm->check(c, "Пришлите ВЫПИСКУ", nov_2026(), q);
  CHECK(r.outcome == tariff_outcome::in_tariff);
  CHECK(r.quota_limit == 2);
  used = 2;
  r = firm->check(c, "ещё выписка", nov_2026(), q);
  CHECK(r.outcome == tariff_outcome::over_quota);
  CHECK(r.price == 1500);
  r = firm->check(c, "приказ на отпуск", nov_2026(), q);
  CHECK(r.outcome == tariff_outcome::not_included);
  CHECK(r.service_id == "hr");
  CHECK(r.confidence > 0.8);
  r = firm->check(c, "как дела?", nov_2026(), q);
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
  auto r = firm->check(c, "нужна выписка", nov_2026(), {});
  CHECK(r.outcome == tariff_outcome::not_included);
  CHECK(r.price == 1500);
  CHECK(r.unit == "за выписку");
  CHECK(r.urgent_surcharge == 50);
  CHECK(r.urgent_price == 2250);
  CHECK(r.urgent_within == "1 рабочий день");
  r = firm->check(c, "платёжка", nov_2026(), {});
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
