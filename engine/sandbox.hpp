// A sandbox runs playbooks the way the daemon would, but alone: one store (usually
// in-memory), a manual clock, the default working hours with the shipped production
// calendar (production_calendar::shipped) and a firm file. Stories
// (`reglament test`) and rehearsals (`reglament rehearse`) are built on it.
// Every call is its own transaction. Not thread-safe.
#pragma once

#include "engine/case_engine.hpp"
#include "engine/firm_file.hpp"
#include "engine/playbook_library.hpp"
#include "engine/store.hpp"
#include "engine/working_calendar.hpp"

#include <memory>
#include <optional>
#include <set>
#include <string>

namespace reglament {

class sandbox {
 public:
  // REQUIRES: `st`, `books` and `firm` (may be null) outlive the sandbox.
  sandbox(store& st, playbook_library& books, const firm_file* firm, timestamp start);

  engine_result inbound(const inbound_message& m);
  engine_result act(case_id id, const staff_action& a);
  // A payment against an invoice, as the API's POST /invoices/{number}/payments makes it.
  engine_result pay_invoice(const std::string& number, const nlohmann::json& amount, const std::string& actor);
  // Starts a manual, situation or scheduled playbook without a client message
  // (case_engine::start); `vars` are what a schedule sets (see scheduler.hpp).
  engine_result start(const std::string& playbook_id, const std::string& client_id,
                      const nlohmann::json& vars = nullptr);

  // Moves the clock to `until`, firing every timer that comes due on the way at its
  // own moment. Returns how many fired.
  int advance_to(timestamp until);
  int advance(const duration& d) { return advance_to(calendar_.add(clock_.now(), d)); }
  // Jumps to the next pending timer and fires it; false if there is none.
  bool advance_to_next_timer();

  // Messages of case `id` not yet marked read, oldest first: to the client or to staff.
  std::vector<outbox_row> unread(case_id id, bool staff);
  void mark_read(const outbox_row& row) { read_.insert({row.id, row.n}); }

  manual_clock& clock() { return clock_; }
  const working_calendar& calendar() const { return calendar_; }
  store& db() { return store_; }
  const case_engine& engine() const { return *engine_; }

 private:
  template <class F>
  engine_result in_txn(F&& f);

  store& store_;
  manual_clock clock_;
  weekly_calendar calendar_;
  std::unique_ptr<case_engine> engine_;
  std::set<std::pair<case_id, int>> read_;
};

}  // namespace reglament
