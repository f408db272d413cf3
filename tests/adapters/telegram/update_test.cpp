#include "adapters/telegram/update.hpp"

#include <catch2/catch.hpp>

using reglament::telegram::callback_data_for;
using reglament::telegram::label_for;
using reglament::telegram::parse_update;
using reglament::telegram::update_action;
using json = nlohmann::json;

namespace {

json user(long long id) { return {{"id", id}, {"is_bot", false}, {"first_name", "Анна"}, {"last_name", "Петрова"}}; }
json private_chat(long long id) { return {{"id", id}, {"first_name", "Анна"}, {"type", "private"}}; }

json message(json extra) {
  json m{{"message_id", 17}, {"from", user(100001)}, {"chat", private_chat(100001)}, {"date", 1795000000}};
  m.update(extra);
  return m;
}

}  // namespace

TEST_CASE("a text message becomes an inbound message from the user in the chat", "[telegram]") {
  auto a = parse_update({{"update_id", 5001}, {"message", message({{"text", "Нужна справка 2-НДФЛ"}})}});
  REQUIRE(a.what == update_action::kind::message);
  CHECK(a.update_id == 5001);
  CHECK(a.message.channel == "telegram");
  CHECK(a.message.external_id == "100001:17");
  CHECK(a.message.sender == "100001");
  CHECK(a.message.thread == "100001");
  CHECK(a.message.text == "Нужна справка 2-НДФЛ");
  CHECK(a.message.sender_name == "Анна Петрова");
  CHECK(a.message.subject.empty());
}

TEST_CASE("in a group the thread is the chat and the sender the user", "[telegram]") {
  json m = message({{"text", "Добрый день"}});
  m["chat"] = {{"id", -1001234567890LL}, {"title", "ООО Ромашка и бухгалтерия"}, {"type", "supergroup"}};
  auto a = parse_update({{"update_id", 5002}, {"message", m}});
  REQUIRE(a.what == update_action::kind::message);
  CHECK(a.message.thread == "-1001234567890");
  CHECK(a.message.sender == "100001");
  CHECK(a.message.external_id == "-1001234567890:17");
}

TEST_CASE("an edited message is a new inbound with its own id and a note", "[telegram]") {
  auto a = parse_update(
      {{"update_id", 5003}, {"edited_message", message({{"text", "Нужна справка 2-НДФЛ за 2025"}, {"edit_date", 1795000100}})}});
  REQUIRE(a.what == update_action::kind::message);
  CHECK(a.message.external_id == "100001:17:edit:1795000100");
  CHECK(a.message.subject == "Исправление сообщения №17");
  CHECK(a.message.text == "Нужна справка 2-НДФЛ за 2025");
}

TEST_CASE("a pressed button comes back with its label from the keyboard", "[telegram]") {
  const std::string data = callback_data_for(1, "Нет, спасибо");
  json keyboard{{"inline_keyboard",
                 json::array({json::array({{{"text", "Согласен"}, {"callback_data", callback_data_for(0, "Согласен")}}}),
                              json::array({{{"text", "Нет, спасибо"}, {"callback_data", data}}})})}};
  json bot_message{{"message_id", 3}, {"from", {{"id", 7000001}, {"is_bot", true}, {"first_name", "Bot"}}},
                   {"chat", private_chat(100001)}, {"date", 1795000000}, {"text", "Стоимость 3000 ₽"},
                   {"reply_markup", keyboard}};
  auto a = parse_update({{"update_id", 5004},
                         {"callback_query",
                          {{"id", "4382bfdwdsb323b2d9"}, {"from", user(100001)}, {"message", bot_message},
                           {"chat_instance", "-53453451"}, {"data", data}}}});
  REQUIRE(a.what == update_action::kind::callback);
  CHECK(a.callback_id == "4382bfdwdsb323b2d9");
  CHECK(a.message.text == "Нет, спасибо");
  CHECK(a.message.external_id == "cb:4382bfdwdsb323b2d9");
  CHECK(a.message.thread == "100001");
  CHECK(a.callback_message_id == 3);
}

TEST_CASE("a button under an inaccessible message is left for the ledger to resolve", "[telegram]") {
  auto a = parse_update({{"update_id", 5005},
                         {"callback_query",
                          {{"id", "77"}, {"from", user(100001)},
                           {"message", {{"chat", private_chat(100001)}, {"message_id", 3}, {"date", 0}}},
                           {"chat_instance", "-1"}, {"data", callback_data_for(0, "Согласен")}}}});
  REQUIRE(a.what == update_action::kind::callback);
  CHECK(a.message.text.empty());
  CHECK(a.callback_message_id == 3);
  CHECK(label_for(a.callback_data, {"Согласен", "Нет"}) == std::optional<std::string>("Согласен"));
  CHECK_FALSE(label_for(a.callback_data, {"Другая", "Нет"}));
}

