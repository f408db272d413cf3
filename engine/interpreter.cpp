#include "engine/interpreter.hpp"

#include "engine/service_catalog.hpp"
#include "engine/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace reglament {
namespace {

using json = nlohmann::json;

// A fact's data from key, value, key, value...: built in place, keys in sorted order
// going in at the end without a search.
inline void put_pairs(flat_object&) {}
template <class K, class V, class... Rest>
void put_pairs(flat_object& d, K&& key, V&& value, Rest&&... rest) {
  d.set(std::forward<K>(key), std::forward<V>(value));
  put_pairs(d, std::forward<Rest>(rest)...);
}
template <class... Kv>
flat_object object(Kv&&... kv) {
  static_assert(sizeof...(Kv) % 2 == 0, "keys and values in pairs");
  flat_object d;
  d.reserve(sizeof...(Kv) / 2);
  put_pairs(d, std::forward<Kv>(kv)...);
  return d;
}

// What the client may say to agree or refuse, folded and matched on whole words.
const std::vector<std::string> yes_phrases{
    "да", "согласен", "согласна", "согласны", "ок", "ok", "окей", "okay", "хорошо", "подтверждаю",
    "устраивает", "давайте", "давай", "ладно", "договорились", "принято", "годится", "конечно",
    "выставляйте", "выставляй", "присылайте счёт", "👍", "yes", "agree"};
const std::vector<std::string> no_phrases{
    "нет", "не надо", "не нужно", "отказываюсь", "откажусь", "отказ", "не согласен",
    "не согласна", "не устраивает", "дорого", "не будем", "👎", "no"};

// Rubles as whole kopecks, so sums add up exactly.
long long kopecks(const json& v) {
  if (v.is_number()) return std::llround(v.get<double>() * 100);
  if (v.is_string()) {
    try {
      std::size_t used = 0;
      auto s = v.get<std::string>();
      std::replace(s.begin(), s.end(), ',', '.');
      double d = std::stod(s, &used);
      if (used == s.size()) return std::llround(d * 100);
    } catch (...) {
    }
  }
  return -1;
}

json rubles(long long k) { return k % 100 == 0 ? json(k / 100) : json(static_cast<double>(k) / 100); }

std::string rubles_text(long long k) {
  return k % 100 == 0 ? std::to_string(k / 100) : fmt::format("{}.{:02}", k / 100, k % 100);
}

bool says_any(std::string_view text, const std::vector<std::string>& phrases) {
  for (const auto& p : phrases)
    if (contains_phrase(text, p)) return true;
  return false;
}

std::string as_text(const json& v) {
  if (v.is_null()) return {};
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "да" : "нет";
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number()) {
    double d = v.get<double>();
    if (std::floor(d) == d && std::fabs(d) < 1e15) return std::to_string(static_cast<long long>(d));
    return fmt::format("{:.2f}", d);
  }
  return v.dump();
}

const char* greeting_for(int local_hour, bool english) {
  if (local_hour >= 5 && local_hour < 12) return english ? "Good morning" : "Доброе утро";
  if (local_hour >= 12 && local_hour < 18) return english ? "Good afternoon" : "Добрый день";
  if (local_hour >= 18 && local_hour < 23) return english ? "Good evening" : "Добрый вечер";
  return english ? "Hello" : "Здравствуйте";  // at night "Доброй ночи" reads odd in a business reply
}

// SLA timers belong to the case, not to a step's exits: purpose "sla:KIND" at the breach,
// "sla:KIND:escalate" for the director after it.
constexpr std::string_view sla_prefix = "sla:";
constexpr std::string_view sla_escalation = ":escalate";
constexpr const char* prepared_reply = "prepared_reply";  // the editable say's text, as prepared
constexpr std::size_t max_reply_bytes = 64 * 1024;

std::string local_time_text(timestamp t, std::chrono::minutes offset) {
  auto local = std::chrono::floor<std::chrono::minutes>(t + offset);
  auto day = std::chrono::floor<std::chrono::days>(local);
  std::chrono::year_month_day ymd{day};
  std::chrono::hh_mm_ss hms{local - day};
  int off = static_cast<int>(offset.count());
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}{}{:02}:{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                     hms.minutes().count(), off < 0 ? '-' : '+', std::abs(off) / 60, std::abs(off) % 60);
}

// What the manager and the director read when a target is missed.
std::string sla_breach_text(std::string_view kind, bool escalation, const std::string& case_no,
                            const std::string& client, const std::string& target, const std::string& step_title,
                            const std::string& manager) {
  std::string what = kind == "first_reply" ? "клиент всё ещё ждёт первого ответа"
                     : kind == "idle"      ? fmt::format("шаг «{}» ждёт действия менеджера", step_title)
                                           : std::string("заявка всё ещё не закрыта");
  return fmt::format("Заявка {} ({}): {} (срок по SLA — {}). {}", case_no, client, what, target,
                     escalation ? fmt::format("Напоминание менеджеру ({}) не помогло — нужно ваше решение.", manager)
                                : std::string("Займитесь заявкой сейчас."));
}

const char* wait_name(waits_for w) {
  switch (w) {
    case waits_for::manager: return "manager";
    case waits_for::client: return "client";
    case waits_for::payment: return "payment";
    case waits_for::director: return "director";
    case waits_for::timer: return "timer";
    case waits_for::nothing: break;
  }
  return "manager";
}

// An option a person picks may be given by its label or its key.
const step_exit* exit_named(const step& st, std::string_view option) {
  for (const auto& e : st.exits)
    if (e.label == option || e.key == option) return &e;
  return nullptr;
}

std::string list_options(const step& st) {
  std::string out;
  for (const auto& e : st.exits) {
    if (!out.empty()) out += ", ";
    out += "'" + e.label + "'";
  }
  return out;
}

}  // namespace

// One interpretation: collects facts, applies each to the state as it goes, and walks
// steps until something must be waited for.
class interpreter::run {
 public:
  run(const run_context& ctx, case_state& s) : ctx_(ctx), s_(s) { facts.reserve(16); }  // a new case makes ~13

