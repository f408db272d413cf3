#include "adapters/webchat/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace reglament::webchat {

rate_limiter::rate_limiter(const clock& clk, int burst, int per_window, std::chrono::milliseconds window)
    : clock_(clk),
      burst_(burst),
      per_ms_(static_cast<double>(per_window) / static_cast<double>(window.count())) {}

void rate_limiter::refill(bucket& b, timestamp now) const {
  const auto ms = std::max<std::int64_t>(0, (now - b.at).count());
  b.tokens = std::min(burst_, b.tokens + static_cast<double>(ms) * per_ms_);
  b.at = now;
}

int rate_limiter::take(const std::string& key) {
  const auto now = clock_.now();
  std::lock_guard lock(mutex_);
  if (buckets_.size() > 10000) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      refill(it->second, now);
      it = it->second.tokens >= burst_ ? buckets_.erase(it) : std::next(it);
    }
  }
  auto [it, fresh] = buckets_.try_emplace(key, bucket{burst_, now});
  auto& b = it->second;
  if (!fresh) refill(b, now);
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return 0;
  }
  const double wait_ms = (1 - b.tokens) / per_ms_;
  return std::max(1, static_cast<int>(std::ceil(wait_ms / 1000)));
}

}  // namespace reglament::webchat
