#include "adapters/webchat/protocol.hpp"

#include "engine/clock.hpp"
#include "engine/text.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace reglament::webchat {

using nlohmann::json;

namespace {

protocol_error bad(std::string code, std::string message, std::string id = {}) {
  return protocol_error{std::move(code), std::move(message), std::move(id)};
}

bool good_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  return true;
}

// Drops control characters but newline and tab, turns \r\n and \r into \n, trims.
std::string clean_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\r') {
      if (i + 1 < s.size() && s[i + 1] == '\n') continue;
      out += '\n';
    } else if (c < 0x20 && c != '\n' && c != '\t') {
      continue;
    } else if (c == 0x7f) {
      continue;
    } else {
      out += static_cast<char>(c);
    }
  }
  const auto first = out.find_first_not_of(" \t\n");
  if (first == std::string::npos) return {};
  const auto last = out.find_last_not_of(" \t\n");
  return out.substr(first, last - first + 1);
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

client_frame parse_hello(const json& j) {
  hello_frame h;
  for (const auto& [k, v] : j.items()) {
    if (k == "type") continue;
    if (k == "token") {
      if (v.is_null()) continue;
      if (!v.is_string()) return bad("bad_frame", "hello: field 'token' must be a string");
      h.token = v.get<std::string>();
    } else if (k == "after") {
      if (!v.is_number_integer() || v.get<std::int64_t>() < 0)
        return bad("bad_frame", "hello: field 'after' must be a sequence number (0 or more)");
      h.after = v.get<std::int64_t>();
    } else if (k == "lang") {
      if (!v.is_string()) return bad("bad_frame", "hello: field 'lang' must be \"ru\" or \"en\"");
      const auto lang = v.get<std::string>();
      if (lang != "ru" && lang != "en") return bad("bad_frame", "hello: field 'lang' must be \"ru\" or \"en\"");
      h.lang = lang;
    } else if (k == "firm") {
      if (!v.is_string() || v.get<std::string>().size() > 100)
        return bad("bad_frame", "hello: field 'firm' must be a string of at most 100 bytes");
      h.firm = v.get<std::string>();
    } else {
      return bad("bad_frame", fmt::format("hello: unknown field '{}' (expected token, after, lang, firm)", k));
    }
  }
  return h;
}

client_frame parse_message(const json& j, std::size_t max_text_bytes) {
  message_frame m;
  auto id = j.find("id");
  if (id == j.end() || !id->is_string() || !good_id(id->get<std::string>()))
    return bad("bad_frame", "message: field 'id' must be 1-64 characters of A-Z, a-z, 0-9, '-' or '_'");
  m.id = id->get<std::string>();
  for (const auto& [k, v] : j.items())
    if (k != "type" && k != "id" && k != "text")
      return bad("bad_frame", fmt::format("message: unknown field '{}' (expected id, text)", k), m.id);
  auto text = j.find("text");
  if (text == j.end() || !text->is_string()) return bad("bad_frame", "message: field 'text' must be a string", m.id);
  const auto& raw = text->get_ref<const std::string&>();
  if (!valid_utf8(raw)) return bad("bad_text", "message: field 'text' is not valid UTF-8", m.id);
  m.text = clean_text(raw);
  if (m.text.empty()) return bad("empty_text", "message: the text is empty", m.id);
  if (m.text.size() > max_text_bytes)
    return bad("too_large",
               fmt::format("message: the text is {} bytes; the limit is {} bytes", m.text.size(), max_text_bytes),
               m.id);
  return m;
}

}  // namespace

client_frame parse_client_frame(std::string_view frame, std::size_t max_text_bytes) {
  json j;
  try {
    j = json::parse(frame);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for 1e999
    return bad("bad_json", fmt::format("the frame is not valid JSON: {}", e.what()));
  }
  if (!j.is_object()) return bad("bad_json", "the frame must be a JSON object");
  auto type = j.find("type");
  if (type == j.end() || !type->is_string())
    return bad("bad_frame", "field 'type' is required: \"hello\" or \"message\"");
  const auto& t = type->get_ref<const std::string&>();
  if (t == "hello") return parse_hello(j);
  if (t == "message") return parse_message(j, max_text_bytes);
  return bad("bad_frame", fmt::format("unknown frame type '{}' (expected hello or message)", t));
}

std::string welcome_json(const welcome_info& w) {
  json j{{"type", "welcome"},
         {"visitor", w.visitor},
         {"last_seq", w.last_seq},
         {"firm", w.firm_name},
         {"limits", {{"text_bytes", w.text_bytes}, {"messages_per_minute", w.messages_per_minute}}}};
  if (!w.token.empty()) j["token"] = w.token;
  return dump(j);
}

std::string message_json(const conversation_entry& e) {
  json j{{"type", "message"},
         {"seq", e.seq},
         {"from", e.from},
         {"text", e.text},
         {"at", to_iso8601(from_millis(e.at_ms))}};
  if (!e.buttons.empty()) j["buttons"] = e.buttons;
  if (!e.client_id.empty()) j["id"] = e.client_id;
  return dump(j);
}

std::string ack_json(const std::string& id, std::int64_t seq) {
  return dump(json{{"type", "ack"}, {"id", id}, {"seq", seq}});
}

std::string error_json(const std::string& code, const std::string& message, const std::string& id,
                       int retry_after, std::size_t limit) {
  json j{{"type", "error"}, {"code", code}, {"message", message}};
  if (!id.empty()) j["id"] = id;
  if (retry_after > 0) j["retry_after"] = retry_after;
  if (limit > 0) j["limit"] = limit;
  return dump(j);
}

}  // namespace reglament::webchat