  std::vector<fact> facts;
  const inbound_message* incoming = nullptr;  // the client's message being handled, if any

  // The instant this event is handled: read once, so that every fact of one run carries
  // the same time (and a run asks the clock once, not per fact).
  timestamp now() const {
    if (!now_) now_ = ctx_.now->now();
    return *now_;
  }

  // The client the caller has just found (open() by the sender's address): not looked up again.
  void know_client(client_ptr c) {
    client_for_ = c->id;
    client_ = std::move(c);
    client_loaded_ = true;
  }

  void emit(fact_kind k, std::string_view step, flat_object data = {}) {
    // Built in place where the compiler can (a short step id moved is still a copy of its
    // bytes); clang before 16 lacks parenthesised aggregate initialisation.
#if defined(__cpp_aggregate_paren_init)
    const auto& f = facts.emplace_back(k, now(), std::string(step), std::move(data));
#else
    const auto& f = facts.emplace_back(fact{k, now(), std::string(step), std::move(data)});
#endif
    apply(s_, s_.id, f);
  }

  // The playbook the case is in. A walk asks for it at every step; the context's lookup
  // (a library behind a lock, two map searches and a reference count) runs once per
  // playbook and version in a run, and the run keeps what it found alive until it ends.
  const playbook* book() const { return book_of(s_.playbook, s_.version); }

  const playbook* book_of(const std::string& id, int version) const {
    for (const auto& b : books_)
      if (b.version == version && b.id == id) return b.book.get();
    auto found = ctx_.playbook_version(id, version);
    if (!found) return nullptr;
    books_.push_back({id, version, std::move(found)});
    return books_.back().book.get();
  }

  const step* current() const {
    auto b = book();
    return b ? b->find_step(s_.step) : nullptr;
  }

  // Looked up once per event: templates ask for it several times.
  const client_ptr& client() const {
    if (!client_loaded_ || client_for_ != s_.client_id) {
      client_ = s_.client_id.empty() || !ctx_.clients ? nullptr : ctx_.clients->find(s_.client_id);
      client_for_ = s_.client_id;
      client_loaded_ = true;
    }
    return client_;
  }

  // Leaves the current step through `e` and runs on from its target.
  void take(const step& from, const step_exit& e) {
    cancel_timers_of(from.id);
    emit(fact_kind::step_left, from.id, object("exit", e.key, "target", e.target));
    walk(e.target);
  }

  void cancel_timers_of(const std::string& step_id) {
    std::vector<int> ns;
    bool idle_sla = false;
    for (const auto& t : s_.timers)
      if (t.step == step_id) {
        ns.push_back(t.n);
        idle_sla = idle_sla || t.purpose.starts_with("sla:idle");
      }
    for (int n : ns) emit(fact_kind::timer_cancelled, step_id, {{"timer", n}});
    if (idle_sla) sla_met("idle", step_id);  // the manager acted: the idle clock stops
  }

  // --- SLAs (see "SLA" in docs/PLAYBOOKS.md) --------------------------------------------

  // The playbook the case was opened with: its `sla:` governs the whole case.
  const playbook* root_book() const {
    return s_.stack.empty() ? book() : book_of(s_.stack.front().playbook, s_.stack.front().version);
  }

  const sla_rule* sla_rule_for(std::string_view kind) const {
    auto b = root_book();
    if (!b || !b->sla) return nullptr;
    const sla_rule* r = b->sla->find(kind);
    return r && r->enabled ? r : nullptr;
  }

  std::optional<duration> sla_target(std::string_view kind) const {
    const auto& c = client();
    if (!c || !ctx_.firm || !sla_rule_for(kind)) return std::nullopt;
    sla_terms t = ctx_.firm->sla(*c);
    return kind == "first_reply" ? t.first_reply : kind == "idle" ? t.idle : t.deadline;
  }

  std::string sla_var(std::string_view kind, std::string_view suffix = {}) const {
    return fmt::format("sla_{}{}", kind, suffix);
  }

  void set_var(const std::string& step_id, const std::string& name, json value) {
    emit(fact_kind::variable_set, step_id, object("name", name, "value", std::move(value)));
  }

  // Starts the clock for `kind` when the firm sets a target for this client.
  void sla_start(std::string_view kind, const std::string& step_id) {
    auto target = sla_target(kind);
    if (!target) return;
    timestamp due = due_after(*target);
    auto offset = ctx_.calendar ? ctx_.calendar->utc_offset() : std::chrono::minutes(180);
    set_var(step_id, sla_var(kind, "_target"), target->text);
    set_var(step_id, sla_var(kind, "_due"), local_time_text(due, offset));
    set_var(step_id, sla_var(kind), "pending");
    emit(fact_kind::timer_set, step_id,
         object("due", to_millis(due), "purpose", std::string(sla_prefix) + std::string(kind), "timer", s_.timer_count + 1));
  }

  // The condition is met: the clock stops, and a breach already reported stays on record.
  void sla_met(std::string_view kind, const std::string& step_id) {
    std::vector<int> ns;
    for (const auto& t : s_.timers)
      if (t.purpose == std::string(sla_prefix) + std::string(kind) ||
          t.purpose == std::string(sla_prefix) + std::string(kind) + std::string(sla_escalation))
        ns.push_back(t.n);
    for (int n : ns) emit(fact_kind::timer_cancelled, step_id, {{"timer", n}});
    if (s_.vars.value(sla_var(kind), "") == "pending") set_var(step_id, sla_var(kind), "met");
  }

