// A fact is one entry of a case's append-only journal: something that happened
// (a message came in, a step was entered, the manager chose, a message was queued).
// The journal is the truth; case_state and the query tables are folds over it.
// Plain value type; copy freely.
#pragma once

#include "engine/clock.hpp"
#include "engine/flat_object.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace reglament {

using case_id = std::int64_t;

enum class fact_kind {
  case_opened,        // data: playbook, version, channel, sender, thread, client
  message_received,   // data: channel, external_id, sender, text
  step_entered,       // step; data: kind
  step_left,          // step; data: exit, target
  choice_made,        // step; data: option, actor
  form_submitted,     // step; data: values{}, actor
  task_done,          // step; data: actor
  task_skipped,       // step; data: reason, actor
  variable_set,       // data: name, value
  tariff_checked,     // step; data: outcome, service, service_title, quota_used, quota_limit, price, unit,
                      //   urgent_price, urgent_surcharge (%), urgent_within, period, tariff, tariff_from, confidence
  message_queued,     // step; data: outbox (n), channel, to, text, buttons? (reply button labels)
  message_sent,       // data: outbox (n), attempts
  message_failed,     // data: outbox (n), error, attempts, retry_at (ms) | dead: true
  staff_notified,     // step; data: outbox (n), to, text
  assigned,           // step; data: to
  waiting,            // step; data: for (manager|client|payment|director|timer)
  timer_set,          // step; data: timer (n), due (ms), purpose
  timer_fired,        // data: timer (n)
  timer_cancelled,    // data: timer (n)
  escalated,          // step; data: reason
  director_decided,   // step; data: decision, note, actor
  payment_confirmed,  // step; data: amount, actor; with an invoice also invoice, paid_total, full (bool)
  client_replied,     // step; data: answer (exit key), text
  playbook_called,    // step; data: playbook, version
  playbook_returned,  // data: playbook, outcome
  note_added,         // data: text, actor
  case_closed,        // step; data: outcome
  run_error,          // step; data: error (the case stops at this step; a person must act)
  invoice_issued,     // step; data: number ("2026-0007"), year, seq, amount (rubles), currency, due (ms),
                      //   due_date ("2026-11-30", firm's local date), client, purpose
  invoice_cancelled,  // step; data: number, reason (the case closed before the invoice was paid)
  service_corrected,  // step (the tariff check); data: from, to (service ids), key (request stems), actor
  quota_returned,     // step; data: service, period, reason (cancelled, corrected): the use is given back
  call_logged,        // data: who, when (ms), summary, direction (in|out), actor: a phone call, like a message
  visit_logged,       // data: who, when (ms), summary, actor: the client came to the office
  message_retried,    // data: outbox (n), actor: a dead message is queued again by a person
};

const char* to_string(fact_kind k);
std::optional<fact_kind> fact_kind_from_string(std::string_view s);

struct fact {
  fact_kind kind;
  timestamp at;
  std::string step;      // the step it happened at, empty if none
  flat_object data;      // keys listed per kind above
};

// The journal row: a fact in its case, in order.
struct journal_entry {
  std::int64_t seq = 0;  // global order in the journal
  case_id id = 0;
  fact what;
};

nlohmann::json to_json(const fact& f);
fact fact_from_json(const nlohmann::json& j);  // throws std::runtime_error on bad shape

}  // namespace reglament
