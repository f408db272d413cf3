// A spool channel "delivers" a message by appending it as one JSON line
// {key, channel, to, text, case, at} to <dir>/<channel>.jsonl and fsyncing. It stands in
// for the real email/Telegram/webchat adapters and is what crash tests count. It is
// idempotent on the message's idempotency key: keys already in the file (read at
// construction) are acknowledged without writing again. Thread-safe (one mutex); it is
// not a queue and never retries by itself.
#pragma once

#include "engine/channel.hpp"
#include "engine/clock.hpp"

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_set>

namespace reglament::spool {

class spool_channel final : public reglament::channel {
 public:
  // Creates `dir` if needed and opens (or creates) <dir>/<name>.jsonl. A torn last line
  // left by a crash mid-write is cut off: it was never acknowledged. `clk` may be null
  // (the system clock is used); if not, it must outlive the channel.
  // Throws std::runtime_error naming the path when the file cannot be opened or read.
  spool_channel(const std::string& dir, std::string name, const reglament::clock* clk = nullptr);
  ~spool_channel() override;
  spool_channel(const spool_channel&) = delete;
  spool_channel& operator=(const spool_channel&) = delete;

  std::string name() const override { return name_; }
  reglament::delivery_status deliver(const reglament::outbound_message& m) override;

  const std::string& path() const { return path_; }
  std::size_t size() const;                       // distinct keys in the file
  bool contains(const std::string& key) const;

 private:
  void load();

  std::string name_;
  std::string path_;
  const reglament::clock* clock_;
  reglament::system_clock_source system_clock_;
  int fd_ = -1;
  mutable std::mutex mutex_;
  std::unordered_set<std::string> keys_;
};

}  // namespace reglament::spool