  // An SLA timer came due: remind at the breach, escalate after the second interval.
  void sla_fired(const pending_timer& t) {
    std::string kind(t.purpose.substr(sla_prefix.size()));
    bool escalation = kind.ends_with(sla_escalation);
    if (escalation) kind.resize(kind.size() - sla_escalation.size());
    const sla_rule* rule = sla_rule_for(kind);
    if (!rule) return;
    std::string target = as_text(s_.vars.value(sla_var(kind, "_target"), json()));
    const step* st = current();
    std::string manager = builtin_text("manager");
    std::string text = sla_breach_text(kind, escalation, std::to_string(s_.id), builtin_text("client"), target,
                                       st ? (st->title.empty() ? st->id : st->title) : s_.step, manager);
    emit(fact_kind::staff_notified, t.step,
         {{"outbox", s_.outbox_count + 1}, {"channel", "staff"},
          {"to", resolve_who(escalation ? rule->escalate_to : rule->remind)}, {"text", text}});
    set_var(t.step, sla_var(kind), escalation ? "escalated" : "breached");
    if (escalation) return;
    std::optional<duration> again = rule->escalate_after;
    if (!again) again = parse_duration(target);
    if (!again) return;
    emit(fact_kind::timer_set, t.step,
         {{"timer", s_.timer_count + 1}, {"due", to_millis(due_after(*again))},
          {"purpose", t.purpose + std::string(sla_escalation)}});
  }

  // Whom the case's messages are for: the client's form of address and language.
  audience reader() const {
    audience a;
    if (const auto& c = client()) {
      a.informal = c->informal;
      a.language = c->language;
    }
    return a;
  }

  void fail(const std::string& step_id, std::string why) {
    emit(fact_kind::run_error, step_id, {{"error", std::move(why)}});
  }

  // Runs steps starting at `target` until one waits or the case closes.
  void walk(std::string target) {
    int budget = ctx_.max_steps_per_event;
    while (!target.empty()) {
      if (--budget < 0) {
        fail(s_.step, fmt::format("more than {} steps without waiting: the playbook loops",
                                  ctx_.max_steps_per_event));
        return;
      }
      if (auto outcome = end_outcome(target); !outcome.empty()) {
        target = finish(std::string(outcome), nullptr);
        continue;
      }
      auto b = book();
      const step* st = b ? b->find_step(target) : nullptr;
      if (!st) {
        fail(s_.step, fmt::format("playbook {} v{} has no step '{}'", s_.playbook, s_.version, target));
        return;
      }
      target = enter(*b, *st);
    }
  }

  // Closes the case, or returns from a called playbook; gives the next target if any.
  std::string finish(const std::string& outcome, const step* ending) {
    if (s_.stack.empty()) {
      // Work called off before it was done does not use up the client's quota.
      if (!s_.quota_held.empty() && (outcome == "cancelled" || outcome == "declined" || outcome == "withdrawn"))
        return_quota(ending ? ending->id : s_.step, outcome);
      // An invoice nobody paid is void once the case is over; its number is not reused.
      if (s_.vars.value("invoice_status", "") == "issued")
        emit(fact_kind::invoice_cancelled, ending ? ending->id : s_.step,
             {{"number", s_.vars.value("invoice_no", "")}, {"reason", "case closed: " + outcome}});
      // Closing ends every SLA clock: in time for the deadline, moot for the others.
      std::string at = ending ? ending->id : s_.step;
      for (std::string_view kind : {"deadline", "first_reply", "idle"}) sla_met(kind, at);
      emit(fact_kind::case_closed, at, {{"outcome", outcome}});
      return {};
    }
    auto callee = s_.playbook;
    emit(fact_kind::playbook_returned, ending ? ending->id : "", {{"playbook", callee}, {"outcome", outcome}});
    auto b = book();
    const step* caller = b ? b->find_step(s_.step) : nullptr;
    if (!caller) {
      fail(s_.step, "the calling step is gone from playbook " + s_.playbook);
      return {};
    }
    const step_exit* e = caller->find_exit(outcome);
    if (!e) e = caller->find_exit("next");
    if (!e) {
      fail(caller->id, "no branch for outcome '" + outcome + "' of " + callee);
      return {};
    }
    emit(fact_kind::step_left, caller->id, {{"exit", e->key}, {"target", e->target}});
    return e->target;
  }

  void set_timer(const step& st, timestamp due, const char* purpose) {
    emit(fact_kind::timer_set, st.id,
         {{"timer", s_.timer_count + 1}, {"due", to_millis(due)}, {"purpose", purpose}});
  }

  timestamp due_after(const duration& d) const {
    return ctx_.calendar ? ctx_.calendar->add(now(), d)
                         : now() + std::chrono::duration_cast<std::chrono::milliseconds>(d.plain());
  }

  void wait(const step& st, waits_for w) {
    if (st.timeout) {
      set_timer(st, due_after(*st.timeout), "timeout");
    } else if (!st.timeout_variable.empty()) {
      auto b = book();
      auto d = b ? duration_of(*b, st.timeout_variable, st.id, "timeout") : std::nullopt;
      if (!d) return;
      set_timer(st, due_after(*d), "timeout");
    }
    if (w == waits_for::manager) sla_start("idle", st.id);
    emit(fact_kind::waiting, st.id, object("for", wait_name(w)));
  }

  // A duration kept in a variable: a text like "3 рабочих дня", or a number of working days.
  std::optional<duration> duration_of(const playbook& b, const std::string& name, const std::string& step_id,
                                      const char* what) {
    auto v = variable(b, name);
    std::optional<duration> d;
    if (v.is_number() && v.get<double>() > 0 && std::floor(v.get<double>()) == v.get<double>())
      d = parse_duration(fmt::format("{} рабочих дней", v.get<long long>()));
    else if (v.is_string())
      d = parse_duration(v.get<std::string>());
    if (!d)
      fail(step_id, fmt::format("{}: variable {} is {}: expected a duration like «3 рабочих дня» or a number of "
                                "working days",
                                what, name, v.dump()));
    return d;
  }

  std::string next_of(const step& st) {
    const step_exit* e = st.find_exit("next");
    if (!e || e->target.empty()) {
      fail(st.id, "the step has nowhere to continue");
      return {};
    }
    emit(fact_kind::step_left, st.id, object("exit", e->key, "target", e->target));
    return e->target;
  }

