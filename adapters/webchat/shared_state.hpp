// What every website chat connection shares: the limits, the conversation store, the
// rate limits, the live connections of each visitor (so a reply reaches every tab the
// visitor has open) and the way into the engine. Owned by shared_ptr (the sessions
// hold it). Thread-safe: connections on any IO thread, deliveries on the dispatcher's
// thread and the engine's answers on the writer's thread all call in.
// It is not a session and does no I/O on sockets itself: it posts to the sessions.
#pragma once

#include "adapters/webchat/conversation_store.hpp"
#include "adapters/webchat/rate_limiter.hpp"
#include "engine/channel.hpp"
#include "engine/clock.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace reglament::webchat {

class websocket_session;

struct limits {
  std::size_t max_text_bytes = 4000;     // a message's text, after cleaning
  int messages_per_minute = 20;          // per visitor, over all their connections
  int message_burst = 10;                // sent at once before the per-minute rate applies
  int max_connections = 500;             // open WebSocket connections in all
  int max_connections_per_visitor = 8;   // tabs of one visitor
  int new_visitors_per_hour = 30;        // conversations started from one IP address
  int new_visitors_burst = 10;           // started at once before the hourly rate applies
  std::chrono::seconds hello_timeout{10};  // a connection that says nothing is closed
};

class shared_state : public std::enable_shared_from_this<shared_state> {
 public:
  using error_fn = std::function<void(const std::string& what, const std::string& detail)>;

  // REQUIRES: `store` and `clk` outlive the state.
  shared_state(limits lim, std::string firm, conversation_store& store, const clock& clk,
               std::function<std::string(const std::string& lang)> firm_name, error_fn on_error);

  const limits& lim() const { return limits_; }
  const std::string& firm() const { return firm_; }
  conversation_store& store() { return store_; }
  const clock& clk() const { return clock_; }
  std::string firm_name(const std::string& lang) const { return firm_name_ ? firm_name_(lang) : std::string{}; }
  void error(const std::string& what, const std::string& detail) const {
    if (on_error_) on_error_(what, detail);
  }

  // Connections: false when the daemon already has max_connections open.
  bool connect();
  void disconnect();
  int connections() const { return connections_.load(); }

  // A visitor's connection after its hello. False: the visitor has too many open.
  bool join(const std::string& visitor, const std::shared_ptr<websocket_session>& s);
  void leave(const std::string& visitor, const websocket_session* s);
  // New entries in the visitor's conversation: every open connection of theirs sends them.
  void notify(const std::string& visitor);
  // Sends `frame` to every open connection of the visitor.
  void broadcast(const std::string& visitor, const std::string& frame);

  // 0: allowed, else seconds to wait.
  int take_message(const std::string& visitor) { return messages_.take(visitor); }
  int take_new_visitor(const std::string& address) { return new_visitors_.take(address); }

  // The engine: set once by start(); `exec` runs the engine's answers (off the writer).
  void start(inbound_sink& sink, boost::asio::any_io_executor exec);
  // No more calls into the sink from now on (what is not answered stays pending).
  void stop();
  // Hands a kept visitor message to the engine; its state becomes accepted or refused.
  // Without start() it stays pending (sent on the next start).
  void submit(const pending_message& p);

 private:
  void answered(const pending_message& p, std::int64_t case_no, const std::string& error);
  std::vector<std::shared_ptr<websocket_session>> sessions_of(const std::string& visitor);

  limits limits_;
  std::string firm_;
  conversation_store& store_;
  const clock& clock_;
  std::function<std::string(const std::string&)> firm_name_;
  error_fn on_error_;
  rate_limiter messages_;
  rate_limiter new_visitors_;
  std::atomic<int> connections_{0};

  std::mutex mutex_;
  std::map<std::string, std::vector<std::weak_ptr<websocket_session>>> visitors_;
  inbound_sink* sink_ = nullptr;
  boost::asio::any_io_executor exec_;
};

}  // namespace reglament::webchat
