// Accepts TCP connections on one address and starts an http_session for each, on its
// own strand. Owned by shared_ptr through its pending accept; stop() closes the
// acceptor so no new connections start (sessions in progress finish). Not thread-safe
// to stop() from outside the io_context except via post.
#pragma once

#include "adapters/http/http_session.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <memory>

namespace reglament::http {

class listener : public std::enable_shared_from_this<listener> {
 public:
  // Binds and listens at once; throws boost::system::system_error naming the address.
  listener(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& at, api& routes,
           session_options opt);

  void run();
  void stop();
  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  void do_accept();
  void on_accept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  api& routes_;
  session_options opt_;
};

}  // namespace reglament::http
