// The single writer: one thread owns the writing store connection and the case engine.
// Work from any thread is queued; the writer takes everything waiting (up to a batch
// limit), runs it in one transaction, commits once, and only then reports each result.
// An item that fails is undone alone: the batch is then run again with a savepoint per
// item, so a work item may run twice and must have no effect outside the store. So under load many events share one fsync, and nothing is
// acknowledged before it is durable. It also fires timers when they come due.
// submit() is thread-safe; callbacks run on the writer thread and must be quick.
#pragma once

#include "engine/case_engine.hpp"
#include "engine/clock.hpp"
#include "engine/store.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace reglament {

struct writer_stats {
  std::atomic<std::uint64_t> batches{0};
  std::atomic<std::uint64_t> items{0};
  std::atomic<std::uint64_t> timers_fired{0};
  std::atomic<std::uint64_t> failed_commits{0};
  std::atomic<std::uint64_t> batches_redone{0};  // run again, an item per savepoint, after a failure
  std::atomic<std::uint64_t> batch_size_buckets[8]{};  // <=1,<=4,<=16,<=64,<=256,<=1024,<=4096,more
};

class writer {
 public:
  using work = std::function<engine_result(case_engine&)>;
  using done = std::function<void(const engine_result&)>;

  struct options {
    int max_batch = 1024;
    int timer_batch = 256;
  };

  // REQUIRES: `st` and `engine` outlive the writer and are used by no other thread.
  writer(store& st, case_engine& engine, const clock& clk, options opt);
  ~writer();  // stops and joins

  void start();
  void stop();  // finishes queued work, then joins

  void submit(work w, done d);
  // Convenience: blocks the calling thread until the work is committed.
  engine_result run(work w);

  // A timer earlier than the one the writer sleeps towards was set elsewhere.
  void wake();

  // Called on the writer thread after every successful commit (a batch or a round of
  // timers), before the batch's callbacks; must be quick (the live-update feed wakes).
  // REQUIRES: set before start().
  void on_committed(std::function<void()> f) { on_committed_ = std::move(f); }

  const writer_stats& stats() const { return stats_; }
  std::size_t queue_depth() const;

 private:
  void loop();
  void run_batch(std::deque<std::pair<work, done>>& batch);
  void run_items(std::size_t n, const std::function<engine_result(std::size_t)>& run,
                 std::vector<engine_result>& results);
  void fire_due_timers();

  store& store_;
  case_engine& engine_;
  const clock& clock_;
  options opt_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::pair<work, done>> queue_;
  bool stopping_ = false;
  bool woken_ = false;
  bool last_timer_round_full_ = false;  // writer thread only: more timers may be due
  std::thread thread_;
  writer_stats stats_;
  std::function<void()> on_committed_;
};

}  // namespace reglament
