// A channel whose answers a test scripts: each deliver() records the message and returns
// the next scripted status (then the default). Thread-safe. Test-only.
#pragma once

#include "engine/channel.hpp"

#include <deque>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace reglament::fakes {

class fake_channel : public channel {
 public:
  explicit fake_channel(std::string name) : name_(std::move(name)) {}

  std::string name() const override { return name_; }
  delivery_status deliver(const outbound_message& m) override {
    std::lock_guard lock(mutex_);
    delivered.push_back(m);
    if (script.empty()) return fallback;
    auto s = script.front();
    script.pop_front();
    if (s.error == "throw") throw std::runtime_error("channel exploded");
    return s;
  }
  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return delivered.size();
  }

  std::deque<delivery_status> script;  // fill before use
  delivery_status fallback{true, false, {}};
  std::vector<outbound_message> delivered;

 private:
  std::string name_;
  mutable std::mutex mutex_;
};

}  // namespace reglament::fakes
