// Integration: the real reglamentd with [channels.telegram] pointed at the fake Bot API
// (tests/adapters/telegram/fake_bot_api.py) on loopback. A client writes, is greeted,
// gets a quote with inline buttons, presses one; a client links their Telegram with a
// one-time code; a restart neither repeats nor loses an update; a 429 is retried after
// its retry_after.
#include "tests/adapters/telegram/fake_bot_api.hpp"
#include "tests/daemon/daemon_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <vector>

using namespace reglament::testing;
using nlohmann::json;

namespace {

const std::string token = "7000001:AAHfake-token_for_tests";

json body(const http_reply& r) { return json::parse(r.body); }

// The daemon's data dir with a token file and a config enabling Telegram.
std::vector<std::string> telegram_args(const std::string& dir, const fake_bot_api& server) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/telegram-token") << token << "\n";
  std::ofstream(dir + "/reglament.toml") << "[channels.telegram]\n"
                                            "enabled = true\n"
                                            "api_url = \"" + server.url() + "\"\n"
                                            "token_file = \"" + dir + "/telegram-token\"\n"
                                            "poll_timeout = 1\n"
                                            "bot_username = \"reglament_test_bot\"\n"
                                            // Retries after 1 s, so a longer retry_after shows.
                                            "[outbox]\n"
                                            "retry_first_seconds = 1\n";
  return {"--config", dir + "/reglament.toml"};
}

// sendMessage calls to `chat` so far.
json sent_to(fake_bot_api& server, long long chat) {
  json out = json::array();
  for (const auto& c : server.calls("sendMessage"))
    if (c["params"]["chat_id"] == std::to_string(chat)) out.push_back(c["params"]);
  return out;
}

json cases_of(http_client& c) { return body(c.get("/api/v1/cases?limit=100"))["cases"]; }

long long case_of(http_client& c, const std::string& sender) {
  for (const auto& k : cases_of(c))
    if (k["sender"] == sender) return k["id"].get<long long>();
  return 0;
}

}  // namespace

TEST_CASE("a Telegram client writes, is greeted, answers a quote with a button", "[integration]") {
  fake_bot_api server(token);
  const auto dir = temp_dir("it-telegram");
  daemon_process d(dir + "/data", telegram_args(dir, server));
  http_client c(d.port());

  server.update(fake_bot_api::text_message(100001, "Подготовьте приказ на отпуск", 1));
  long long id = 0;
  REQUIRE(fake_bot_api::wait_for([&] { return (id = case_of(c, "100001")) != 0; }));
  auto k = body(c.get("/api/v1/cases/" + std::to_string(id)));
  CHECK(k["case"]["channel"] == "telegram");
  CHECK(k["case"]["client"]["id"] == "romashka");
  // The greeting goes to the client's chat.
  REQUIRE(fake_bot_api::wait_for([&] { return !sent_to(server, 100001).empty(); }));
  CHECK_FALSE(sent_to(server, 100001)[0]["text"].get<std::string>().empty());

  auto quote = c.post("/api/v1/cases/" + std::to_string(id) + "/actions",
                      json{{"action", "submit"}, {"step", "quote"}, {"values", {{"price", 1500}, {"deadline", "завтра"}}}}.dump());
  REQUIRE(quote.status == 200);
  json offer;
  REQUIRE(fake_bot_api::wait_for([&] {
    for (const auto& m : sent_to(server, 100001))
      if (m.contains("reply_markup")) offer = m;
    return !offer.is_null();
  }));
  const auto& rows = offer["reply_markup"]["inline_keyboard"];
  REQUIRE(rows.size() == 2);
  CHECK(rows[0][0]["text"] == "Да, согласен");
  CHECK(rows[1][0]["text"] == "Нет");
  for (const auto& r : rows) CHECK(r[0]["callback_data"].get<std::string>().size() <= 64);

  // The client presses «Да, согласен»: the case goes on to the invoice.
  // The fake numbers each chat's messages 1, 2, ... in the order it took them.
  long long offer_id = 0;
  const auto to_anna = sent_to(server, 100001);
  for (std::size_t i = 0; i < to_anna.size(); ++i)
    if (to_anna[i].contains("reply_markup")) offer_id = static_cast<long long>(i) + 1;
  server.press({{"chat_id", 100001}, {"message_id", offer_id}, {"button", 0},
                {"from", {{"id", 100001}, {"is_bot", false}, {"first_name", "Анна"}}}});
  REQUIRE(fake_bot_api::wait_for([&] {
    return body(c.get("/api/v1/cases/" + std::to_string(id)))["case"]["status"] == "waiting_payment";
  }));
  CHECK(server.calls("answerCallbackQuery").size() == 1);
  auto invoices = body(c.get("/api/v1/invoices?status=issued"))["invoices"];
  REQUIRE(invoices.size() == 1);
  CHECK(invoices[0]["amount"] == 1500);
  CHECK(d.kill(SIGTERM) == 0);
}

