// A channel delivers the outbox's messages to the outside world (email, Telegram, the
// website chat, staff notifications). Adapters implement it; the engine never includes
// an adapter. deliver() may block and is called from the delivery thread only; an
// implementation must be idempotent on `idempotency_key` where its medium allows it,
// because after a crash a message whose delivery was not yet recorded is offered again.
#pragma once

#include <string>
#include <vector>

namespace reglament {

struct outbound_message {
  std::string idempotency_key;  // stable across retries and restarts
  std::string channel;
  std::string to;
  std::string text;
  long long case_no = 0;
  // Reply buttons: a channel that has them (Telegram, the website chat) shows them under
  // the text; a pressed button comes back as an inbound message with the label as text.
  // Channels without buttons ignore them: the text itself asks the question.
  std::vector<std::string> buttons;
};

struct delivery_status {
  bool ok = false;
  bool permanent = false;  // retrying cannot help (bad address): dead-letter at once
  std::string error;       // what went wrong, for the staff app
};

class channel {
 public:
  virtual ~channel() = default;
  virtual std::string name() const = 0;
  virtual delivery_status deliver(const outbound_message& m) = 0;
};

}  // namespace reglament
