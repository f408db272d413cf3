// One server-sent-event stream (GET /api/v1/events): takes over a connection from its
// http_session after the API accepted the request, writes the response header with
// chunked encoding, then writes each frame the event_hub publishes, plus a comment line
// every `ping` so proxies and dead peers are noticed. Runs on the connection's strand;
// owned by shared_ptr through its pending operations; unsubscribes when it ends (the
// peer closed, a write failed, or too many frames are waiting for a slow reader — the
// browser reconnects and reloads). Never reads a second request from the connection.
#pragma once

#include "adapters/http/event_hub.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <string>

namespace reglament::http {

class event_session : public std::enable_shared_from_this<event_session> {
 public:
  event_session(boost::beast::tcp_stream&& stream, std::shared_ptr<event_hub> hub, unsigned version,
                std::chrono::seconds ping = std::chrono::seconds(20));
  ~event_session();

  void run();

 private:
  void on_header(boost::beast::error_code ec, std::size_t bytes);
  void push(const event_hub::frame& f);  // on the strand
  void do_write();
  void on_write(boost::beast::error_code ec, std::size_t bytes);
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void schedule_ping();
  void close();

  static constexpr std::size_t max_pending = 1000;

  boost::beast::tcp_stream stream_;
  std::shared_ptr<event_hub> hub_;
  std::uint64_t subscription_ = 0;
  boost::beast::http::response<boost::beast::http::empty_body> header_;
  boost::beast::http::response_serializer<boost::beast::http::empty_body> serializer_{header_};
  std::deque<event_hub::frame> pending_;
  bool writing_ = false, open_ = false, closed_ = false;
  boost::asio::steady_timer ping_timer_;
  std::chrono::seconds ping_;
  char read_buffer_[512];
};

}  // namespace reglament::http
