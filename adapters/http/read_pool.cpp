#include "adapters/http/read_pool.hpp"

#include <stdexcept>

namespace reglament::http {

read_pool::read_pool(std::vector<std::unique_ptr<store>> stores) {
  if (stores.empty()) throw std::invalid_argument("read_pool: needs at least one store connection");
  for (auto& s : stores) {
    auto sl = std::make_unique<slot>();
    sl->st = std::move(s);
    slots_.push_back(std::move(sl));
  }
}

read_pool::lease read_pool::acquire() {
  for (auto& sl : slots_) {
    std::unique_lock lock(sl->mutex, std::try_to_lock);
    if (lock.owns_lock()) return lease(std::move(lock), *sl->st);
  }
  auto& sl = slots_[next_.fetch_add(1) % slots_.size()];
  return lease(std::unique_lock(sl->mutex), *sl->st);
}

}  // namespace reglament::http
