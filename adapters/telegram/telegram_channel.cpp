#include "adapters/telegram/telegram_channel.hpp"

#include "adapters/telegram/update.hpp"

#include <fmt/format.h>

namespace reglament::telegram {
namespace {

using json = nlohmann::json;

constexpr std::chrono::seconds send_timeout{30};

bool continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

std::vector<std::string> telegram_channel::split_text(const std::string& text, std::size_t max_chars) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start < text.size()) {
    // Walk max_chars code points (UTF-8), remembering the last line break.
    std::size_t i = start, chars = 0, last_break = std::string::npos;
    while (i < text.size() && chars < max_chars) {
      if (text[i] == '\n') last_break = i;
      ++i;
      while (i < text.size() && continuation(static_cast<unsigned char>(text[i]))) ++i;
      ++chars;
    }
    std::size_t end = i;
    if (i < text.size() && last_break != std::string::npos && last_break > start + (i - start) / 2) end = last_break + 1;
    parts.push_back(text.substr(start, end - start));
    start = end;
  }
  if (parts.empty()) parts.emplace_back();
  return parts;
}

reglament::delivery_status telegram_channel::deliver(const reglament::outbound_message& m) {
  const std::string chat = m.thread.empty() ? m.to : m.thread;
  if (chat.empty()) return {false, true, "telegram: the message has no chat id (to is empty)"};
  if (m.text.empty() && m.buttons.empty()) return {false, true, "telegram: the message has no text"};
  const auto parts = split_text(m.text.empty() ? "…" : m.text);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string key = i == 0 ? m.idempotency_key : fmt::format("{}#{}", m.idempotency_key, i + 1);
    if (ledger_->find(key)) continue;  // sent before a crash or a lost report
    const bool last = i + 1 == parts.size();
    json params{{"chat_id", chat}, {"text", parts[i]}};
    if (last && !m.buttons.empty()) {
      json rows = json::array();
      for (std::size_t b = 0; b < m.buttons.size(); ++b)
        rows.push_back(json::array({{{"text", m.buttons[b]}, {"callback_data", callback_data_for(b, m.buttons[b])}}}));
      params["reply_markup"] = {{"inline_keyboard", rows}};
    }
    const auto r = api_->call("sendMessage", params, send_timeout);
    if (!r.ok) {
      reglament::delivery_status s;
      s.error = fmt::format("telegram chat {}: {}", chat, r.summary("sendMessage"));
      if (r.error_code == 429 || r.http_status == 429) {
        s.retry_after_seconds = std::max(1, r.retry_after);
      } else if (!r.transient() && r.error_code != 401 && r.error_code != 404) {
        // 400 chat not found, 403 blocked by the user / kicked: retrying cannot help.
        // 401 and 404 mean the bot's token is wrong: a configuration fix makes it work.
        s.permanent = true;
      }
      return s;
    }
    sent_record rec;
    rec.key = key;
    rec.chat_id = chat;
    if (const auto it = r.result.find("message_id"); r.result.is_object() && it != r.result.end() && it->is_number_integer())
      rec.message_id = it->get<std::int64_t>();
    if (last) rec.buttons = m.buttons;
    ledger_->record(rec);
  }
  return {true};
}

}  // namespace reglament::telegram
