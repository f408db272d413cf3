// The outbox dispatcher delivers queued outbound messages: it polls its own (reading)
// store connection for due outbox rows, hands each to the channel registered under the
// row's channel name, and reports the result back to the engine through the writer, so
// the journal records message_sent / message_failed in a committed transaction.
// One delivery thread; a row is never delivered twice at once (it stays "in flight"
// until its result is committed). notify() and stats are thread-safe; add_channel()
// must happen before start(). It is not a channel itself and does no formatting.
#pragma once

#include "engine/case_engine.hpp"
#include "engine/channel.hpp"
#include "engine/clock.hpp"
#include "engine/metrics.hpp"
#include "engine/store.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace reglament {

class writer;

struct dispatcher_stats {
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> failed{0};       // transient failures (will retry)
  std::atomic<std::uint64_t> dead{0};         // gave up
  std::atomic<std::uint64_t> unroutable{0};   // due rows with no channel adapter, last poll
  std::atomic<std::uint64_t> report_errors{0};  // results the writer could not commit
};

class outbox_dispatcher {
 public:
  struct options {
    int batch = 64;                                   // rows per poll
    std::chrono::milliseconds idle_min{20};           // first sleep when nothing is due
    std::chrono::milliseconds idle_max{2000};         // longest sleep when nothing is due
    std::chrono::seconds retry_base{30};              // first retry after this
    std::chrono::seconds retry_cap{3600};             // retries never wait longer
    int max_attempts = 8;                             // then the message is dead
  };

  // Hands a delivery result to the engine; `done` runs after it is committed (or refused).
  using report_fn = std::function<void(case_id, const delivery_result&,
                                       std::function<void(const engine_result&)> done)>;
  // The usual report_fn: engine.delivered through the group-commit writer.
  // `step_seconds` (may be null) observes the time of each engine call.
  static report_fn through(writer& w, histogram* step_seconds = nullptr);

  // REQUIRES: `reader` and `clk` outlive the dispatcher; `reader` is used by no other thread.
  outbox_dispatcher(store& reader, const clock& clk, report_fn report, options opt);
  outbox_dispatcher(store& reader, const clock& clk, report_fn report)
      : outbox_dispatcher(reader, clk, std::move(report), options{}) {}
  ~outbox_dispatcher();  // stops and joins

  // Counts reglament_messages_out_total{channel,state}; `m` must outlive the dispatcher.
  void set_metrics(metric_registry* m) { metrics_ = m; }

  // Told of every delivery: the row's channel, what the channel answered and what goes to
  // the journal (the channel health). Called on the delivery thread; set before start().
  using result_observer = std::function<void(const std::string& channel, const delivery_status&, const delivery_result&)>;
  void on_result(result_observer f) { on_result_ = std::move(f); }

  // `ch` must outlive the dispatcher. Rows for channels with no adapter stay queued.
  void add_channel(const std::string& name, channel* ch);

  void start();
  // Stops polling and waits for the delivery in progress (not for pending reports).
  void stop();
  // New outbox rows were committed: poll now instead of after the backoff.
  void notify();

  // One poll and the deliveries it finds, on the calling thread (tests; not with start()).
  // Returns the number of deliveries attempted.
  std::size_t poll_once();

  // "Re: " + subject unless it already is a reply ("Re:", "RE[2]:", "Ответ:"); "" stays "".
  static std::string reply_subject(const std::string& subject);

  // When the next attempt is due after `attempts` failed ones (1 = the first failure).
  static timestamp retry_time(timestamp now, int attempts, const options& opt);

  const dispatcher_stats& stats() const { return stats_; }
  std::size_t in_flight() const;

 private:
  void loop();
  void deliver(const outbox_row& row, channel& ch);
  void thread_from_case(outbound_message& m);  // reads the case's journal

  store& reader_;
  const clock& clock_;
  report_fn report_;
  options opt_;
  std::map<std::string, channel*> channels_;
  metric_registry* metrics_ = nullptr;
  result_observer on_result_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::set<std::string> in_flight_;  // idempotency keys delivered but not yet committed
  // Keys whose result committed since the current poll began to read: the rows it read
  // may predate that commit (a 429 not yet recorded looks due again), so they wait for
  // the next poll, which reads after it.
  std::set<std::string> settled_;
  bool stopping_ = false;
  bool notified_ = false;
  std::thread thread_;
  dispatcher_stats stats_;
};

}  // namespace reglament
