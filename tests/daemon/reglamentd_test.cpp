// Integration: the real reglamentd binary on loopback port 0, driven over HTTP.
#include "tests/daemon/daemon_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <cstdlib>

using namespace reglament::testing;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

json body(const http_reply& r) { return json::parse(r.body); }

json inbound(const std::string& ext, const std::string& sender, const std::string& text) {
  return {{"channel", "telegram"}, {"external_id", ext}, {"sender", sender}, {"text", text}};
}

}  // namespace

TEST_CASE("reglamentd serves the API end to end", "[integration]") {
  auto dir = temp_dir("it-api");
  daemon_process d(dir, {});
  http_client c(d.port());

  SECTION("health and metrics") {
    auto h = c.get("/healthz");
    CHECK(h.status == 200);
    CHECK(body(h)["status"] == "ok");
    c.post("/api/v1/inbound", inbound("m-metrics", "@metrics", "Здравствуйте").dump());
    auto m = c.get("/metrics");
    CHECK(m.status == 200);
    for (auto name : {"reglament_messages_in_total{channel=\"telegram\"} 1", "# TYPE reglament_cases gauge",
                      "reglament_step_seconds_bucket", "reglament_outbox_backlog", "reglament_timers_pending",
                      "reglament_commit_batch_size_bucket{le=\"1\"}", "reglament_writer_queue_depth",
                      "reglament_writer_batches_redone 0"})
      CHECK_THAT(m.body, Catch::Contains(name));
  }

  SECTION("an inbound message opens a case once; the reply reaches the spool") {
    auto first = c.post("/api/v1/inbound", inbound("m1", "100001", "Здравствуйте, нужна справка").dump());
    REQUIRE(first.status == 201);
    auto id = body(first)["case"].get<long long>();
    CHECK(body(first)["duplicate"] == false);
    auto again = c.post("/api/v1/inbound", inbound("m1", "100001", "Здравствуйте, нужна справка").dump());
    CHECK(again.status == 200);
    CHECK(body(again)["duplicate"] == true);
    CHECK(body(again)["case"] == id);

    auto got = c.get("/api/v1/cases/" + std::to_string(id));
    REQUIRE(got.status == 200);
    auto cs = body(got);
    CHECK(cs["case"]["playbook"] == "intake");
    CHECK(cs["case"]["status"].is_string());
    CHECK(cs["journal"].size() >= 3);
    CHECK(cs["journal"][0]["kind"] == "case_opened");
    CHECK(cs["journal"][0]["at"].get<std::string>().back() == 'Z');

    auto list = c.get("/api/v1/cases?open=1&limit=10");
    REQUIRE(list.status == 200);
    CHECK(body(list)["cases"].size() >= 1);

    // The greeting is delivered to the telegram spool and recorded as sent.
    bool sent = false;
    for (int i = 0; i < 300 && !sent; ++i) {
      auto ob = body(c.get("/api/v1/outbox?state=sent"));
      for (const auto& row : ob["outbox"]) sent = sent || row["case"] == id;
      if (!sent) std::this_thread::sleep_for(10ms);
    }
    CHECK(sent);
    std::ifstream spool(dir + "/spool/telegram.jsonl");
    std::string line;
    REQUIRE(std::getline(spool, line));
    CHECK(json::parse(line)["key"] == "c" + std::to_string(id) + "-m1");

    SECTION("actions on the current step only") {
      auto step = cs["case"]["step"]["id"].get<std::string>();
      auto wrong = c.post("/api/v1/cases/" + std::to_string(id) + "/actions",
                          json{{"action", "done"}, {"step", "no_such_step"}}.dump());
      CHECK(wrong.status == 409);
      CHECK(body(wrong)["error"]["code"] == "conflict");
      auto skip = c.post("/api/v1/cases/" + std::to_string(id) + "/actions",
                         json{{"action", "skip"}, {"step", step}}.dump());
      CHECK(skip.status == 422);
      CHECK(body(skip)["error"]["field"] == "reason");
      auto note = c.post("/api/v1/cases/" + std::to_string(id) + "/actions",
                         json{{"action", "note"}, {"reason", "Клиент звонил"}, {"actor", "olga"}}.dump());
      CHECK(note.status == 200);
      if (!cs["case"]["step"]["choices"].empty() && cs["case"]["step"]["kind"] == "choice") {
        auto option = cs["case"]["step"]["choices"][0]["key"].get<std::string>();
        auto ok = c.post("/api/v1/cases/" + std::to_string(id) + "/actions",
                         json{{"action", "choose"}, {"step", step}, {"option", option}, {"actor", "olga"}}.dump());
        CHECK(ok.status == 200);
        CHECK(body(ok)["facts"].size() >= 1);
      }
    }
  }

  SECTION("bad requests are refused with the field at fault") {
    auto bad_json = c.post("/api/v1/inbound", "{not json");
    CHECK(bad_json.status == 400);
    CHECK(body(bad_json)["error"]["code"] == "bad_json");

    auto j = inbound("x", "@x", "hi");
    j["channel"] = 42;
    auto wrong_type = c.post("/api/v1/inbound", j.dump());
    CHECK(wrong_type.status == 400);
    CHECK(body(wrong_type)["error"]["field"] == "channel");

    j = inbound("x", "@x", "hi");
    j["colour"] = "red";
    auto unknown = c.post("/api/v1/inbound", j.dump());
    CHECK(unknown.status == 400);
    CHECK(body(unknown)["error"]["field"] == "colour");

    j = inbound("x", "@x", "hi");
    j.erase("sender");
    auto missing = c.post("/api/v1/inbound", j.dump());
    CHECK(missing.status == 400);
    CHECK(body(missing)["error"]["field"] == "sender");

    auto big = c.post("/api/v1/inbound", inbound("x", "@x", std::string(70 * 1024, 'a')).dump());
    CHECK(big.status == 413);
    CHECK(body(big)["error"]["code"] == "too_large");

    CHECK(c.get("/api/v1/cases/999999").status == 404);
    // No access rule, no handler: refused by default (docs/SECURITY.md).
    auto nothing = c.get("/api/v1/nothing");
    CHECK(nothing.status == 403);
    CHECK(body(nothing)["error"]["code"] == "no_route_rule");
    CHECK(c.get("/api/v1/cases?colour=1").status == 400);
    CHECK(c.get("/api/v1/inbound").status == 405);
    // The connection still works after an error.
    CHECK(c.get("/healthz").status == 200);
  }

  CHECK(d.kill(SIGTERM) == 0);
  CHECK_THAT(d.log(), Catch::Contains("reglamentd listening on http://127.0.0.1:"));
  CHECK_THAT(d.log(), Catch::Contains("reglamentd stopped"));
}

