// One HTTP/1.1 connection: reads a request, hands it to the api, writes the reply, and
// repeats while the client keeps the connection alive. All of its handlers run on the
// connection's strand; replies produced on other threads (the writer) are posted back to
// it. Owned by shared_ptr through its pending operations. Not a router: api decides.
#pragma once

#include "adapters/http/router/api.hpp"
#include "adapters/http/web_service.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace reglament::http {

struct session_options {
  std::size_t body_limit = 64 * 1024;         // larger bodies get 413
  std::chrono::seconds read_timeout{30};      // idle keep-alive connections close after it
  std::chrono::seconds write_timeout{30};
  std::function<void(const request_log&)> on_request;  // one call per answered request
  std::function<void(const char* what, const std::string& message)> on_error;  // socket errors
  // Channels' services on this port (the website chat): asked, in order, after the gate
  // admitted a request and before the api; WebSocket upgrades go only to them.
  std::vector<std::shared_ptr<web_service>> web;
};

class http_session : public std::enable_shared_from_this<http_session> {
 public:
  http_session(boost::asio::ip::tcp::socket&& socket, api& routes, const session_options& opt);

  void run();

 private:
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void on_reply(reply r);
  void do_write(response res);
  void on_write(bool close, boost::beast::error_code ec, std::size_t bytes);
  void do_close();
  void fail(boost::beast::error_code ec, const char* what);

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<beast_http::request_parser<beast_http::string_body>> parser_;
  std::shared_ptr<response> res_;  // kept alive until the write completes
  api& routes_;
  session_options opt_;
  std::string method_, path_, who_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace reglament::http
