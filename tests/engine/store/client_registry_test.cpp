#include "engine/store/client_registry.hpp"

#include "engine/store/sqlite_store.hpp"
#include "tests/fakes/problems_text.hpp"
#include "tests/fakes/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <atomic>
#include <thread>

using namespace reglament;

namespace {

client_batch csv(const std::string& text) {
  diagnostics problems;
  auto b = parse_clients_csv(text, "clients.csv", problems);
  INFO(problems_text(problems));
  REQUIRE(problems.empty());
  return b;
}

const std::string two_clients =
    "id,name,inn,form,tariff,manager,email,telegram,phone,holiday,birthdays\n"
    "romashka,ООО «Ромашка»,5260181598,Вы,standard,manager,anna@romashka.ru,100001,8 912 345-67-89,"
    "День бухгалтера 11-21,Анна Сергеевна 11-24\n"
    "ip_smirnova,ИП Смирнова Е. В.,796030824605,ты,start,manager2,,100003,,,\n";

const std::set<std::string> tariffs{"start", "standard", "business"};

}  // namespace

TEST_CASE("imported clients are found by id and contact, and survive reopening", "[store][clients]") {
  temp_dir dir;
  const auto db = dir.file("r.db");
  {
    client_registry reg(db);
    diagnostics problems;
    auto r = reg.import(csv(two_clients), &tariffs, problems);
    INFO(problems_text(problems));
    REQUIRE(r);
    CHECK(r->added == 2);
    CHECK(r->contacts_added == 4);
  }
  client_registry reg(db, {.read_only = true});
  auto c = reg.find_by_contact("phone", "+7 (912) 345-67-89");
  REQUIRE(c);
  CHECK(c->id == "romashka");
  CHECK(c->holiday_title == "День бухгалтера");
  CHECK(c->holiday.day == 21);
  REQUIRE(c->birthdays.size() == 1);
  CHECK(c->birthdays[0].name == "Анна Сергеевна");
  CHECK(reg.find("ip_smirnova")->informal);
  CHECK(reg.find_by_contact("email", "ANNA@romashka.ru")->id == "romashka");
  CHECK(reg.preferred_contact("romashka")->address == "anna@romashka.ru");
  CHECK(reg.preferred_contact("ip_smirnova")->address == "100003");
  CHECK(reg.all().size() == 2);
}

TEST_CASE("re-importing updates in place and never duplicates", "[store][clients]") {
  temp_dir dir;
  client_registry reg(dir.file("r.db"));
  diagnostics problems;
  REQUIRE(reg.import(csv(two_clients), &tariffs, problems));
  auto again = reg.import(csv(two_clients), &tariffs, problems);
  REQUIRE(again);
  CHECK(again->added == 0);
  CHECK(again->unchanged == 2);
  CHECK(again->contacts_added == 0);

  auto changed = reg.import(csv("id,name,tariff,email\nromashka,ООО «Ромашка-2»,business,buh@romashka.ru\n"),
                            &tariffs, problems);
  REQUIRE(changed);
  CHECK(changed->updated == 1);
  CHECK(changed->contacts_added == 1);
  auto c = reg.find("romashka");
  CHECK(c->name == "ООО «Ромашка-2»");
  CHECK(c->tariff_id == "business");
  CHECK(c->inn.empty());  // the row is the client: an empty cell empties the field
  // Contacts are only added: the old ones still find the client.
  CHECK(reg.find_by_contact("telegram", "100001")->id == "romashka");
  CHECK(reg.find_by_contact("email", "buh@romashka.ru")->id == "romashka");
  CHECK(reg.snapshot()->get("romashka")->contacts.size() == 4);
}

TEST_CASE("a bad file imports nothing and names every problem", "[store][clients]") {
  temp_dir dir;
  client_registry reg(dir.file("r.db"));
  diagnostics problems;
  REQUIRE(reg.import(csv(two_clients), &tariffs, problems));
  auto bad = csv(
      "id,name,tariff,telegram\n"
      "new_one,ООО «Новая»,standard,200001\n"
      "thief,ООО «Вор»,standard,100001\n"
      "gold,ООО «Золото»,gold,\n");
  CHECK_FALSE(reg.import(bad, &tariffs, problems));
  REQUIRE(problems.size() == 2);
  CHECK(problems[0].to_string() == "clients.csv:4:1: error: client gold: unknown tariff 'gold'");
  CHECK(problems[1].to_string() ==
        "clients.csv:3:1: error: client thief: telegram 100001 is already a contact of client romashka");
  CHECK_FALSE(reg.find("new_one"));  // all or nothing
  CHECK_FALSE(reg.find_by_contact("telegram", "200001"));
}

