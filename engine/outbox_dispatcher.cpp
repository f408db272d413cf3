#include "engine/outbox_dispatcher.hpp"

#include "engine/writer.hpp"

#include <algorithm>
#include <string_view>
#include <exception>
#include <memory>

namespace reglament {

outbox_dispatcher::report_fn outbox_dispatcher::through(writer& w, histogram* step_seconds) {
  return [&w, step_seconds](case_id id, const delivery_result& r,
                            std::function<void(const engine_result&)> done) {
    w.submit(
        [id, r, step_seconds](case_engine& e) {
          auto t0 = std::chrono::steady_clock::now();
          auto res = e.delivered(id, r);
          if (step_seconds)
            step_seconds->observe(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
          return res;
        },
        std::move(done));
  };
}

outbox_dispatcher::outbox_dispatcher(store& reader, const clock& clk, report_fn report, options opt)
    : reader_(reader), clock_(clk), report_(std::move(report)), opt_(opt) {
  opt_.batch = std::max(1, opt_.batch);
  opt_.max_attempts = std::max(1, opt_.max_attempts);
}

outbox_dispatcher::~outbox_dispatcher() { stop(); }

void outbox_dispatcher::add_channel(const std::string& name, channel* ch) { channels_[name] = ch; }

void outbox_dispatcher::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void outbox_dispatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void outbox_dispatcher::notify() {
  {
    std::lock_guard lock(mutex_);
    notified_ = true;
  }
  cv_.notify_all();
}

std::size_t outbox_dispatcher::in_flight() const {
  std::lock_guard lock(mutex_);
  return in_flight_.size();
}

timestamp outbox_dispatcher::retry_time(timestamp now, int attempts, const options& opt) {
  // 30 s, 1 min, 2 min, ... capped: a flapping channel is not hammered.
  auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(opt.retry_base);
  const auto cap = std::chrono::duration_cast<std::chrono::milliseconds>(opt.retry_cap);
  for (int i = 1; i < attempts && delay < cap; ++i) delay *= 2;
  return now + std::min(delay, cap);
}

void outbox_dispatcher::loop() {
  auto idle = opt_.idle_min;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    notified_ = false;
    lock.unlock();
    std::size_t attempted = 0;
    try {
      attempted = poll_once();
    } catch (const std::exception&) {
      attempted = 0;  // the store could not be read (busy, locked): back off and retry
    }
    lock.lock();
    if (attempted > 0) {
      idle = opt_.idle_min;
      continue;
    }
    cv_.wait_for(lock, idle, [this] { return stopping_ || notified_; });
    idle = notified_ ? opt_.idle_min : std::min(idle * 2, opt_.idle_max);
  }
}

std::size_t outbox_dispatcher::poll_once() {
  std::size_t skip;
  {
    std::lock_guard lock(mutex_);
    skip = in_flight_.size();
    settled_.clear();  // committed before this read: the read sees them
  }
  // Rows in flight still look due until their result commits; ask for enough to see past them.
  auto rows = reader_.outbox_due(clock_.now(), opt_.batch + static_cast<int>(skip));
  std::size_t attempted = 0;
  std::uint64_t unroutable = 0;
  for (const auto& row : rows) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_ && thread_.joinable()) break;
      const auto key = row.idempotency_key();
      if (in_flight_.count(key) || settled_.count(key)) continue;
    }
    auto it = channels_.find(row.channel);
    if (it == channels_.end() || !it->second) {
      ++unroutable;
      continue;
    }
    if (attempted >= static_cast<std::size_t>(opt_.batch)) break;
    deliver(row, *it->second);
    ++attempted;
  }
  stats_.unroutable.store(unroutable);
  return attempted;
}

void outbox_dispatcher::thread_from_case(outbound_message& m) {
  // The case's thread on this channel and the client's latest message there: a reply
  // lands in the client's conversation (email In-Reply-To, a Telegram chat).
  std::string subject;
  for (const auto& e : reader_.journal(m.case_no)) {
    const auto& d = e.what.data;
    if (d.text("channel") != m.channel) continue;
    if (e.what.kind == fact_kind::case_opened) {
      m.thread = d.value("thread", "");
    } else if (e.what.kind == fact_kind::message_received) {
      m.in_reply_to = d.value("external_id", "");
      if (auto s = d.value("subject", ""); !s.empty()) subject = s;
    }
  }
  m.subject = reply_subject(subject);
}

std::string outbox_dispatcher::reply_subject(const std::string& subject) {
  if (subject.empty()) return {};
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  auto starts = [&](std::string_view prefix) {
    if (subject.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
      if (lower(subject[i]) != prefix[i]) return false;
    return true;
  };
  if (starts("re:") || starts("re[") || subject.rfind("Ответ:", 0) == 0 || subject.rfind("ответ:", 0) == 0)
    return subject;
  return "Re: " + subject;
}

void outbox_dispatcher::deliver(const outbox_row& row, channel& ch) {
  const auto key = row.idempotency_key();
  {
    std::lock_guard lock(mutex_);
    in_flight_.insert(key);
  }
  outbound_message m{key, row.channel, row.to, row.text, row.id, row.buttons, {}, {}, {}};
  delivery_status status;
  try {
    if (row.channel != "staff") thread_from_case(m);
    status = ch.deliver(m);
  } catch (const std::exception& e) {
    status = delivery_status{false, false, e.what()};
  } catch (...) {
    status = delivery_status{false, false, "unknown exception in channel " + row.channel};
  }

  delivery_result r;
  r.outbox = row.n;
  r.ok = status.ok;
  r.attempts = row.attempts + 1;
  if (status.ok) {
    stats_.sent.fetch_add(1);
  } else {
    r.error = status.error.empty() ? "delivery failed" : status.error;
    r.dead = status.permanent || r.attempts >= opt_.max_attempts;
    if (r.dead) {
      stats_.dead.fetch_add(1);
    } else {
      stats_.failed.fetch_add(1);
      // The medium's own wait (Telegram's retry_after) wins when it is longer.
      r.retry_at = retry_time(clock_.now(), r.attempts, opt_);
      if (status.retry_after_seconds > 0)
        r.retry_at = std::max(r.retry_at, clock_.now() + std::chrono::seconds(status.retry_after_seconds));
    }
  }

  if (metrics_)
    metrics_
        ->get_counter("reglament_messages_out_total", "Outbound delivery attempts by result",
                      {{"channel", row.channel}, {"state", r.ok ? "sent" : r.dead ? "dead" : "failed"}})
        .inc();

  if (on_result_) on_result_(row.channel, status, r);

  report_(row.id, r, [this, key](const engine_result& res) {
    if (!res.error.empty()) stats_.report_errors.fetch_add(1);
    {
      std::lock_guard lock(mutex_);
      in_flight_.erase(key);
      settled_.insert(key);
    }
    // A failed report leaves the row queued: the next poll offers it again, and the
    // channel's idempotency keeps the recipient from getting it twice.
  });
}

}  // namespace reglament