  std::string exit_to(const step& st, std::string_view key) {
    const step_exit* e = st.find_exit(key);
    if (!e || e->target.empty()) {
      fail(st.id, fmt::format("no branch '{}'", key));
      return {};
    }
    emit(fact_kind::step_left, st.id, object("exit", e->key, "target", e->target));
    return e->target;
  }

  std::string resolve_who(const std::string& who) const {
    const auto& c = client();
    if (who == "accountant" && c && !c->accountant.empty()) return c->accountant;
    if (who == "manager" && c && !c->manager.empty()) return c->manager;
    return who;
  }

  // `reviewed`: who sent it from an editable say, and what was prepared if they changed it.
  void queue_to_client(const step& st, std::string text, const std::vector<std::string>& buttons = {},
                       const json& reviewed = json()) {
    if (s_.channel.empty() || s_.sender.empty()) {
      fail(st.id, "the case has no client channel to send the message to");
      return;
    }
    flat_object data = object("channel", s_.channel, "outbox", s_.outbox_count + 1, "text", std::move(text), "to", s_.sender);
    if (!buttons.empty()) data.set("buttons", json(buttons));
    if (reviewed.is_object())
      for (const auto& [k, v] : reviewed.items()) data.set(k, v);
    emit(fact_kind::message_queued, st.id, std::move(data));
    // The automatic opening message is an acknowledgement, not the first reply.
    auto root = root_book();
    if (!opening || (root && root->sla && root->sla->greeting_counts)) sla_met("first_reply", st.id);
  }

  // The manager sends an editable say's reply, changed or as prepared, and the case goes on.
  void send_reviewed(const step& st, std::string text, const std::string& actor) {
    const auto prepared = as_text(s_.vars.value(prepared_reply, json()));
    json reviewed{{"actor", actor}};
    if (text != prepared) {
      reviewed["edited"] = true;
      reviewed["prepared"] = prepared;
    }
    cancel_timers_of(st.id);
    queue_to_client(st, std::move(text), st.buttons, reviewed);
    if (!s_.error.empty()) return;
    emit(fact_kind::step_left, st.id, {{"exit", "next"}, {"target", st.find_exit("next")->target}});
    walk(st.find_exit("next")->target);
  }

