#include "adapters/http/listener.hpp"

#include <boost/asio/strand.hpp>
#include <boost/system/system_error.hpp>

#include <fmt/format.h>

namespace reglament::http {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

listener::listener(net::io_context& ioc, const tcp::endpoint& at, api& routes, session_options opt)
    : ioc_(ioc), acceptor_(net::make_strand(ioc)), routes_(routes), opt_(std::move(opt)) {
  auto where = [&](const char* what, const beast::error_code& ec) {
    return boost::system::system_error(
        ec, fmt::format("http {} {}:{}", what, at.address().to_string(), at.port()));
  };
  beast::error_code ec;
  acceptor_.open(at.protocol(), ec);
  if (ec) throw where("open", ec);
  acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) throw where("set_option", ec);
  acceptor_.bind(at, ec);
  if (ec) throw where("bind", ec);
  acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw where("listen", ec);
}

void listener::run() { do_accept(); }

void listener::stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ec;
    self->acceptor_.close(ec);
  });
}

void listener::do_accept() {
  // Each connection gets its own strand.
  acceptor_.async_accept(net::make_strand(ioc_),
                         beast::bind_front_handler(&listener::on_accept, shared_from_this()));
}

void listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted) return;  // stopped
  if (!ec) std::make_shared<http_session>(std::move(socket), routes_, opt_)->run();
  // Any other accept error (EMFILE, ...) is transient: keep accepting.
  if (acceptor_.is_open()) do_accept();
}

}  // namespace reglament::http
