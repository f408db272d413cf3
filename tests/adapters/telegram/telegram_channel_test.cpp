#include "adapters/telegram/telegram_channel.hpp"

#include "adapters/telegram/update.hpp"
#include "tests/adapters/telegram/fake_bot_api.hpp"

#include <catch2/catch.hpp>

using reglament::outbound_message;
using reglament::telegram::bot_api;
using reglament::telegram::memory_ledger;
using reglament::telegram::telegram_channel;
using reglament::testing::fake_bot_api;

namespace {

const std::string token = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11";

outbound_message to_client(const std::string& key, const std::string& text, std::vector<std::string> buttons = {}) {
  outbound_message m;
  m.idempotency_key = key;
  m.channel = "telegram";
  m.to = "100001";
  m.text = text;
  m.case_no = 1;
  m.buttons = std::move(buttons);
  return m;
}

}  // namespace

TEST_CASE("a message with buttons is sent with an inline keyboard whose data fits 64 bytes", "[telegram]") {
  fake_bot_api server(token);
  auto api = std::make_shared<bot_api>(server.url(), token);
  auto ledger = std::make_shared<memory_ledger>();
  telegram_channel ch(api, ledger);
  const std::string long_label = "Согласен, выставляйте счёт на всю сумму сразу, пожалуйста, без рассрочки";
  auto s = ch.deliver(to_client("1/1", "Стоимость 3000 ₽. Согласны?", {long_label, "Нет"}));
  REQUIRE(s.ok);
  auto sent = server.calls("sendMessage");
  REQUIRE(sent.size() == 1);
  const auto& p = sent[0]["params"];
  CHECK(p["chat_id"] == "100001");
  CHECK(p["text"] == "Стоимость 3000 ₽. Согласны?");
  const auto& rows = p["reply_markup"]["inline_keyboard"];
  REQUIRE(rows.size() == 2);
  CHECK(rows[0][0]["text"] == long_label);
  CHECK(rows[0][0]["callback_data"].get<std::string>().size() <= 64);
  CHECK(rows[1][0]["callback_data"] == reglament::telegram::callback_data_for(1, "Нет"));
  auto rec = ledger->find("1/1");
  REQUIRE(rec);
  CHECK(rec->message_id == 1);
  CHECK(rec->buttons == std::vector<std::string>{long_label, "Нет"});
}

TEST_CASE("a retry of a message already sent does not send it again", "[telegram]") {
  fake_bot_api server(token);
  auto api = std::make_shared<bot_api>(server.url(), token);
  auto ledger = std::make_shared<memory_ledger>();
  telegram_channel ch(api, ledger);
  REQUIRE(ch.deliver(to_client("2/1", "Здравствуйте!")).ok);
  // The dispatcher offers it again (its report was lost in a crash): acknowledged only.
  telegram_channel after_restart(api, ledger);
  REQUIRE(after_restart.deliver(to_client("2/1", "Здравствуйте!")).ok);
  CHECK(server.calls("sendMessage").size() == 1);
}

TEST_CASE("429 asks to retry after the time Telegram gives", "[telegram]") {
  fake_bot_api server(token);
  auto api = std::make_shared<bot_api>(server.url(), token);
  auto ledger = std::make_shared<memory_ledger>();
  telegram_channel ch(api, ledger);
  server.fail("sendMessage", 429, 1, 7, "Too Many Requests: retry after 7");
  auto s = ch.deliver(to_client("3/1", "Добрый день"));
  CHECK_FALSE(s.ok);
  CHECK_FALSE(s.permanent);
  CHECK(s.retry_after_seconds == 7);
  CHECK(s.error.find("429") != std::string::npos);
  CHECK(ledger->size() == 0);
  CHECK(ch.deliver(to_client("3/1", "Добрый день")).ok);
}

