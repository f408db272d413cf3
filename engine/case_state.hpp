// The state of one case (one client request) as the fold of its journal:
// `state = apply(apply(case_state{}, f1), f2) ...`. The interpreter reads it; the store
// keeps its latest value in the `cases` table for queries and recomputes it on replay.
// Plain value type; not shared between threads.
#pragma once

#include "engine/fact.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace reglament {

// Lifecycle states of a case (see case_machine.hpp).
enum class case_status {
  running,
  waiting_manager,
  waiting_client,
  waiting_payment,
  waiting_director,
  waiting_timer,
  closed,
};
const char* to_string(case_status s);
std::optional<case_status> case_status_from_string(std::string_view s);

struct pending_timer {
  int n = 0;               // timer number within the case
  timestamp due;
  std::string step;        // the step that set it
  std::string purpose;     // "timeout", "pause"
};

struct call_frame {         // where to come back to after `call:`
  std::string playbook;
  int version = 0;
  std::string step;         // the calling step
};

struct case_state {
  case_id id = 0;
  std::string playbook;      // current playbook (may be a called one)
  int version = 0;
  std::vector<call_frame> stack;
  std::string step;          // current step id, empty before the first step
  case_status status = case_status::running;

  std::string channel;       // where the client wrote
  std::string sender;        // the client's address on that channel
  std::string thread;        // thread key on that channel
  std::string client_id;     // empty if the sender is not a known client
  std::string assignee;      // person or role working the case
  std::string outcome;       // set when closed
  std::string error;         // last run error, empty if none

  flat_object vars;          // the playbook's variables: set steps, forms, the tariff check
  std::vector<pending_timer> timers;
  int outbox_count = 0;      // messages queued so far (numbers outbox rows)
  int timer_count = 0;       // timers set so far (numbers timers)
  int steps_run = 0;
  std::string last_client_text;
  // The last tariff check: its step, the outbox count then (a correction is taken until
  // the client has been told more), and the quota use it holds ("service\nperiod", "" if
  // none: not in tariff, paid, or given back).
  std::string tariff_step;
  int outbox_at_check = 0;
  std::string quota_held;

  timestamp opened_at{};
  timestamp updated_at{};

  bool closed() const { return status == case_status::closed; }
};

// The one evolution function: live runs and replays both go through it.
void apply(case_state& s, case_id id, const fact& f);

nlohmann::json to_json(const case_state& s);
case_state case_state_from_json(const nlohmann::json& j);

}  // namespace reglament