TEST_CASE("clients: seeded from the firm file, managed over the API, a linked sender is recognised",
          "[integration]") {
  auto dir = temp_dir("it-clients");
  daemon_process d(dir, {});
  http_client c(d.port());

  auto list = c.get("/api/v1/clients");
  REQUIRE(list.status == 200);
  const auto seeded = body(list)["clients"].size();
  CHECK(seeded >= 20);  // every client of the demo firm
  CHECK(body(list)["clients"][0]["id"] < body(list)["clients"][1]["id"]);
  auto start = c.get("/api/v1/clients?tariff=start&manager=manager");
  const auto clients = body(start);  // kept: a range-for over a temporary's member would dangle
  for (const auto& k : clients["clients"]) CHECK(k["tariff"] == "start");
  auto one = c.get("/api/v1/clients/romashka");
  REQUIRE(one.status == 200);
  CHECK(body(one)["client"]["inn"] == "5260181598");
  CHECK(body(one)["client"]["contacts"]["email"][0] == "anna@romashka.ru");
  CHECK(body(one)["client"]["open_cases"] == 0);
  CHECK(c.get("/api/v1/clients/nobody").status == 404);
  // «Лотос» moves to «Стандарт» on 1 December: the seeded client keeps the dated change.
  auto lotos = body(c.get("/api/v1/clients/lotos"))["client"];
  CHECK(lotos["tariff"] == "start");
  CHECK(lotos["tariffs"] == json::array({{{"tariff", "standard"}, {"from", "2026-12-01"}}}));

  // A stranger writes: the unknown-sender playbook, no client.
  auto first = c.post("/api/v1/inbound", inbound("s1", "777001", "Добрый день, это Вектор, новый номер").dump());
  REQUIRE(first.status == 201);
  auto case1 = body(c.get("/api/v1/cases/" + std::to_string(body(first)["case"].get<long long>())));
  CHECK(case1["case"]["client"].is_null());

  auto link = [&](const std::string& id, const std::string& channel, const std::string& address) {
    return c.post("/api/v1/clients/" + id + "/contacts", json{{"channel", channel}, {"address", address}}.dump());
  };
  auto linked = link("vektor", "telegram", "777001");
  CHECK(linked.status == 201);
  CHECK(body(linked)["client"]["contacts"]["telegram"].size() == 2);
  CHECK(link("vektor", "telegram", "777001").status == 200);
  auto taken = link("romashka", "telegram", "777001");
  CHECK(taken.status == 409);
  CHECK(body(taken)["error"]["message"] == "telegram 777001 is a contact of client vektor");
  CHECK(link("vektor", "phone", "12").status == 422);
  CHECK(link("nobody", "telegram", "777002").status == 404);

  // The next message from that sender (a new thread) opens a case for Вектор.
  auto j = inbound("s2", "777001", "Пришлите, пожалуйста, выписку");
  j["thread"] = "t2";
  auto second = c.post("/api/v1/inbound", j.dump());
  REQUIRE(second.status == 201);
  auto case2 = body(c.get("/api/v1/cases/" + std::to_string(body(second)["case"].get<long long>())));
  CHECK(case2["case"]["client"]["id"] == "vektor");
  CHECK(body(c.get("/api/v1/clients/vektor"))["client"]["open_cases"] == 1);

  // Create, then update, one client; a bad INN is 422 with its place, another's contact 409.
  json novaya = {{"id", "novaya"}, {"name", "ООО «Новая»"}, {"inn", "7707083893"}, {"tariff", "start"},
                 {"form", "ты"}, {"contacts", {{"email", {"Info@Novaya.ru"}}}}};
  auto created = c.post("/api/v1/clients", novaya.dump());
  REQUIRE(created.status == 201);
  CHECK(body(created)["client"]["contacts"]["email"][0] == "info@novaya.ru");
  novaya["manager"] = "manager2";
  auto updated = c.post("/api/v1/clients", novaya.dump());
  CHECK(updated.status == 200);
  CHECK(body(updated)["client"]["manager"] == "manager2");
  novaya["inn"] = "7707083894";
  auto bad = c.post("/api/v1/clients", novaya.dump());
  CHECK(bad.status == 422);
  CHECK_THAT(body(bad)["error"]["message"].get<std::string>(), Catch::Contains("INN 7707083894: check digit 4 expected 3"));
  novaya["inn"] = "7707083893";
  novaya["tariff"] = "gold";
  CHECK_THAT(body(c.post("/api/v1/clients", novaya.dump()))["error"]["message"].get<std::string>(),
             Catch::Contains("unknown tariff 'gold'"));
  novaya["tariff"] = "start";
  novaya["contacts"] = {{"telegram", {"100001"}}};
  CHECK(c.post("/api/v1/clients", novaya.dump()).status == 409);
  novaya["colour"] = "red";
  CHECK(c.post("/api/v1/clients", novaya.dump()).status == 400);
  CHECK(body(c.get("/api/v1/clients"))["clients"].size() == seeded + 1);
}

