// The website chat as an outbound channel: "delivering" a firm's message means keeping
// it in the visitor's conversation (under its outbox idempotency key, so a repeat after
// a crash is kept once) and waking the visitor's open connections, which push it live;
// a visitor who is away sees it in the history when they come back. Thread-safe
// (the dispatcher's thread calls deliver). It does not format text or pick recipients.
#pragma once

#include "adapters/webchat/shared_state.hpp"
#include "engine/channel.hpp"

#include <memory>

namespace reglament::webchat {

class webchat_channel final : public reglament::channel {
 public:
  explicit webchat_channel(std::shared_ptr<shared_state> state) : state_(std::move(state)) {}

  std::string name() const override { return "webchat"; }
  // `m.to` is the visitor id (the case's sender). An unknown visitor is a permanent
  // failure; a store that cannot be written is a transient one (retried with backoff).
  delivery_status deliver(const outbound_message& m) override;

 private:
  std::shared_ptr<shared_state> state_;
};

}  // namespace reglament::webchat