  // Issues the case's invoice: the next number of the year, the sum, the due date.
  std::string issue_invoice(const playbook& b, const step& st) {
    json value = st.amount ? st.amount->evaluate([&](std::string_view n) { return variable(b, n); }) : json();
    long long amount = kopecks(value);
    if (amount <= 0) {
      fail(st.id, fmt::format("invoice amount «{}» is {}: expected a positive sum in rubles",
                              st.amount ? st.amount->text() : "", value.dump()));
      return {};
    }
    std::optional<duration> due = st.due;
    if (!due && !st.due_variable.empty()) due = duration_of(b, st.due_variable, st.id, "due");
    if (!due) {
      if (s_.error.empty()) fail(st.id, "the invoice has no due term");
      return {};
    }
    // A new invoice replaces the case's unpaid one (a changed price): that one is void.
    if (s_.vars.value("invoice_status", "") == "issued")
      emit(fact_kind::invoice_cancelled, st.id,
           {{"number", s_.vars.value("invoice_no", "")}, {"reason", "replaced by a new invoice"}});
    const auto offset = ctx_.calendar ? ctx_.calendar->utc_offset() : std::chrono::minutes(180);
    auto local_day = [&](timestamp t) {
      return std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(t + offset)};
    };
    const int year = static_cast<int>(local_day(now()).year());
    const int seq = (ctx_.last_invoice_seq ? ctx_.last_invoice_seq(year) : 0) + 1 + issued_in_run_++;
    auto purpose_template = message_template::parse(st.prompt);
    const std::string purpose = purpose_template ? render_text(b, *purpose_template) : st.prompt;
    const timestamp due_at = due_after(*due);
    const auto due_day = local_day(due_at);
    emit(fact_kind::invoice_issued, st.id,
         {{"number", fmt::format("{}-{:04}", year, seq)},
          {"year", year},
          {"seq", seq},
          {"amount", rubles(amount)},
          {"currency", "RUB"},
          {"due", to_millis(due_at)},
          {"due_date", fmt::format("{:04}-{:02}-{:02}", static_cast<int>(due_day.year()),
                                   static_cast<unsigned>(due_day.month()), static_cast<unsigned>(due_day.day()))},
          {"client", s_.client_id},
          {"purpose", purpose}});
    return next_of(st);
  }

  // A payment against the case's issued invoice: nullopt when accepted (facts emitted),
  // else the reason it is refused.
  std::optional<std::string> pay_invoice(const step& st, const staff_action& a) {
    const auto number = s_.vars.value("invoice_no", "");
    const long long amount = kopecks(s_.vars.value("invoice_amount", json(0)));
    const long long before = std::max(0LL, kopecks(s_.vars.value("invoice_paid", json(0))));
    const long long rest = amount - before;
    long long pay = rest;
    if (a.values.contains("amount") && !a.values["amount"].is_null()) {
      pay = kopecks(a.values["amount"]);
      if (pay <= 0)
        return fmt::format("amount {}: expected a positive sum in rubles; invoice {} expects {} RUB",
                           a.values["amount"].dump(), number, rubles_text(rest));
      if (pay > rest)
        return fmt::format("amount {} RUB is more than invoice {} expects: {} RUB (of {} RUB, {} RUB paid before)",
                           rubles_text(pay), number, rubles_text(rest), rubles_text(amount), rubles_text(before));
    }
    const bool full = before + pay >= amount;
    emit(fact_kind::payment_confirmed, st.id,
         {{"actor", a.actor},
          {"amount", rubles(pay)},
          {"invoice", number},
          {"paid_total", rubles(before + pay)},
          {"full", full}});
    if (full) take(st, *st.find_exit("paid"));
    return std::nullopt;
  }

  // Enters `st`; returns the next target, or "" when the case now waits or closed.
  std::string enter(const playbook& b, const step& st) {
    const std::string came_from = s_.step;
    emit(fact_kind::step_entered, st.id, object("kind", to_string(st.kind)));
    switch (st.kind) {
      case step_kind::say: {
        const message_template* t = &st.text;
        if (!st.template_ref.empty()) {
          auto it = b.templates.find(st.template_ref);
          if (it == b.templates.end()) {
            fail(st.id, "unknown template " + st.template_ref);
            return {};
          }
          t = &it->second;
        }
        if (st.editable) {
          // The manager reads it first: the prepared text waits in a case variable.
          emit(fact_kind::variable_set, st.id, {{"name", prepared_reply}, {"value", render_text(b, *t)}});
          wait(st, waits_for::manager);
          return {};
        }
        queue_to_client(st, render_text(b, *t), st.buttons);
        if (!s_.error.empty()) return {};
        return next_of(st);
      }
      case step_kind::task:
      case step_kind::choice:
      case step_kind::form:
        wait(st, waits_for::manager);
        return {};
      case step_kind::check_tariff:
        return check_tariff(st);
      case step_kind::wait_client:
        wait(st, waits_for::client);
        return {};
      case step_kind::wait_payment:
        wait(st, waits_for::payment);
        return {};
      case step_kind::wait_time:
        set_timer(st, due_after(st.pause.value_or(duration{})), "pause");
        emit(fact_kind::waiting, st.id, {{"for", "timer"}});
        return {};
      case step_kind::condition: {
        bool yes = st.condition && st.condition->truthy([&](std::string_view n) { return variable(b, n); });
        return exit_to(st, yes ? "then" : "else");
      }
      case step_kind::set:
        for (const auto& a : st.assignments)
          emit(fact_kind::variable_set, st.id,
               {{"name", a.variable}, {"value", a.value.evaluate([&](std::string_view n) { return variable(b, n); })}});
        return next_of(st);
      case step_kind::assign:
        emit(fact_kind::assigned, st.id, object("to", resolve_who(st.who)));
        return next_of(st);
      case step_kind::notify:
        emit(fact_kind::staff_notified, st.id,
             {{"outbox", s_.outbox_count + 1}, {"channel", "staff"}, {"to", resolve_who(st.who)},
              {"text", render_text(b, st.text, false)}});
        return next_of(st);
      case step_kind::escalate: {
        emit(fact_kind::escalated, st.id, {{"reason", st.prompt}});
        // The director hears of it the way they chose (email, Telegram: the staff
        // channel), unless the step before has just told them: the playbook's own
        // message, or a reminder that leads back here.
        const step* before = came_from.empty() ? nullptr : b.find_step(came_from);
        const bool told = before && before->kind == step_kind::notify && resolve_who(before->who) == "director";
        if (!told)
          emit(fact_kind::staff_notified, st.id,
               {{"outbox", s_.outbox_count + 1},
                {"channel", "staff"},
                {"to", "director"},
                {"text", fmt::format("Заявка {} ({}) ждёт вашего решения: {}", s_.id, builtin_text("client"), st.prompt)}});
        wait(st, waits_for::director);
        return {};
      }
      case step_kind::call: {
        auto callee = ctx_.playbook_latest(st.callee);
        if (!callee || callee->steps.empty()) {
          fail(st.id, "playbook " + st.callee + " is not loaded");
          return {};
        }
        emit(fact_kind::playbook_called, st.id, {{"playbook", callee->id}, {"version", callee->version}});
        return callee->steps.front().id;
      }
      case step_kind::end:
        if (!st.text.empty()) queue_to_client(st, render_text(b, st.text));
        return finish(st.outcome.empty() ? "done" : st.outcome, &st);
      case step_kind::invoice:
        return issue_invoice(b, st);
    }
    return {};
  }

  // `service`: the manager's correction; empty: the catalog classifies the client's words.
  std::string check_tariff(const step& st, std::string_view service = {}) {
    const auto& c = client();
    tariff_check r;
    if (c && ctx_.tariffs) {
      tariff_request req{s_.last_client_text, now(), service};
      // The receiving thread may have stemmed the message already (analyse()).
      if (incoming && incoming->stems && incoming->text == s_.last_client_text) req.stems = incoming->stems.get();
      r = ctx_.tariffs->check(*c, req, {ctx_.quota_used, ctx_.learned_services});
    }
    emit(fact_kind::tariff_checked, st.id,  // keys in sorted order (see put_pairs)
         object("alternative", std::move(r.alternative),
                "confidence", r.confidence,
                "learned", r.learned,
                "matched", std::move(r.matched),
                "min_price", r.min_price,
                "outcome", to_string(r.outcome),
                "payment_due", std::move(r.payment_due),
                "payment_reminder_after", std::move(r.payment_reminder_after),
                "period", std::move(r.period),
                "price", r.price,
                "quota_limit", r.quota_limit,
                "quota_used", r.quota_used,
                "service", std::move(r.service_id),
                "service_title", std::move(r.service_title),
                "tariff", std::move(r.tariff_id),
                "tariff_from", std::move(r.tariff_from),
                "unit", std::move(r.unit),
                "unpaid_close_after", std::move(r.unpaid_close_after),
                "urgent_price", r.urgent_price,
                "urgent_surcharge", r.urgent_surcharge,
                "urgent_within", std::move(r.urgent_within)));
    return exit_to(st, to_string(r.outcome));
  }

  // The manager names the right service while the case waits after a tariff check: the
  // check runs again for it (quota held for the wrong one is given back) and the case
  // goes on along the new outcome's branch. The correction is remembered for the client.
  void correct(const step& at, const step& check, const std::string& service, const std::string& actor) {
    cancel_timers_of(at.id);
    emit(fact_kind::service_corrected, check.id,
         {{"from", as_text(s_.vars.value("service", json()))},
          {"to", service},
          {"key", request_key(s_.last_client_text)},
          {"actor", actor}});
    if (!s_.quota_held.empty()) return_quota(check.id, "corrected");
    emit(fact_kind::step_entered, check.id, {{"kind", to_string(check.kind)}});
    walk(check_tariff(check, service));
  }

  void return_quota(const std::string& step_id, const std::string& reason) {
    auto nl = s_.quota_held.find('\n');
    emit(fact_kind::quota_returned, step_id,
         {{"service", s_.quota_held.substr(0, nl)},
          {"period", nl == std::string::npos ? std::string() : s_.quota_held.substr(nl + 1)},
          {"reason", reason}});
  }

  json variable(const playbook& b, std::string_view name) const {
    auto canon = std::string(canonical_variable(name));
    if (const auto* v = s_.vars.find(canon)) return flat_object::to_json(*v);
    if (const auto* v = s_.vars.find(name)) return flat_object::to_json(*v);
    if (const auto* decl = b.find_variable(name)) {
      if (decl->default_value.empty()) return nullptr;
      if (decl->type == "number" || decl->type == "money") {
        try {
          return std::stod(decl->default_value);
        } catch (...) {
        }
      }
      return decl->default_value;
    }
    return nullptr;
  }

  // The client's manager by name (English letters for an English reader), else the
  // context's default.
  std::string manager_name(bool english) const {
    const auto& c = client();
    std::string login = c && !c->manager.empty() ? c->manager : std::string();
    if (ctx_.firm && !login.empty())
      if (auto m = ctx_.firm->staff(login)) return english && !m->name_en.empty() ? m->name_en : m->name;
    return ctx_.manager_name;
  }

  // Appends the value of a built-in variable to `out`; false for any other name.
  bool builtin(std::string_view canon, std::string& out) const {
    const auto& c = client();
    bool english = c && c->language == "en";
    if (canon == "greeting") {
      int offset = c ? c->utc_offset_minutes
                     : (ctx_.calendar ? static_cast<int>(ctx_.calendar->utc_offset().count()) : 180);
      auto local = now() + std::chrono::minutes(offset);
      auto since_midnight = local - std::chrono::floor<std::chrono::days>(local);
      out += greeting_for(static_cast<int>(std::chrono::duration_cast<std::chrono::hours>(since_midnight).count()),
                          english);
    } else if (canon == "address") {
      out += c && !c->address_as.empty() ? std::string_view(c->address_as)
                                         : std::string_view(english ? "dear client" : "уважаемый клиент");
    } else if (canon == "client") {
      out += c ? c->name : s_.sender;
    } else if (canon == "manager") {
      out += manager_name(english);
    } else if (canon == "signature") {
      out += english ? "Best regards, " : "С уважением, ";
      out += manager_name(english);
      if (std::string firm = ctx_.firm ? ctx_.firm->name(english ? "en" : "ru") : std::string(); !firm.empty()) {
        out += ", ";
        out += firm;
      }
    } else if (canon == "case_no") {
      const fmt::format_int number(s_.id);
      out.append(number.data(), number.size());
    } else if (canon == "client_text") {
      out += s_.last_client_text;
    } else if (canon == "service") {
      out += as_text(s_.vars.value("service_title", json()));
    } else {
      return false;
    }
    return true;
  }

  std::string builtin_text(std::string_view canon) const {
    std::string out;
    builtin(canon, out);
    return out;
  }

  // Client messages take the client's form of address and language; staff texts
  // (`for_client` false) stay Russian, with form choices still following the client.
  std::string render_text(const playbook& b, const message_template& t, bool for_client = true) const {
    audience to = reader();
    if (!for_client) to.language = "ru";
    return t.render(
        [&](std::string_view name, std::string& out) {
          if (builtin(name, out)) return true;
          if (const auto* v = s_.vars.find(name)) {  // what variable() would find first, without JSON
            if (const auto* text = std::get_if<std::string>(v))
              out += *text;
            else
              out += as_text(flat_object::to_json(*v));
            return true;
          }
          auto v = variable(b, name);
          if (v.is_null() && !is_builtin_variable(name) && !b.find_variable(name)) return false;
          out += as_text(v);
          return true;
        },
        to);
  }

  // Which exit a client's reply takes at a wait: client step, if any.
  const step_exit* classify(const step& st, std::string_view text) const {
    for (const auto& a : st.answers)
      if (says_any(text, a.phrases)) return st.find_exit(a.exit_key);
    // "нет" is checked first: "не согласен" contains "согласен".
    if (auto e = st.find_exit("no"); e && says_any(text, no_phrases)) return e;
    if (auto e = st.find_exit("yes"); e && says_any(text, yes_phrases)) return e;
    return st.find_exit("other");
  }

  const run_context& ctx_;
  case_state& s_;
  mutable client_ptr client_;
  mutable std::string client_for_;
  mutable bool client_loaded_ = false;
  struct found_book {
    std::string id;
    int version;
    playbook_ptr book;
  };
  mutable std::vector<found_book> books_;  // book_of(): usually one, two with a called playbook
  bool opening = false;  // running the steps that answer the first message by themselves
  int issued_in_run_ = 0;  // invoices numbered in this run, not yet in the store
  mutable std::optional<timestamp> now_;
};

