#include "engine/scheduler.hpp"

#include "engine/playbook_loader.hpp"
#include "engine/production_calendar.hpp"
#include "engine/store/sqlite_store.hpp"
#include "tests/engine/calendar_time.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace reglament;
using reglament::testing::msk;

namespace {

class clients_fake final : public client_directory {
 public:
  std::vector<client_info> list;
  std::string hidden;  // listed by all() but not found: the engine refuses to start for it
  client_ptr find(std::string_view id) const override {
    for (const auto& c : list)
      if (c.id == id && c.id != hidden) return std::make_shared<const client_info>(c);
    return nullptr;
  }
  client_ptr find_by_contact(std::string_view, std::string_view) const override { return nullptr; }
  std::vector<client_info> all() const override { return list; }
};

playbook_ptr book(const char* yaml) {
  auto r = load_playbook_text(yaml, "test.yaml");
  for (const auto& d : r.problems) UNSCOPED_INFO(d.to_string());
  REQUIRE(r.book);
  auto pb = std::make_shared<playbook>(*r.book);
  pb->version = 1;
  return pb;
}

const char* supplies = R"yaml(id: supplies
trigger:
  schedule: "в последнюю пятницу месяца в 10:00"
steps:
  - id: prepare
    task: Подготовить заявку со сметой
  - id: done
    end: done
)yaml";

const char* birthday = R"yaml(id: birthday
trigger:
  schedule: "в день рождения контакта клиента в 10:00"
variables:
  contact_name: { title: "Кого поздравляем" }
  occasion: { title: "Повод" }
  occasion_date: { title: "Дата" }
steps:
  - id: congratulate
    task: "Поздравить {{contact_name}} ({{occasion}}, {{occasion_date}})"
  - id: done
    end: done
)yaml";

struct fixture {
  sqlite_store st{":memory:"};
  playbook_library books;
  clients_fake clients;
  manual_clock clock{msk(2026, 11, 23, 9)};
  std::unique_ptr<case_engine> engine;
  std::unique_ptr<scheduler> sched;

  fixture() {
    books.add(book(supplies));
    books.add(book(birthday));
    client_info romashka;
    romashka.id = "romashka";
    romashka.address_as = "Анна Сергеевна";
    romashka.birthdays = {{"Анна Сергеевна", {11, 24}}, {"Олег Петрович", {2, 29}}};
    client_info ural;
    ural.id = "ural";
    ural.utc_offset_minutes = 5 * 60;  // Yekaterinburg
    ural.birthdays = {{"Ирина", {11, 24}}};
    clients.list = {romashka, ural};
    run_context ctx;
    ctx.now = &clock;
    ctx.calendar = &production_calendar::shipped();
    ctx.clients = &clients;
    engine = std::make_unique<case_engine>(st, books, ctx);
    sched = std::make_unique<scheduler>(books, &clients, production_calendar::shipped());
  }

  schedule_round tick(timestamp at) {
    clock.set(at);
    st.begin();
    auto r = sched->run_due(*engine, st, at);
    st.commit();
    for (const auto& e : r.results) INFO(e.error);
    return r;
  }

  std::map<std::string, int> started_by_key(const schedule_round& r) {
    std::map<std::string, int> out;
    for (std::size_t i = 0; i < r.started.size(); ++i)
      if (r.results[i].error.empty()) ++out[r.started[i].playbook + ":" + r.started[i].key];
    return out;
  }
};

}  // namespace

TEST_CASE("scheduler: arms on first sight, then starts each due run once", "[scheduler]") {
  fixture f;
  auto first = f.tick(msk(2026, 11, 23, 9));
  CHECK(first.started.empty());  // nothing before the first sight is owed
  REQUIRE(first.next);
  // Yekaterinburg's 10:00 on 24 November comes first: 08:00 Moscow.
  CHECK(*first.next == msk(2026, 11, 24, 8));

  CHECK(f.tick(msk(2026, 11, 24, 7, 59)).started.empty());
  auto ural = f.tick(msk(2026, 11, 24, 8));
  CHECK(f.started_by_key(ural) == std::map<std::string, int>{{"birthday:ural/Ирина", 1}});
  auto moscow = f.tick(msk(2026, 11, 24, 10, 0));
  CHECK(f.started_by_key(moscow) == std::map<std::string, int>{{"birthday:romashka/Анна Сергеевна", 1}});
  // The case knows whom to congratulate.
  auto c = f.st.load_case(moscow.results.at(0).id);
  REQUIRE(c);
  CHECK(c->client_id == "romashka");
  CHECK(c->vars.value("contact_name", "") == "Анна Сергеевна");
  CHECK(c->vars.value("occasion_date", "") == "24 ноября");
  CHECK(c->step == "congratulate");

  // Ticking again at the same time starts nothing more.
  CHECK(f.tick(msk(2026, 11, 24, 10, 0)).started.empty());
  CHECK(f.tick(msk(2026, 11, 27, 9, 59)).started.empty());
  auto friday = f.tick(msk(2026, 11, 27, 10, 0));
  CHECK(f.started_by_key(friday) == std::map<std::string, int>{{"supplies:", 1}});
  CHECK(f.tick(msk(2026, 11, 27, 12, 0)).started.empty());
}

