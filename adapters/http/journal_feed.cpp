#include "adapters/http/journal_feed.hpp"

#include <map>
#include <set>

namespace reglament::http {

journal_feed::journal_feed(std::unique_ptr<journal_reader> reader, std::shared_ptr<event_hub> hub,
                           std::chrono::milliseconds poll)
    : reader_(std::move(reader)), hub_(std::move(hub)), poll_(poll) {}

journal_feed::~journal_feed() { stop(); }

void journal_feed::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { loop(); });
}

void journal_feed::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void journal_feed::notify() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_all();
}

void journal_feed::publish(event_hub& hub, const std::vector<journal_entry>& entries) {
  struct change {
    bool created = false, status_changed = false;
    std::int64_t seq = 0;
    std::set<std::string> kinds;
  };
  std::map<case_id, change> cases;
  for (const auto& e : entries) {
    auto& c = cases[e.id];
    c.seq = e.seq;
    c.kinds.insert(to_string(e.what.kind));
    switch (e.what.kind) {
      case fact_kind::case_opened: c.created = true; break;
      case fact_kind::waiting:
      case fact_kind::case_closed:
      case fact_kind::escalated:
      case fact_kind::step_entered: c.status_changed = true; break;
      default: break;
    }
    const char* state = nullptr;
    if (e.what.kind == fact_kind::message_queued) state = "queued";
    if (e.what.kind == fact_kind::message_sent) state = "sent";
    if (e.what.kind == fact_kind::message_failed) state = e.what.data.value("dead", false) ? "dead" : "failed";
    if (state)
      hub.publish("outbox", {{"case", e.id}, {"n", e.what.data.value("outbox", 0)}, {"state", state}}, e.seq);
  }
  for (const auto& [id, c] : cases)
    hub.publish("case",
                {{"id", id}, {"created", c.created}, {"status_changed", c.status_changed}, {"kinds", c.kinds},
                 {"seq", c.seq}},
                c.seq);
}

void journal_feed::loop() {
  std::int64_t last = -1;
  std::unique_lock lock(mutex_);
  while (!stop_) {
    lock.unlock();
    try {
      if (last < 0) {
        last = reader_->last_seq();
      } else {
        for (;;) {
          std::int64_t read = last;
          auto entries = reader_->since(last, 2000, &read);
          if (read == last) break;
          last = read;
          publish(*hub_, entries);
        }
      }
    } catch (const std::exception& e) {
      if (on_error) on_error(e.what());
    }
    lock.lock();
    cv_.wait_for(lock, poll_, [this] { return stop_ || woken_; });
    woken_ = false;
  }
}

}  // namespace reglament::http
