// The case engine ties the pieces together for one writer: it takes an event, finds or
// opens its case in the store, runs the case machine, and appends the facts with their
// derived rows. It does not open or commit transactions: the caller (the group-commit
// writer, a test, the rehearsal) does, so many events share one commit.
// Not thread-safe: one engine per writer thread.
#pragma once

#include "engine/case_machine.hpp"
#include "engine/interpreter.hpp"
#include "engine/playbook_library.hpp"
#include "engine/store.hpp"

#include <string>

namespace reglament {

struct engine_result {
  case_id id = 0;
  bool duplicate = false;  // inbound already seen: acknowledged, nothing changed
  std::string error;       // non-empty: refused, with the reason (in English, for logs/API)
  int http_status = 200;   // how the API should answer a refusal (404, 409, 422)
  std::vector<fact> facts;
};

class case_engine {
 public:
  case_engine(store& st, playbook_library& books, run_context ctx);

  engine_result inbound(const inbound_message& m);
  engine_result action(case_id id, const staff_action& a);
  engine_result timer(case_id id, const timer_due& t);
  engine_result delivered(case_id id, const delivery_result& r);
  // A payment against invoice `number` (from the bank or the API): fed to the case's
  // wait: payment step. 404: no such invoice; 409: its case is not waiting for a
  // payment; 422: a wrong amount (the reason says what the invoice expects). A null
  // `amount` pays what is left.
  engine_result pay_invoice(const std::string& number, const nlohmann::json& amount, const std::string& actor);
  // Queues a dead outbound message (outbox `n` of case `id`) again, as a person asked:
  // journaled as message_retried; the dispatcher then tries it afresh (attempts from 0).
  // 404: no such message; 409: it is not dead (queued, failed or sent).
  engine_result retry_message(case_id id, int n, const std::string& actor);
  // Starts a manual / scheduled playbook with no client message; `vars` (an object, may
  // be null) are set before its first step.
  engine_result start(const std::string& playbook_id, const std::string& client_id,
                      const std::string& actor, const nlohmann::json& vars = nullptr);

  const run_context& context() const { return ctx_; }

 private:
  engine_result feed(case_id id, const case_input& in);

  store& store_;
  playbook_library& books_;
  run_context ctx_;
  interpreter interp_;
};

}  // namespace reglament
