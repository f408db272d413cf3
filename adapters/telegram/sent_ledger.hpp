// What the Telegram channel has sent: for each outbox idempotency key the chat and the
// message id Telegram gave, and the labels of the buttons under it. The channel reads it
// before sending (a retry after a crash finds the message already sent) and the source
// reads it to resolve a pressed button whose keyboard Telegram no longer returns.
// Implementations must be thread-safe; record() is durable when it returns.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace reglament::telegram {

struct sent_record {
  std::string key;        // the outbox idempotency key (of one part, for a split text)
  std::string chat_id;
  std::int64_t message_id = 0;
  std::vector<std::string> buttons;
};

class sent_ledger {
 public:
  virtual ~sent_ledger() = default;
  virtual std::optional<sent_record> find(const std::string& key) = 0;
  virtual std::optional<sent_record> by_message(const std::string& chat_id, std::int64_t message_id) = 0;
  virtual void record(const sent_record& r) = 0;
};

// Keeps the records in memory only: for tests and for a bot run without a store.
class memory_ledger final : public sent_ledger {
 public:
  std::optional<sent_record> find(const std::string& key) override {
    std::lock_guard lock(mutex_);
    auto it = by_key_.find(key);
    if (it == by_key_.end()) return std::nullopt;
    return it->second;
  }
  std::optional<sent_record> by_message(const std::string& chat_id, std::int64_t message_id) override {
    std::lock_guard lock(mutex_);
    for (const auto& [k, r] : by_key_)
      if (r.chat_id == chat_id && r.message_id == message_id) return r;
    return std::nullopt;
  }
  void record(const sent_record& r) override {
    std::lock_guard lock(mutex_);
    by_key_[r.key] = r;
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return by_key_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, sent_record> by_key_;
};

}  // namespace reglament::telegram
