// What channels sent, kept in the store's channel_sent table: for each outbox
// idempotency key the thread (Telegram: chat id), the id the medium gave the message and
// the labels of the buttons under it. A channel without an idempotency key of its own
// (Telegram) checks it before sending and records right after, so a retry after a crash
// finds the message sent. Thread-safe (one connection behind a mutex); record() is
// committed with synchronous=FULL when it returns. Not the outbox: that is the engine's.
#pragma once

#include "engine/clock.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace reglament {

struct sent_entry {
  std::string channel;
  std::string key;          // the outbox idempotency key
  std::string thread;       // where it went (Telegram: the chat id)
  std::string external_id;  // the medium's id for it (Telegram: message_id)
  std::vector<std::string> buttons;
  timestamp at{};
};

class channel_ledger {
 public:
  // Opens `path` (created and migrated if needed). Throws store_error.
  explicit channel_ledger(const std::string& path, int busy_timeout_ms = 5000);
  ~channel_ledger();
  channel_ledger(const channel_ledger&) = delete;
  channel_ledger& operator=(const channel_ledger&) = delete;

  std::optional<sent_entry> find(std::string_view channel, std::string_view key);
  std::optional<sent_entry> by_message(std::string_view channel, std::string_view thread,
                                       std::string_view external_id);
  void record(const sent_entry& e);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace reglament
