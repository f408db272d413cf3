#include "adapters/telegram/telegram_source.hpp"

#include "adapters/telegram/telegram_channel.hpp"
#include "tests/adapters/telegram/fake_bot_api.hpp"
#include "tests/fakes/recording_sink.hpp"

#include <catch2/catch.hpp>

using reglament::telegram::bot_api;
using reglament::telegram::link_outcome;
using reglament::telegram::link_reply;
using reglament::telegram::memory_ledger;
using reglament::telegram::source_options;
using reglament::telegram::telegram_channel;
using reglament::telegram::telegram_source;
using reglament::testing::fake_bot_api;
using reglament::testing::recording_sink;
using json = nlohmann::json;

namespace {

const std::string token = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11";

source_options quick() {
  source_options o;
  o.poll_timeout_seconds = 1;
  o.retry_min = std::chrono::milliseconds(50);
  o.retry_max = std::chrono::milliseconds(200);
  return o;
}

std::string b64(const std::string& s) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    unsigned v = (unsigned char)s[i] << 16 | (unsigned char)s[i + 1] << 8 | (unsigned char)s[i + 2];
    for (int k = 3; k >= 0; --k) out += t[(v >> (6 * k)) & 63];
  }
  if (i + 1 == s.size()) {
    unsigned v = (unsigned char)s[i] << 16;
    out += t[(v >> 18) & 63];
    out += t[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == s.size()) {
    unsigned v = (unsigned char)s[i] << 16 | (unsigned char)s[i + 1] << 8;
    out += t[(v >> 18) & 63];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

bool until(const std::function<bool()>& pred) { return fake_bot_api::wait_for(pred); }

// A message from chat 100001 with a document (and a caption if given) instead of text.
json document_message(long long message_id, const std::string& caption, json document) {
  auto m = fake_bot_api::text_message(100001, "", message_id);
  m["message"].erase("text");
  if (!caption.empty()) m["message"]["caption"] = caption;
  m["message"]["document"] = std::move(document);
  return m;
}

// Runs a source (files up to 4000 bytes) until it has taken update `last`; what it accepted.
std::vector<reglament::inbound_message> take_until(const fake_bot_api& server, recording_sink& sink, long long last) {
  auto opt = quick();
  opt.max_attachment_bytes = 4000;
  telegram_source src(std::make_shared<bot_api>(server.url(), token), std::make_shared<memory_ledger>(), opt);
  src.start(sink);
  REQUIRE(until([&] { return src.offset() == last + 1; }));
  src.stop();
  return sink.accepted();
}

}  // namespace

TEST_CASE("a text message is accepted and the offset saved only after it", "[telegram]") {
  fake_bot_api server(token);
  auto api = std::make_shared<bot_api>(server.url(), token);
  auto ledger = std::make_shared<memory_ledger>();
  recording_sink sink;
  auto u = server.update(fake_bot_api::text_message(100001, "Нужна справка 2-НДФЛ", 41));
  const auto id = u["update_id"].get<long long>();
  {
    telegram_source src(api, ledger, quick());
    src.start(sink);
    REQUIRE(until([&] { return src.offset() == id + 1; }));
    src.stop();
  }
  auto got = sink.accepted();
  REQUIRE(got.size() == 1);
  CHECK(got[0].channel == "telegram");
  CHECK(got[0].external_id == "100001:41");
  CHECK(got[0].sender == "100001");
  CHECK(got[0].thread == "100001");
  CHECK(got[0].sender_name == "Анна Петрова");
  CHECK(got[0].text == "Нужна справка 2-НДФЛ");
  CHECK(sink.cursor("telegram", "offset") == std::to_string(id + 1));
  auto polls = server.calls("getUpdates");
  REQUIRE(!polls.empty());
  CHECK(polls[0]["params"]["timeout"] == 1);
  CHECK_FALSE(polls[0]["params"].contains("offset"));
}

TEST_CASE("a restart asks from the saved offset: nothing repeated, nothing lost", "[telegram]") {
  fake_bot_api server(token);
  auto api = std::make_shared<bot_api>(server.url(), token);
  auto ledger = std::make_shared<memory_ledger>();
  recording_sink sink;
  auto first = server.update(fake_bot_api::text_message(100001, "первое", 1))["update_id"].get<long long>();
  {
    telegram_source src(api, ledger, quick());
    src.start(sink);
    REQUIRE(until([&] { return src.offset() == first + 1; }));
  }
  // While the bot is down, two more arrive.
  server.update(fake_bot_api::text_message(100001, "второе", 2));
  auto third = server.update(fake_bot_api::text_message(100002, "третье", 1, "Иван", ""))["update_id"].get<long long>();
  {
    telegram_source src(api, ledger, quick());
    src.start(sink);
    REQUIRE(until([&] { return src.offset() == third + 1; }));
  }
  auto got = sink.accepted();
  REQUIRE(got.size() == 3);
  CHECK(got[1].text == "второе");
  CHECK(got[2].text == "третье");
  CHECK(got[2].sender_name == "Иван");
  // The second run's first poll asked from the saved offset.
  bool asked = false;
  for (const auto& c : server.calls("getUpdates"))
    if (c["params"].value("offset", 0LL) == first + 1) asked = true;
  CHECK(asked);
}

TEST_CASE("an update re-fetched after a lost offset is a duplicate, not a second message", "[telegram]") {
  fake_bot_api server(token);
  auto api = std::make_shared<bot_api>(server.url(), token);
  auto ledger = std::make_shared<memory_ledger>();
  recording_sink sink;
  auto u = fake_bot_api::text_message(100001, "привет", 5);
  u["update_id"] = 900;
  server.update(u);
  server.update(u);  // Telegram sends it again (our offset was not saved in time)
  telegram_source src(api, ledger, quick());
  src.start(sink);
  REQUIRE(until([&] { return src.offset() == 901; }));
  src.stop();
  CHECK(sink.accepted().size() == 1);
}

TEST_CASE("getUpdates 429 and 5xx are retried, nothing is lost", "[telegram]") {
  fake_bot_api server(token);
  auto api = std::make_shared<bot_api>(server.url(), token);
  auto ledger = std::make_shared<memory_ledger>();
  recording_sink sink;
  server.fail("getUpdates", 429, 1, 1, "Too Many Requests: retry after 1");
  server.fail("getUpdates", 502, 2, 0, "Bad Gateway");
  auto id = server.update(fake_bot_api::text_message(100001, "после сбоя", 7))["update_id"].get<long long>();
  std::vector<std::string> logged;
  std::mutex m;
  auto opt = quick();
  opt.log = [&](bool warn, const std::string& msg, const std::string& detail) {
    std::lock_guard lock(m);
    logged.push_back(msg + " " + detail);
  };
  telegram_source src(api, ledger, opt);
  src.start(sink);
  REQUIRE(until([&] { return src.offset() == id + 1; }));
  src.stop();
  CHECK(sink.accepted().size() == 1);
  CHECK(server.calls("getUpdates").size() >= 4);
  std::lock_guard lock(m);
  REQUIRE(logged.size() >= 3);
  CHECK(logged[0].find("429") != std::string::npos);
  for (const auto& l : logged) CHECK(l.find(token) == std::string::npos);
}

TEST_CASE("a pressed button continues with its label, a stale one becomes a channel error", "[telegram]") {
  fake_bot_api server(token);
  auto api = std::make_shared<bot_api>(server.url(), token);
  auto ledger = std::make_shared<memory_ledger>();
  recording_sink sink;
  telegram_channel ch(api, ledger);
  reglament::outbound_message quote;
  quote.idempotency_key = "9/2";
  quote.channel = "telegram";
  quote.to = "100001";
  quote.text = "Стоимость 3000 ₽. Согласны?";
  quote.buttons = {"Согласен", "Нет, спасибо"};
  REQUIRE(ch.deliver(quote).ok);
  const json anna{{"id", 100001}, {"is_bot", false}, {"first_name", "Анна"}};
  server.press({{"chat_id", 100001}, {"message_id", 1}, {"button", 0}, {"from", anna}});
  // Older than 48 hours: Telegram gives no keyboard back; the ledger knows the labels.
  server.press({{"chat_id", 100001}, {"message_id", 1}, {"button", 1}, {"from", anna}, {"inaccessible", true}});
  // A keyboard from before a playbook change: its data matches nothing.
  auto stale = server.press({{"chat_id", 100001}, {"message_id", 1}, {"button", 1}, {"from", anna}, {"inaccessible", true}, {"data", "b1:deadbeef"}});
  telegram_source src(api, ledger, quick());
  src.start(sink);
  REQUIRE(until([&] { return src.offset() == stale["update_id"].get<long long>() + 1; }));
  src.stop();
  auto got = sink.accepted();
  REQUIRE(got.size() == 2);
  CHECK(got[0].text == "Согласен");
  CHECK(got[0].external_id.rfind("cb:", 0) == 0);
  CHECK(got[1].text == "Нет, спасибо");
  auto errors = sink.rejected();
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].reason.find("b1:deadbeef") != std::string::npos);
  CHECK(json::parse(errors[0].raw)["callback_query"]["data"] == "b1:deadbeef");
  CHECK(server.calls("answerCallbackQuery").size() == 3);
  auto answers = server.calls("sendMessage");
  REQUIRE(answers.size() == 2);  // the quote, and the note about the stale button
  CHECK(answers[1]["params"]["text"].get<std::string>().find("устарела") != std::string::npos);
}

