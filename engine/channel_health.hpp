// How each channel's servers are doing, as its inbound source (IMAP poll, getUpdates) and
// the outbox dispatcher last found them: ok, or failing since when, with the last error
// (what and where) and the next retry. The staff app shows it (GET /api/v1/channels, a
// `channel` live event on each change) so an outage is seen, not only logged.
// Kept in memory: after a restart a channel is "unknown" until its first poll or delivery.
// Thread-safe: sources, the dispatcher and the HTTP threads call it at once. It decides
// nothing (retries and backoff stay with the sources and the dispatcher).
#pragma once

#include "engine/clock.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace reglament {

class channel_health {
 public:
  enum class state { unknown, ok, failing };

  // One direction of a channel: inbound (its source) or outbound (its deliveries).
  struct side {
    bool present = false;             // the channel has this direction
    state now = state::unknown;
    std::string error;                // the last failure, with where; kept after recovery
    std::optional<timestamp> since;   // failing: the first failure of this outage; ok: the recovery
    std::optional<timestamp> last_ok, last_failure;
    std::optional<timestamp> next_retry;  // failing: when the next attempt is due
    std::uint64_t successes = 0, failures = 0;
    int consecutive_failures = 0;
    // Outbound only: messages given up on (a permanent refusal such as an unknown
    // address, or too many attempts), and the last reason. A refused address is about
    // one message, not the server: it does not make the channel failing.
    std::uint64_t dead = 0;
    std::string last_dead_error;
  };

  struct entry {
    std::string name;
    side inbound, outbound;
    // failing if either side is; ok if a side is ok and none failing; else unknown.
    state overall() const;
  };

  explicit channel_health(const clock& clk) : clock_(clk) {}

  // Lists `name` with the directions it has (before the first report, as "unknown").
  void add(const std::string& name, bool inbound, bool outbound);

  // The source's server answered (a poll went through).
  void inbound_ok(const std::string& name);
  // The poll failed; the source tries again after `retry_in`.
  void inbound_failed(const std::string& name, const std::string& error, std::chrono::milliseconds retry_in);
  // A delivery went through.
  void delivered(const std::string& name);
  // A delivery failed: `permanent` (dead at once, one message's problem), else retried
  // at `retry_at` or, with no retry_at, given up after too many attempts.
  void delivery_failed(const std::string& name, const std::string& error, bool permanent,
                       std::optional<timestamp> retry_at);

  std::vector<entry> snapshot() const;  // by name
  std::optional<entry> find(const std::string& name) const;

  // Called after a channel's overall state changed (ok <-> failing), outside the lock,
  // from the reporting thread. Set before the sources and the dispatcher start.
  void on_change(std::function<void(const entry&)> f) { on_change_ = std::move(f); }

 private:
  template <class F>
  void update(const std::string& name, F&& change);

  const clock& clock_;
  mutable std::mutex mutex_;
  std::map<std::string, entry> entries_;
  std::function<void(const entry&)> on_change_;
};

const char* to_string(channel_health::state s);

}  // namespace reglament
