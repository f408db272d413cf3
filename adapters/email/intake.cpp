#include "adapters/email/intake.hpp"

#include "adapters/email/mime_parser.hpp"
#include "engine/case_engine.hpp"
#include "engine/case_event.hpp"

#include <fmt/format.h>

#include <future>
#include <stdexcept>
#include <regex>

namespace reglament::email {

std::string human_size(std::size_t bytes) {
  if (bytes >= 1024 * 1024) return fmt::format("{:.1f} МБ", bytes / (1024.0 * 1024.0));
  if (bytes >= 1024) return fmt::format("{} КБ", (bytes + 1023) / 1024);
  return fmt::format("{} Б", bytes);
}

std::string intake::message_id_for(const std::string& idempotency_key, long long case_no,
                                   const std::string& domain) {
  return fmt::format("rg.{}.c{}@{}", sha256_hex(idempotency_key).substr(0, 24), case_no, domain);
}

long long intake::case_of_message_id(const std::string& id) {
  static const std::regex ours(R"(^rg\.[0-9a-f]{24}\.c(\d{1,18})@)");
  std::smatch m;
  if (!std::regex_search(id, m, ours)) return 0;
  return std::stoll(m[1]);
}

std::string intake::thread_for(const parsed_mail& m) {
  const auto by_case = [&](long long n) -> std::string {
    return n > 0 ? sink_.cursor(channel_name, fmt::format("thread.case.{}", n)) : std::string();
  };
  // Newest first: the message answered is the best witness of the case.
  for (auto it = m.references.rbegin(); it != m.references.rend(); ++it)
    if (auto t = by_case(case_of_message_id(*it)); !t.empty()) return t;
  if (!m.references.empty()) return m.references.front();
  if (!m.case_tag.empty())
    if (auto t = by_case(std::stoll(m.case_tag)); !t.empty()) return t;
  return m.message_id;
}

void intake::remember_thread(long long case_id, const std::string& thread) {
  if (case_id <= 0 || remembered_.count(case_id)) return;
  const auto key = fmt::format("thread.case.{}", case_id);
  if (sink_.cursor(channel_name, key).empty()) sink_.save_cursor(channel_name, key, thread);
  remembered_.insert(case_id);
}

intake_outcome intake::take(std::string_view raw, const std::string& where) {
  const auto keep = [&](intake_outcome::kind k, const std::string& id, std::string reason) {
    channel_error e;
    e.channel = channel_name;
    e.external_id = id;
    e.reason = std::move(reason);
    e.raw = std::string(raw.substr(0, limits_.max_raw_in_error));
    sink_.reject(e);
    return intake_outcome{k, 0, e.reason};
  };
  if (raw.size() > limits_.max_message_bytes)
    return keep(intake_outcome::kind::error, synthesised_message_id(raw),
                fmt::format("{}: message of {} bytes is over the limit of {} bytes (max_message_bytes); "
                            "not read, first {} bytes kept",
                            where, raw.size(), limits_.max_message_bytes, limits_.max_raw_in_error));

  auto m = parse_mail(raw);
  if (m.kind == parsed_mail::verdict::malformed)
    return keep(intake_outcome::kind::error, m.message_id, fmt::format("{}: {}", where, m.reason));
  if (m.kind == parsed_mail::verdict::ignored)
    return keep(intake_outcome::kind::ignored, m.message_id,
                fmt::format("ignored: {} from {} ({})", m.reason, m.from_address, where));

  inbound_message in;
  in.channel = channel_name;
  in.external_id = m.message_id;
  in.sender = m.from_address;
  in.sender_name = m.from_name;
  in.subject = m.subject;
  in.thread = thread_for(m);
  in.text = m.text;
  in.original = m.original;
  std::string notes;
  for (auto& a : m.attachments) {
    if (a.bytes.size() > limits_.max_attachment_bytes) {
      in.attachments.push_back({a.name, a.content_type, a.bytes.size(), {}});
      notes += fmt::format("\n[Вложение «{}» ({}) не сохранено: больше предела {}]", a.name,
                           human_size(a.bytes.size()), human_size(limits_.max_attachment_bytes));
      continue;
    }
    // The sink has its own limit (attachment_too_large) and may fail to write: the file is
    // then listed with the reason and the message still goes in (a write failure usually
    // fails the accept too, with 503, and the whole message is tried again).
    try {
      in.attachments.push_back(sink_.store_attachment(a.name, a.content_type, a.bytes));
    } catch (const std::exception& e) {
      in.attachments.push_back({a.name, a.content_type, a.bytes.size(), {}});
      notes += fmt::format("\n[Вложение «{}» ({}) не сохранено: {}]", a.name, human_size(a.bytes.size()), e.what());
    }
  }
  if (!notes.empty()) in.text += (in.text.empty() ? notes.substr(1) : "\n" + notes);
  // A mail with only a subject ("Акт сверки за октябрь") says it in the subject.
  if (in.text.empty()) in.text = m.subject;
  if (in.text.empty() && !in.attachments.empty()) in.text = "[Вложения без текста]";
  const auto thread = in.thread;

  std::promise<engine_result> committed;
  auto done = committed.get_future();
  sink_.accept(std::move(in), [&committed](const engine_result& r) { committed.set_value(r); });
  const auto r = done.get();
  // 503: not committed (disk full, busy): the source keeps its cursor and tries later.
  if (!r.error.empty() && r.http_status == 503)
    throw std::runtime_error(fmt::format("{}: not committed, will retry: {}", where, r.error));
  // Any other refusal has already been kept by the sink as a channel error.
  if (!r.error.empty()) return {intake_outcome::kind::error, r.id, fmt::format("{}: refused: {}", where, r.error)};
  remember_thread(r.id, thread);
  return {r.duplicate ? intake_outcome::kind::duplicate : intake_outcome::kind::accepted, r.id, {}};
}

}  // namespace reglament::email