TEST_CASE("photos and documents are stored, a file over the limit is listed with a note", "[telegram]") {
  fake_bot_api server(token);
  auto api = std::make_shared<bot_api>(server.url(), token);
  auto ledger = std::make_shared<memory_ledger>();
  recording_sink sink;
  const std::string pdf = "%PDF-1.4 акт сверки";
  server.file({{"file_id", "DOC1"}, {"path", "documents/file_3.pdf"}, {"data_b64", b64(pdf)}});
  server.file({{"file_id", "PH1"}, {"path", "photos/file_4.jpg"}, {"data_b64", b64(std::string(3000, 'j'))}});
  server.file({{"file_id", "BIG"}, {"path", "documents/file_5.zip"}, {"data_b64", b64(std::string(5000, 'z'))}});
  auto doc = fake_bot_api::text_message(100001, "", 10);
  doc["message"].erase("text");
  doc["message"]["caption"] = "Акт сверки за квартал";
  doc["message"]["document"] = {{"file_name", "Акт.pdf"}, {"mime_type", "application/pdf"}, {"file_id", "DOC1"},
                                {"file_unique_id", "AgADDOC1"}, {"file_size", pdf.size()}};
  server.update(doc);
  auto photo = fake_bot_api::text_message(100001, "", 11);
  photo["message"].erase("text");
  photo["message"]["photo"] = json::array({{{"file_id", "PH0"}, {"file_unique_id", "a"}, {"file_size", 100}, {"width", 90}, {"height", 67}},
                                           {{"file_id", "PH1"}, {"file_unique_id", "b"}, {"file_size", 3000}, {"width", 1280}, {"height", 960}}});
  server.update(photo);
  auto big = fake_bot_api::text_message(100001, "", 12);
  big["message"].erase("text");
  big["message"]["caption"] = "Архив";
  big["message"]["document"] = {{"file_name", "архив.zip"}, {"mime_type", "application/zip"}, {"file_id", "BIG"},
                                {"file_unique_id", "AgADBIG"}, {"file_size", 5000}};
  auto last = server.update(big)["update_id"].get<long long>();
  server.fail("getFile", 500, 1);  // the first getFile fails once: retried, not lost

  auto opt = quick();
  opt.max_attachment_bytes = 4000;
  telegram_source src(api, ledger, opt);
  src.start(sink);
  REQUIRE(until([&] { return src.offset() == last + 1; }));
  src.stop();
  auto got = sink.accepted();
  REQUIRE(got.size() == 3);
  REQUIRE(got[0].attachments.size() == 1);
  CHECK(got[0].text == "Акт сверки за квартал");
  CHECK(got[0].attachments[0].name == "Акт.pdf");
  CHECK(got[0].attachments[0].content_type == "application/pdf");
  CHECK(sink.file(got[0].attachments[0].sha256) == pdf);
  REQUIRE(got[1].attachments.size() == 1);
  CHECK(got[1].attachments[0].size == 3000);
  CHECK(got[1].attachments[0].content_type == "image/jpeg");
  CHECK(got[2].attachments.empty());
  CHECK(got[2].text.find("Архив") == 0);
  CHECK(got[2].text.find("«архив.zip»") != std::string::npos);
  CHECK(got[2].text.find("больше предела") != std::string::npos);
  CHECK(got[2].original == "Архив");
  CHECK(server.calls("download").size() == 2);
}

