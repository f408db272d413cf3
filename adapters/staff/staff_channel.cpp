#include "adapters/staff/staff_channel.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace reglament::staff {

staff_channel::staff_channel(const firm_profile& firm, std::map<std::string, channel*> channels, channel* in_app,
                             progress p)
    : firm_(firm), channels_(std::move(channels)), in_app_(in_app), progress_(std::move(p)) {}

std::string staff_channel::subject_for(long long case_no) {
  return fmt::format("Reglament: заявка #{0} / case #{0}", case_no);
}

delivery_status staff_channel::deliver(const outbound_message& m) {
  if (in_app_) {
    auto s = in_app_->deliver(m);
    if (!s.ok) return s;
  }
  auto person = firm_.staff(m.to);
  if (!person) person = firm_.staff_with_role(m.to);
  if (!person) {
    if (in_app_) return {true, false, {}, 0};
    return {false, true, fmt::format("staff: '{}' is neither a login nor a role in the firm file", m.to), 0};
  }

  delivery_status result{true, false, {}, 0};
  std::string errors;
  for (const auto& name : person->notify) {
    const auto key = m.idempotency_key + "/" + name;
    if (progress_.done && progress_.done(key)) continue;
    auto it = channels_.find(name);
    delivery_status s;
    if (it == channels_.end() || !it->second) {
      // Not permanent: the channel may be enabled and the daemon restarted; a person can
      // also retry the dead letter then.
      s = {false, false,
           fmt::format("{} wants {} notifications, but the {} channel is not running (channels.{}.enabled)",
                       person->login, name, name, name),
           0};
    } else {
      outbound_message sub = m;
      sub.idempotency_key = key;
      sub.channel = name;
      sub.to = name == "email" ? person->email : person->telegram;
      sub.thread.clear();
      sub.in_reply_to.clear();
      sub.subject = subject_for(m.case_no);
      sub.buttons.clear();  // the staff act in the app, not by replying
      try {
        s = it->second->deliver(sub);
      } catch (const std::exception& e) {
        s = {false, false, fmt::format("{} channel failed: {}", name, e.what()), 0};
      }
    }
    if (s.ok) {
      if (progress_.mark) progress_.mark(key);
      continue;
    }
    result.ok = false;
    result.permanent = result.permanent || s.permanent;
    result.retry_after_seconds = std::max(result.retry_after_seconds, s.retry_after_seconds);
    errors += fmt::format("{}{}: {}", errors.empty() ? "" : "; ", name, s.error.empty() ? "delivery failed" : s.error);
  }
  result.error = errors;
  return result;
}

}  // namespace reglament::staff
