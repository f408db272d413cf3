#include "adapters/http/http_session.hpp"

#include "adapters/http/event_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

namespace reglament::http {

namespace beast = boost::beast;
namespace net = boost::asio;

namespace {

// The target for the request log: values of query parameters that may carry a secret
// are masked (no endpoint takes one there, but a client may still send it).
std::string loggable_target(std::string_view target) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return std::string(target);
  std::string out(target.substr(0, q + 1));
  std::string_view rest = target.substr(q + 1);
  for (bool first = true;; first = false) {
    auto amp = rest.find('&');
    auto part = rest.substr(0, amp);
    if (!first) out += '&';
    auto eq = part.find('=');
    std::string key;
    for (char ch : part.substr(0, eq)) key += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    bool secret = false;
    for (auto word : {"pass", "token", "secret", "key", "csrf", "session"})
      secret = secret || key.find(word) != std::string::npos;
    if (secret && eq != std::string_view::npos)
      out += std::string(part.substr(0, eq)) + "=***";
    else
      out += part;
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return out;
}

}  // namespace

http_session::http_session(net::ip::tcp::socket&& socket, api& routes, const session_options& opt)
    : stream_(std::move(socket)), routes_(routes), opt_(opt) {}

void http_session::run() {
  // The socket was accepted on its own strand; start there.
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->do_read(); });
}

void http_session::do_read() {
  parser_.emplace();
  parser_->body_limit(opt_.body_limit);
  stream_.expires_after(opt_.read_timeout);
  beast_http::async_read(stream_, buffer_, *parser_,
                         beast::bind_front_handler(&http_session::on_read, shared_from_this()));
}

void http_session::on_read(beast::error_code ec, std::size_t) {
  if (ec == beast_http::error::end_of_stream) return do_close();
  if (ec == beast_http::error::body_limit) {
    // Answer before closing: the rest of the body is never read.
    started_ = std::chrono::steady_clock::now();
    const auto& h = parser_->get();
    method_ = std::string(h.method_string());
    path_ = loggable_target(std::string_view(h.target().data(), h.target().size()));
    who_.clear();
    auto res = json_error(h.version(), false, beast_http::status::payload_too_large, "too_large",
                          "request body exceeds " + std::to_string(opt_.body_limit) + " bytes");
    return on_reply(reply{std::move(res), 0});
  }
  if (ec == beast::error::timeout) return do_close();
  if (ec) return fail(ec, "read");

  started_ = std::chrono::steady_clock::now();
  auto req = parser_->release();
  method_ = std::string(req.method_string());
  path_ = loggable_target(std::string_view(req.target().data(), req.target().size()));
  stream_.expires_never();  // a write may wait for the group commit; no read is pending
  // Every request passes the gate first: who sent it, and may they (default deny).
  beast::error_code peer_ec;
  auto peer = stream_.socket().remote_endpoint(peer_ec);
  auto admission = routes_.admit(req, peer_ec ? std::string("unknown") : peer.address().to_string());
  who_ = admission.who.actor();
  if (admission.refusal) return on_reply(reply{std::move(*admission.refusal), 0});
  // Then the channels' own pages and sockets (the website chat), then the api.
  if (beast::websocket::is_upgrade(req)) {
    std::optional<response> answer;
    for (const auto& service : opt_.web) {
      answer = service->upgrade(req, stream_);
      if (!answer) {
        // The connection belongs to the WebSocket session now.
        if (opt_.on_request) {
          request_log log;
          log.method = method_;
          log.path = path_;
          log.who = who_;
          log.status = 101;
          opt_.on_request(log);
        }
        return;
      }
      if (answer->result() != beast_http::status::not_found) break;
    }
    if (!answer)
      answer = json_error(req.version(), false, beast_http::status::not_found, "not_found",
                          "no WebSocket service at " + path_);
    return on_reply(reply{std::move(*answer), 0});
  }
  for (const auto& service : opt_.web)
    if (auto res = service->serve(req)) return on_reply(reply{std::move(*res), 0});
  routes_.handle(std::move(req), admission.who, [self = shared_from_this()](reply r) {
    // May run on the writer's thread: come back to this connection's strand.
    net::post(self->stream_.get_executor(),
              [self, r = std::move(r)]() mutable { self->on_reply(std::move(r)); });
  });
}

void http_session::on_reply(reply r) {
  if (opt_.on_request) {
    request_log log;
    log.method = method_;
    log.path = path_;
    log.who = who_;
    log.status = static_cast<int>(r.res.result_int());
    log.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
    log.id = r.id;
    opt_.on_request(log);
  }
  if (r.events) {
    // The connection becomes an event stream; this session ends here.
    std::make_shared<event_session>(std::move(stream_), std::move(r.events), r.res.version())->run();
    return;
  }
  do_write(std::move(r.res));
}

void http_session::do_write(response res) {
  res_ = std::make_shared<response>(std::move(res));
  const bool close = res_->need_eof();
  stream_.expires_after(opt_.write_timeout);
  beast_http::async_write(stream_, *res_,
                          beast::bind_front_handler(&http_session::on_write, shared_from_this(), close));
}

void http_session::on_write(bool close, beast::error_code ec, std::size_t) {
  if (ec) return fail(ec, "write");
  res_.reset();
  if (close) return do_close();
  do_read();
}

void http_session::do_close() {
  beast::error_code ec;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
}

void http_session::fail(beast::error_code ec, const char* what) {
  // operation_aborted: the server is stopping; a reset peer is routine. Neither is news.
  if (ec == net::error::operation_aborted || ec == net::error::connection_reset ||
      ec == beast::error::timeout)
    return;
  if (opt_.on_error) opt_.on_error(what, ec.message());
}

}  // namespace reglament::http