TEST_CASE("a file announced small that turns out big is cut off at the limit and noted", "[telegram]") {
  fake_bot_api server(token);
  recording_sink sink;
  server.file({{"file_id", "LIE"}, {"path", "documents/file_9.bin"}, {"data_b64", b64(std::string(9000, 'x'))}, {"announce_size", 10}});
  auto id = server.update(document_message(13, "", {{"file_name", "x.bin"}, {"file_id", "LIE"}, {"file_unique_id", "L"},
                                                    {"file_size", 10}}))["update_id"].get<long long>();
  auto got = take_until(server, sink, id);
  REQUIRE(got.size() == 1);
  CHECK(got[0].attachments.empty());
  CHECK(got[0].text.find("больше предела") != std::string::npos);
}

TEST_CASE("a file the store refuses as too large is noted and the message still goes in", "[telegram]") {
  fake_bot_api server(token);
  recording_sink sink;
  sink.max_attachment_bytes = 1000;  // the daemon's [attachments] max_bytes, below the bot's own limit
  server.file({{"file_id", "SCAN"}, {"path", "documents/file_7.pdf"}, {"data_b64", b64(std::string(3000, 's'))}});
  server.file({{"file_id", "NOTE"}, {"path", "documents/file_8.txt"}, {"data_b64", b64("ok")}});
  server.update(document_message(14, "Скан договора",
                                 {{"file_name", "скан.pdf"}, {"mime_type", "application/pdf"}, {"file_id", "SCAN"},
                                  {"file_unique_id", "AgADSCAN"}, {"file_size", 3000}}));
  auto id = server.update(document_message(15, "", {{"file_name", "note.txt"}, {"mime_type", "text/plain"},
                                                    {"file_id", "NOTE"}, {"file_unique_id", "AgADNOTE"},
                                                    {"file_size", 2}}))["update_id"]
                .get<long long>();
  auto got = take_until(server, sink, id);
  REQUIRE(got.size() == 2);
  CHECK(got[0].attachments.empty());
  CHECK(got[0].original == "Скан договора");
  CHECK_THAT(got[0].text, Catch::StartsWith("Скан договора"));
  CHECK_THAT(got[0].text, Catch::Contains("Файл «скан.pdf»"));
  CHECK_THAT(got[0].text, Catch::Contains("attachments.max_bytes"));
  REQUIRE(got[1].attachments.size() == 1);  // the next update goes on as usual
  CHECK(sink.rejected().empty());
}

