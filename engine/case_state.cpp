#include "engine/case_state.hpp"
#include "engine/case_state_json.hpp"
#include "engine/json_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace reglament {
namespace {

constexpr std::array<std::pair<case_status, const char*>, 7> status_names{{
    {case_status::running, "running"},
    {case_status::waiting_manager, "waiting_manager"},
    {case_status::waiting_client, "waiting_client"},
    {case_status::waiting_payment, "waiting_payment"},
    {case_status::waiting_director, "waiting_director"},
    {case_status::waiting_timer, "waiting_timer"},
    {case_status::closed, "closed"},
}};

std::string str(const flat_object& d, std::string_view key) { return std::string(d.text(key)); }

int num(const flat_object& d, std::string_view key) { return static_cast<int>(d.integer(key).value_or(0)); }

// A tariff check's fields, in sorted order: gathered from the fact's object, whose keys
// are sorted too, in one pass instead of a search per field.
constexpr std::array<std::string_view, 21> tariff_fields{
    "alternative", "confidence", "learned", "matched", "min_price", "outcome", "payment_due",
    "payment_reminder_after", "period", "price", "quota_limit", "quota_used", "service", "service_title",
    "tariff", "tariff_from", "unit", "unpaid_close_after", "urgent_price", "urgent_surcharge", "urgent_within"};
static_assert(std::is_sorted(tariff_fields.begin(), tariff_fields.end()), "gather() walks both in order");

// Where `name` sits in tariff_fields; a name that is not there does not compile.
consteval std::size_t tf(std::string_view name) {
  for (std::size_t i = 0; i < tariff_fields.size(); ++i)
    if (tariff_fields[i] == name) return i;
  throw "not a tariff check field";
}

template <std::size_t N>
std::array<const flat_value*, N> gather(const flat_object& d, const std::array<std::string_view, N>& names) {
  std::array<const flat_value*, N> out{};
  std::size_t k = 0;
  for (const auto& [key, value] : d) {
    if (k < N && names[k] == key) {  // the usual case: the fact has every field, in order
      out[k++] = &value;
      continue;
    }
    while (k < N && names[k] < key) ++k;
    if (k == N) break;
    if (names[k] == key) out[k++] = &value;
  }
  return out;
}

void remove_timer(case_state& s, int n) {
  std::erase_if(s.timers, [n](const pending_timer& t) { return t.n == n; });
}

}  // namespace

const char* to_string(case_status s) {
  for (const auto& [st, name] : status_names)
    if (st == s) return name;
  return "unknown";
}

std::optional<case_status> case_status_from_string(std::string_view s) {
  for (const auto& [st, name] : status_names)
    if (s == name) return st;
  return std::nullopt;
}

