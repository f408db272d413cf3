// What can happen to a case from outside: a client's message, a person's action, a
// timer coming due, a delivery result. Events go into the case_machine; facts come out.
// Plain value type.
#pragma once

#include "engine/channel.hpp"
#include "engine/fact.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace reglament {

struct inbound_message {
  std::string channel;      // email, telegram, webchat, api
  std::string external_id;  // unique per channel: the dedup key
  std::string sender;       // the client's address on that channel
  std::string thread;       // thread key; empty: one thread per sender
  std::string text;         // plain, cleaned: what the staff app shows and playbooks match
  // Channel details, journaled with the message (the adapters fill what they have):
  std::string subject;                  // email subject, decoded
  std::string original;                 // the text before cleaning (quoted history, signature)
  std::vector<attachment> attachments;  // stored files, listed on the case
  std::string sender_name;              // display name as the sender gave it
  // The text's words, stemmed: what a tariff check classifies. The thread that receives
  // the message fills it (analyse()), so the one writer thread does not spend its time
  // on it; null: the tariff check stems the text itself.
  std::shared_ptr<const std::vector<std::string>> stems;
};

// Fills m.stems from m.text. Pure work with no store access: call it on the receiving
// thread, before the message goes to the writer.
void analyse(inbound_message& m);

// A person acting on the current step of a case.
struct staff_action {
  enum class kind {
    choose,    // choice: option = label
    submit,    // form: values
    done,      // task done
    skip,      // task skipped: reason required
    decide,    // escalate: option = decision label (director)
    paid,      // wait: payment: values.amount optional
    note,      // a note on the case, any time: reason = text
    correct,   // the manager names the service the tariff check should have found: values.service
    call,      // a phone call, any time: values.who, values.when?, values.direction (in|out), reason = summary
    visit,     // an office visit, any time: values.who, values.when?, reason = summary
    send,      // an editable say: values.text, the reply as the manager leaves it (absent: as prepared)
  };
  // Logged at any time, on any step, even on a closed case: note, call, visit.
  static bool any_time(kind k) { return k == kind::note || k == kind::call || k == kind::visit; }
  kind what = kind::done;
  std::string step;          // the step the person saw; must be current
  std::string option;
  nlohmann::json values = nlohmann::json::object();
  std::string reason;
  std::string actor;         // login
};
std::optional<staff_action::kind> staff_action_kind_from_string(std::string_view s);
const char* to_string(staff_action::kind k);

struct timer_due {
  int n = 0;                 // timer number within the case
};

struct delivery_result {
  int outbox = 0;            // outbox number within the case
  bool ok = false;
  bool dead = false;         // gave up: no more retries
  std::string error;
  int attempts = 0;
  timestamp retry_at{};
};

}  // namespace reglament