TEST_CASE("linking a contact: linked, already linked, taken, unknown client, invalid", "[store][clients]") {
  temp_dir dir;
  client_registry reg(dir.file("r.db"));
  diagnostics problems;
  REQUIRE(reg.import(csv(two_clients), &tariffs, problems));
  auto r = reg.link_contact("email", "Elena@Smirnova.ru", "ip_smirnova");
  CHECK(r.status == link_status::linked);
  CHECK(reg.find_by_contact("email", "elena@smirnova.ru")->id == "ip_smirnova");
  CHECK(reg.link_contact("email", "elena@smirnova.ru", "ip_smirnova").status == link_status::already_linked);
  auto taken = reg.link_contact("telegram", "100001", "ip_smirnova");
  CHECK(taken.status == link_status::taken);
  CHECK(taken.owner == "romashka");
  CHECK(taken.message == "telegram 100001 is a contact of client romashka");
  CHECK(reg.link_contact("telegram", "555", "nobody").status == link_status::unknown_client);
  auto bad = reg.link_contact("phone", "12", "ip_smirnova");
  CHECK(bad.status == link_status::invalid);
  CHECK(bad.message == "phone 12: expected a Russian number like +7 912 345-67-89");
}

TEST_CASE("another connection's import is seen after refresh()", "[store][clients]") {
  temp_dir dir;
  const auto db = dir.file("r.db");
  client_registry daemon_side(db);
  CHECK_FALSE(daemon_side.refresh());
  {
    client_registry cli_side(db);
    diagnostics problems;
    REQUIRE(cli_side.import(csv(two_clients), &tariffs, problems));
  }
  CHECK_FALSE(daemon_side.find("romashka"));  // the snapshot is not reloaded on every lookup
  CHECK(daemon_side.refresh());
  CHECK(daemon_side.find("romashka"));
  CHECK_FALSE(daemon_side.refresh());
}

TEST_CASE("lookups run beside changes from other threads", "[store][clients]") {
  temp_dir dir;
  client_registry reg(dir.file("r.db"));
  diagnostics problems;
  REQUIRE(reg.import(csv(two_clients), &tariffs, problems));
  std::atomic<bool> stop{false};
  std::atomic<int> misses{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t)
    readers.emplace_back([&] {
      while (!stop)
        if (!reg.find_by_contact("telegram", "100001")) ++misses;
    });
  for (int i = 0; i < 40; ++i)
    CHECK(reg.link_contact("telegram", std::to_string(300000 + i), "ip_smirnova").status == link_status::linked);
  stop = true;
  for (auto& t : readers) t.join();
  CHECK(misses == 0);
  CHECK(reg.snapshot()->get("ip_smirnova")->contacts.size() == 41);
}

TEST_CASE("open cases are counted per client, read-only and in-memory are refused for changes", "[store][clients]") {
  temp_dir dir;
  const auto db = dir.file("r.db");
  client_registry reg(db);
  CHECK(reg.open_cases("romashka") == 0);
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &raw) == SQLITE_OK);
  REQUIRE(sqlite3_exec(raw,
                       "INSERT INTO cases VALUES(1, 'intake', 1, 'waiting_manager', 's', 'email', 'a', 't1', "
                       "'romashka', 'manager', '', 0, 0, NULL, '{}'), (2, 'intake', 1, 'closed', 's', 'email', "
                       "'a', 't2', 'romashka', 'manager', 'done', 0, 0, 0, '{}')",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(raw);
  CHECK(reg.open_cases("romashka") == 1);
  CHECK(reg.open_cases("vektor") == 0);
  client_registry ro(db, {.read_only = true});
  diagnostics problems;
  CHECK_FALSE(ro.import(csv(two_clients), nullptr, problems));
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].message == "the database is open read-only");
  CHECK_THROWS_AS(client_registry(":memory:"), store_error);
}

TEST_CASE("a client's own SLA targets are kept", "[store][clients]") {
  temp_dir dir;
  client_registry reg(dir.file("r.db"));
  diagnostics problems;
  auto batch = parse_clients_yaml(R"(clients:
  - id: premium
    name: "ООО «Премиум»"
    tariff: business
    sla: { first_reply: 15 рабочих минут, deadline: 2 рабочих дня }
)", "c.yaml", problems);
  REQUIRE(problems.empty());
  REQUIRE(reg.import(batch, &tariffs, problems));
  auto c = reg.find("premium");
  REQUIRE(c->sla.first_reply);
  CHECK(c->sla.first_reply->text == "15 рабочих минут");
  CHECK(c->sla.first_reply->working);
  CHECK_FALSE(c->sla.idle);
  REQUIRE(c->sla.deadline);
  CHECK(c->sla.deadline->text == "2 рабочих дня");
  CHECK(reg.import(batch, &tariffs, problems)->unchanged == 1);
}

