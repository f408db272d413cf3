// A store whose outbox is a list the test controls: outbox_due() returns the queued
// rows that are due, and apply() records a delivery result the way the engine would
// (attempts, state, next attempt). Everything else forwards to `inner`. Thread-safe.
// Test-only.
#pragma once

#include "engine/case_event.hpp"
#include "tests/fakes/forwarding_store.hpp"

#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace reglament::fakes {

class outbox_store : public forwarding_store {
 public:
  using forwarding_store::forwarding_store;

  void add(outbox_row r) {
    std::lock_guard lock(mutex_);
    if (r.state.empty()) r.state = "queued";
    rows_.push_back(std::move(r));
  }
  void apply(case_id id, const delivery_result& d) {
    std::lock_guard lock(mutex_);
    for (auto& r : rows_)
      if (r.id == id && r.n == d.outbox) {
        r.attempts = d.attempts;
        r.last_error = d.error;
        r.state = d.ok ? "sent" : d.dead ? "dead" : "queued";
        if (!d.ok && !d.dead) r.next_attempt_at = d.retry_at;
      }
  }
  outbox_row row(std::size_t i) const {
    std::lock_guard lock(mutex_);
    return rows_.at(i);
  }

  std::vector<outbox_row> outbox_due(timestamp now, int limit) override {
    std::vector<outbox_row> out;
    {
      std::lock_guard lock(mutex_);
      for (const auto& r : rows_)
        if (r.state == "queued" && r.next_attempt_at <= now && static_cast<int>(out.size()) < limit)
          out.push_back(r);
    }
    if (after_read) std::exchange(after_read, nullptr)();
    return out;
  }

  // Runs once, right after the next outbox_due() has read its rows and before the caller
  // sees them: a commit landing between a read and its use.
  std::function<void()> after_read;

 private:
  mutable std::mutex mutex_;
  std::vector<outbox_row> rows_;
};

}  // namespace reglament::fakes
