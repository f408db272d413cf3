#include "engine/case_engine.hpp"

#include "engine/text.hpp"

#include <fmt/format.h>

namespace reglament {

case_engine::case_engine(store& st, playbook_library& books, run_context ctx)
    : store_(st), books_(books), ctx_(std::move(ctx)), interp_(ctx_) {
  // Cases on old versions find them in the store after a restart.
  if (!ctx_.playbook_version)
    ctx_.playbook_version = [this](const std::string& id, int v) { return books_.version(id, v, &store_); };
  if (!ctx_.playbook_latest) ctx_.playbook_latest = [this](const std::string& id) { return books_.latest(id); };
  if (!ctx_.quota_used)
    ctx_.quota_used = [this](std::string_view c, std::string_view s, std::string_view p) {
      return store_.quota_used(c, s, p);
    };
  if (!ctx_.learned_services)
    ctx_.learned_services = [this](std::string_view c) { return store_.learned_services(c); };
  if (!ctx_.last_invoice_seq) ctx_.last_invoice_seq = [this](int year) { return store_.last_invoice_seq(year); };
}

namespace {

engine_result refused(case_id id, int status, std::string why) {
  engine_result r;
  r.id = id;
  r.http_status = status;
  r.error = std::move(why);
  return r;
}

}  // namespace

engine_result case_engine::inbound(const inbound_message& m) {
  if (m.channel.empty()) return refused(0, 422, "channel: required");
  if (m.external_id.empty()) return refused(0, 422, "external_id: required");
  if (m.sender.empty()) return refused(0, 422, "sender: required");
  if (!valid_utf8(m.text)) return refused(0, 422, "text: not valid UTF-8");
  if (!valid_utf8(m.subject)) return refused(0, 422, "subject: not valid UTF-8");
  if (!valid_utf8(m.original)) return refused(0, 422, "original: not valid UTF-8");
  if (!valid_utf8(m.sender_name)) return refused(0, 422, "sender_name: not valid UTF-8");
  if (!valid_utf8(m.sender) || !valid_utf8(m.external_id) || !valid_utf8(m.thread))
    return refused(0, 422, "sender, external_id, thread: not valid UTF-8");
  for (const auto& a : m.attachments)
    if (!valid_utf8(a.name) || !valid_utf8(a.content_type) || a.sha256.size() != 64)
      return refused(0, 422, fmt::format("attachment '{}': name or type not valid UTF-8, or no sha256", a.name));

  if (auto seen = store_.inbound_case(m.channel, m.external_id)) {
    engine_result r;
    r.id = *seen;
    r.duplicate = true;
    return r;
  }
  const std::string thread = m.thread.empty() ? m.sender : m.thread;
  engine_result r;
  if (auto open = store_.open_case_for_thread(m.channel, thread)) {
    r = feed(*open, m);
  } else {
    // Looked up once here and handed to open(). Without a directory every sender counts
    // as known: there is nothing to tell a stranger from a client by.
    client_ptr client;
    if (ctx_.clients) client = ctx_.clients->find_by_contact(m.channel, m.sender);
    auto book = books_.for_channel(m.channel, client != nullptr || !ctx_.clients);
    if (!book) return refused(0, 422, fmt::format("channel '{}': no playbook starts on it", m.channel));
    case_id id = store_.next_case_id();
    case_state state;
    auto out = interp_.open(state, id, book, &m, client ? client->id : std::string{});
    store_.append(id, out.facts, state);
    r.id = id;
    r.facts = std::move(out.facts);
  }
  if (r.error.empty()) store_.record_inbound(m.channel, m.external_id, r.id, ctx_.now->now());
  return r;
}

engine_result case_engine::action(case_id id, const staff_action& a) { return feed(id, a); }

engine_result case_engine::timer(case_id id, const timer_due& t) { return feed(id, t); }

engine_result case_engine::delivered(case_id id, const delivery_result& d) { return feed(id, d); }

engine_result case_engine::pay_invoice(const std::string& number, const nlohmann::json& amount,
                                       const std::string& actor) {
  auto inv = store_.invoice(number);
  if (!inv) return refused(0, 404, fmt::format("no invoice '{}'", number));
  if (inv->status != "issued")
    return refused(inv->id, 409, fmt::format("invoice {} is {}, not waiting for a payment", number, inv->status));
  auto state = store_.load_case(inv->id);
  if (!state) return refused(inv->id, 404, fmt::format("case {} of invoice {} does not exist", inv->id, number));
  if (state->status != case_status::waiting_payment)
    return refused(inv->id, 409,
                   fmt::format("case {} is not waiting for a payment: it is {} at step '{}'", inv->id,
                               to_string(state->status), state->step));
  staff_action a;
  a.what = staff_action::kind::paid;
  a.step = state->step;
  a.actor = actor;
  if (!amount.is_null()) a.values["amount"] = amount;
  return feed(inv->id, a);
}

engine_result case_engine::retry_message(case_id id, int n, const std::string& actor) {
  auto state = store_.load_case(id);
  if (!state) return refused(id, 404, fmt::format("case {} does not exist", id));
  // The message's state is the last delivery fact about it in the journal.
  bool queued = false;
  std::string last = "queued";
  for (const auto& e : store_.journal(id)) {
    const auto& d = e.what.data;
    const auto* outbox = d.find("outbox");
    if (!outbox || !std::holds_alternative<std::int64_t>(*outbox) || std::get<std::int64_t>(*outbox) != n) continue;
    switch (e.what.kind) {
      case fact_kind::message_queued:
      case fact_kind::staff_notified:
        queued = true;
        break;
      case fact_kind::message_sent: last = "sent"; break;
      case fact_kind::message_failed: last = d.value("dead", false) ? "dead" : "failed"; break;
      case fact_kind::message_retried: last = "queued"; break;
      default: break;
    }
  }
  if (!queued) return refused(id, 404, fmt::format("case {} has no outbound message {}", id, n));
  if (last != "dead")
    return refused(id, 409, fmt::format("message {} of case {} is {}, not dead: only a dead message is retried", n, id, last));
  fact f{fact_kind::message_retried, ctx_.now->now(), "", {{"outbox", n}, {"actor", actor}}};
  apply(*state, id, f);
  store_.append(id, {f}, *state);
  engine_result r;
  r.id = id;
  r.facts = {std::move(f)};
  return r;
}

engine_result case_engine::start(const std::string& playbook_id, const std::string& client_id,
                                 const std::string& actor, const nlohmann::json& vars) {
  (void)actor;  // who started it is journaled once users exist (staff-app issue)
  auto book = books_.latest(playbook_id);
  if (!book) return refused(0, 404, fmt::format("playbook '{}' is not loaded", playbook_id));
  if (!client_id.empty() && ctx_.clients && !ctx_.clients->find(client_id))
    return refused(0, 422, fmt::format("client '{}' is unknown", client_id));
  // A manual case for a client writes to them on their preferred contact.
  std::optional<client_contact> contact;
  if (!client_id.empty() && ctx_.clients) contact = ctx_.clients->preferred_contact(client_id);
  case_id id = store_.next_case_id();
  case_state state;
  auto out = interp_.open(state, id, book, nullptr, client_id, contact ? &*contact : nullptr,
                          vars.is_object() ? &vars : nullptr);
  store_.append(id, out.facts, state);
  engine_result r;
  r.id = id;
  r.facts = std::move(out.facts);
  return r;
}

engine_result case_engine::feed(case_id id, const case_input& in) {
  auto state = store_.load_case(id);
  if (!state) return refused(id, 404, fmt::format("case {} does not exist", id));
  case_machine machine(interp_, *state);
  auto out = machine.handle(in);
  if (!out.rejected.empty()) return refused(id, out.conflict ? 409 : 422, std::move(out.rejected));
  if (!out.facts.empty()) store_.append(id, out.facts, *state);
  engine_result r;
  r.id = id;
  r.facts = std::move(out.facts);
  return r;
}

}  // namespace reglament
