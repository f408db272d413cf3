// One visitor's WebSocket connection to the website chat. It accepts the upgrade, waits
// for `hello` (token or a new visitor), then sends the conversation from the number the
// widget last saw and keeps sending new entries as they are kept (pump), in order and
// each once per connection; the visitor's `message`s are kept, acknowledged and handed
// to the engine. All handlers run on the connection's strand; other threads reach it
// only through post (shared_state does that). Owned by shared_ptr through its pending
// operations. It is not the protocol (protocol.hpp) and keeps nothing itself.
#pragma once

#include "adapters/webchat/protocol.hpp"
#include "adapters/webchat/shared_state.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace reglament::webchat {

class websocket_session : public std::enable_shared_from_this<websocket_session> {
 public:
  using upgrade_request = boost::beast::http::request<boost::beast::http::string_body>;

  // `counted`: shared_state::connect() let this connection in (it disconnects on
  // destruction); false: the session only tells the widget the server is full and closes.
  websocket_session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<shared_state> state,
                    std::string peer_address, bool counted);
  ~websocket_session();

  void run(upgrade_request req);
  boost::asio::any_io_executor executor() { return ws_.get_executor(); }

  // On the strand only (post): send conversation entries not yet sent; send one frame.
  void pump();
  void send(std::string frame);

 private:
  void on_accept(boost::beast::error_code ec);
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void on_hello(const hello_frame& h);
  void on_message(const message_frame& m);
  // Sends an error and then closes the connection with `code`.
  void refuse(const std::string& error_code, const std::string& message,
              boost::beast::websocket::close_code code, int retry_after = 0);
  void queue(std::string frame);
  void do_write();
  void on_write(boost::beast::error_code ec, std::size_t bytes);
  void do_close();
  void fail(boost::beast::error_code ec, const char* what);

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  std::shared_ptr<shared_state> state_;
  std::string peer_;
  bool counted_;
  boost::asio::steady_timer hello_timer_;
  std::string visitor_;          // empty until hello
  std::int64_t sent_up_to_ = 0;  // the last sequence number sent on this connection
  std::deque<std::string> queue_;
  bool writing_ = false;
  bool more_to_pump_ = false;
  bool closing_ = false;         // no more reads or pumps; close once the queue is out
  std::optional<boost::beast::websocket::close_reason> close_reason_;
};

}  // namespace reglament::webchat
