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
#include <memory>
#include <string>
#include <vector>

namespace reglament::telegram {

class telegram_channel final : public reglament::channel {
 public:
  // The api and the ledger may be shared with the bot's inbound source.
  telegram_channel(std::shared_ptr<const bot_api> api, std::shared_ptr<sent_ledger> ledger)
      : api_(std::move(api)), ledger_(std::move(ledger)) {}

  std::string name() const override { return "telegram"; }
  reglament::delivery_status deliver(const reglament::outbound_message& m) override;

  // Telegram takes at most 4096 characters a message: longer texts go as several, cut
  // at a line break where one is near. Exposed for tests.
  static std::vector<std::string> split_text(const std::string& text, std::size_t max_chars = 4096);

 private:
  std::shared_ptr<const bot_api> api_;
  std::shared_ptr<sent_ledger> ledger_;
};

}  // namespace reglament::telegram
