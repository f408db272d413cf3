#include "engine/playbook.hpp"

namespace reglament {

const char* to_string(step_kind k) {
  // The YAML key that introduces the kind, so journals and logs read like the file.
  switch (k) {
    case step_kind::say: return "say";
    case step_kind::task: return "task";
    case step_kind::choice: return "choice";
    case step_kind::form: return "form";
    case step_kind::check_tariff: return "check_tariff";
    case step_kind::wait_client: return "wait_client";
    case step_kind::wait_payment: return "wait_payment";
    case step_kind::wait_time: return "wait_time";
    case step_kind::condition: return "if";
    case step_kind::set: return "set";
    case step_kind::assign: return "assign";
    case step_kind::notify: return "notify";
    case step_kind::escalate: return "escalate";
    case step_kind::call: return "call";
    case step_kind::end: return "end";
    case step_kind::invoice: return "invoice";
  }
  return "unknown";
}

waits_for wait_of(step_kind k) {
  switch (k) {
    case step_kind::task:
    case step_kind::choice:
    case step_kind::form: return waits_for::manager;
    case step_kind::wait_client: return waits_for::client;
    case step_kind::wait_payment: return waits_for::payment;
    case step_kind::wait_time: return waits_for::timer;
    case step_kind::escalate: return waits_for::director;
    default: return waits_for::nothing;
  }
}

const step_exit* step::find_exit(std::string_view key) const {
  for (const auto& e : exits)
    if (e.key == key) return &e;
  return nullptr;
}

const step* playbook::find_step(std::string_view id) const {
  std::size_t i = index_of(id);
  return i == std::string::npos ? nullptr : &steps[i];
}

std::size_t playbook::index_of(std::string_view id) const {
  for (std::size_t i = 0; i < steps.size(); ++i)
    if (steps[i].id == id) return i;
  return std::string::npos;
}

const variable_decl* playbook::find_variable(std::string_view name) const {
  for (const auto& v : variables)
    if (v.name == name) return &v;
  return nullptr;
}

const sla_rule* sla_policy::find(std::string_view kind) const {
  for (const auto& r : rules)
    if (r.kind == kind) return &r;
  return nullptr;
}

std::string_view end_outcome(std::string_view target) {
  constexpr std::string_view prefix = "end:";
  if (target.substr(0, prefix.size()) != prefix) return {};
  return target.substr(prefix.size());
}

}  // namespace reglament