void apply(case_state& s, case_id id, const fact& f) {
  const auto& d = f.data;
  s.id = id;
  s.updated_at = f.at;
  switch (f.kind) {
    case fact_kind::case_opened:
      s.playbook.assign(d.text("playbook"));
      s.version = num(d, "version");
      s.channel.assign(d.text("channel"));
      s.sender.assign(d.text("sender"));
      s.thread.assign(d.text("thread"));
      s.client_id.assign(d.text("client"));
      s.status = case_status::running;
      s.opened_at = f.at;
      break;
    case fact_kind::message_received:
      s.last_client_text.assign(d.text("text"));
      break;
    case fact_kind::step_entered:
      s.step = f.step;
      s.status = case_status::running;
      s.error.clear();
      ++s.steps_run;
      break;
    case fact_kind::form_submitted:
      if (const auto* values = d.find("values"))
        if (const auto* j = std::get_if<nlohmann::json>(values); j && j->is_object())
          for (const auto& [k, v] : j->items()) s.vars.set(k, v);
      break;
    case fact_kind::variable_set: {
      const auto* v = d.find("value");
      s.vars.set(d.text("name"), v ? *v : flat_value(nullptr));
      break;
    }
    case fact_kind::tariff_checked: {
      // The fields gathered in one pass; the twenty-odd variables a check sets are built in
      // increasing name order and merged into the case's in one more.
      const auto fields = gather(d, tariff_fields);
      auto field = [&](std::size_t k) { return fields[k]; };
      auto text = [&](std::size_t k) { return flat_object::text_of(field(k)); };
      auto number = [&](std::size_t k) {
        const auto* v = field(k);
        return v ? *v : flat_value(std::int64_t{0});
      };
      auto integer = [&](std::size_t k) { return static_cast<int>(flat_object::integer_of(field(k)).value_or(0)); };
      flat_object checked;
      checked.reserve(24);
      auto set = [&](std::string_view name, auto&& value) { checked.set(name, std::forward<decltype(value)>(value)); };
      const std::string_view outcome = text(tf("outcome"));
      // Exposed as variables so templates and conditions can use them. In percent, as the
      // manager reads it: "уверенность 84%".
      const auto confidence = flat_object::number_of(field(tf("confidence")));
      set("confidence", confidence ? static_cast<int>(*confidence * 100 + 0.5) : 0);
      // The form that quotes a price overwrites `price`: the list price stays here.
      const auto list_price = number(tf("price"));
      set("list_price", list_price);
      const std::string_view matched = text(tf("matched"));
      set("matched", matched.empty() ? std::string_view("совпадений нет") : matched);
      const auto* min_price = field(tf("min_price"));
      set("min_price", min_price ? *min_price : list_price);
      // The firm's payment terms, when it sets them, win over the playbook's defaults.
      if (const auto v = text(tf("payment_due")); !v.empty()) set("payment_due", v);
      if (const auto v = text(tf("payment_reminder_after")); !v.empty()) set("payment_reminder_after", v);
      set("period", text(tf("period")));
      set("price", list_price);
      if (outcome != "in_tariff" && outcome != "over_quota")
        set("quota_left", "");  // the service is not in the tariff: no quota to speak of
      else if (integer(tf("quota_limit")) >= 0)
        set("quota_left", std::max(0, integer(tf("quota_limit")) - integer(tf("quota_used")) - (outcome == "in_tariff" ? 1 : 0)));
      else
        set("quota_left", "без ограничений");
      set("quota_limit", number(tf("quota_limit")));
      set("quota_used", number(tf("quota_used")));
      set("service", text(tf("service")));
      set("service_title", text(tf("service_title")));
      set("tariff", text(tf("tariff")));
      set("tariff_from", text(tf("tariff_from")));
      set("tariff_outcome", outcome);
      set("unit", text(tf("unit")));
      if (const auto v = text(tf("unpaid_close_after")); !v.empty()) set("unpaid_close_after", v);
      set("urgent_price", number(tf("urgent_price")));
      set("urgent_surcharge", number(tf("urgent_surcharge")));
      set("urgent_within", text(tf("urgent_within")));
      s.vars.merge(std::move(checked));
      s.tariff_step = f.step;
      s.outbox_at_check = s.outbox_count;
      s.quota_held = outcome == "in_tariff" ? fmt::format("{}\n{}", text(tf("service")), text(tf("period"))) : "";
      break;
    }
    case fact_kind::message_queued:
    case fact_kind::staff_notified:
      s.outbox_count = std::max(s.outbox_count, num(d, "outbox"));
      break;
    case fact_kind::assigned:
      s.assignee.assign(d.text("to"));
      break;
    case fact_kind::waiting: {
      const auto w = d.text("for");
      s.status = w == "manager"    ? case_status::waiting_manager
                 : w == "client"   ? case_status::waiting_client
                 : w == "payment"  ? case_status::waiting_payment
                 : w == "director" ? case_status::waiting_director
                                   : case_status::waiting_timer;
      break;
    }
    case fact_kind::timer_set:
      s.timers.push_back({num(d, "timer"), from_millis(d.value("due", std::int64_t{0})), f.step,
                          str(d, "purpose")});
      s.timer_count = std::max(s.timer_count, num(d, "timer"));
      break;
    case fact_kind::timer_fired:
    case fact_kind::timer_cancelled:
      remove_timer(s, num(d, "timer"));
      break;
    case fact_kind::director_decided:
      s.vars.set("decision", str(d, "decision"));
      break;
    case fact_kind::payment_confirmed:
      // A partial payment against an invoice is recorded; the case still waits for the rest.
      if (d.value("full", true)) s.vars.set("paid", true);
      if (d.contains("amount")) s.vars.set("amount", d["amount"]);
      if (d.contains("paid_total")) s.vars.set("invoice_paid", d["paid_total"]);
      if (d.value("full", false) && d.contains("invoice")) s.vars.set("invoice_status", "paid");
      break;
    case fact_kind::invoice_issued: {
      s.vars.set("invoice_no", str(d, "number"));
      s.vars.set("invoice_amount", d.contains("amount") ? d["amount"] : nlohmann::json(0));
      auto due = str(d, "due_date");  // "2026-11-30" -> "30.11.2026", as Russian invoices write it
      s.vars.set("invoice_due", due.size() == 10 ? due.substr(8, 2) + "." + due.substr(5, 2) + "." + due.substr(0, 4) : due);
      s.vars.set("invoice_paid", 0);
      s.vars.set("invoice_status", "issued");
      s.vars.erase("paid");
      break;
    }
    case fact_kind::invoice_cancelled:
      s.vars.set("invoice_status", "cancelled");
      break;
    case fact_kind::quota_returned:
      s.quota_held.clear();
      break;
    case fact_kind::service_corrected:
      s.vars.set("corrected_from", str(d, "from"));
      break;
    case fact_kind::client_replied:
      s.vars.set("client_answer", str(d, "answer"));
      break;
    case fact_kind::playbook_called:
      s.stack.push_back({s.playbook, s.version, s.step});
      s.playbook.assign(d.text("playbook"));
      s.version = num(d, "version");
      s.step.clear();
      break;
    case fact_kind::playbook_returned:
      if (!s.stack.empty()) {
        s.playbook = s.stack.back().playbook;
        s.version = s.stack.back().version;
        s.step = s.stack.back().step;
        s.stack.pop_back();
      }
      s.vars.set("call_outcome", str(d, "outcome"));
      break;
    case fact_kind::case_closed:
      s.status = case_status::closed;
      s.outcome.assign(d.text("outcome"));
      s.timers.clear();
      break;
    case fact_kind::run_error:
      s.error.assign(d.text("error"));
      s.status = case_status::waiting_manager;  // a person has to look at it
      break;
    case fact_kind::step_left:
    case fact_kind::choice_made:
    case fact_kind::task_done:
    case fact_kind::task_skipped:
    case fact_kind::message_sent:
    case fact_kind::message_failed:
    case fact_kind::escalated:
    case fact_kind::note_added:
    case fact_kind::call_logged:
    case fact_kind::visit_logged:
    case fact_kind::message_retried:
      break;  // journal-only facts: they change no state
  }
}