TEST_CASE("what cannot be used is kept as a channel error with the raw update", "[telegram]") {
  fake_bot_api server(token);
  auto api = std::make_shared<bot_api>(server.url(), token);
  auto ledger = std::make_shared<memory_ledger>();
  recording_sink sink;
  auto loc = fake_bot_api::text_message(100001, "", 20);
  loc["message"].erase("text");
  loc["message"]["location"] = {{"latitude", 55.75}, {"longitude", 37.62}};
  auto id = server.update(loc)["update_id"].get<long long>();
  telegram_source src(api, ledger, quick());
  src.start(sink);
  REQUIRE(until([&] { return src.offset() == id + 1; }));
  src.stop();
  CHECK(sink.accepted().empty());
  auto errors = sink.rejected();
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].channel == "telegram");
  CHECK(errors[0].external_id == "update:" + std::to_string(id));
  CHECK(errors[0].reason.find("location") != std::string::npos);
  CHECK(json::parse(errors[0].raw)["message"]["location"]["latitude"] == 55.75);
}

TEST_CASE("a message not committed comes again, a refused one is not retried", "[telegram]") {
  fake_bot_api server(token);
  auto api = std::make_shared<bot_api>(server.url(), token);
  auto ledger = std::make_shared<memory_ledger>();
  recording_sink sink;
  sink.not_committed = 2;
  auto id = server.update(fake_bot_api::text_message(100001, "вопрос", 21))["update_id"].get<long long>();
  {
    telegram_source src(api, ledger, quick());
    src.start(sink);
    REQUIRE(until([&] { return src.offset() == id + 1; }));
  }
  REQUIRE(sink.accepted().size() == 1);
  CHECK(sink.accepted()[0].external_id == "100001:21");

  sink.refuse_with = "channel 'telegram': no playbook starts on it";
  auto next = server.update(fake_bot_api::text_message(100001, "ещё вопрос", 22))["update_id"].get<long long>();
  telegram_source src(api, ledger, quick());
  src.start(sink);
  REQUIRE(until([&] { return src.offset() == next + 1; }));
  src.stop();
  auto errors = sink.rejected();
  REQUIRE(errors.size() == 1);  // the sink's own record; the source adds none
  CHECK(errors[0].external_id == "100001:22");
}