TEST_CASE("a misconfiguration stops reglamentd with one message naming the key", "[integration]") {
  auto dir = temp_dir("it-config");
  std::ofstream(dir + "/bad.toml") << "[http]\nlisten = \"8080\"\n";
  auto cmd = std::string(REGLAMENTD_BINARY) + " --config " + dir + "/bad.toml > " + dir + "/out 2>&1";
  int rc = std::system(cmd.c_str());
  CHECK(WEXITSTATUS(rc) == 1);
  std::ifstream in(dir + "/out");
  std::string out(std::istreambuf_iterator<char>(in), {});
  CHECK_THAT(out, Catch::Contains("config " + dir + "/bad.toml: http.listen: expected HOST:PORT, got '8080'"));
}

TEST_CASE("invalid playbooks stop reglamentd with exit code 2 and every diagnostic", "[integration]") {
  auto dir = temp_dir("it-books");
  std::filesystem::create_directories(dir + "/books");
  std::ofstream(dir + "/books/broken.yaml") << "id: broken\ntitle: x\ntrigger:\n  message: [api]\nsteps:\n  - id: a\n    say: hi\n    next: nowhere\n";
  auto cmd = std::string(REGLAMENTD_BINARY) + " --listen 127.0.0.1:0 --data-dir " + dir + "/data --playbooks " +
             dir + "/books > " + dir + "/out 2>&1";
  int rc = std::system(cmd.c_str());
  CHECK(WEXITSTATUS(rc) == 2);
  std::ifstream in(dir + "/out");
  std::string out(std::istreambuf_iterator<char>(in), {});
  CHECK_THAT(out, Catch::Contains("broken.yaml"));
  CHECK_THAT(out, Catch::Contains("nowhere"));
}

