#include "adapters/webchat/shared_state.hpp"

#include "adapters/webchat/protocol.hpp"
#include "adapters/webchat/websocket_session.hpp"
#include "engine/case_engine.hpp"
#include "engine/case_event.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

#include <algorithm>

namespace reglament::webchat {

namespace net = boost::asio;

shared_state::shared_state(limits lim, std::string firm, conversation_store& store, const clock& clk,
                           std::function<std::string(const std::string&)> firm_name, error_fn on_error)
    : limits_(lim),
      firm_(std::move(firm)),
      store_(store),
      clock_(clk),
      firm_name_(std::move(firm_name)),
      on_error_(std::move(on_error)),
      messages_(clk, lim.message_burst, lim.messages_per_minute, std::chrono::minutes(1)),
      new_visitors_(clk, std::max(1, std::min(lim.new_visitors_per_hour, lim.new_visitors_burst)), lim.new_visitors_per_hour,
                    std::chrono::hours(1)) {}

bool shared_state::connect() {
  if (connections_.fetch_add(1) >= limits_.max_connections) {
    connections_.fetch_sub(1);
    return false;
  }
  return true;
}

void shared_state::disconnect() { connections_.fetch_sub(1); }

bool shared_state::join(const std::string& visitor, const std::shared_ptr<websocket_session>& s) {
  std::lock_guard lock(mutex_);
  auto& list = visitors_[visitor];
  std::erase_if(list, [](const auto& w) { return w.expired(); });
  if (static_cast<int>(list.size()) >= limits_.max_connections_per_visitor) return false;
  list.push_back(s);
  return true;
}

void shared_state::leave(const std::string& visitor, const websocket_session* s) {
  std::lock_guard lock(mutex_);
  auto it = visitors_.find(visitor);
  if (it == visitors_.end()) return;
  std::erase_if(it->second, [s](const auto& w) {
    auto p = w.lock();
    return !p || p.get() == s;
  });
  if (it->second.empty()) visitors_.erase(it);
}

std::vector<std::shared_ptr<websocket_session>> shared_state::sessions_of(const std::string& visitor) {
  std::vector<std::shared_ptr<websocket_session>> out;
  std::lock_guard lock(mutex_);
  auto it = visitors_.find(visitor);
  if (it == visitors_.end()) return out;
  for (const auto& w : it->second)
    if (auto p = w.lock()) out.push_back(std::move(p));
  return out;
}

void shared_state::notify(const std::string& visitor) {
  for (auto& s : sessions_of(visitor)) net::post(s->executor(), [s] { s->pump(); });
}

void shared_state::broadcast(const std::string& visitor, const std::string& frame) {
  for (auto& s : sessions_of(visitor)) net::post(s->executor(), [s, frame] { s->send(frame); });
}

void shared_state::start(inbound_sink& sink, net::any_io_executor exec) {
  {
    std::lock_guard lock(mutex_);
    sink_ = &sink;
    exec_ = std::move(exec);
  }
  // Messages kept before a crash (or before start) that the engine never answered.
  for (const auto& p : store_.pending(1'000'000)) submit(p);
}

void shared_state::stop() {
  std::lock_guard lock(mutex_);
  sink_ = nullptr;
}

void shared_state::submit(const pending_message& p) {
  inbound_sink* sink = nullptr;
  {
    std::lock_guard lock(mutex_);
    sink = sink_;
  }
  if (!sink) return;
  inbound_message m;
  m.channel = "webchat";
  m.external_id = fmt::format("{}:{}", p.visitor, p.seq);
  m.sender = p.visitor;
  m.text = p.text;
  auto self = shared_from_this();
  sink->accept(std::move(m), [self, p](const engine_result& r) {
    // On the writer's thread: keep it short, record the answer on the chat's own thread.
    if (!r.error.empty() && r.http_status == 503) {
      // Not committed (the store is busy or full): kept pending and handed over again.
      self->error("hand a visitor's message to the engine; will retry", r.error);
      auto timer = std::make_shared<net::steady_timer>(self->exec_, std::chrono::seconds(1));
      timer->async_wait([self, p, timer](boost::system::error_code) { self->submit(p); });
      return;
    }
    net::post(self->exec_, [self, p, id = r.id, error = r.error] { self->answered(p, id, error); });
  });
}

void shared_state::answered(const pending_message& p, std::int64_t case_no, const std::string& error) {
  try {
    if (error.empty()) {
      store_.mark_accepted(p.visitor, p.seq, case_no);
      return;
    }
    store_.mark_refused(p.visitor, p.seq, error);
  } catch (const std::exception& e) {
    // Left pending: sent again on the next start, where the engine's dedup answers.
    this->error("record the engine's answer", e.what());
    return;
  }
  // The inbound gateway has already kept the refused message as a channel error.
  broadcast(p.visitor, error_json("not_accepted",
                                  "the message was kept but could not start or continue a request: " + error,
                                  p.client_id));
}

}  // namespace reglament::webchat
