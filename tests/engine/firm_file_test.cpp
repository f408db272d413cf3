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