namespace {

// The message_received fact's data: the channel details only when the channel gave them,
// so a message from the API journals exactly as before.
flat_object received_data(const inbound_message& m) {
  flat_object d = object("channel", m.channel, "external_id", m.external_id, "sender", m.sender, "text", m.text);
  if (!m.sender_name.empty()) d.set("sender_name", m.sender_name);
  if (!m.subject.empty()) d.set("subject", m.subject);
  if (!m.original.empty() && m.original != m.text) d.set("original", m.original);
  if (!m.attachments.empty()) {
    json list = json::array();
    for (const auto& a : m.attachments)
      list.push_back({{"name", a.name}, {"content_type", a.content_type}, {"size", a.size}, {"sha256", a.sha256}});
    d.set("attachments", std::move(list));
  }
  return d;
}

}  // namespace

step_outcome interpreter::open(case_state& state, case_id id, const playbook_ptr& book,
                               const inbound_message* first, const std::string& client,
                               const client_contact* reply_to, const json* vars) const {
  run r(ctx_, state);
  r.incoming = first;
  state.id = id;
  std::string client_id = client;
  if (client_id.empty() && first && ctx_.clients)
    if (auto c = ctx_.clients->find_by_contact(first->channel, first->sender)) {
      client_id = c->id;
      r.know_client(std::move(c));
    }
  std::string channel, sender, thread;
  if (first) {
    channel = first->channel;
    sender = first->sender;
    thread = first->thread.empty() ? first->sender : first->thread;
  } else if (reply_to) {
    // The client's answer on this contact joins the manual case, like a reply would.
    channel = reply_to->channel;
    sender = thread = reply_to->address;
  }
  r.emit(fact_kind::case_opened, "",
         object("channel", std::move(channel), "client", std::move(client_id), "playbook", book->id, "sender",
                std::move(sender), "thread", std::move(thread), "version", book->version));
  if (first)
    r.emit(fact_kind::message_received, "", received_data(*first));
  if (const auto& c = r.client(); c && !c->manager.empty()) r.emit(fact_kind::assigned, "", object("to", c->manager));
  if (vars && vars->is_object())
    for (const auto& [name, value] : vars->items()) r.emit(fact_kind::variable_set, "", {{"name", name}, {"value", value}});
  if (first) {
    r.sla_start("first_reply", "");
    r.sla_start("deadline", "");
  }
  r.opening = true;
  if (book->steps.empty())
    r.fail("", "the playbook has no steps");
  else
    r.walk(book->steps.front().id);
  return {std::move(r.facts), {}};
}