nlohmann::json to_json(const case_state& s) {
  nlohmann::json timers = nlohmann::json::array();
  for (const auto& t : s.timers)
    timers.push_back({{"n", t.n}, {"due", to_millis(t.due)}, {"step", t.step}, {"purpose", t.purpose}});
  nlohmann::json stack = nlohmann::json::array();
  for (const auto& f : s.stack)
    stack.push_back({{"playbook", f.playbook}, {"version", f.version}, {"step", f.step}});
  return {{"id", s.id},
          {"playbook", s.playbook},
          {"version", s.version},
          {"stack", stack},
          {"step", s.step},
          {"status", to_string(s.status)},
          {"channel", s.channel},
          {"sender", s.sender},
          {"thread", s.thread},
          {"client", s.client_id},
          {"assignee", s.assignee},
          {"outcome", s.outcome},
          {"error", s.error},
          {"vars", s.vars},
          {"timers", timers},
          {"outbox_count", s.outbox_count},
          {"timer_count", s.timer_count},
          {"steps_run", s.steps_run},
          {"last_client_text", s.last_client_text},
          {"tariff_step", s.tariff_step},
          {"outbox_at_check", s.outbox_at_check},
          {"quota_held", s.quota_held},
          {"opened_at", to_millis(s.opened_at)},
          {"updated_at", to_millis(s.updated_at)}};
}

