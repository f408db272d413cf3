#include "engine/channel_health.hpp"

namespace reglament {

const char* to_string(channel_health::state s) {
  switch (s) {
    case channel_health::state::ok: return "ok";
    case channel_health::state::failing: return "failing";
    case channel_health::state::unknown: break;
  }
  return "unknown";
}

channel_health::state channel_health::entry::overall() const {
  if (inbound.now == state::failing || outbound.now == state::failing) return state::failing;
  if (inbound.now == state::ok || outbound.now == state::ok) return state::ok;
  return state::unknown;
}

void channel_health::add(const std::string& name, bool inbound, bool outbound) {
  std::lock_guard lock(mutex_);
  auto& e = entries_[name];
  e.name = name;
  e.inbound.present = e.inbound.present || inbound;
  e.outbound.present = e.outbound.present || outbound;
}

template <class F>
void channel_health::update(const std::string& name, F&& change) {
  std::optional<entry> changed;
  {
    std::lock_guard lock(mutex_);
    auto& e = entries_[name];
    e.name = name;
    const auto before = e.overall();
    change(e, clock_.now());
    if (e.overall() != before) changed = e;
  }
  if (changed && on_change_) on_change_(*changed);
}

namespace {

void mark_ok(channel_health::side& s, timestamp now) {
  s.present = true;
  if (s.now != channel_health::state::ok) s.since = now;
  s.now = channel_health::state::ok;
  s.last_ok = now;
  s.next_retry.reset();
  s.consecutive_failures = 0;
  ++s.successes;
}

void mark_failed(channel_health::side& s, timestamp now, const std::string& error, std::optional<timestamp> retry) {
  s.present = true;
  if (s.now != channel_health::state::failing) s.since = now;
  s.now = channel_health::state::failing;
  s.error = error;
  s.last_failure = now;
  s.next_retry = retry;
  ++s.consecutive_failures;
  ++s.failures;
}

}  // namespace

void channel_health::inbound_ok(const std::string& name) {
  update(name, [](entry& e, timestamp now) { mark_ok(e.inbound, now); });
}

void channel_health::inbound_failed(const std::string& name, const std::string& error,
                                    std::chrono::milliseconds retry_in) {
  update(name, [&](entry& e, timestamp now) { mark_failed(e.inbound, now, error, now + retry_in); });
}

void channel_health::delivered(const std::string& name) {
  update(name, [](entry& e, timestamp now) { mark_ok(e.outbound, now); });
}

void channel_health::delivery_failed(const std::string& name, const std::string& error, bool permanent,
                                     std::optional<timestamp> retry_at) {
  update(name, [&](entry& e, timestamp now) {
    auto& s = e.outbound;
    if (permanent || !retry_at) {
      s.present = true;
      ++s.dead;
      s.last_dead_error = error;
      if (permanent) return;  // the server answered; the message was wrong
    }
    mark_failed(s, now, error, retry_at);
  });
}

std::vector<channel_health::entry> channel_health::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<entry> out;
  for (const auto& [name, e] : entries_) out.push_back(e);
  return out;
}

std::optional<channel_health::entry> channel_health::find(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

}  // namespace reglament
