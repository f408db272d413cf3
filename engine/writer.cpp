#include "engine/writer.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <future>
#include <string>
#include <vector>

namespace reglament {

namespace {

// How long the loop sleeps when no timer is pending: new timers set by this thread are
// seen at the next loop anyway, and wake() covers other writers of timers.
constexpr std::chrono::milliseconds max_idle_sleep{1000};
// Floor for the sleep when a timer stays due after a firing round (the engine refused
// it): retrying in a tight loop would only burn the CPU.
constexpr std::chrono::milliseconds stuck_timer_sleep{50};

std::size_t bucket_of(std::size_t n) {
  std::size_t bound = 1, i = 0;
  while (i < 7 && n > bound) {
    bound *= 4;
    ++i;
  }
  return i;
}

std::string what_of(std::exception_ptr p) {
  try {
    std::rethrow_exception(p);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace

writer::writer(store& st, case_engine& engine, const clock& clk, options opt)
    : store_(st), engine_(engine), clock_(clk), opt_(opt) {
  opt_.max_batch = std::max(1, opt_.max_batch);
  opt_.timer_batch = std::max(1, opt_.timer_batch);
}

writer::~writer() { stop(); }

void writer::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void writer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void writer::submit(work w, done d) {
  {
    std::unique_lock lock(mutex_);
    if (!stopping_) {
      queue_.emplace_back(std::move(w), std::move(d));
      lock.unlock();
      cv_.notify_one();
      return;
    }
  }
  // Stopping: work already queued is finished, new work is refused rather than left hanging.
  if (d) {
    engine_result r;
    r.error = "writer stopped: the daemon is shutting down";
    r.http_status = 503;
    d(r);
  }
}

engine_result writer::run(work w) {
  std::promise<engine_result> promise;
  auto result = promise.get_future();
  submit(std::move(w), [&promise](const engine_result& r) { promise.set_value(r); });
  return result.get();
}

void writer::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_all();
}

std::size_t writer::queue_depth() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void writer::loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (!queue_.empty()) {
      std::deque<std::pair<work, done>> batch;
      auto n = std::min<std::size_t>(queue_.size(), static_cast<std::size_t>(opt_.max_batch));
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      lock.unlock();
      run_batch(batch);
      // Under steady load timers must still fire between batches.
      fire_due_timers();
      lock.lock();
      continue;
    }
    if (stopping_) break;
    woken_ = false;
    lock.unlock();

    fire_due_timers();
    std::optional<timestamp> next;
    try {
      next = store_.next_timer_due();
    } catch (const std::exception&) {
      next.reset();  // a read error: poll again after the idle sleep
    }

    lock.lock();
    if (!queue_.empty() || stopping_ || woken_) continue;
    std::chrono::milliseconds wait = max_idle_sleep;
    if (next) {
      auto until = std::chrono::duration_cast<std::chrono::milliseconds>(*next - clock_.now());
      wait = std::clamp(until, stuck_timer_sleep, max_idle_sleep);
      // A full round may have left more due timers behind: go again at once.
      if (until.count() <= 0 && last_timer_round_full_) wait = std::chrono::milliseconds{0};
    }
    cv_.wait_for(lock, wait, [this] { return !queue_.empty() || stopping_ || woken_; });
  }
}

// Optimistic first: the items run without savepoints, which would cost SQLite a copy of
// every page an item touches. An item that throws, or is refused after changing rows,
// sends the whole transaction back, and the items run again each in a savepoint, so the
// failed one is undone alone (the store gives back the case ids of the rolled-back pass,
// so the results are those the careful pass alone gives). A refusal that changed nothing
// needs no rollback. Throws, for the caller to roll back, if the transaction fails.
void writer::run_items(std::size_t n, const std::function<engine_result(std::size_t)>& run,
                       std::vector<engine_result>& results) {
  // True if item i must leave nothing behind and may have left something.
  auto run_one = [&](std::size_t i) {
    const auto before = store_.rows_changed();
    try {
      results[i] = run(i);
      return !results[i].error.empty() && store_.rows_changed() != before;
    } catch (...) {
      results[i] = engine_result{};
      results[i].error = "internal error: " + what_of(std::current_exception());
      results[i].http_status = 500;
      return true;
    }
  };

  store_.begin();
  bool clean = true;
  for (std::size_t i = 0; i < n && clean; ++i) clean = !run_one(i);
  if (clean) return;

  stats_.batches_redone.fetch_add(1);
  store_.rollback();
  store_.begin();
  for (std::size_t i = 0; i < n; ++i) {
    store_.savepoint();
    if (run_one(i)) store_.rollback_to_savepoint();
    store_.release_savepoint();
  }
}

void writer::run_batch(std::deque<std::pair<work, done>>& batch) {
  const auto n = batch.size();
  stats_.batches.fetch_add(1);
  stats_.items.fetch_add(n);
  stats_.batch_size_buckets[bucket_of(n)].fetch_add(1);

  std::vector<engine_result> results(n);
  try {
    run_items(n, [&](std::size_t i) { return batch[i].first(engine_); }, results);
    store_.commit();
    if (on_committed_) on_committed_();
  } catch (...) {
    // The commit (or the transaction around the items) failed: nothing of this batch is
    // durable, so nothing may be acknowledged.
    const auto why = what_of(std::current_exception());
    try {
      store_.rollback();
    } catch (...) {
      // The connection may already have rolled back on its own (SQLITE_FULL etc.).
    }
    stats_.failed_commits.fetch_add(1);
    for (auto& r : results) {
      r = engine_result{};
      r.error = "not committed: " + why;
      r.http_status = 503;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!batch[i].second) continue;
    try {
      batch[i].second(results[i]);
    } catch (...) {
      // A callback's failure is its owner's problem; the other items still get theirs.
    }
  }
}

void writer::fire_due_timers() {
  std::vector<timer_row> due;
  try {
    due = store_.due_timers(clock_.now(), opt_.timer_batch);
  } catch (const std::exception&) {
    last_timer_round_full_ = false;
    return;
  }
  last_timer_round_full_ = due.size() >= static_cast<std::size_t>(opt_.timer_batch);
  if (due.empty()) return;
  std::vector<engine_result> results(due.size());
  try {
    run_items(due.size(), [&](std::size_t i) { return engine_.timer(due[i].id, timer_due{due[i].n}); }, results);
    store_.commit();
    const auto fired = static_cast<std::uint64_t>(
        std::count_if(results.begin(), results.end(), [](const engine_result& r) { return r.error.empty(); }));
    stats_.timers_fired.fetch_add(fired);
    if (on_committed_ && fired) on_committed_();
  } catch (...) {
    try {
      store_.rollback();
    } catch (...) {
    }
    stats_.failed_commits.fetch_add(1);
    last_timer_round_full_ = false;
  }
}

}  // namespace reglament
