// Token buckets keyed by a string (a visitor id, an IP address): each key may spend
// `burst` at once and gets `per_window` back over `window`. Time comes from the engine's
// clock, so tests move it by hand. Thread-safe (one mutex). Keys whose bucket is full
// again are forgotten when the table grows, so memory stays bounded by active keys.
#pragma once

#include "engine/clock.hpp"

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace reglament::webchat {

class rate_limiter {
 public:
  // REQUIRES: burst >= 1, per_window >= 1, window > 0; `clk` outlives the limiter.
  rate_limiter(const clock& clk, int burst, int per_window, std::chrono::milliseconds window);

  // Spends one token of `key`. 0: allowed; otherwise refused, and the value is how long
  // until a token is back (rounded up to whole seconds, at least 1).
  int take(const std::string& key);

 private:
  struct bucket {
    double tokens = 0;
    timestamp at{};
  };
  void refill(bucket& b, timestamp now) const;

  const clock& clock_;
  double burst_;
  double per_ms_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, bucket> buckets_;
};

}  // namespace reglament::webchat