TEST_CASE("a schedule due while reglamentd was down starts exactly once after the restart", "[integration]") {
  auto dir = temp_dir("it-schedule");
  std::filesystem::create_directories(dir + "/books");
  // Daily, two hours before now in Moscow (UTC+3): the run at that time is already past.
  auto moscow = std::chrono::system_clock::now() + std::chrono::hours(1);
  auto since_midnight = moscow - std::chrono::floor<std::chrono::days>(moscow);
  auto hh = std::chrono::duration_cast<std::chrono::hours>(since_midnight).count();
  auto mm = std::chrono::duration_cast<std::chrono::minutes>(since_midnight).count() % 60;
  std::ofstream(dir + "/books/daily_check.yaml")
      << "id: daily_check\ntitle: Ежедневная сверка\ntrigger:\n  schedule: \"ежедневно в " << hh << ":"
      << (mm < 10 ? "0" : "") << mm << "\"\nsteps:\n  - id: check\n    task: Сверить выписки\n  - id: done\n    end: done\n";
  std::ofstream(dir + "/reglamentd.toml")
      << "[firm]\nfile = \"" REGLAMENT_SOURCE_DIR "/playbooks/bookkeeping/firm/demo-firm.yaml\"\n";
  std::vector<std::string> args{"--config", dir + "/reglamentd.toml", "--playbooks", dir + "/books"};
  auto scheduled_cases = [](http_client& c) {
    int n = 0;
    auto list = body(c.get("/api/v1/cases?limit=100"));
    for (const auto& k : list["cases"]) n += k["playbook"] == "daily_check";
    return n;
  };
  {
    // The first start arms the schedule: nothing before it is owed.
    daemon_process d(dir + "/data", args);
    http_client c(d.port());
    std::this_thread::sleep_for(300ms);
    CHECK(scheduled_cases(c) == 0);
    CHECK(d.kill(SIGTERM) == 0);
  }
  // Down for three days: three daily runs were missed (the database says it last ran then).
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open((dir + "/data/reglament.db").c_str(), &h) == SQLITE_OK);
  auto three_days_ago = std::chrono::duration_cast<std::chrono::milliseconds>(
                            (std::chrono::system_clock::now() - std::chrono::hours(72)).time_since_epoch())
                            .count();
  auto update = "UPDATE schedule_runs SET due_at = " + std::to_string(three_days_ago) + " WHERE playbook = 'daily_check'";
  REQUIRE(sqlite3_exec(h, update.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  CHECK(sqlite3_changes(h) == 1);
  sqlite3_close(h);
  {
    daemon_process d(dir + "/data", args);
    http_client c(d.port());
    int n = 0;
    for (int i = 0; i < 3000 && n == 0; ++i) {  // up to 30 s: a loaded CI machine is slow to catch up
      n = scheduled_cases(c);
      if (n == 0) std::this_thread::sleep_for(10ms);
    }
    CHECK(n == 1);  // caught up once, not three times
    CHECK_THAT(d.log(), Catch::Contains("scheduled playbook started"));
    CHECK(d.kill(SIGTERM) == 0);
  }
  {
    // Another restart repeats nothing.
    daemon_process d(dir + "/data", args);
    http_client c(d.port());
    std::this_thread::sleep_for(300ms);
    CHECK(scheduled_cases(c) == 1);
    CHECK(d.kill(SIGTERM) == 0);
  }
}

TEST_CASE("invoices over the API: list, partial and wrong payments, payment opens the work", "[integration]") {
  auto dir = temp_dir("it-invoices");
  daemon_process d(dir, {});
  http_client c(d.port());

  auto opened = c.post("/api/v1/inbound", inbound("p1", "100001", "Подготовьте приказ на отпуск").dump());
  REQUIRE(opened.status == 201);
  const auto id = std::to_string(body(opened)["case"].get<long long>());
  auto quote = c.post("/api/v1/cases/" + id + "/actions",
                      json{{"action", "submit"}, {"step", "quote"}, {"values", {{"price", 1500}, {"deadline", "завтра"}}}}
                          .dump());
  REQUIRE(quote.status == 200);
  // The offer carries reply buttons to the channel; the client presses one.
  bool buttons = false;
  for (int i = 0; i < 300 && !buttons; ++i) {
    std::ifstream spool(dir + "/spool/telegram.jsonl");
    for (std::string line; std::getline(spool, line);)
      buttons = buttons || json::parse(line).value("buttons", json::array()) == json{"Да, согласен", "Нет"};
    if (!buttons) std::this_thread::sleep_for(10ms);
  }
  CHECK(buttons);
  REQUIRE(c.post("/api/v1/inbound", inbound("p2", "100001", "Да, согласен").dump()).status == 201);

  auto issued = body(c.get("/api/v1/invoices?status=issued"));
  REQUIRE(issued["invoices"].size() == 1);
  auto inv = issued["invoices"][0];
  const auto number = inv["number"].get<std::string>();
  CHECK(number.substr(4) == "-0001");  // the first invoice of the (real) year
  CHECK(inv["amount"] == 1500);
  CHECK(inv["currency"] == "RUB");
  CHECK(inv["client"] == "romashka");
  CHECK(inv["case"].get<long long>() == std::stoll(id));

  const auto pay = "/api/v1/invoices/" + number + "/payments";
  auto wrong = c.post(pay, json{{"amount", 2000}, {"actor", "bank"}}.dump());
  CHECK(wrong.status == 422);
  CHECK_THAT(body(wrong)["error"]["message"].get<std::string>(), Catch::Contains("expects: 1500 RUB"));
  CHECK(c.post(pay, json{{"amount", "много"}}.dump()).status == 400);
  CHECK(c.post("/api/v1/invoices/1999-9999/payments", json{{"amount", 1}}.dump()).status == 404);

  auto partial = c.post(pay, json{{"amount", 500}, {"actor", "bank"}}.dump());
  REQUIRE(partial.status == 200);
  CHECK(body(partial)["invoice"]["paid"] == 500);
  CHECK(body(partial)["invoice"]["status"] == "issued");
  CHECK(body(c.get("/api/v1/cases/" + id))["case"]["status"] == "waiting_payment");

  auto rest = c.post(pay, json{{"amount", 1000}, {"actor", "bank"}}.dump());
  REQUIRE(rest.status == 200);
  CHECK(body(rest)["invoice"]["status"] == "paid");
  CHECK(body(c.get("/api/v1/invoices/" + number))["invoice"]["paid"] == 1500);
  CHECK(body(c.get("/api/v1/cases/" + id))["case"]["step"]["id"] == "wait_work");
  CHECK(body(c.get("/api/v1/invoices?status=issued"))["invoices"].empty());
  CHECK(body(c.get("/api/v1/invoices?status=paid"))["invoices"].size() == 1);

  auto late = c.post(pay, json{{"amount", 1}}.dump());
  CHECK(late.status == 409);
  CHECK(c.get("/api/v1/invoices?status=lost").status == 400);
  CHECK(d.kill(SIGTERM) == 0);
}

TEST_CASE("the manager corrects the service over the API and the daemon remembers it", "[integration]") {
  auto dir = temp_dir("it-correct");
  daemon_process d(dir, {});
  http_client c(d.port());
  auto opened = c.post("/api/v1/inbound", inbound("k1", "100001", "Пришлите выписку по расчётам с ООО «Лютик»").dump());
  REQUIRE(opened.status == 201);
  const auto id = std::to_string(body(opened)["case"].get<long long>());
  auto cs = body(c.get("/api/v1/cases/" + id))["case"];
  REQUIRE(cs["step"]["id"] == "set_deadline");
  CHECK(cs["vars"]["service"] == "bank_statement");

  const auto actions = "/api/v1/cases/" + id + "/actions";
  auto missing = c.post(actions, json{{"action", "correct"}, {"step", "set_deadline"}}.dump());
  CHECK(missing.status == 422);
  CHECK(body(missing)["error"]["code"] == "missing_service");
  auto unknown = c.post(actions, json{{"action", "correct"}, {"step", "set_deadline"},
                                      {"values", {{"service", "astrology"}}}}.dump());
  CHECK(unknown.status == 422);
  auto ok = c.post(actions, json{{"action", "correct"}, {"step", "set_deadline"}, {"actor", "manager"},
                                 {"values", {{"service", "certificate"}}}}.dump());
  REQUIRE(ok.status == 200);
  int corrected = 0;
  const auto facts = body(ok)["facts"];
  for (const auto& f : facts) corrected += f["kind"] == "service_corrected";
  CHECK(corrected == 1);
  cs = body(c.get("/api/v1/cases/" + id))["case"];
  CHECK(cs["vars"]["service"] == "certificate");
  CHECK(cs["vars"]["corrected_from"] == "bank_statement");

  // The same words from the client on another channel: the catalog now says certificate.
  auto again = c.post("/api/v1/inbound", json{{"channel", "email"}, {"external_id", "k2"},
                                               {"sender", "anna@romashka.ru"},
                                               {"text", "Нужна ещё выписка по расчётам с ООО «Лютик»"}}.dump());
  REQUIRE(again.status == 201);
  auto second = body(c.get("/api/v1/cases/" + std::to_string(body(again)["case"].get<long long>())))["case"];
  CHECK(second["vars"]["service"] == "certificate");
  CHECK(second["vars"]["quota_used"] == 1);
  CHECK(d.kill(SIGTERM) == 0);
}
