// The lifecycle of one case as a Boost.Statechart machine: running; waiting for the
// manager, the client, a payment, the director or a timer; closed. It decides which
// events a case accepts in which state (a manager's choice while the case waits for
// the client is refused; a client's message is always journaled) and hands accepted
// ones to the interpreter. One machine per event being handled: it is rebuilt from the
// case state each time, so idle cases cost no memory. Not thread-safe.
#pragma once

#include "engine/case_event.hpp"
#include "engine/case_state.hpp"
#include "engine/interpreter.hpp"

#include <memory>
#include <variant>

namespace reglament {

using case_input = std::variant<inbound_message, staff_action, timer_due, delivery_result>;

class case_machine {
 public:
  case_machine(const interpreter& interp, case_state& state);
  ~case_machine();

  // Feeds one event; returns the facts produced (already applied to the state), or a
  // refusal. The machine's state afterwards matches state.status.
  step_outcome handle(const case_input& input);

  // The lifecycle state the machine is in, as a status (for tests).
  case_status current() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace reglament
