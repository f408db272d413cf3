#include "engine/sandbox.hpp"

#include "engine/production_calendar.hpp"

#include <algorithm>

namespace reglament {

sandbox::sandbox(store& st, playbook_library& books, const firm_file* firm, timestamp start)
    : store_(st), clock_(start), calendar_(production_calendar::shipped()) {
  run_context ctx;
  ctx.now = &clock_;
  ctx.calendar = &calendar_;
  ctx.clients = firm;
  ctx.tariffs = firm;
  ctx.firm = firm;
  ctx.manager_name = "Мария, клиентский менеджер";
  engine_ = std::make_unique<case_engine>(store_, books, ctx);
}

template <class F>
engine_result sandbox::in_txn(F&& f) {
  store_.begin();
  try {
    auto r = f();
    store_.commit();
    return r;
  } catch (...) {
    store_.rollback();
    throw;
  }
}

engine_result sandbox::inbound(const inbound_message& m) {
  return in_txn([&] { return engine_->inbound(m); });
}

engine_result sandbox::act(case_id id, const staff_action& a) {
  return in_txn([&] { return engine_->action(id, a); });
}

engine_result sandbox::pay_invoice(const std::string& number, const nlohmann::json& amount,
                                   const std::string& actor) {
  return in_txn([&] { return engine_->pay_invoice(number, amount, actor); });
}

engine_result sandbox::start(const std::string& playbook_id, const std::string& client_id,
                             const nlohmann::json& vars) {
  return in_txn([&] { return engine_->start(playbook_id, client_id, vars.is_object() ? "schedule" : "manager", vars); });
}

int sandbox::advance_to(timestamp until) {
  int fired = 0;
  for (;;) {
    auto next = store_.next_timer_due();
    if (!next || *next > until) break;
    if (*next > clock_.now()) clock_.set(*next);
    for (const auto& t : store_.due_timers(clock_.now(), 100)) {
      in_txn([&] { return engine_->timer(t.id, timer_due{t.n}); });
      ++fired;
    }
  }
  if (until > clock_.now()) clock_.set(until);
  return fired;
}

bool sandbox::advance_to_next_timer() {
  auto next = store_.next_timer_due();
  if (!next) return false;
  advance_to(std::max(*next, clock_.now()));
  return true;
}

std::vector<outbox_row> sandbox::unread(case_id id, bool staff) {
  std::vector<outbox_row> out;
  for (auto& row : store_.outbox("", 100000))
    if (row.id == id && (row.channel == "staff") == staff && !read_.count({row.id, row.n}))
      out.push_back(row);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.n < b.n; });
  return out;
}

}  // namespace reglament
