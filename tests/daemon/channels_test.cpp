// Integration: the channels core in the real reglamentd: [channels.*] config errors that
// do not stop the daemon, staff notifications fanned out to each person's channels
// through the outbox (spools stand in for email and Telegram), dead letters retried,
// calls logged, channel errors listed and resolved, attachments served with safe headers.
#include "tests/daemon/daemon_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <fstream>
#include <sstream>

using namespace reglament::testing;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

json body(const http_reply& r) { return json::parse(r.body); }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Polls until the outbox row (case, n) has `state`; returns the row (null if never).
json wait_for_row(http_client& c, long long id, int n, const std::string& state) {
  for (int i = 0; i < 500; ++i) {
    auto list = body(c.get("/api/v1/outbox?state=" + state + "&limit=1000"));
    for (const auto& row : list["outbox"])
      if (row["case"] == id && row["n"] == n) return row;
    std::this_thread::sleep_for(10ms);
  }
  return nullptr;
}

void sql(const std::string& db, const std::string& statement) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
  sqlite3_busy_timeout(h, 5000);
  char* err = nullptr;
  int rc = sqlite3_exec(h, statement.c_str(), nullptr, nullptr, &err);
  INFO((err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(h);
  REQUIRE(rc == SQLITE_OK);
}

}  // namespace

