// The website chat against the real reglamentd: a visitor's request and the firm's
// replies over the WebSocket, resuming after a reconnect, one visitor against another's
// conversation, the limits and their errors, and messages kept across a crash.
#include "tests/adapters/webchat/chat_client.hpp"
#include "tests/daemon/daemon_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <fstream>
#include <random>

using namespace reglament::testing;
using nlohmann::json;
using boost::beast::http::verb;

namespace {

std::string write_config(const std::string& dir, const std::string& webchat_toml) {
  std::filesystem::create_directories(dir);
  auto path = dir + "/reglament.toml";
  std::ofstream(path) << "[channels.webchat]\n" << webchat_toml;
  return path;
}

struct chat_daemon {
  std::string dir;
  std::optional<daemon_process> d;
  explicit chat_daemon(const std::string& name, const std::string& webchat_toml = "") : dir(temp_dir(name)) {
    d.emplace(dir, std::vector<std::string>{"--config", write_config(dir + "-config", webchat_toml)});
  }
  unsigned short port() const { return d->port(); }
  void restart() {
    auto cfg = dir + "-config/reglament.toml";
    d.reset();
    d.emplace(dir, std::vector<std::string>{"--config", cfg});
  }
};

json hello(chat_client& c, const std::optional<std::string>& token = std::nullopt, std::int64_t after = 0) {
  json h{{"type", "hello"}, {"after", after}};
  if (token) h["token"] = *token;
  c.send(h);
  auto w = c.read();
  INFO(w.dump());
  REQUIRE(w["type"] == "welcome");
  return w;
}

json message(const std::string& id, const std::string& text) {
  return {{"type", "message"}, {"id", id}, {"text", text}};
}

bool is_message(const json& f) { return f["type"] == "message"; }

// Polls the API until a case of `visitor` satisfies `pred` (the engine works behind the
// writer and the dispatcher; the wait has a generous deadline, nothing asserts on time).
template <class Pred>
json wait_for_case(http_client& api, const std::string& visitor, Pred pred) {
  for (int i = 0; i < 2000; ++i) {
    auto r = api.get("/api/v1/cases?limit=1000");
    REQUIRE(r.status == 200);
    const auto listed = json::parse(r.body);
    for (const auto& c : listed["cases"])
      if (c["sender"] == visitor) {
        const auto body = json::parse(api.get("/api/v1/cases/" + std::to_string(c["id"].get<long long>())).body);
        auto full = body["case"];
        full["journal"] = body["journal"];
        if (pred(full)) return full;
      }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  FAIL("no case of " << visitor << " reached the expected state; cases: " << api.get("/api/v1/cases?limit=1000").body);
  return {};
}

int count_cases(http_client& api, const std::string& visitor) {
  auto r = api.get("/api/v1/cases?limit=1000");
  const auto listed = json::parse(r.body);
  int n = 0;
  for (const auto& c : listed["cases"]) n += c["sender"] == visitor;
  return n;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("a visitor's request is greeted, a quote comes with buttons, a reconnect resumes without loss or repeats",
          "[webchat][integration]") {
  chat_daemon cd("webchat-resume");
  http_client api(cd.port());

  chat_client a(cd.port());
  auto w = hello(a);
  const std::string visitor = w["visitor"], token = w["token"];
  CHECK(w["last_seq"] == 0);
  CHECK(token.size() == 43);
  CHECK(w["firm"] == "Бухгалтерская компания «Баланс»");
  CHECK(w["limits"]["text_bytes"] == 4000);

  // The manager knows this visitor: Анна from «Ромашка» (as after the unknown-sender playbook).
  auto link = api.post("/api/v1/clients/romashka/contacts", json{{"channel", "webchat"}, {"address", visitor}}.dump());
  REQUIRE(link.status == 201);

  a.send(message("m1", "Нужен приказ на отпуск для бухгалтера"));
  auto echo = a.read_until(is_message);
  CHECK(echo["seq"] == 1);
  CHECK(echo["from"] == "visitor");
  CHECK(echo["id"] == "m1");
  CHECK(echo["text"] == "Нужен приказ на отпуск для бухгалтера");
  auto greeting = a.read_until(is_message);
  CHECK(greeting["seq"] == 2);
  CHECK(greeting["from"] == "firm");
  CHECK_THAT(greeting["text"].get<std::string>(), Catch::Contains("Спасибо за заявку"));
  a.close();

  // While the visitor is away the manager names the price: the quote is kept for them.
  auto c = wait_for_case(api, visitor, [](const json& k) { return k["step"]["id"] == "quote"; });
  const auto case_id = std::to_string(c["id"].get<long long>());
  auto act = api.post("/api/v1/cases/" + case_id + "/actions",
                      json{{"action", "submit"}, {"step", "quote"}, {"actor", "manager"},
                           {"values", {{"price", 1500}, {"deadline", "2 рабочих дня"}}}}.dump());
  REQUIRE(act.status == 200);
  wait_for_case(api, visitor, [](const json& k) { return k["step"]["id"] == "wait_consent"; });

  chat_client b(cd.port());
  auto w2 = hello(b, token, 2);
  CHECK(w2["visitor"] == visitor);
  CHECK(!w2.contains("token"));  // a known visitor keeps their token
  auto quote = b.read_until(is_message);
  CHECK(quote["seq"] == 3);  // the first one not seen: nothing before it again, nothing skipped
  CHECK_THAT(quote["text"].get<std::string>(), Catch::Contains("Стоимость — 1500 руб."));
  CHECK(quote["buttons"] == json::array({"Да, согласен", "Нет"}));

  // The visitor presses "Да, согласен": it comes back as their message with the label.
  b.send(message("m2", "Да, согласен"));
  auto pressed = b.read_until(is_message);
  CHECK(pressed["seq"] == 4);
  CHECK(pressed["text"] == "Да, согласен");
  auto invoice = b.read_until(is_message);
  CHECK(invoice["seq"] == 5);
  CHECK_THAT(invoice["text"].get<std::string>(), Catch::Contains("выставили счёт №"));
  wait_for_case(api, visitor, [](const json& k) { return k["step"]["id"] == "wait_payment"; });

  // A reload (after = 0) shows the whole history, in order, each entry once.
  chat_client r(cd.port());
  auto w3 = hello(r, token, 0);
  const auto last = w3["last_seq"].get<int>();
  REQUIRE(last >= 5);
  for (int seq = 1; seq <= last; ++seq) {
    auto f = r.read_until(is_message);
    CHECK(f["seq"] == seq);
  }
  // Sending m1 again (a widget that missed its echo) is acknowledged, not kept twice.
  r.send(message("m1", "Нужен приказ на отпуск для бухгалтера"));
  auto ack = r.read();
  CHECK(ack == json{{"type", "ack"}, {"id", "m1"}, {"seq", 1}});
  CHECK(count_cases(api, visitor) == 1);
  auto k = wait_for_case(api, visitor, [](const json&) { return true; });
  int inbound = 0;
  for (const auto& f : k["journal"]) inbound += f["kind"] == "message_received";
  CHECK(inbound == 2);
}

TEST_CASE("the staff see the chat message in the case and the manager's reply reaches the open chat live",
          "[webchat][integration]") {
  chat_daemon cd("webchat-live");
  http_client api(cd.port());
  chat_client a(cd.port());  // a visitor: no staff credentials at all
  auto w = hello(a);
  const std::string visitor = w["visitor"];
  REQUIRE(api.post("/api/v1/clients/romashka/contacts", json{{"channel", "webchat"}, {"address", visitor}}.dump())
              .status == 201);
  a.send(message("l1", "Нужен приказ на отпуск для главного бухгалтера"));
  CHECK(a.read_until(is_message)["from"] == "visitor");
  CHECK(a.read_until(is_message)["from"] == "firm");  // the greeting

  auto c = wait_for_case(api, visitor, [](const json& k) { return k["step"]["id"] == "quote"; });
  CHECK(c["channel"] == "webchat");
  bool journaled = false;
  for (const auto& f : c["journal"])
    journaled = journaled || (f["kind"] == "message_received" &&
                              f["data"]["text"] == "Нужен приказ на отпуск для главного бухгалтера");
  CHECK(journaled);

  // The manager names the price while the visitor's window is open: the quote comes live.
  auto act = api.post("/api/v1/cases/" + std::to_string(c["id"].get<long long>()) + "/actions",
                      json{{"action", "submit"}, {"step", "quote"}, {"actor", "manager"},
                           {"values", {{"price", 2500}, {"deadline", "1 рабочий день"}}}}.dump());
  REQUIRE(act.status == 200);
  auto quote = a.read_until(is_message);
  CHECK(quote["from"] == "firm");
  CHECK_THAT(quote["text"].get<std::string>(), Catch::Contains("Стоимость — 2500 руб."));
  CHECK(quote["buttons"] == json::array({"Да, согласен", "Нет"}));
}

TEST_CASE("a visitor cannot read or write another's conversation, by guessing or reusing a token",
          "[webchat][integration]") {
  chat_daemon cd("webchat-isolation");
  http_client api(cd.port());

  chat_client a(cd.port());
  auto wa = hello(a);
  const std::string visitor_a = wa["visitor"], token_a = wa["token"];
  a.send(message("a1", "Секрет A-7f3k: ИНН 7701234567"));
  CHECK(a.read_until(is_message)["seq"] == 1);

  chat_client b(cd.port());
  auto wb = hello(b);
  const std::string visitor_b = wb["visitor"], token_b = wb["token"];
  CHECK(visitor_b != visitor_a);
  CHECK(token_b != token_a);
  CHECK(wb["last_seq"] == 0);

  SECTION("B's connection carries only B's conversation") {
    std::vector<json> seen_by_a, seen_by_b;
    auto own = [](const char* id) {
      return [id](const json& f) { return f["type"] == "message" && f.value("id", "") == id; };
    };
    b.send(message("b1", "Сообщение B-q9z2"));
    CHECK(b.read_until(own("b1"), &seen_by_b)["seq"] == 1);
    a.send(message("a2", "Ещё секрет A-7f3k"));
    a.read_until(own("a2"), &seen_by_a);
    b.send(message("b2", "Ещё B-q9z2"));
    b.read_until(own("b2"), &seen_by_b);
    a.send(message("a3", "Секрет A-7f3k, третий"));
    a.read_until(own("a3"), &seen_by_a);
    for (const auto& f : seen_by_b) CHECK(f.dump().find("A-7f3k") == std::string::npos);
    for (const auto& f : seen_by_a) CHECK(f.dump().find("B-q9z2") == std::string::npos);
    // Each visitor's messages opened their own case, under their own id.
    wait_for_case(api, visitor_a, [](const json&) { return true; });
    wait_for_case(api, visitor_b, [](const json&) { return true; });
    CHECK(count_cases(api, visitor_a) == 1);
    CHECK(count_cases(api, visitor_b) == 1);
  }

  SECTION("a guessed token is refused") {
    std::mt19937_64 rng(42);
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (int i = 0; i < 5; ++i) {
      std::string guess;
      for (int j = 0; j < 43; ++j) guess += alphabet[rng() % alphabet.size()];
      chat_client g(cd.port());
      g.send(json{{"type", "hello"}, {"token", guess}});
      auto e = g.read();
      CHECK(e["type"] == "error");
      CHECK(e["code"] == "unknown_token");
      CHECK(!g.try_read());
      CHECK(g.close_code() == 1008);
    }
    // A's token with one character changed is a guess too.
    auto near = token_a;
    near[10] = near[10] == 'A' ? 'B' : 'A';
    chat_client g(cd.port());
    g.send(json{{"type", "hello"}, {"token", near}});
    CHECK(g.read()["code"] == "unknown_token");
  }

  SECTION("the public visitor id is not a token, and a hello cannot name a visitor") {
    chat_client g(cd.port());
    g.send(json{{"type", "hello"}, {"token", visitor_a}});
    auto e = g.read();
    CHECK(e["code"] == "bad_token");
    chat_client h(cd.port());
    h.send(json{{"type", "hello"}, {"visitor", visitor_a}});
    auto e2 = h.read();
    CHECK(e2["code"] == "bad_frame");
    CHECK_THAT(e2["message"].get<std::string>(), Catch::Contains("unknown field 'visitor'"));
    CHECK(!h.try_read());
    // A message before any hello is refused: nothing is written anywhere.
    chat_client m(cd.port());
    m.send(message("x1", "в чужой разговор"));
    CHECK(m.read()["code"] == "hello_first");
    CHECK(!m.try_read());
  }

  SECTION("only the token's hash is stored") {
    a.close();
    b.close();
    const auto db = cd.dir + "/webchat.db";
    const auto all = file_bytes(db) + file_bytes(db + "-wal");
    CHECK(all.find(visitor_a) != std::string::npos);  // the file is the one in use
    CHECK(all.find(token_a) == std::string::npos);
    CHECK(all.find(token_b) == std::string::npos);
  }
}

TEST_CASE("an oversized message is refused with a clear error and the conversation goes on",
          "[webchat][integration]") {
  chat_daemon cd("webchat-limits", "max_text_bytes = 1000\n");
  chat_client c(cd.port());
  auto w = hello(c);
  CHECK(w["limits"]["text_bytes"] == 1000);

  std::string big;
  for (int i = 0; i < 501; ++i) big += "я";  // 1002 bytes
  c.send(message("big1", big));
  auto e = c.read();
  CHECK(e == json{{"type", "error"},
                  {"code", "too_large"},
                  {"message", "message: the text is 1002 bytes; the limit is 1000 bytes"},
                  {"id", "big1"},
                  {"limit", 1000}});
  c.send(message("ok1", std::string(1000, 'a')));
  auto kept = c.read_until(is_message);
  CHECK(kept["seq"] == 1);  // the refused one was never kept
  CHECK(kept["id"] == "ok1");

  // A frame far beyond any message is cut off by the WebSocket layer (1009: too big).
  c.send_text(json{{"type", "message"}, {"id", "huge"}, {"text", std::string(20000, 'b')}}.dump());
  while (c.try_read()) {
  }
  CHECK(c.close_code() == 1009);
}

TEST_CASE("messages per visitor and connections per visitor are limited, with the time to wait",
          "[webchat][integration]") {
  chat_daemon cd("webchat-rate", "message_burst = 3\nmessages_per_minute = 3\nmax_connections_per_visitor = 2\n");
  chat_client c(cd.port());
  auto w = hello(c);
  const std::string token = w["token"];
  for (int i = 1; i <= 3; ++i) c.send(message("r" + std::to_string(i), "сообщение " + std::to_string(i)));
  c.send(message("r4", "четвёртое"));
  auto limited = c.read_until([](const json& f) { return f["type"] == "error"; });
  CHECK(limited["code"] == "rate_limited");
  CHECK(limited["id"] == "r4");
  CHECK(limited["retry_after"].get<int>() > 0);
  CHECK_THAT(limited["message"].get<std::string>(), Catch::Contains("at most 3 a minute"));

  chat_client second(cd.port());
  hello(second, token, 0);
  chat_client third(cd.port());
  third.send(json{{"type", "hello"}, {"token", token}});
  auto e = third.read();
  CHECK(e["code"] == "too_many_connections");
  CHECK(!third.try_read());
  CHECK(third.close_code() == 1013);
}

TEST_CASE("new conversations from one address are limited: a burst then the hourly rate, returning visitors free",
          "[webchat][integration]") {
  chat_daemon cd("webchat-new-visitors", "new_visitors_burst = 3\nnew_visitors_per_hour = 60\n");
  std::vector<std::string> tokens;
  for (int i = 0; i < 3; ++i) {
    chat_client c(cd.port());
    tokens.push_back(hello(c)["token"]);
  }
  chat_client fourth(cd.port());
  fourth.send(json{{"type", "hello"}, {"lang", "ru"}});
  auto e = fourth.read();
  CHECK(e["code"] == "too_many_visitors");
  CHECK(e["retry_after"].get<int>() >= 1);  // 60 an hour: one a minute
  CHECK(e["retry_after"].get<int>() <= 60);
  CHECK_THAT(e["message"].get<std::string>(), Catch::Contains("127.0.0.1"));
  CHECK(!fourth.try_read());
  CHECK(fourth.close_code() == 1013);
  // A visitor who comes back with their token is not a new conversation.
  chat_client back(cd.port());
  CHECK(hello(back, tokens[0], 0)["type"] == "welcome");
}

TEST_CASE("the daemon serves the widget and the demo page, and other chat paths are clear errors",
          "[webchat][integration]") {
  chat_daemon cd("webchat-http");
  http_client api(cd.port());
  auto js = api.get("/chat/widget.js");
  CHECK(js.status == 200);
  CHECK(js.body.find("attachShadow") != std::string::npos);
  CHECK(js.body.find("innerHTML") == std::string::npos);  // client text never becomes markup
  auto demo = api.get("/chat/demo");
  CHECK(demo.status == 200);
  CHECK(demo.body.find("<script src=\"/chat/widget.js\" data-firm=\"balans\"") != std::string::npos);
  auto ws = api.get("/chat/ws");
  CHECK(ws.status == 426);
  CHECK(api.get("/chat/nothing").status == 404);
  CHECK(api.get("/healthz").status == 200);  // the api still answers beside the chat
  CHECK_THROWS(chat_client(cd.port(), "/api/v1/cases"));

  // The chat is public (the visitor's token is its credential); staff routes are not.
  http_client anonymous(cd.port(), "");
  CHECK(anonymous.get("/chat/widget.js").status == 200);
  CHECK(anonymous.get("/chat/demo").status == 200);
  CHECK(anonymous.get("/chat/ws").status == 426);
  CHECK(anonymous.get("/api/v1/cases").status == 401);
  CHECK(anonymous.post("/api/v1/cases/1/actions", json{{"action", "note"}}.dump()).status == 401);
  chat_client visitor(cd.port());  // the WebSocket needs no staff login
  CHECK(hello(visitor)["type"] == "welcome");
}

TEST_CASE("a kept message reaches the engine once even when the daemon dies around it",
          "[webchat][integration][slow]") {
  chat_daemon cd("webchat-crash");
  std::string visitor, token;
  {
    chat_client c(cd.port());
    auto w = hello(c);
    visitor = w["visitor"];
    token = w["token"];
    c.send(message("k1", "Нужна справка для банка"));
    CHECK(c.read_until(is_message)["seq"] == 1);  // kept: acknowledged to the visitor
  }
  CHECK(cd.d->kill(SIGKILL) == 128 + SIGKILL);

  // A message kept but never handed over (as if the daemon died in between).
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((cd.dir + "/webchat.db").c_str(), &db) == SQLITE_OK);
    const std::string sql =
        "UPDATE visitors SET last_seq = last_seq + 1 WHERE id = '" + visitor + "';"
        "INSERT INTO messages(visitor, seq, author, text, buttons, at, client_id, state) "
        "SELECT id, last_seq, 'visitor', 'И ещё акт сверки', '[]', 0, 'k2', 'pending' FROM visitors WHERE id = '" +
        visitor + "';";
    REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  cd.restart();
  http_client api(cd.port());
  auto k = wait_for_case(api, visitor, [](const json& c) {
    int n = 0;
    for (const auto& f : c["journal"]) n += f["kind"] == "message_received";
    return n >= 2;
  });
  std::vector<std::string> texts;
  for (const auto& f : k["journal"])
    if (f["kind"] == "message_received") texts.push_back(f["data"]["text"]);
  CHECK(texts == std::vector<std::string>{"Нужна справка для банка", "И ещё акт сверки"});
  CHECK(count_cases(api, visitor) == 1);

  chat_client again(cd.port());
  auto w = hello(again, token, 0);
  CHECK(w["visitor"] == visitor);
  CHECK(again.read_until(is_message)["text"] == "Нужна справка для банка");
}