case_state case_state_from_json(const nlohmann::json& j) {
  case_state s;
  s.id = j.value("id", case_id{0});
  s.playbook = j.value("playbook", "");
  s.version = j.value("version", 0);
  for (const auto& f : j.value("stack", nlohmann::json::array()))
    s.stack.push_back({f.value("playbook", ""), f.value("version", 0), f.value("step", "")});
  s.step = j.value("step", "");
  s.status = case_status_from_string(j.value("status", "running")).value_or(case_status::running);
  s.channel = j.value("channel", "");
  s.sender = j.value("sender", "");
  s.thread = j.value("thread", "");
  s.client_id = j.value("client", "");
  s.assignee = j.value("assignee", "");
  s.outcome = j.value("outcome", "");
  s.error = j.value("error", "");
  s.vars = flat_object::from_json(j.value("vars", nlohmann::json::object()));
  for (const auto& t : j.value("timers", nlohmann::json::array()))
    s.timers.push_back({t.value("n", 0), from_millis(t.value("due", std::int64_t{0})),
                        t.value("step", ""), t.value("purpose", "")});
  s.outbox_count = j.value("outbox_count", 0);
  s.timer_count = j.value("timer_count", 0);
  s.steps_run = j.value("steps_run", 0);
  s.last_client_text = j.value("last_client_text", "");
  s.tariff_step = j.value("tariff_step", "");
  s.outbox_at_check = j.value("outbox_at_check", 0);
  s.quota_held = j.value("quota_held", "");
  s.opened_at = from_millis(j.value("opened_at", std::int64_t{0}));
  s.updated_at = from_millis(j.value("updated_at", std::int64_t{0}));
  return s;
}

}  // namespace reglament

namespace reglament {
namespace {

void put_string(std::string& out, std::string_view v) { append_json_string(out, v); }
void put_int(std::string& out, std::int64_t v) { append_json_int(out, v); }

void put_key(std::string& out, const char* key, bool first = false) {
  if (!first) out += ',';
  out += '"';
  out += key;
  out += "\":";
}

}  // namespace

std::string to_json_text(const case_state& s) {
  std::string out;
  out.reserve(512 + s.last_client_text.size());
  // Keys in the order nlohmann::json keeps them: sorted.
  out += '{';
  put_key(out, "assignee", true), put_string(out, s.assignee);
  put_key(out, "channel"), put_string(out, s.channel);
  put_key(out, "client"), put_string(out, s.client_id);
  put_key(out, "error"), put_string(out, s.error);
  put_key(out, "id"), put_int(out, s.id);
  put_key(out, "last_client_text"), put_string(out, s.last_client_text);
  put_key(out, "opened_at"), put_int(out, to_millis(s.opened_at));
  put_key(out, "outbox_at_check"), put_int(out, s.outbox_at_check);
  put_key(out, "outbox_count"), put_int(out, s.outbox_count);
  put_key(out, "outcome"), put_string(out, s.outcome);
  put_key(out, "playbook"), put_string(out, s.playbook);
  put_key(out, "quota_held"), put_string(out, s.quota_held);
  put_key(out, "sender"), put_string(out, s.sender);
  put_key(out, "stack");
  out += '[';
  for (std::size_t i = 0; i < s.stack.size(); ++i) {
    const auto& f = s.stack[i];
    if (i) out += ',';
    out += '{';
    put_key(out, "playbook", true), put_string(out, f.playbook);
    put_key(out, "step"), put_string(out, f.step);
    put_key(out, "version"), put_int(out, f.version);
    out += '}';
  }
  out += ']';
  put_key(out, "status"), put_string(out, to_string(s.status));
  put_key(out, "step"), put_string(out, s.step);
  put_key(out, "steps_run"), put_int(out, s.steps_run);
  put_key(out, "tariff_step"), put_string(out, s.tariff_step);
  put_key(out, "thread"), put_string(out, s.thread);
  put_key(out, "timer_count"), put_int(out, s.timer_count);
  put_key(out, "timers");
  out += '[';
  for (std::size_t i = 0; i < s.timers.size(); ++i) {
    const auto& t = s.timers[i];
    if (i) out += ',';
    out += '{';
    put_key(out, "due", true), put_int(out, to_millis(t.due));
    put_key(out, "n"), put_int(out, t.n);
    put_key(out, "purpose"), put_string(out, t.purpose);
    put_key(out, "step"), put_string(out, t.step);
    out += '}';
  }
  out += ']';
  put_key(out, "updated_at"), put_int(out, to_millis(s.updated_at));
  put_key(out, "vars");
  s.vars.append_json(out);
  put_key(out, "version"), put_int(out, s.version);
  out += '}';
  return out;
}

}  // namespace reglament