step_outcome interpreter::client_message(case_state& state, const inbound_message& m) const {
  run r(ctx_, state);
  r.incoming = &m;
  r.emit(fact_kind::message_received, state.step, received_data(m));
  if (state.status == case_status::waiting_client) {
    if (const step* st = r.current(); st && st->kind == step_kind::wait_client) {
      if (const step_exit* e = r.classify(*st, m.text); e && !e->target.empty()) {
        r.emit(fact_kind::client_replied, st->id, {{"answer", e->key}, {"text", m.text}});
        r.take(*st, *e);
      }
    }
  }
  return {std::move(r.facts), {}};
}

step_outcome interpreter::staff(case_state& state, const staff_action& a) const {
  run r(ctx_, state);
  using k = staff_action::kind;
  if (a.what == k::note) {
    if (a.reason.empty()) return {{}, "a note needs its text in 'reason'"};
    r.emit(fact_kind::note_added, state.step, {{"text", a.reason}, {"actor", a.actor}});
    return {std::move(r.facts), {}};
  }
  if (a.what == k::call || a.what == k::visit) {
    // Journaled like a message: who, when, what was said. No telephony: a person logs it.
    const char* what = a.what == k::call ? "a call" : "a visit";
    auto text_of = [&](const char* name) -> std::optional<std::string> {
      auto it = a.values.find(name);
      if (it == a.values.end() || it->is_null()) return std::string{};
      if (!it->is_string()) return std::nullopt;
      return it->get<std::string>();
    };
    auto who = text_of("who"), when = text_of("when"), direction = text_of("direction");
    if (!who || !when || !direction) return {{}, fmt::format("{}: values.who, when and direction must be strings", what)};
    if (who->empty()) return {{}, fmt::format("{} needs values.who (the person the manager spoke with)", what)};
    if (a.reason.empty()) return {{}, fmt::format("{} needs its summary in 'reason'", what)};
    timestamp at = r.now();
    if (!when->empty() && !parse_iso8601(*when, at))
      return {{}, fmt::format("{}: values.when '{}' is not a time like 2026-11-23T10:30:00+03:00", what, *when)};
    flat_object d = {{"who", *who}, {"when", to_millis(at)}, {"summary", a.reason}, {"actor", a.actor}};
    if (a.what == k::call) {
      if (direction->empty()) *direction = "in";
      if (*direction != "in" && *direction != "out")
        return {{}, fmt::format("a call: values.direction must be 'in' (the client called) or 'out', not '{}'", *direction)};
      d.set("direction", *direction);
    } else if (!direction->empty()) {
      return {{}, "a visit has no direction"};
    }
    r.emit(a.what == k::call ? fact_kind::call_logged : fact_kind::visit_logged, state.step, std::move(d));
    return {std::move(r.facts), {}};
  }
  if (state.closed()) return {{}, "the case is closed", true};
  if (a.step != state.step)
    return {{}, fmt::format("step '{}' is not current: the case is at step '{}'", a.step, state.step), true};
  const step* st = r.current();
  if (!st) return {{}, "the current step is missing from the playbook"};
  auto refuse = [&](std::string why) { return step_outcome{{}, std::move(why)}; };

  switch (a.what) {
    case k::choose: {
      // A choice; or the manager reading an unclear reply / a failed step and routing it.
      bool allowed = st->kind == step_kind::choice || st->kind == step_kind::wait_client || !state.error.empty();
      if (!allowed) return refuse(fmt::format("step '{}' is a {}, not a choice", st->id, to_string(st->kind)));
      const step_exit* e = exit_named(*st, a.option);
      // A choice's deadline is the clock's to take, not an option.
      if (e && e->key == "timeout" && st->kind == step_kind::choice) e = nullptr;
      if (!e) return refuse(fmt::format("no option '{}' at step '{}'; options: {}", a.option, st->id, list_options(*st)));
      r.emit(fact_kind::choice_made, st->id, {{"option", e->label}, {"actor", a.actor}});
      r.take(*st, *e);
      break;
    }
    case k::submit: {
      if (st->kind != step_kind::form) return refuse(fmt::format("step '{}' is not a form", st->id));
      json values = json::object();
      for (const auto& f : st->fields) {
        auto it = a.values.find(f.variable);
        if (it == a.values.end() || it->is_null() || (it->is_string() && it->get<std::string>().empty()))
          return refuse(fmt::format("field '{}' ({}) is required", f.variable, f.label));
        values[f.variable] = *it;
      }
      for (const auto& [key, v] : a.values.items())
        if (!values.contains(key)) return refuse(fmt::format("the form has no field '{}'", key));
      r.emit(fact_kind::form_submitted, st->id, {{"values", values}, {"actor", a.actor}});
      r.take(*st, *st->find_exit("next"));
      break;
    }
    case k::done:
    case k::skip: {
      if (st->kind != step_kind::task) return refuse(fmt::format("step '{}' is not a task", st->id));
      if (a.what == k::skip) {
        if (a.reason.empty()) return refuse("skipping a step needs a reason");
        r.emit(fact_kind::task_skipped, st->id, {{"reason", a.reason}, {"actor", a.actor}});
        r.take(*st, *st->find_exit("skip"));
      } else {
        r.emit(fact_kind::task_done, st->id, {{"actor", a.actor}});
        r.take(*st, *st->find_exit("next"));
      }
      break;
    }
    case k::decide: {
      if (st->kind != step_kind::escalate) return refuse(fmt::format("step '{}' is not an escalation", st->id));
      const step_exit* e = exit_named(*st, a.option);
      if (!e || e->key == "timeout")
        return refuse(fmt::format("no decision '{}' at step '{}'; decisions: {}", a.option, st->id, list_options(*st)));
      r.emit(fact_kind::director_decided, st->id, {{"decision", e->label}, {"note", a.reason}, {"actor", a.actor}});
      r.take(*st, *e);
      break;
    }
    case k::paid: {
      if (st->kind != step_kind::wait_payment)
        return step_outcome{{}, fmt::format("step '{}' does not wait for a payment", st->id), true};
      if (state.vars.value("invoice_status", "") == "issued") {
        if (auto why = r.pay_invoice(*st, a)) return refuse(std::move(*why));
        break;
      }
      flat_object data{{"actor", a.actor}};
      if (a.values.contains("amount")) data.set("amount", a.values["amount"]);
      r.emit(fact_kind::payment_confirmed, st->id, data);
      r.take(*st, *st->find_exit("paid"));
      break;
    }
    case k::correct: {
      auto given = a.values.find("service");
      std::string service = given != a.values.end() && given->is_string() ? given->get<std::string>() : a.option;
      if (service.empty()) return refuse("a correction needs the service id in values.service");
      if (!ctx_.tariffs || !ctx_.tariffs->has_service(service))
        return refuse(fmt::format("no service '{}' in the firm's price list", service));
      auto b = r.book();
      const step* check = b && !state.tariff_step.empty() ? b->find_step(state.tariff_step) : nullptr;
      if (!check || check->kind != step_kind::check_tariff)
        return refuse(fmt::format("step '{}': the case has no tariff check to correct", st->id));
      if (state.outbox_count != state.outbox_at_check)
        return step_outcome{{}, fmt::format("the client has been written to since the tariff check at step '{}': "
                                            "a correction is taken only before that", check->id), true};
      if (state.vars.value("service", json()) == json(service))
        return refuse(fmt::format("the tariff check already found '{}'", service));
      r.correct(*st, *check, service, a.actor);
      break;
    }
    case k::send: {
      if (st->kind != step_kind::say || !st->editable)
        return refuse(fmt::format("step '{}' has no prepared reply to send: only a say step with editable: true "
                                  "waits for one",
                                  st->id));
      std::string text = as_text(state.vars.value(prepared_reply, json()));
      if (auto it = a.values.find("text"); it != a.values.end() && !it->is_null()) {
        if (!it->is_string()) return refuse("values.text must be a string: the reply to send");
        text = it->get<std::string>();
      }
      if (text.find_first_not_of(" \t\r\n") == std::string::npos)
        return refuse("the reply is empty: write the text or send the prepared one");
      if (text.size() > max_reply_bytes)
        return refuse(fmt::format("the reply is {} bytes; at most {} are sent", text.size(), max_reply_bytes));
      r.send_reviewed(*st, std::move(text), a.actor);
      break;
    }
    case k::note:
    case k::call:
    case k::visit:
      break;  // handled above, at any step
  }
  return {std::move(r.facts), {}};
}