TEST_CASE("a client's dated tariff change is kept in the store", "[store][clients]") {
  temp_dir dir;
  const auto db = dir.file("r.db");
  const std::string yaml =
      "clients:\n"
      "  - id: lotos\n"
      "    name: \"ООО «Лотос»\"\n"
      "    inn: \"4268465631\"\n"
      "    address: Светлана\n"
      "    form: ты\n"
      "    tariffs: [{ tariff: start }, { tariff: standard, from: 2026-12-01 }]\n"
      "    contacts: { email: [svetlana@lotos.ru] }\n";
  {
    client_registry reg(db);
    diagnostics problems;
    auto b = parse_clients_yaml(yaml, "lotos.yaml", problems);
    INFO(problems_text(problems));
    REQUIRE(problems.empty());
    REQUIRE(reg.import(b, &tariffs, problems));
  }
  client_registry reg(db, {.read_only = true});
  auto c = reg.find("lotos");
  REQUIRE(c);
  CHECK(c->tariff_id == "start");
  REQUIRE(c->tariff_changes.size() == 1);
  CHECK(c->tariff_changes[0] == std::pair<std::string, std::string>{"2026-12-01", "standard"});
  CHECK(tariff_on(*c, "2026-11-30") == "start");
  CHECK(tariff_on(*c, "2026-12-01") == "standard");
}

TEST_CASE("a link code links a Telegram user to its client once", "[store][clients]") {
  temp_dir dir;
  client_registry reg(dir.file("r.db"));
  diagnostics problems;
  REQUIRE(reg.import(csv(two_clients), &tariffs, problems));
  const timestamp t0 = from_millis(1795000000000);
  std::string why;
  CHECK_FALSE(reg.create_link_code("nobody", "telegram", std::chrono::minutes(60), t0, "manager", &why));
  CHECK(why == "no client 'nobody'");
  auto code = reg.create_link_code("romashka", "telegram", std::chrono::minutes(60), t0, "manager");
  REQUIRE(code);
  CHECK(code->code.size() == 10);
  CHECK(code->expires_at == t0 + std::chrono::minutes(60));

  // Typed in lower case with a space: still the code.
  std::string typed = code->code;
  for (auto& c : typed) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  typed.insert(5, " ");
  auto r = reg.redeem_link_code(typed, "telegram", "555001", t0 + std::chrono::minutes(1));
  CHECK(r.status == redeem_status::linked);
  CHECK(r.client_id == "romashka");
  CHECK(r.client_name == "ООО «Ромашка»");
  CHECK(reg.find_by_contact("telegram", "555001")->id == "romashka");
  // The same user again (a repeated /start): already linked. Another user: used.
  CHECK(reg.redeem_link_code(code->code, "telegram", "555001", t0 + std::chrono::minutes(2)).status ==
        redeem_status::already_linked);
  CHECK(reg.redeem_link_code(code->code, "telegram", "555002", t0 + std::chrono::minutes(2)).status == redeem_status::used);
  CHECK_FALSE(reg.find_by_contact("telegram", "555002"));
  CHECK(reg.redeem_link_code("NOSUCHCODE", "telegram", "555002", t0).status == redeem_status::unknown_code);
}

TEST_CASE("an expired code, another channel's code and a taken contact link nothing", "[store][clients]") {
  temp_dir dir;
  client_registry reg(dir.file("r.db"));
  diagnostics problems;
  REQUIRE(reg.import(csv(two_clients), &tariffs, problems));
  const timestamp t0 = from_millis(1795000000000);
  auto late = reg.create_link_code("romashka", "telegram", std::chrono::minutes(10), t0, "manager");
  REQUIRE(late);
  CHECK(reg.redeem_link_code(late->code, "telegram", "555001", t0 + std::chrono::minutes(10)).status ==
        redeem_status::expired);
  auto web = reg.create_link_code("romashka", "webchat", std::chrono::minutes(10), t0, "manager");
  CHECK(reg.redeem_link_code(web->code, "telegram", "555001", t0).status == redeem_status::unknown_code);
  // 100003 is ip_smirnova's Telegram: a code of romashka's cannot take it, and stays usable.
  auto code = reg.create_link_code("romashka", "telegram", std::chrono::minutes(10), t0, "manager");
  auto taken = reg.redeem_link_code(code->code, "telegram", "100003", t0);
  CHECK(taken.status == redeem_status::taken);
  CHECK(taken.message.find("ip_smirnova") != std::string::npos);
  CHECK(reg.find_by_contact("telegram", "100003")->id == "ip_smirnova");
  CHECK(reg.redeem_link_code(code->code, "telegram", "555009", t0).status == redeem_status::linked);
}
