// A small pool of reading store connections for the HTTP API: each connection is used
// by one request at a time (stores are not thread-safe), guarded by its own mutex.
// Thread-safe. It does not open connections itself: the daemon hands them in, so tests
// can pass fakes. Writes never go through it; they go through the writer.
#pragma once

#include "engine/store.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

namespace reglament::http {

class read_pool {
 public:
  // REQUIRES: `stores` is not empty.
  explicit read_pool(std::vector<std::unique_ptr<store>> stores);

  class lease {
   public:
    lease(std::unique_lock<std::mutex> lock, store& st) : lock_(std::move(lock)), store_(&st) {}
    store& operator*() const { return *store_; }
    store* operator->() const { return store_; }

   private:
    std::unique_lock<std::mutex> lock_;
    store* store_;
  };

  // A free connection, or (when all are busy) waits for one, round robin.
  lease acquire();

 private:
  struct slot {
    std::mutex mutex;
    std::unique_ptr<store> st;
  };
  std::vector<std::unique_ptr<slot>> slots_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace reglament::http
