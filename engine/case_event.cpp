#include "engine/case_event.hpp"
#include "engine/service_catalog.hpp"

#include <array>

namespace reglament {
namespace {

constexpr std::array<std::pair<staff_action::kind, const char*>, 11> action_names{{
    {staff_action::kind::choose, "choose"},
    {staff_action::kind::submit, "submit"},
    {staff_action::kind::done, "done"},
    {staff_action::kind::skip, "skip"},
    {staff_action::kind::decide, "decide"},
    {staff_action::kind::paid, "paid"},
    {staff_action::kind::note, "note"},
    {staff_action::kind::correct, "correct"},
    {staff_action::kind::call, "call"},
    {staff_action::kind::visit, "visit"},
    {staff_action::kind::send, "send"},
}};

}  // namespace

std::optional<staff_action::kind> staff_action_kind_from_string(std::string_view s) {
  for (const auto& [k, name] : action_names)
    if (s == name) return k;
  return std::nullopt;
}

const char* to_string(staff_action::kind k) {
  for (const auto& [kind, name] : action_names)
    if (kind == k) return name;
  return "unknown";
}

void analyse(inbound_message& m) { m.stems = std::make_shared<const std::vector<std::string>>(stems(m.text)); }

}  // namespace reglament
