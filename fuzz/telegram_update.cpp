// The Telegram update parser: a getUpdates element (or a whole result array) as the Bot
// API could send it. It never throws; a message names its chat, sender and a unique id;
// what reaches a case is valid UTF-8; an unusable update says why; a reply button's
// callback_data leads back to its label.
#include "adapters/telegram/update.hpp"
#include "engine/text.hpp"
#include "fuzz/fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

using namespace reglament;
using telegram::update_action;

void check(const nlohmann::json& update) {
  const auto a = telegram::parse_update(update);
  switch (a.what) {
    case update_action::kind::message:
    case update_action::kind::callback:
      FUZZ_CHECK(a.message.channel == "telegram", "channel is " + a.message.channel);
      FUZZ_CHECK(!a.message.external_id.empty(), "a message without an external id");
      FUZZ_CHECK(!a.message.sender.empty() && !a.message.thread.empty(), "a message without sender or chat");
      FUZZ_CHECK(valid_utf8(a.message.text) && valid_utf8(a.message.sender_name) && valid_utf8(a.message.subject),
                 "message text is not UTF-8");
      for (const auto& f : a.files) {
        FUZZ_CHECK(!f.file_id.empty(), "a file without a file_id");
        FUZZ_CHECK(!f.name.empty() && valid_utf8(f.name), "a file without a readable name");
      }
      break;
    case update_action::kind::link:
      FUZZ_CHECK(!a.user_id.empty() && !a.chat_id.empty(), "a link request without user or chat");
      break;
    case update_action::kind::hello:
      FUZZ_CHECK(!a.chat_id.empty(), "a greeting without a chat");
      break;
    case update_action::kind::reject:
      FUZZ_CHECK(!a.reason.empty(), "an update rejected without a reason");
      break;
  }
  if (!a.message.text.empty()) {
    const std::vector<std::string> buttons{"Согласен", a.message.text};
    const auto data = telegram::callback_data_for(1, a.message.text);
    FUZZ_CHECK(data.size() <= 64, "callback_data over Telegram's 64 bytes");
    const auto label = telegram::label_for(data, buttons);
    FUZZ_CHECK(label && *label == a.message.text, "callback_data does not lead back to its label");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto j = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  if (j.is_object() && j.contains("result") && j["result"].is_array()) {
    for (const auto& u : j["result"]) check(u);  // a whole getUpdates response
  } else {
    check(j);
  }
  return 0;
}