TEST_CASE("reglamentd runs the channels core end to end", "[integration][channels]") {
  auto dir = temp_dir("it-channels");
  std::filesystem::create_directories(dir + "/books");
  std::ofstream(dir + "/books/notify_test.yaml") << R"(id: notify_test
title: Уведомления (тест)
trigger:
  message: [api, telegram]
steps:
  - id: tell_director
    title: Сообщить руководителю
    notify: director
    text: "Новая заявка {{номер}}"
  - id: tell_ghost
    title: Сообщить тому, кого нет
    notify: ghost
    text: "Заявка {{номер}}"
  - id: answer
    task: Ответить клиенту
  - id: done
    end: done
)";
  auto firm = read_file(REGLAMENT_SOURCE_DIR "/playbooks/bookkeeping/firm/demo-firm.yaml");
  const std::string director = "  - { login: director, name: Алексей Баланов, name_en: Alexey Balanov, role: director }";
  auto at = firm.find(director);
  REQUIRE(at != std::string::npos);
  firm.replace(at, director.size(),
               "  - { login: director, name: Алексей Баланов, role: director, notify: [email, telegram],\n"
               "      email: director@firm.test, telegram: \"4242\" }");
  std::ofstream(dir + "/firm.yaml") << firm;
  std::ofstream(dir + "/reglamentd.toml") << "[firm]\nfile = \"" << dir << "/firm.yaml\"\n"
                                          << "[spool]\nchannels = [\"email\", \"telegram\", \"api\"]\n"
                                          << "[channels.fax]\nenabled = true\n"
                                          << "[channels.email]\nenabled = \"yes\"\n"
                                          << "[channels.webchat]\nenabled = false\n";
  daemon_process d(dir + "/data", {"--config", dir + "/reglamentd.toml", "--playbooks", dir + "/books"});
  http_client c(d.port());

  // Misconfigured channels are logged with their key; the daemon runs.
  CHECK(c.get("/healthz").status == 200);
  CHECK_THAT(d.log(), Catch::Contains("channels.fax: no such channel in this build"));
  CHECK_THAT(d.log(), Catch::Contains("channels.email.enabled: expected true or false"));

  auto opened = c.post("/api/v1/inbound", json{{"channel", "telegram"}, {"external_id", "t1"}, {"sender", "100001"},
                                               {"text", "Добрый день"}}.dump());
  REQUIRE(opened.status == 201);
  auto id = body(opened)["case"].get<long long>();
  const auto key = "c" + std::to_string(id) + "-m1";

  SECTION("a staff notification reaches the director by email and Telegram through the outbox") {
    auto row = wait_for_row(c, id, 1, "sent");
    REQUIRE(row.is_object());
    CHECK(row["channel"] == "staff");
    CHECK(row["to"] == "director");
    auto email = read_file(dir + "/data/spool/email.jsonl");
    auto telegram = read_file(dir + "/data/spool/telegram.jsonl");
    CHECK_THAT(email, Catch::Contains("\"key\":\"" + key + "/email\""));
    CHECK_THAT(email, Catch::Contains("\"to\":\"director@firm.test\""));
    CHECK_THAT(telegram, Catch::Contains("\"key\":\"" + key + "/telegram\""));
    CHECK_THAT(telegram, Catch::Contains("\"to\":\"4242\""));
  }

  SECTION("a dead letter is listed, retried on request, and only a dead one") {
    auto dead = wait_for_row(c, id, 2, "dead");
    REQUIRE(dead.is_object());
    CHECK_THAT(dead["last_error"].get<std::string>(), Catch::Contains("'ghost' is neither a login nor a role"));
    auto retry = c.post("/api/v1/outbox/" + std::to_string(id) + "/2/retry", R"({"actor": "manager"})");
    REQUIRE(retry.status == 200);
    CHECK(body(retry)["state"] == "queued");
    bool journaled = false;
    auto cs = body(c.get("/api/v1/cases/" + std::to_string(id)));
    for (const auto& f : cs["journal"])
      journaled = journaled || (f["kind"] == "message_retried" && f["data"]["actor"] == "manager");
    CHECK(journaled);
    CHECK(wait_for_row(c, id, 2, "dead").is_object());  // tried again, dead again
    REQUIRE(wait_for_row(c, id, 1, "sent").is_object());
    CHECK(c.post("/api/v1/outbox/" + std::to_string(id) + "/1/retry", "").status == 409);
    CHECK(c.post("/api/v1/outbox/" + std::to_string(id) + "/9/retry", "").status == 404);
    CHECK(c.get("/api/v1/outbox/" + std::to_string(id) + "/2/retry").status == 405);
  }

  SECTION("a phone call is journaled on the case") {
    auto call = c.post("/api/v1/cases/" + std::to_string(id) + "/actions",
                       json{{"action", "call"},
                            {"values", {{"who", "Анна Сергеевна"}, {"direction", "in"}}},
                            {"reason", "Уточнила сроки"},
                            {"actor", "manager"}}
                           .dump());
    REQUIRE(call.status == 200);
    CHECK(body(call)["facts"][0]["kind"] == "call_logged");
    auto no_summary = c.post("/api/v1/cases/" + std::to_string(id) + "/actions",
                             json{{"action", "visit"}, {"values", {{"who", "Анна"}}}}.dump());
    CHECK(no_summary.status == 422);
    bool shown = false;
    auto cs = body(c.get("/api/v1/cases/" + std::to_string(id)));
    for (const auto& f : cs["journal"])
      shown = shown || (f["kind"] == "call_logged" && f["data"]["summary"] == "Уточнила сроки");
    CHECK(shown);
  }

  SECTION("channel errors are listed with their raw form and resolved") {
    CHECK(body(c.get("/api/v1/channel-errors"))["open"] == 0);
    sql(dir + "/data/reglament.db",
        "INSERT INTO channel_errors(channel, external_id, reason, raw, raw_size, received_at) "
        "VALUES('email', '<x@y>', 'no text part', CAST('Subject: =?utf-8?B?0J/RgNC40LLQtdGC?=' AS BLOB), 34, 1795417200000)");
    auto list = body(c.get("/api/v1/channel-errors"));
    REQUIRE(list["channel_errors"].size() == 1);
    auto e = list["channel_errors"][0];
    CHECK(e["reason"] == "no text part");
    CHECK(e["raw"] == "Subject: =?utf-8?B?0J/RgNC40LLQtdGC?=");
    CHECK(e["raw_truncated"] == false);
    auto eid = std::to_string(e["id"].get<long long>());
    auto resolved = c.post("/api/v1/channel-errors/" + eid + "/resolve", R"({"actor": "manager"})");
    REQUIRE(resolved.status == 200);
    CHECK(body(resolved)["channel_error"]["resolved_by"] == "manager");
    CHECK(body(c.get("/api/v1/channel-errors"))["channel_errors"].empty());
    CHECK(body(c.get("/api/v1/channel-errors?all=1"))["channel_errors"].size() == 1);
    CHECK(c.post("/api/v1/channel-errors/999/resolve", "").status == 404);
  }

  SECTION("an attachment is downloaded with safe headers only") {
    const std::string sha(64, 'e');
    std::filesystem::create_directories(dir + "/data/attachments");
    std::ofstream(dir + "/data/attachments/" + sha, std::ios::binary) << "<script>alert(1)</script>";
    sql(dir + "/data/reglament.db",
        "INSERT INTO attachments(sha256, name, content_type, size, stored_at) VALUES('" + sha +
            "', 'счёт \"1\".html', 'text/html', 25, 1795417200000)");
    auto got = c.get("/api/v1/attachments/" + sha);
    REQUIRE(got.status == 200);
    CHECK(got.body == "<script>alert(1)</script>");
    CHECK(got.headers["content-type"] == "application/octet-stream");
    CHECK(got.headers["x-content-type-options"] == "nosniff");
    CHECK_THAT(got.headers["content-disposition"], Catch::StartsWith("attachment; filename=\""));
    CHECK_THAT(got.headers["content-disposition"],
               Catch::Contains("filename*=UTF-8''%D1%81%D1%87%D1%91%D1%82%20%221%22.html"));
    CHECK(c.get("/api/v1/attachments/" + std::string(64, 'f')).status == 404);
    CHECK(c.get("/api/v1/attachments/..%2F..%2Freglament.db").status == 404);
  }
  CHECK(d.kill(SIGTERM) == 0);
}
