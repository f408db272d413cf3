#include "adapters/telegram/telegram_source.hpp"

#include "engine/case_engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <future>

namespace reglament::telegram {
namespace {

using json = nlohmann::json;

constexpr const char* cursor_channel = "telegram";
constexpr const char* cursor_key = "offset";
constexpr std::chrono::seconds call_timeout{30};

std::string megabytes(std::uint64_t bytes) {
  return fmt::format("{:.1f} МБ", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

}  // namespace

std::string link_answer_text(const link_reply& r) {
  switch (r.outcome) {
    case link_outcome::linked:
      return fmt::format("Готово: этот Telegram привязан к компании «{}». Пишите сюда ваши вопросы — "
                         "менеджер ответит в рабочее время.", r.client_name);
    case link_outcome::already_linked:
      return fmt::format("Этот Telegram уже привязан к компании «{}». Пишите сюда ваши вопросы.", r.client_name);
    case link_outcome::unknown_code:
      return "Код не найден. Проверьте его или попросите менеджера выслать новый.";
    case link_outcome::expired:
      return "Срок действия кода истёк. Попросите менеджера выслать новый.";
    case link_outcome::used:
      return "Этот код уже использован. Попросите менеджера выслать новый.";
    case link_outcome::taken:
      return "Этот Telegram уже привязан к другой компании. Если это ошибка, напишите менеджеру.";
  }
  return {};
}

std::string hello_text() {
  return "Здравствуйте! Напишите ваш вопрос одним сообщением — менеджер ответит в рабочее время. "
         "Если менеджер дал вам код привязки, отправьте его так: /start КОД";
}

telegram_source::telegram_source(std::shared_ptr<const bot_api> api, std::shared_ptr<sent_ledger> ledger,
                                 source_options opt)
    : api_(std::move(api)), ledger_(std::move(ledger)), opt_(std::move(opt)) {}

telegram_source::~telegram_source() { stop(); }

void telegram_source::start(reglament::inbound_sink& sink) {
  if (thread_.joinable()) return;
  sink_ = &sink;
  stop_ = false;
  thread_ = std::thread([this] { loop(); });
}

void telegram_source::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void telegram_source::log(bool warn, const std::string& message, const std::string& detail) const {
  if (warn) {
    std::lock_guard lock(problem_mutex_);
    last_problem_ = api_->redact(message + ": " + detail);
  }
  if (opt_.log) opt_.log(warn, message, api_->redact(detail));
}

std::string telegram_source::last_problem() const {
  std::lock_guard lock(problem_mutex_);
  return last_problem_.empty() ? std::string("telegram: an update could not be handled; will retry") : last_problem_;
}

void telegram_source::sleep_for(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, d, [this] { return stop_.load(); });
}

void telegram_source::loop() {
  std::int64_t offset = 0;
  try {
    const std::string saved = sink_->cursor(cursor_channel, cursor_key);
    if (!saved.empty()) offset = std::stoll(saved);
  } catch (const std::exception& e) {
    log(true, "telegram: the saved update offset cannot be read; starting from what Telegram still holds", e.what());
  }
  offset_ = offset;
  auto backoff = opt_.retry_min;
  while (!stop_) {
    json params{{"timeout", opt_.poll_timeout_seconds},
                {"allowed_updates", json::array({"message", "edited_message", "callback_query"})}};
    if (offset > 0) params["offset"] = offset;
    const auto r = api_->call("getUpdates", params, std::chrono::seconds(opt_.poll_timeout_seconds) + call_timeout, &stop_);
    polls_.fetch_add(1);
    if (stop_) break;
    if (!r.ok || !r.result.is_array()) {
      auto wait = backoff;
      if (r.retry_after > 0) wait = std::chrono::seconds(r.retry_after);
      const auto what = r.ok ? std::string("getUpdates: result is not an array") : r.summary("getUpdates");
      log(true, "telegram: getUpdates failed; will retry", fmt::format("{} (retry in {} ms)", what, wait.count()));
      sink_->report(cursor_channel, {false, api_->redact(fmt::format("{} at {}", what, api_->api_url())), wait});
      sleep_for(wait);
      backoff = std::min(backoff * 2, opt_.retry_max);
      continue;
    }
    backoff = opt_.retry_min;
    std::int64_t next = offset;
    bool stalled = false;
    for (const auto& u : r.result) {
      if (stop_) break;
      std::int64_t id = 0;
      if (auto it = u.find("update_id"); u.is_object() && it != u.end() && it->is_number_integer()) id = it->get<std::int64_t>();
      if (id != 0 && id < next) continue;  // already handled and saved
      bool done = false;
      try {
        done = handle(u);
      } catch (const std::exception& e) {
        log(true, "telegram: update not handled; will retry", fmt::format("update {}: {}", id, e.what()));
      }
      if (!done) {
        stalled = true;
        break;
      }
      if (id != 0) next = std::max(next, id + 1);
    }
    if (next != offset) {
      try {
        sink_->save_cursor(cursor_channel, cursor_key, std::to_string(next));
        offset = next;
        offset_ = offset;
      } catch (const std::exception& e) {
        // Not saved: the updates come again and are acknowledged as duplicates.
        log(true, "telegram: the update offset was not saved; will retry", e.what());
        stalled = true;
      }
    }
    if (stalled) {
      sink_->report(cursor_channel, {false, last_problem(), backoff});
      sleep_for(backoff);
      backoff = std::min(backoff * 2, opt_.retry_max);
    } else {
      sink_->report(cursor_channel, {});
    }
  }
}

bool telegram_source::handle(const json& raw) {
  update_action a = parse_update(raw);
  if (a.update_id != failing_update_) {
    failing_update_ = a.update_id;
    failures_ = 0;
  }
  switch (a.what) {
    case update_action::kind::reject:
      reject(a.update_id ? fmt::format("update:{}", a.update_id) : std::string{}, a.reason, raw);
      return true;
    case update_action::kind::hello:
      answer(a.chat_id, hello_text());
      log(false, "telegram: /start without a code answered", "chat " + a.chat_id);
      return true;
    case update_action::kind::link:
      return handle_link(a);
    case update_action::kind::callback:
      return handle_callback(a, raw);
    case update_action::kind::message:
      return handle_message(a, raw);
  }
  return true;
}

bool telegram_source::handle_link(const update_action& a) {
  if (!opt_.redeem) {
    answer(a.chat_id, "Привязка по коду сейчас недоступна. Напишите ваш вопрос, менеджер ответит.");
    log(true, "telegram: /start CODE received but linking is not configured", "user " + a.user_id);
    return true;
  }
  link_reply r;
  try {
    r = opt_.redeem(a.code, a.user_id);
  } catch (const std::exception& e) {
    log(true, "telegram: link code not redeemed; will retry", fmt::format("user {}: {}", a.user_id, e.what()));
    return false;
  }
  answer(a.chat_id, link_answer_text(r));
  static constexpr const char* names[] = {"linked", "already linked", "unknown code", "expired code", "used code",
                                          "contact of another client"};
  log(r.outcome != link_outcome::linked && r.outcome != link_outcome::already_linked,
      fmt::format("telegram: /start CODE: {}", names[static_cast<int>(r.outcome)]),
      fmt::format("user {}{}", a.user_id, r.client_name.empty() ? "" : ", client " + r.client_name));
  return true;
}

bool telegram_source::handle_callback(update_action& a, const json& raw) {
  // Stops the spinner on the client's button whatever happens next (best effort).
  const auto ack = api_->call("answerCallbackQuery", {{"callback_query_id", a.callback_id}}, call_timeout, &stop_);
  if (!ack.ok) log(true, "telegram: answerCallbackQuery failed", ack.summary("answerCallbackQuery"));
  if (a.message.text.empty() && a.callback_message_id != 0)
    if (auto rec = ledger_->by_message(a.chat_id, a.callback_message_id))
      if (auto label = label_for(a.callback_data, rec->buttons)) a.message.text = *label;
  if (a.message.text.empty()) {
    reject(a.message.external_id,
           fmt::format("callback_query.data '{}' matches no button the bot sent (message {} in chat {})", a.callback_data,
                       a.callback_message_id, a.chat_id),
           raw);
    answer(a.chat_id, "Эта кнопка устарела. Напишите, пожалуйста, ответ словами.");
    return true;
  }
  return commit(std::move(a.message));
}

bool telegram_source::handle_message(update_action& a, const json& raw) {
  std::vector<std::string> notes;
  for (const auto& f : a.files) {
    if (stop_) return false;
    const bool last_try = failures_ + 1 >= opt_.attempts_per_update;
    auto too_big = [&](std::uint64_t size) {
      notes.push_back(fmt::format("Файл «{}» ({}) не сохранён: больше предела {}.", f.name, megabytes(size),
                                  megabytes(opt_.max_attachment_bytes)));
    };
    if (f.size > opt_.max_attachment_bytes) {
      too_big(f.size);
      continue;
    }
    const auto info = api_->call("getFile", {{"file_id", f.file_id}}, call_timeout, &stop_);
    std::string path;
    if (info.ok && info.result.is_object()) path = info.result.value("file_path", std::string{});
    if (path.empty()) {
      if (info.ok || !info.transient() || last_try) {
        // 400 "file is too big" (over the Bot API's own 20 MB) and the like: listed, not stored.
        notes.push_back(fmt::format("Файл «{}» не сохранён: Telegram не отдал его ({}).", f.name,
                                    info.ok ? "нет file_path" : info.description));
        continue;
      }
      ++failures_;
      log(true, "telegram: getFile failed; will retry", info.summary("getFile"));
      return false;
    }
    const auto got = api_->download(path, opt_.max_attachment_bytes, std::chrono::seconds(120), &stop_);
    if (got.too_big) {
      too_big(std::max<std::uint64_t>(f.size, opt_.max_attachment_bytes + 1));
      continue;
    }
    if (!got.ok) {
      if (last_try) {
        notes.push_back(fmt::format("Файл «{}» не сохранён: не удалось скачать ({}).", f.name, got.error));
        continue;
      }
      ++failures_;
      log(true, "telegram: file download failed; will retry", got.error);
      return false;
    }
    try {
      a.message.attachments.push_back(sink_->store_attachment(f.name, f.content_type, got.bytes));
    } catch (const reglament::attachment_too_large& e) {
      // Over the daemon's [attachments] max_bytes: the message goes in with a note.
      notes.push_back(fmt::format("Файл «{}» ({}) не сохранён: больше предела хранилища ({}).", f.name,
                                  megabytes(got.bytes.size()), e.what()));
      log(true, "telegram: attachment over the store's limit; the message goes in with a note", e.what());
    } catch (const std::exception& e) {
      // Not written (a full disk): tried again with the update, then noted.
      if (last_try) {
        notes.push_back(fmt::format("Файл «{}» не сохранён: ошибка записи ({}).", f.name, e.what()));
        continue;
      }
      ++failures_;
      log(true, "telegram: attachment not stored; will retry", fmt::format("{}: {}", f.name, e.what()));
      return false;
    }
  }
  if (!notes.empty()) {
    a.message.original = a.message.text;
    for (const auto& n : notes) a.message.text += "\n\n" + n;
  }
  return commit(std::move(a.message));
}

bool telegram_source::commit(reglament::inbound_message m) {
  const std::string external_id = m.external_id;
  auto done = std::make_shared<std::promise<reglament::engine_result>>();
  auto result = done->get_future();
  sink_->accept(std::move(m), [done](const reglament::engine_result& r) { done->set_value(r); });
  const auto r = result.get();
  if (r.error.empty()) return true;
  // 503: not committed (the writer is stopping or the disk failed): the update comes
  // again. Any other refusal the sink has already kept as a channel error.
  if (r.http_status == 503) {
    log(true, "telegram: message not committed; will retry", fmt::format("{}: {}", external_id, r.error));
    return false;
  }
  log(true, "telegram: message refused (kept as a channel error)", fmt::format("{}: {}", external_id, r.error));
  return true;
}

void telegram_source::reject(const std::string& external_id, const std::string& reason, const json& raw) {
  reglament::channel_error e;
  e.channel = "telegram";
  e.external_id = external_id;
  e.reason = reason;
  e.raw = raw.dump();
  log(true, "telegram: update kept as a channel error", fmt::format("{}: {}", external_id, reason));
  sink_->reject(std::move(e));
}

void telegram_source::answer(const std::string& chat_id, const std::string& text) {
  const auto r = api_->call("sendMessage", {{"chat_id", chat_id}, {"text", text}}, call_timeout, &stop_);
  if (!r.ok) log(true, "telegram: answer not sent", fmt::format("chat {}: {}", chat_id, r.summary("sendMessage")));
}

}  // namespace reglament::telegram
