// The website chat as the daemon serves it, on the HTTP API's port: the widget script
// (GET /chat/widget.js), a demo page (GET /chat/demo), and the visitors' WebSocket
// (/chat/ws). It owns the conversation store, the state the connections share and the
// outbound channel "webchat"; config.cpp wraps it as the channel, the inbound source and
// the HTTP sessions' web service (behind the access gate), and start() gets the inbound
// gateway. serve() and upgrade() are thread-safe. Not the protocol, not a session.
#pragma once

#include "adapters/http/web_service.hpp"
#include "adapters/webchat/conversation_store.hpp"
#include "adapters/webchat/shared_state.hpp"
#include "adapters/webchat/webchat_channel.hpp"

#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace reglament::webchat {

struct server_options {
  std::string db_path = "var/webchat.db";
  limits lim;
  std::string firm;                          // the data-firm the widget must give; "": any
  std::vector<std::string> allowed_origins;  // pages that may connect ("https://firm.ru"); empty: any
};

class chat_server final : public http::web_service {
 public:

  // Opens (or creates) the conversation store; throws store_error naming the file.
  // `firm_name(lang)` names the firm in the widget's header. `clk` outlives the server.
  chat_server(server_options opt, const clock& clk, std::function<std::string(const std::string& lang)> firm_name,
              shared_state::error_fn on_error);
  ~chat_server() override;

  reglament::channel& channel() { return channel_; }
  conversation_store& store() { return store_; }

  // Visitors' messages go to `sink` from now on (and those kept but never answered
  // before, at once); the engine's answers are recorded on the server's own thread.
  void start(inbound_sink& sink);
  // Returns when no more calls into the sink will be made; messages not yet answered
  // stay pending and are handed over again on the next start (the engine dedups them).
  void stop();

  // The response for GET /chat/widget.js, /chat/demo and other /chat/ paths (404);
  // nullopt for any other path.
  std::optional<response> serve(const request& req) override;
  // A WebSocket upgrade request: nullopt when a visitor's session took the connection;
  // otherwise the response to send (404 for another path, 403 for a refused origin).
  std::optional<response> upgrade(request& req, boost::beast::tcp_stream& stream) override;

 private:
  server_options opt_;
  conversation_store store_;
  std::shared_ptr<shared_state> state_;
  webchat_channel channel_;
  boost::asio::thread_pool answers_{1};  // records the engine's answers off the writer's thread
};

}  // namespace reglament::webchat
