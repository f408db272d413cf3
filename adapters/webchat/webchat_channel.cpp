#include "adapters/webchat/webchat_channel.hpp"

#include <fmt/format.h>

namespace reglament::webchat {

delivery_status webchat_channel::deliver(const outbound_message& m) {
  delivery_status st;
  std::optional<added_entry> added;
  try {
    added = state_->store().add_firm_message(m.to, m.idempotency_key, m.text, m.buttons, state_->clk().now());
  } catch (const std::exception& e) {
    st.error = fmt::format("webchat: the conversation of {} cannot be written: {}", m.to, e.what());
    return st;
  }
  if (!added) {
    st.permanent = true;
    st.error = fmt::format("webchat: no website chat visitor '{}'", m.to);
    return st;
  }
  state_->notify(m.to);
  st.ok = true;
  return st;
}

}  // namespace reglament::webchat
