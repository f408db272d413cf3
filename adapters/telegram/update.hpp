// What one Bot API update asks of the bot, decided without any I/O: a client's message
// (with the files to fetch), a pressed inline button, a `/start CODE` link request, a
// bare `/start`, or an update that cannot be used (kept with the reason). Also the
// callback_data scheme for reply buttons. Plain functions and value types.
#pragma once

#include "engine/case_event.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace reglament::telegram {

// A file a message carries (photo, document, voice...), fetched later with getFile.
struct file_ref {
  std::string file_id;
  std::string name;          // the document's file_name, or one made up ("photo_42.jpg")
  std::string content_type;  // the declared mime_type, or what the kind implies
  std::uint64_t size = 0;    // file_size as announced; 0 when unknown
};

struct update_action {
  enum class kind {
    message,   // a client's message (also an edit, with a distinct external id)
    callback,  // a pressed inline button: message.text is its label, or empty if unresolved
    link,      // "/start CODE": link user_id with the code, answer in chat_id
    hello,     // a bare "/start": answer in chat_id how to write a request
    reject,    // cannot be used: `reason` says why
  };
  kind what = kind::reject;
  std::int64_t update_id = 0;
  // message, callback: channel "telegram", external_id, sender (user id), thread (chat
  // id), text, sender_name; an edit sets subject to a note naming the edited message.
  inbound_message message;
  std::vector<file_ref> files;
  std::string callback_id;         // callback: for answerCallbackQuery
  std::string callback_data;       // callback: the pressed button's data
  std::int64_t callback_message_id = 0;  // callback: the message the button was under
  std::string chat_id;             // where the bot answers (link, hello, callback)
  std::string user_id;             // link: the Telegram user to link
  std::string code;                // link: the code as typed
  std::string reason;              // reject
};

// Reads one element of getUpdates' result. Never throws: what it cannot read becomes
// kind::reject with the field at fault ("message.from.id: missing").
update_action parse_update(const nlohmann::json& update);

// The callback_data of button `index` labelled `label`: "b<index>:<8 hex>" (at most 20
// bytes, under Telegram's 64). The hash lets a stale keyboard be told from a new one.
std::string callback_data_for(std::size_t index, const std::string& label);
// The label `data` stands for among `buttons`, if it matches one.
std::optional<std::string> label_for(const std::string& data, const std::vector<std::string>& buttons);

// The chat id / message id the Bot API sent as JSON numbers, as text ("-1001234").
std::string id_text(const nlohmann::json& id);

}  // namespace reglament::telegram