step_outcome interpreter::timer(case_state& state, const timer_due& t) const {
  run r(ctx_, state);
  auto it = std::find_if(state.timers.begin(), state.timers.end(), [&](const pending_timer& p) { return p.n == t.n; });
  if (it == state.timers.end()) return {{}, fmt::format("timer {} is no longer pending", t.n), true};
  pending_timer fired = *it;
  r.emit(fact_kind::timer_fired, fired.step, {{"timer", fired.n}});
  if (fired.purpose.starts_with(sla_prefix)) {
    if (!state.closed()) r.sla_fired(fired);
  } else if (fired.step == state.step && !state.closed()) {
    if (const step* st = r.current()) {
      const step_exit* e = st->find_exit(fired.purpose == "pause" ? "next" : "timeout");
      if (e && !e->target.empty()) r.take(*st, *e);
    }
  }
  return {std::move(r.facts), {}};
}

step_outcome interpreter::delivery(case_state& state, const delivery_result& d) const {
  run r(ctx_, state);
  if (d.ok) {
    r.emit(fact_kind::message_sent, "", {{"outbox", d.outbox}, {"attempts", d.attempts}});
  } else {
    flat_object data{{"outbox", d.outbox}, {"error", d.error}, {"attempts", d.attempts}};
    if (d.dead)
      data.set("dead", true);
    else
      data.set("retry_at", to_millis(d.retry_at));
    r.emit(fact_kind::message_failed, "", data);
  }
  return {std::move(r.facts), {}};
}

std::string interpreter::render(const case_state& state, const playbook& book, const message_template& t) const {
  case_state copy = state;
  run r(ctx_, copy);
  return r.render_text(book, t);
}

std::string interpreter::render_text(const case_state& state, const playbook& book, const std::string& text) const {
  if (text.find("{{") == std::string::npos) return text;
  auto t = message_template::parse(text);
  return t ? render(state, book, *t) : text;
}

}  // namespace reglament