TEST_CASE("/start CODE redeems the code and answers in Russian, a failed redeem is retried", "[telegram]") {
  fake_bot_api server(token);
  auto api = std::make_shared<bot_api>(server.url(), token);
  auto ledger = std::make_shared<memory_ledger>();
  recording_sink sink;
  std::mutex m;
  std::vector<std::pair<std::string, std::string>> asked;
  int failures_left = 1;
  auto opt = quick();
  opt.redeem = [&](const std::string& code, const std::string& user) {
    std::lock_guard lock(m);
    if (failures_left-- > 0) throw std::runtime_error("database is locked");
    asked.emplace_back(code, user);
    if (code == "GOODCODE42") return link_reply{link_outcome::linked, "ООО «Ромашка»"};
    return link_reply{link_outcome::expired, ""};
  };
  server.update(fake_bot_api::text_message(100001, "/start GOODCODE42", 30));
  server.update(fake_bot_api::text_message(100002, "/start OLDCODE", 1));
  auto id = server.update(fake_bot_api::text_message(100003, "/start", 1))["update_id"].get<long long>();
  telegram_source src(api, ledger, opt);
  src.start(sink);
  REQUIRE(until([&] { return src.offset() == id + 1; }));
  src.stop();
  CHECK(sink.accepted().empty());
  CHECK(sink.rejected().empty());
  std::lock_guard lock(m);
  REQUIRE(asked.size() == 2);
  CHECK(asked[0] == std::make_pair(std::string("GOODCODE42"), std::string("100001")));
  auto answers = server.calls("sendMessage");
  REQUIRE(answers.size() == 3);
  CHECK(answers[0]["params"]["chat_id"] == "100001");
  CHECK(answers[0]["params"]["text"].get<std::string>().find("привязан к компании «ООО «Ромашка»»") != std::string::npos);
  CHECK(answers[1]["params"]["text"].get<std::string>().find("истёк") != std::string::npos);
  CHECK(answers[2]["params"]["text"].get<std::string>().find("/start КОД") != std::string::npos);
}

TEST_CASE("stop() ends a long poll in progress", "[telegram]") {
  fake_bot_api server(token);
  auto api = std::make_shared<bot_api>(server.url(), token);
  auto ledger = std::make_shared<memory_ledger>();
  recording_sink sink;
  auto opt = quick();
  opt.poll_timeout_seconds = 50;
  telegram_source src(api, ledger, opt);
  src.start(sink);
  REQUIRE(until([&] { return server.state()["polls"].get<int>() >= 1; }));
  src.stop();  // returns although Telegram would hold the poll for 50 s
  CHECK(src.polls() == 1);
}