TEST_CASE("5xx and no answer are transient, chat not found and blocked are permanent", "[telegram]") {
  fake_bot_api server(token);
  auto api = std::make_shared<bot_api>(server.url(), token);
  auto ledger = std::make_shared<memory_ledger>();
  telegram_channel ch(api, ledger);
  server.fail("sendMessage", 502, 1, 0, "Bad Gateway");
  auto bad_gateway = ch.deliver(to_client("4/1", "текст"));
  CHECK_FALSE(bad_gateway.ok);
  CHECK_FALSE(bad_gateway.permanent);
  CHECK(bad_gateway.retry_after_seconds == 0);

  auto m = to_client("4/2", "текст");
  m.to = "404404";
  auto not_found = ch.deliver(m);
  CHECK_FALSE(not_found.ok);
  CHECK(not_found.permanent);
  CHECK(not_found.error.find("chat not found") != std::string::npos);
  m.to = "403403";
  auto blocked = ch.deliver(m);
  CHECK(blocked.permanent);
  CHECK(blocked.error.find("blocked") != std::string::npos);

  auto nowhere = std::make_shared<bot_api>("http://127.0.0.1:1", token);
  telegram_channel down(nowhere, ledger);
  auto refused = down.deliver(to_client("4/3", "текст"));
  CHECK_FALSE(refused.ok);
  CHECK_FALSE(refused.permanent);
  CHECK(refused.error.find(token) == std::string::npos);
}

TEST_CASE("a wrong token is reported without the token and retried, not dead-lettered", "[telegram]") {
  fake_bot_api server(token);
  auto api = std::make_shared<bot_api>(server.url(), "999:wrong-token-value");
  auto ledger = std::make_shared<memory_ledger>();
  telegram_channel ch(api, ledger);
  auto s = ch.deliver(to_client("5/1", "текст"));
  CHECK_FALSE(s.ok);
  CHECK_FALSE(s.permanent);
  CHECK(s.error.find("401") != std::string::npos);
  CHECK(s.error.find("wrong-token-value") == std::string::npos);
  CHECK(api->redact("GET /bot999:wrong-token-value/getMe") == "GET /bot<token>/getMe");
}

TEST_CASE("a text over 4096 characters goes as several messages, buttons under the last", "[telegram]") {
  fake_bot_api server(token);
  auto api = std::make_shared<bot_api>(server.url(), token);
  auto ledger = std::make_shared<memory_ledger>();
  telegram_channel ch(api, ledger);
  std::string text;
  for (int i = 0; i < 600; ++i) text += "Строка номер " + std::to_string(i) + "\n";  // ~ 11 000 characters
  REQUIRE(ch.deliver(to_client("6/1", text, {"Да", "Нет"})).ok);
  auto sent = server.calls("sendMessage");
  REQUIRE(sent.size() == 3);
  std::string joined;
  for (const auto& c : sent) joined += c["params"]["text"].get<std::string>();
  CHECK(joined == text);
  CHECK_FALSE(sent[0]["params"].contains("reply_markup"));
  CHECK(sent[2]["params"].contains("reply_markup"));

  // A failure on the second part: the retry sends only what is missing.
  server.fail("sendMessage", 500, 1, 0, "Internal Server Error", 1);
  std::string text2 = text + "ещё";
  CHECK_FALSE(ch.deliver(to_client("6/2", text2)).ok);  // first part sent, second failed
  REQUIRE(ch.deliver(to_client("6/2", text2)).ok);
  // 3 (6/1) + part 1 + the failed part 2 + the retry's parts 2 and 3.
  auto all = server.calls("sendMessage");
  REQUIRE(all.size() == 3 + 1 + 1 + 2);
  CHECK(all[5]["params"]["text"] == all[4]["params"]["text"]);
  CHECK(all[3]["params"]["text"] != all[5]["params"]["text"]);
}

TEST_CASE("split_text keeps UTF-8 characters whole", "[telegram]") {
  auto parts = telegram_channel::split_text("ЖЖЖЖЖ", 2);
  CHECK(parts == std::vector<std::string>{"ЖЖ", "ЖЖ", "Ж"});
}
