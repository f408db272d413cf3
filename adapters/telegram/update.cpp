#include "adapters/telegram/update.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdio>

namespace reglament::telegram {
namespace {

using json = nlohmann::json;

const json* member(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

std::string str(const json& j, const char* key) {
  const json* v = member(j, key);
  return v && v->is_string() ? v->get<std::string>() : std::string{};
}

bool is_id(const json* v) { return v && (v->is_number_integer() || v->is_number_unsigned()); }

std::string keys_of(const json& j) {
  std::string out;
  if (j.is_object())
    for (const auto& [k, v] : j.items()) out += (out.empty() ? "" : ", ") + k;
  return out;
}

std::string full_name(const json& user) {
  std::string name = str(user, "first_name");
  const std::string last = str(user, "last_name");
  if (!last.empty()) name += (name.empty() ? "" : " ") + last;
  if (name.empty()) name = str(user, "username");
  return name;
}

std::uint32_t fnv1a(const std::string& s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

// The files of a message, in the order a person would name them.
void collect_files(const json& msg, std::int64_t message_id, std::vector<file_ref>& out) {
  auto add = [&](const json& f, std::string name, std::string type) {
    file_ref r;
    r.file_id = str(f, "file_id");
    if (r.file_id.empty()) return;
    if (auto n = str(f, "file_name"); !n.empty()) name = n;
    if (auto t = str(f, "mime_type"); !t.empty()) type = t;
    r.name = std::move(name);
    r.content_type = std::move(type);
    if (const json* s = member(f, "file_size"); is_id(s) && s->get<std::int64_t>() > 0) r.size = s->get<std::uint64_t>();
    out.push_back(std::move(r));
  };
  const std::string n = std::to_string(message_id);
  if (const json* p = member(msg, "photo"); p && p->is_array() && !p->empty())
    add(p->back(), "photo_" + n + ".jpg", "image/jpeg");  // sizes come smallest first
  if (const json* a = member(msg, "animation"))
    add(*a, "animation_" + n + ".mp4", "video/mp4");
  else if (const json* d = member(msg, "document"))
    add(*d, "document_" + n, "application/octet-stream");
  if (const json* v = member(msg, "video")) add(*v, "video_" + n + ".mp4", "video/mp4");
  if (const json* v = member(msg, "voice")) add(*v, "voice_" + n + ".ogg", "audio/ogg");
  if (const json* v = member(msg, "audio")) add(*v, "audio_" + n + ".mp3", "audio/mpeg");
  if (const json* v = member(msg, "video_note")) add(*v, "video_note_" + n + ".mp4", "video/mp4");
}

update_action reject(std::int64_t id, std::string reason) {
  update_action a;
  a.what = update_action::kind::reject;
  a.update_id = id;
  a.reason = std::move(reason);
  return a;
}

// "/start", "/start@my_bot" -> true and the argument after it (may be empty).
bool start_command(const std::string& text, std::string& argument) {
  if (text.rfind("/start", 0) != 0) return false;
  std::size_t i = 6;
  if (i < text.size() && text[i] == '@')
    while (i < text.size() && text[i] != ' ' && text[i] != '\n') ++i;
  if (i < text.size() && text[i] != ' ' && text[i] != '\n') return false;  // "/starting"
  while (i < text.size() && (text[i] == ' ' || text[i] == '\n')) ++i;
  std::size_t end = text.size();
  while (end > i && (text[end - 1] == ' ' || text[end - 1] == '\n')) --end;
  argument = text.substr(i, end - i);
  return true;
}

update_action from_message(std::int64_t update_id, const json& msg, bool edited) {
  const char* where = edited ? "edited_message" : "message";
  const json* from = member(msg, "from");
  const json* chat = member(msg, "chat");
  const json* mid = member(msg, "message_id");
  if (!from || !is_id(member(*from, "id")))
    return reject(update_id, fmt::format("{}.from.id: missing (a channel post or an anonymous admin?)", where));
  if (!chat || !is_id(member(*chat, "id"))) return reject(update_id, fmt::format("{}.chat.id: missing", where));
  if (!is_id(mid)) return reject(update_id, fmt::format("{}.message_id: missing", where));

  update_action a;
  a.update_id = update_id;
  a.chat_id = id_text((*chat)["id"]);
  a.user_id = id_text((*from)["id"]);
  const std::int64_t message_id = mid->get<std::int64_t>();
  std::string text = str(msg, "text");
  if (text.empty()) text = str(msg, "caption");

  std::string argument;
  if (!edited && start_command(text, argument)) {
    a.what = argument.empty() ? update_action::kind::hello : update_action::kind::link;
    a.code = argument;
    return a;
  }

  collect_files(msg, message_id, a.files);
  if (text.empty()) {
    if (const json* s = member(msg, "sticker")) {
      text = "(стикер" + (str(*s, "emoji").empty() ? std::string{} : " " + str(*s, "emoji")) + ")";
    } else if (!a.files.empty()) {
      text = a.files.size() == 1 ? fmt::format("(файл «{}»)", a.files.front().name)
                                 : fmt::format("(файлов: {})", a.files.size());
    } else {
      return reject(update_id, fmt::format("{} {} has no text, caption or file the bot reads (it has: {})", where,
                                           message_id, keys_of(msg)));
    }
  }

  a.what = update_action::kind::message;
  auto& m = a.message;
  m.channel = "telegram";
  m.sender = a.user_id;
  m.thread = a.chat_id;
  m.text = std::move(text);
  m.sender_name = full_name(*from);
  m.external_id = fmt::format("{}:{}", a.chat_id, message_id);
  if (edited) {
    const json* when = member(msg, "edit_date");
    m.external_id += ":edit:" + (is_id(when) ? id_text(*when) : std::to_string(update_id));
    m.subject = fmt::format("Исправление сообщения №{}", message_id);
  }
  return a;
}

update_action from_callback(std::int64_t update_id, const json& q) {
  const json* from = member(q, "from");
  const std::string id = str(q, "id");
  if (id.empty()) return reject(update_id, "callback_query.id: missing");
  if (!from || !is_id(member(*from, "id"))) return reject(update_id, "callback_query.from.id: missing");
  update_action a;
  a.what = update_action::kind::callback;
  a.update_id = update_id;
  a.callback_id = id;
  a.callback_data = str(q, "data");
  a.user_id = id_text((*from)["id"]);
  a.chat_id = a.user_id;
  std::vector<std::string> labels;
  std::vector<std::string> datas;
  if (const json* msg = member(q, "message")) {
    if (const json* chat = member(*msg, "chat"); chat && is_id(member(*chat, "id"))) a.chat_id = id_text((*chat)["id"]);
    if (const json* mid = member(*msg, "message_id"); is_id(mid)) a.callback_message_id = mid->get<std::int64_t>();
    // A message older than 48 hours comes as an InaccessibleMessage (date 0) without
    // its keyboard: the source then looks the label up in what it recorded when sending.
    if (const json* markup = member(*msg, "reply_markup"))
      if (const json* rows = member(*markup, "inline_keyboard"); rows && rows->is_array())
        for (const auto& row : *rows)
          if (row.is_array())
            for (const auto& b : row)
              if (str(b, "callback_data") == a.callback_data && !a.callback_data.empty()) a.message.text = str(b, "text");
  }
  auto& m = a.message;
  m.channel = "telegram";
  m.sender = a.user_id;
  m.thread = a.chat_id;
  m.sender_name = full_name(*from);
  m.external_id = "cb:" + id;
  return a;
}

}  // namespace

std::string id_text(const json& id) {
  if (id.is_number_integer()) return std::to_string(id.get<std::int64_t>());
  if (id.is_number_unsigned()) return std::to_string(id.get<std::uint64_t>());
  if (id.is_string()) return id.get<std::string>();
  return {};
}

update_action parse_update(const json& update) {
  const json* uid = member(update, "update_id");
  if (!is_id(uid)) return reject(0, "update_id: missing or not an integer");
  const std::int64_t id = uid->get<std::int64_t>();
  if (const json* m = member(update, "message")) return from_message(id, *m, false);
  if (const json* m = member(update, "edited_message")) return from_message(id, *m, true);
  if (const json* q = member(update, "callback_query")) return from_callback(id, *q);
  return reject(id, fmt::format("update {} is of a kind the bot does not handle (it has: {})", id, keys_of(update)));
}

std::string callback_data_for(std::size_t index, const std::string& label) {
  return fmt::format("b{}:{:08x}", index, fnv1a(label));
}

std::optional<std::string> label_for(const std::string& data, const std::vector<std::string>& buttons) {
  for (std::size_t i = 0; i < buttons.size(); ++i)
    if (callback_data_for(i, buttons[i]) == data) return buttons[i];
  return std::nullopt;
}

}  // namespace reglament::telegram
