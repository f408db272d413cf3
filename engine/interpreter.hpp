// The interpreter walks a playbook's steps for one case. It does no I/O: given the
// case state and what just happened, it returns the facts that follow (messages to
// queue, timers to set, steps entered and left), and the caller applies them. It runs
// steps until the case must wait for someone or something, or closes.
// Stateless; thread-safe as long as the context's services are.
#pragma once

#include "engine/case_event.hpp"
#include "engine/case_state.hpp"
#include "engine/clock.hpp"
#include "engine/firm.hpp"
#include "engine/playbook.hpp"
#include "engine/working_calendar.hpp"

#include <functional>
#include <string>
#include <vector>

namespace reglament {

// Everything a step may read besides the case itself.
struct run_context {
  std::function<playbook_ptr(const std::string& id, int version)> playbook_version;
  std::function<playbook_ptr(const std::string& id)> playbook_latest;
  const clock* now = nullptr;
  const working_calendar* calendar = nullptr;
  const client_directory* clients = nullptr;
  const tariff_book* tariffs = nullptr;
  const firm_profile* firm = nullptr;  // firm name, staff names, SLA targets; optional
  quota_lookup quota_used;
  learned_lookup learned_services;  // the manager's past service corrections per client
  // The highest invoice sequence number issued in `year` (0 if none), read inside the
  // writer's transaction so the next number is never taken twice.
  std::function<int(int year)> last_invoice_seq;
  std::string manager_name = "Ваш менеджер";  // signature when the client has no manager
  int max_steps_per_event = 500;                // guards against runaway loops at run time
};

// Result of one interpretation: the facts in order, already applied to `state`.
struct step_outcome {
  std::vector<fact> facts;
  std::string rejected;  // non-empty: the event was refused (nothing changed), and why
  bool conflict = false; // refused because of the case's state (HTTP 409), not the input (422)
};

class interpreter {
 public:
  explicit interpreter(const run_context& ctx) : ctx_(ctx) {}

  // Opens a case on `book` for an inbound message (or a manual start with empty text)
  // and runs until the first wait. `reply_to` is where a manual case writes to the
  // client (ignored when `first` is given: replies go where the message came from).
  // `vars` (an object) are set before the first step: what a schedule knows, e.g. whose
  // birthday it is.
  step_outcome open(case_state& state, case_id id, const playbook_ptr& book,
                    const inbound_message* first, const std::string& client_id = {},
                    const client_contact* reply_to = nullptr,
                    const nlohmann::json* vars = nullptr) const;

  // A client's message on an open case.
  step_outcome client_message(case_state& state, const inbound_message& m) const;
  // A person's action on the current step.
  step_outcome staff(case_state& state, const staff_action& a) const;
  // A timer came due.
  step_outcome timer(case_state& state, const timer_due& t) const;
  // The outbox reports a delivery.
  step_outcome delivery(case_state& state, const delivery_result& r) const;

  // Renders a template for this case (used by the app to preview replies, too).
  std::string render(const case_state& state, const playbook& book,
                     const message_template& t) const;
  // The same for a step's instruction or prompt text; text that is not a valid template
  // is returned as written.
  std::string render_text(const case_state& state, const playbook& book, const std::string& text) const;

 private:
  class run;
  const run_context& ctx_;
};

}  // namespace reglament
