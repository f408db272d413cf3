// Turns committed journal facts into live-update events for the staff app: a thread that
// wakes when the writer committed (notify()) or every `poll` (commits by another process,
// e.g. the CLI), reads the journal after the last seq it saw and publishes, per case, one
// `case` event ({"id", "created", "status_changed", "kinds", "seq"}) and one `outbox`
// event per message state change ({"case", "n", "state"}). It starts at the journal's end:
// a browser that (re)connects loads the lists itself. Thread-safe notify(); start/stop
// from one thread.
#pragma once

#include "adapters/http/event_hub.hpp"
#include "engine/fact.hpp"
#include "engine/store/journal_reader.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace reglament::http {

class journal_feed {
 public:
  // REQUIRES: `reader` is used by no one else while the feed runs.
  journal_feed(std::unique_ptr<journal_reader> reader, std::shared_ptr<event_hub> hub,
               std::chrono::milliseconds poll = std::chrono::milliseconds(1000));
  ~journal_feed();  // stops

  void start();
  void stop();
  void notify();

  // The events a run of journal entries makes (exposed for tests).
  static void publish(event_hub& hub, const std::vector<journal_entry>& entries);

  std::function<void(const std::string&)> on_error;  // a failed read; the feed retries

 private:
  void loop();

  std::unique_ptr<journal_reader> reader_;
  std::shared_ptr<event_hub> hub_;
  std::chrono::milliseconds poll_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false, woken_ = false;
  std::thread thread_;
};

}  // namespace reglament::http
