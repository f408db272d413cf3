#include "adapters/webchat/protocol.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace reglament::webchat;
using nlohmann::json;

namespace {
protocol_error error_of(const client_frame& f) {
  REQUIRE(std::holds_alternative<protocol_error>(f));
  return std::get<protocol_error>(f);
}
}  // namespace

TEST_CASE("a hello without a token starts a new visitor in Russian", "[webchat]") {
  auto f = parse_client_frame(R"({"type":"hello"})", 4000);
  REQUIRE(std::holds_alternative<hello_frame>(f));
  const auto& h = std::get<hello_frame>(f);
  CHECK(!h.token);
  CHECK(h.after == 0);
  CHECK(h.lang == "ru");
}

TEST_CASE("a hello carries the token, the last number seen, the language and the firm", "[webchat]") {
  auto f = parse_client_frame(R"({"type":"hello","token":"abc","after":7,"lang":"en","firm":"balans"})", 4000);
  const auto& h = std::get<hello_frame>(f);
  CHECK(*h.token == "abc");
  CHECK(h.after == 7);
  CHECK(h.lang == "en");
  CHECK(h.firm == "balans");
}

TEST_CASE("a hello naming a visitor is refused: only the token says who it is", "[webchat]") {
  auto e = error_of(parse_client_frame(R"({"type":"hello","visitor":"v-0123"})", 4000));
  CHECK(e.code == "bad_frame");
  CHECK(e.message == "hello: unknown field 'visitor' (expected token, after, lang, firm)");
}

TEST_CASE("bad hellos say which field is wrong", "[webchat]") {
  CHECK(error_of(parse_client_frame(R"({"type":"hello","after":-1})", 10)).message ==
        "hello: field 'after' must be a sequence number (0 or more)");
  CHECK(error_of(parse_client_frame(R"({"type":"hello","lang":"de"})", 10)).message ==
        "hello: field 'lang' must be \"ru\" or \"en\"");
  CHECK(error_of(parse_client_frame(R"({"type":"hello","token":5})", 10)).message ==
        "hello: field 'token' must be a string");
}

TEST_CASE("frames that are not JSON objects of a known type are refused", "[webchat]") {
  CHECK(error_of(parse_client_frame("not json", 10)).code == "bad_json");
  CHECK(error_of(parse_client_frame("[1]", 10)).code == "bad_json");
  CHECK(error_of(parse_client_frame(R"({"type":"message","id":1e999})", 10)).code == "bad_json");  // out of range, not a throw
  CHECK(error_of(parse_client_frame(R"({"text":"x"})", 10)).message == "field 'type' is required: \"hello\" or \"message\"");
  CHECK(error_of(parse_client_frame(R"({"type":"typing"})", 10)).message ==
        "unknown frame type 'typing' (expected hello or message)");
}

TEST_CASE("a message's text is cleaned: trimmed, CR LF to LF, control characters dropped", "[webchat]") {
  auto f = parse_client_frame(R"({"type":"message","id":"m1","text":"  Привет\r\nмир\u0007\t! "})", 4000);
  REQUIRE(std::holds_alternative<message_frame>(f));
  const auto& m = std::get<message_frame>(f);
  CHECK(m.id == "m1");
  CHECK(m.text == "Привет\nмир\t!");
}

TEST_CASE("a message over the limit is refused with its size and the limit", "[webchat]") {
  const std::string text(11, 'a');
  auto e = error_of(parse_client_frame(json{{"type", "message"}, {"id", "m2"}, {"text", text}}.dump(), 10));
  CHECK(e.code == "too_large");
  CHECK(e.id == "m2");
  CHECK(e.message == "message: the text is 11 bytes; the limit is 10 bytes");
  // Exactly at the limit is fine; the limit counts bytes (Cyrillic letters are two).
  CHECK(std::holds_alternative<message_frame>(
      parse_client_frame(json{{"type", "message"}, {"id", "m3"}, {"text", std::string(10, 'a')}}.dump(), 10)));
  CHECK(error_of(parse_client_frame(json{{"type", "message"}, {"id", "m4"}, {"text", "ЖЖЖЖЖЖ"}}.dump(), 10)).code ==
        "too_large");
}

TEST_CASE("a message needs a usable id and some text", "[webchat]") {
  CHECK(error_of(parse_client_frame(R"({"type":"message","text":"x"})", 10)).code == "bad_frame");
  CHECK(error_of(parse_client_frame(R"({"type":"message","id":"a b","text":"x"})", 10)).code == "bad_frame");
  CHECK(error_of(parse_client_frame(json{{"type", "message"}, {"id", std::string(65, 'a')}, {"text", "x"}}.dump(), 10))
            .code == "bad_frame");
  auto empty = error_of(parse_client_frame(R"({"type":"message","id":"m5","text":" \n\t "})", 10));
  CHECK(empty.code == "empty_text");
  CHECK(empty.id == "m5");
  CHECK(error_of(parse_client_frame(R"({"type":"message","id":"m6","text":"x","case":3})", 10)).message ==
        "message: unknown field 'case' (expected id, text)");
}

TEST_CASE("text that is not UTF-8 is refused", "[webchat]") {
  // nlohmann parses \xff inside a string as invalid: the whole frame is bad JSON then.
  auto e = error_of(parse_client_frame(std::string("{\"type\":\"message\",\"id\":\"m\",\"text\":\"\xff\"}"), 10));
  CHECK((e.code == "bad_text" || e.code == "bad_json"));
}

TEST_CASE("server frames are JSON with the fields the widget reads", "[webchat]") {
  conversation_entry e;
  e.seq = 3;
  e.from = "firm";
  e.text = "<img src=x onerror=alert(1)> «Да»";
  e.buttons = {"Да, согласен", "Нет"};
  e.at_ms = 1795420800000;  // 2026-11-23T10:00:00Z... as milliseconds
  auto j = json::parse(message_json(e));
  CHECK(j["type"] == "message");
  CHECK(j["seq"] == 3);
  CHECK(j["from"] == "firm");
  CHECK(j["text"] == "<img src=x onerror=alert(1)> «Да»");  // carried as text; the widget never parses it
  CHECK(j["buttons"] == json::array({"Да, согласен", "Нет"}));
  CHECK(!j.contains("id"));

  auto w = json::parse(welcome_json({"v-1", "tok", 5, "Баланс", 4000, 20}));
  CHECK(w["visitor"] == "v-1");
  CHECK(w["token"] == "tok");
  CHECK(w["last_seq"] == 5);
  CHECK(w["limits"]["text_bytes"] == 4000);
  CHECK(!json::parse(welcome_json({"v-1", "", 5, "", 4000, 20})).contains("token"));

  auto err = json::parse(error_json("rate_limited", "slow down", "m1", 3));
  CHECK(err == json{{"type", "error"}, {"code", "rate_limited"}, {"message", "slow down"}, {"id", "m1"}, {"retry_after", 3}});
  CHECK(json::parse(ack_json("m1", 4)) == json{{"type", "ack"}, {"id", "m1"}, {"seq", 4}});
}
