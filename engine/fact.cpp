#include "engine/fact.hpp"

#include <array>
#include <stdexcept>

namespace reglament {
namespace {

constexpr std::array<std::pair<fact_kind, const char*>, 35> fact_names{{
    {fact_kind::case_opened, "case_opened"},
    {fact_kind::message_received, "message_received"},
    {fact_kind::step_entered, "step_entered"},
    {fact_kind::step_left, "step_left"},
    {fact_kind::choice_made, "choice_made"},
    {fact_kind::form_submitted, "form_submitted"},
    {fact_kind::task_done, "task_done"},
    {fact_kind::task_skipped, "task_skipped"},
    {fact_kind::variable_set, "variable_set"},
    {fact_kind::tariff_checked, "tariff_checked"},
    {fact_kind::message_queued, "message_queued"},
    {fact_kind::message_sent, "message_sent"},
    {fact_kind::message_failed, "message_failed"},
    {fact_kind::staff_notified, "staff_notified"},
    {fact_kind::assigned, "assigned"},
    {fact_kind::waiting, "waiting"},
    {fact_kind::timer_set, "timer_set"},
    {fact_kind::timer_fired, "timer_fired"},
    {fact_kind::timer_cancelled, "timer_cancelled"},
    {fact_kind::escalated, "escalated"},
    {fact_kind::director_decided, "director_decided"},
    {fact_kind::payment_confirmed, "payment_confirmed"},
    {fact_kind::client_replied, "client_replied"},
    {fact_kind::playbook_called, "playbook_called"},
    {fact_kind::playbook_returned, "playbook_returned"},
    {fact_kind::note_added, "note_added"},
    {fact_kind::case_closed, "case_closed"},
    {fact_kind::run_error, "run_error"},
    {fact_kind::invoice_issued, "invoice_issued"},
    {fact_kind::invoice_cancelled, "invoice_cancelled"},
    {fact_kind::service_corrected, "service_corrected"},
    {fact_kind::quota_returned, "quota_returned"},
    {fact_kind::call_logged, "call_logged"},
    {fact_kind::visit_logged, "visit_logged"},
    {fact_kind::message_retried, "message_retried"},
}};

}  // namespace

const char* to_string(fact_kind k) {
  for (const auto& [kind, name] : fact_names)
    if (kind == k) return name;
  return "unknown";
}

std::optional<fact_kind> fact_kind_from_string(std::string_view s) {
  for (const auto& [kind, name] : fact_names)
    if (s == name) return kind;
  return std::nullopt;
}

nlohmann::json to_json(const fact& f) {
  return nlohmann::json{{"kind", to_string(f.kind)},
                        {"at", to_millis(f.at)},
                        {"step", f.step},
                        {"data", f.data}};
}

fact fact_from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw std::runtime_error("fact: expected a JSON object");
  auto kind = fact_kind_from_string(j.value("kind", ""));
  if (!kind) throw std::runtime_error("fact: unknown kind '" + j.value("kind", "") + "'");
  fact f{*kind, from_millis(j.value("at", std::int64_t{0})), j.value("step", ""),
         j.contains("data") ? flat_object::from_json(j["data"]) : flat_object{}};
  return f;
}

}  // namespace reglament