TEST_CASE("callback data fits Telegram's 64 bytes whatever the label", "[telegram]") {
  const std::string long_label(300, 'x');
  CHECK(callback_data_for(99, long_label).size() <= 64);
  CHECK(callback_data_for(0, "Согласен") != callback_data_for(0, "Не согласен"));
}

TEST_CASE("/start with a code asks to link, without one asks for a hello", "[telegram]") {
  auto a = parse_update({{"update_id", 1}, {"message", message({{"text", "/start K7M2QX9PRT"}})}});
  REQUIRE(a.what == update_action::kind::link);
  CHECK(a.code == "K7M2QX9PRT");
  CHECK(a.user_id == "100001");
  CHECK(a.chat_id == "100001");
  auto b = parse_update({{"update_id", 2}, {"message", message({{"text", "/start@reglament_bot  abc "}})}});
  REQUIRE(b.what == update_action::kind::link);
  CHECK(b.code == "abc");
  CHECK(parse_update({{"update_id", 3}, {"message", message({{"text", "/start"}})}}).what == update_action::kind::hello);
  CHECK(parse_update({{"update_id", 4}, {"message", message({{"text", "/starting"}})}}).what == update_action::kind::message);
}

TEST_CASE("photos and documents are listed to fetch, the largest photo size is taken", "[telegram]") {
  auto a = parse_update(
      {{"update_id", 6},
       {"message", message({{"caption", "Акт сверки"},
                            {"photo", json::array({{{"file_id", "small"}, {"file_unique_id", "s"}, {"file_size", 1000}, {"width", 90}, {"height", 90}},
                                                   {{"file_id", "big"}, {"file_unique_id", "b"}, {"file_size", 90000}, {"width", 1280}, {"height", 960}}})}})}});
  REQUIRE(a.what == update_action::kind::message);
  REQUIRE(a.files.size() == 1);
  CHECK(a.files[0].file_id == "big");
  CHECK(a.files[0].name == "photo_17.jpg");
  CHECK(a.files[0].size == 90000);
  CHECK(a.message.text == "Акт сверки");

  auto d = parse_update({{"update_id", 7},
                         {"message", message({{"document", {{"file_name", "Счёт №12.pdf"}, {"mime_type", "application/pdf"},
                                                           {"file_id", "doc1"}, {"file_unique_id", "d1"}, {"file_size", 5000}}}})}});
  REQUIRE(d.what == update_action::kind::message);
  REQUIRE(d.files.size() == 1);
  CHECK(d.files[0].name == "Счёт №12.pdf");
  CHECK(d.files[0].content_type == "application/pdf");
  CHECK(d.message.text == "(файл «Счёт №12.pdf»)");
}

TEST_CASE("what the bot cannot use is rejected with the field at fault", "[telegram]") {
  auto loc = parse_update({{"update_id", 8}, {"message", message({{"location", {{"latitude", 55.75}, {"longitude", 37.62}}}})}});
  REQUIRE(loc.what == update_action::kind::reject);
  CHECK(loc.reason.find("location") != std::string::npos);
  auto no_id = parse_update({{"message", message({{"text", "x"}})}});
  CHECK(no_id.what == update_action::kind::reject);
  CHECK(no_id.reason.find("update_id") != std::string::npos);
  json post = message({{"text", "x"}});
  post.erase("from");
  auto channel_post = parse_update({{"update_id", 9}, {"message", post}});
  CHECK(channel_post.what == update_action::kind::reject);
  CHECK(channel_post.reason.find("message.from.id") != std::string::npos);
  auto poll = parse_update({{"update_id", 10}, {"poll", {{"id", "1"}}}});
  CHECK(poll.what == update_action::kind::reject);
  CHECK(poll.reason.find("poll") != std::string::npos);
  CHECK(parse_update(json::array()).what == update_action::kind::reject);
}

TEST_CASE("a sticker is a message naming it", "[telegram]") {
  auto a = parse_update({{"update_id", 11}, {"message", message({{"sticker", {{"file_id", "st"}, {"emoji", "👍"}, {"type", "regular"}}}})}});
  REQUIRE(a.what == update_action::kind::message);
  CHECK(a.message.text == "(стикер 👍)");
}
