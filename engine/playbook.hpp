// The playbook model: one firm instruction as data (steps and labelled exits), as read
// from YAML by playbook_loader. Immutable once loaded; safe to share between threads
// through std::shared_ptr<const playbook>. It is not executable by itself: the
// interpreter walks it.
#pragma once

#include "engine/diagnostic.hpp"
#include "engine/duration.hpp"
#include "engine/expression.hpp"
#include "engine/message_template.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace reglament {

enum class step_kind {
  say,           // message to the client
  task,          // manual task: done / skip with reason
  choice,        // manager picks a labelled branch
  form,          // manager fills case variables
  check_tariff,  // in_tariff / over_quota / not_included / unknown
  wait_client,   // client's reply
  wait_payment,  // payment confirmation
  wait_time,     // a pause
  condition,     // if / then / else
  set,           // compute variables
  assign,        // give the case to a person or role
  notify,        // message to a staff member
  escalate,      // director decides
  call,          // run another playbook inside this case
  end,           // close with an outcome
  invoice,       // issue an invoice record (number, amount, due date) for the case
};

const char* to_string(step_kind k);

// Which exits are "taken by a person" matters to the validator (a loop through one of
// them is not an infinite loop) and to the lifecycle (what the case waits for).
enum class waits_for { nothing, manager, client, payment, director, timer };
waits_for wait_of(step_kind k);

// A labelled way out of a step. `key` is stable (next, timeout, then, else, in_tariff,
// an option's label, ...); `target` is a step id or "end:OUTCOME".
struct step_exit {
  std::string key;
  std::string label;   // shown on graphs and buttons (Russian); defaults to key
  std::string target;
  source_pos pos;      // where the target is written
};

struct client_answer {  // wait: client, answers: [{says: [...], go: STEP}]
  std::vector<std::string> phrases;  // matched case-insensitively, whole words
  std::string exit_key;              // "answer1", "answer2", ...
};

struct form_field {
  std::string variable;
  std::string label;
  source_pos pos;
};

struct assignment {  // set: {VAR: EXPRESSION}
  std::string variable;
  expression value;
  source_pos pos;
};

struct step {
  std::string id;
  step_kind kind = step_kind::say;
  source_pos pos;
  std::string title;        // short name; defaults to id
  std::string instruction;  // what the manager should know here

  // Kind-specific payload; unused fields stay empty.
  message_template text;        // say / notify / end (optional say)
  std::string template_ref;     // say: {template: NAME}
  std::string prompt;           // task instruction, choice question, form title, escalation reason
  std::vector<form_field> fields;
  std::vector<assignment> assignments;
  std::optional<expression> condition;
  std::vector<client_answer> answers;
  std::string who;              // assign / notify target
  std::string callee;           // call: PLAYBOOK
  std::string outcome;          // end: OUTCOME
  std::optional<duration> timeout;  // wait_* / escalate
  // timeout: {after: VARIABLE}: the duration is the variable's value at run time (a text
  // like "3 рабочих дня", or a number of working days), so a firm or playbook sets it.
  std::string timeout_variable;
  std::optional<duration> pause;    // wait: time, for:
  std::vector<std::string> buttons;  // say: reply buttons channels with buttons show
  // say: the manager reads the prepared text, may edit it, and sends it (staff action
  // `send`); the case waits for the manager meanwhile.
  bool editable = false;
  std::optional<expression> amount;  // invoice: the sum in rubles
  std::optional<duration> due;       // invoice: pay within (working days count the calendar)
  std::string due_variable;          // invoice: due: VARIABLE, as timeout_variable

  std::vector<step_exit> exits;

  const step_exit* find_exit(std::string_view key) const;
};

struct trigger {
  std::vector<std::string> channels;  // inbound message on these channels
  // Whose message starts it: "client" (a known contact) or "unknown" (an address that
  // matches no client), so a firm can greet strangers differently from clients.
  std::string from = "client";
  std::string schedule;               // schedule rule text (engine/schedule.hpp), empty if none
  source_pos schedule_pos;            // where the rule's text is written
  bool manual = false;
  bool situation = false;
  source_pos pos;
};

// What a case does when it misses one of the SLA targets the firm sets per tariff or
// client (firm file `sla:`): remind `remind` at the breach, then tell `escalate_to`
// after `escalate_after` more (default: the target once more).
struct sla_rule {
  std::string kind;                        // first_reply, idle, deadline
  bool enabled = true;                     // `KIND: off` turns the kind off in this playbook
  std::string remind = "manager";
  std::string escalate_to = "director";
  std::optional<duration> escalate_after;
  source_pos pos;
};

// A playbook with `sla:` has its cases timed against the client's SLA targets.
struct sla_policy {
  bool greeting_counts = false;    // the automatic opening message counts as the first reply
  std::vector<sla_rule> rules;     // one per kind, defaults filled in by the loader
  const sla_rule* find(std::string_view kind) const;
};

struct variable_decl {
  std::string name;
  std::string title;
  std::string type;     // text, number, money, date, bool
  std::string default_value;
  source_pos pos;
};

struct playbook {
  std::string id;
  std::string title;
  std::string description;
  trigger on;
  std::vector<variable_decl> variables;
  std::map<std::string, message_template> templates;
  std::map<std::string, source_pos> template_pos;  // where each template is written
  std::optional<sla_policy> sla;                     // absent: SLAs are not tracked
  std::vector<step> steps;
  source_pos pos;  // where `id:` is written

  // Identity of this content.
  std::string file;
  std::string sha256;     // of the file's bytes
  std::string source;     // the YAML text, kept so old versions stay readable
  int version = 0;        // assigned by the playbook_library / store

  const step* find_step(std::string_view id) const;
  std::size_t index_of(std::string_view id) const;  // npos if absent
  const variable_decl* find_variable(std::string_view name) const;
};

using playbook_ptr = std::shared_ptr<const playbook>;

// "end:done" -> "done"; empty if `target` is not an end shortcut.
std::string_view end_outcome(std::string_view target);

}  // namespace reglament