TEST_CASE("a client links their Telegram with a one-time code from the manager", "[integration]") {
  fake_bot_api server(token);
  const auto dir = temp_dir("it-telegram-link");
  daemon_process d(dir + "/data", telegram_args(dir, server));
  http_client c(d.port());

  auto made = c.post("/api/v1/clients/vektor/telegram-code", json{{"actor", "manager"}}.dump());
  REQUIRE(made.status == 201);
  const auto code = body(made)["code"].get<std::string>();
  CHECK(body(made)["link"] == "https://t.me/reglament_test_bot?start=" + code);
  CHECK(c.post("/api/v1/clients/nobody/telegram-code", "{}").status == 404);

  server.update(fake_bot_api::text_message(555001, "/start " + code, 1, "Олег", "Векторов"));
  REQUIRE(fake_bot_api::wait_for([&] { return !sent_to(server, 555001).empty(); }));
  CHECK_THAT(sent_to(server, 555001)[0]["text"].get<std::string>(), Catch::Contains("привязан к компании"));
  auto vektor = body(c.get("/api/v1/clients/vektor"))["client"];
  CHECK(vektor["contacts"]["telegram"].dump().find("555001") != std::string::npos);
  CHECK(cases_of(c).empty());  // linking is not a request

  // The code cannot be used again, by anyone.
  server.update(fake_bot_api::text_message(555002, "/start " + code, 1));
  REQUIRE(fake_bot_api::wait_for([&] { return !sent_to(server, 555002).empty(); }));
  CHECK_THAT(sent_to(server, 555002)[0]["text"].get<std::string>(), Catch::Contains("уже использован"));
  CHECK(body(c.get("/api/v1/clients/vektor"))["client"]["contacts"]["telegram"].dump().find("555002") == std::string::npos);

  // The linked user's next message is the client's request.
  server.update(fake_bot_api::text_message(555001, "Нужна справка 2-НДФЛ", 2, "Олег", "Векторов"));
  long long id = 0;
  REQUIRE(fake_bot_api::wait_for([&] { return (id = case_of(c, "555001")) != 0; }));
  CHECK(body(c.get("/api/v1/cases/" + std::to_string(id)))["case"]["client"]["id"] == "vektor");
  CHECK(d.kill(SIGTERM) == 0);
}

TEST_CASE("a restart neither repeats nor loses a Telegram update, 429 waits for retry_after", "[integration]") {
  fake_bot_api server(token);
  const auto dir = temp_dir("it-telegram-restart");
  const auto args = telegram_args(dir, server);
  {
    daemon_process d(dir + "/data", args);
    http_client c(d.port());
    server.update(fake_bot_api::text_message(100001, "Нужна справка 2-НДФЛ", 1));
    REQUIRE(fake_bot_api::wait_for([&] { return case_of(c, "100001") != 0; }));
    REQUIRE(fake_bot_api::wait_for([&] { return !sent_to(server, 100001).empty(); }));
    CHECK(d.kill(SIGTERM) == 0);
  }
  const auto confirmed = server.state()["confirmed"].get<long long>();
  // While reglamentd is down: a new client writes, and Telegram will throttle the greeting.
  server.update(fake_bot_api::text_message(100002, "Добрый день, нужен акт сверки", 1, "Иван", "Смирнов"));
  server.fail("sendMessage", 429, 1, 3, "Too Many Requests: retry after 3");
  {
    daemon_process d(dir + "/data", args);
    http_client c(d.port());
    REQUIRE(fake_bot_api::wait_for([&] { return case_of(c, "100002") != 0; }));
    // The greeting: 429 first, then sent after retry_after.
    REQUIRE(fake_bot_api::wait_for([&] {
      auto sent = body(c.get("/api/v1/outbox?state=sent"))["outbox"];
      for (const auto& row : sent)
        if (row["to"] == "100002" && row["attempts"].get<int>() >= 2) return true;
      return false;
    }));
    CHECK(sent_to(server, 100002).size() == 2);  // the one refused with 429, then the one taken
    // The second attempt waited for retry_after (3 s), not the outbox's first retry (1 s).
    std::vector<double> at;
    for (const auto& call : server.calls("sendMessage"))
      if (call["params"]["chat_id"] == "100002") at.push_back(call["at"].get<double>());
    REQUIRE(at.size() == 2);
    CHECK(at[1] - at[0] >= 3.0);
    CHECK(cases_of(c).size() == 2);              // the first message was not taken again
    CHECK(sent_to(server, 100001).size() == 1);  // nor its greeting sent again
    // The restarted poll asked from the offset saved before the stop.
    bool resumed = false;
    for (const auto& call : server.calls("getUpdates"))
      if (call["params"].value("offset", 0LL) >= confirmed && call["params"].value("offset", 0LL) > 0) resumed = true;
    CHECK(resumed);
    CHECK(d.kill(SIGTERM) == 0);
  }
}