TEST_CASE("scheduler: after downtime a missed run catches up once, not once per miss", "[scheduler]") {
  fixture f;
  f.tick(msk(2026, 9, 1, 9));
  // Down from September to mid-December: the last Fridays of September, October and
  // November were missed; one supplies request is owed, for the latest of them.
  auto back = f.tick(msk(2026, 12, 10, 12));
  CHECK(f.started_by_key(back)["supplies:"] == 1);
  for (std::size_t i = 0; i < back.started.size(); ++i)
    if (back.started[i].playbook == "supplies") CHECK(back.started[i].due == msk(2026, 11, 27, 10));
  // The 24 November birthdays are weeks late: skipped, not congratulated, and not again.
  CHECK(back.skipped.size() == 2);
  CHECK(f.started_by_key(back).count("birthday:romashka/Анна Сергеевна") == 0);
  CHECK(f.tick(msk(2026, 12, 10, 12, 1)).started.empty());
  CHECK(f.tick(msk(2026, 12, 10, 12, 1)).skipped.empty());
}

TEST_CASE("scheduler: a birthday on 29 February is congratulated on the 28th in other years", "[scheduler]") {
  fixture f;
  f.tick(msk(2027, 2, 27, 9));  // after the last Friday, 26 February
  auto r = f.tick(msk(2027, 2, 28, 10));
  CHECK(f.started_by_key(r) == std::map<std::string, int>{{"birthday:romashka/Олег Петрович", 1}});
  CHECK(f.tick(msk(2027, 3, 1, 10)).started.empty());
}

TEST_CASE("scheduler: a refused start is not recorded and is retried", "[scheduler]") {
  fixture f;
  f.tick(msk(2026, 11, 23, 9));
  f.clients.hidden = "ural";
  auto refused = f.tick(msk(2026, 11, 24, 8));
  REQUIRE(refused.results.size() == 1);
  CHECK_THAT(refused.results[0].error, Catch::Contains("unknown"));
  CHECK(f.st.cases({}).empty());  // the savepoint undid the refused start
  CHECK(f.tick(msk(2026, 11, 24, 8, 1)).results.size() == 1);  // retried
  f.clients.hidden.clear();
  auto ok = f.tick(msk(2026, 11, 24, 8, 2));
  CHECK(f.started_by_key(ok) == std::map<std::string, int>{{"birthday:ural/Ирина", 1}});
  CHECK(f.tick(msk(2026, 11, 24, 8, 3)).results.empty());
}

TEST_CASE("scheduler: occurrences lists the starts in a window for every client", "[scheduler]") {
  fixture f;
  auto list = f.sched->occurrences(*f.books.latest("birthday"), msk(2026, 11, 1, 0), msk(2026, 12, 1, 0));
  REQUIRE(list.size() == 2);
  CHECK(list[0].key == "ural/Ирина");
  CHECK(list[0].due == msk(2026, 11, 24, 8));
  CHECK(list[1].key == "romashka/Анна Сергеевна");
  auto fridays = f.sched->occurrences(*f.books.latest("supplies"), msk(2026, 10, 1, 0), msk(2027, 1, 1, 0));
  REQUIRE(fridays.size() == 3);
  CHECK(fridays[2].due == msk(2026, 12, 25, 10));
}

TEST_CASE("scheduler: a rule the owner changed counts from the change, not from the last run", "[scheduler]") {
  fixture f;
  f.tick(msk(2026, 11, 23, 9));
  auto changed = book(R"yaml(id: supplies
trigger:
  schedule: "каждое 30-е число в 10:00"
steps:
  - id: prepare
    task: Подготовить заявку со сметой
  - id: done
    end: done
)yaml");
  std::const_pointer_cast<playbook>(changed)->version = 2;
  f.books.add(changed);
  // Under the new rule 30 November has passed, but it was not the rule then.
  auto after = f.tick(msk(2026, 12, 1, 9));
  CHECK(f.started_by_key(after).count("supplies:") == 0);
  auto run = f.st.schedule_last_run("supplies", "");
  REQUIRE(run);
  CHECK(run->rule == "каждое 30-е число в 10:00");
  CHECK(run->id == 0);
  CHECK(f.started_by_key(f.tick(msk(2026, 12, 30, 10)))["supplies:"] == 1);
  run = f.st.schedule_last_run("supplies", "");
  CHECK(run->due == msk(2026, 12, 30, 10));
  CHECK(run->id != 0);
}
