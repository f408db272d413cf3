// The outbound Telegram channel: delivers an outbox message with sendMessage, its reply
// buttons as an inline keyboard (one button a row), and maps the Bot API's answers to a
// delivery_status: 429 → retry after parameters.retry_after, 5xx and no answer →
// transient, 400/403 (chat not found, bot blocked) → permanent. Telegram has no
// idempotency key, so each sent message is recorded in the sent_ledger under the
// outbox key and a retry finds it there; the window left is a crash between Telegram
// accepting the message and the record being written (the message is then sent twice).
// Thread-safe as far as its bot_api and ledger are; deliver() blocks.
#pragma once

#include "adapters/telegram/bot_api.hpp"
#include "adapters/telegram/sent_ledger.hpp"
#include "engine/channel.hpp"

#include <functional>
#include <string>
#include <vector>

namespace reglament::telegram {

class telegram_channel final : public reglament::channel {
 public:
  // REQUIRES: `api` and `ledger` outlive the channel.
  telegram_channel(const bot_api& api, sent_ledger& ledger) : api_(api), ledger_(ledger) {}

  std::string name() const override { return "telegram"; }
  reglament::delivery_status deliver(const reglament::outbound_message& m) override;

  // Telegram takes at most 4096 characters a message: longer texts go as several, cut
  // at a line break where one is near. Exposed for tests.
  static std::vector<std::string> split_text(const std::string& text, std::size_t max_chars = 4096);

 private:
  const bot_api& api_;
  sent_ledger& ledger_;
};

}  // namespace reglament::telegram
