// The website chat's wire protocol (docs/CHANNELS.md, "Website chat"): JSON text frames
// over a WebSocket. The widget sends `hello` once, then `message`s; the daemon answers
// `welcome`, streams the conversation as `message`s with per-conversation sequence
// numbers, acknowledges repeats with `ack` and reports problems with `error`.
// Parsing checks every field and never throws: a bad frame becomes a protocol_error with
// a code and a message that says what is wrong. Pure functions; no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace reglament::webchat {

struct hello_frame {
  std::optional<std::string> token;  // absent: a new visitor
  std::int64_t after = 0;            // the last sequence number the widget has seen
  std::string lang = "ru";           // ru | en
  std::string firm;                  // the widget's data-firm, "" if none
};

struct message_frame {
  std::string id;    // the widget's id for this message: a resend with the same id is a repeat
  std::string text;  // cleaned: valid UTF-8, trimmed, no control characters but \n and \t
};

struct protocol_error {
  std::string code;     // bad_json, bad_frame, too_large, empty_text, bad_text, ...
  std::string message;  // English, says what and where
  std::string id;       // the message id it concerns, if known
};

using client_frame = std::variant<hello_frame, message_frame, protocol_error>;

// `max_text_bytes`: the limit on a message's text, after cleaning.
client_frame parse_client_frame(std::string_view frame, std::size_t max_text_bytes);

// One entry of a conversation, as stored and as sent.
struct conversation_entry {
  std::int64_t seq = 0;
  std::string from;  // visitor | firm
  std::string text;
  std::vector<std::string> buttons;
  std::int64_t at_ms = 0;  // milliseconds since the epoch (UTC)
  std::string client_id;   // visitor's messages: the widget's id
};

struct welcome_info {
  std::string visitor;
  std::string token;  // only when it was just issued
  std::int64_t last_seq = 0;
  std::string firm_name;
  std::size_t text_bytes = 0;
  int messages_per_minute = 0;
};

std::string welcome_json(const welcome_info& w);
std::string message_json(const conversation_entry& e);
std::string ack_json(const std::string& id, std::int64_t seq);
// `retry_after` > 0 adds "retry_after" (seconds); `limit` > 0 adds "limit".
std::string error_json(const std::string& code, const std::string& message, const std::string& id = {},
                       int retry_after = 0, std::size_t limit = 0);

}  // namespace reglament::webchat
