#include "adapters/http/event_session.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace reglament::http {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace bhttp = boost::beast::http;

event_session::event_session(beast::tcp_stream&& stream, std::shared_ptr<event_hub> hub, unsigned version,
                             std::chrono::seconds ping)
    : stream_(std::move(stream)), hub_(std::move(hub)), ping_timer_(stream_.get_executor()), ping_(ping) {
  header_.version(version);
  header_.result(bhttp::status::ok);
  header_.set(bhttp::field::content_type, "text/event-stream; charset=utf-8");
  header_.set(bhttp::field::cache_control, "no-store");
  header_.set("X-Accel-Buffering", "no");
  header_.keep_alive(true);
  header_.chunked(true);
}

event_session::~event_session() {
  if (subscription_) hub_->unsubscribe(subscription_);
}

void event_session::run() {
  stream_.expires_never();
  // Frames published from any thread come to this connection's strand. A weak pointer:
  // the hub must not keep a closed stream alive.
  std::weak_ptr<event_session> weak = shared_from_this();
  auto ex = stream_.get_executor();
  subscription_ = hub_->subscribe([weak, ex](const event_hub::frame& f) {
    net::post(ex, [weak, f] {
      if (auto self = weak.lock()) self->push(f);
    });
  });
  // The first frame tells the browser it is connected (and how soon to retry).
  pending_.push_back(std::make_shared<const std::string>("retry: 2000\n: connected\n\n"));
  bhttp::async_write_header(stream_, serializer_,
                            beast::bind_front_handler(&event_session::on_header, shared_from_this()));
}

void event_session::on_header(beast::error_code ec, std::size_t) {
  if (ec) return close();
  open_ = true;
  do_read();
  schedule_ping();
  do_write();
}

void event_session::push(const event_hub::frame& f) {
  if (closed_) return;
  if (pending_.size() >= max_pending) return close();  // a reader this slow reloads anyway
  pending_.push_back(f);
  do_write();
}

void event_session::do_write() {
  if (!open_ || writing_ || closed_ || pending_.empty()) return;
  writing_ = true;
  net::async_write(stream_, bhttp::make_chunk(net::buffer(*pending_.front())),
                   beast::bind_front_handler(&event_session::on_write, shared_from_this()));
}

void event_session::on_write(beast::error_code ec, std::size_t) {
  writing_ = false;
  if (ec) return close();
  pending_.pop_front();
  do_write();
}

void event_session::do_read() {
  // The browser never sends anything more; a read completes only when it goes away.
  stream_.socket().async_read_some(net::buffer(read_buffer_),
                                   beast::bind_front_handler(&event_session::on_read, shared_from_this()));
}

void event_session::on_read(beast::error_code ec, std::size_t) {
  if (ec) return close();
  do_read();
}

void event_session::schedule_ping() {
  ping_timer_.expires_after(ping_);
  ping_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || self->closed_) return;
    self->push(std::make_shared<const std::string>(": ping\n\n"));
    self->schedule_ping();
  });
}

void event_session::close() {
  if (closed_) return;
  closed_ = true;
  if (subscription_) hub_->unsubscribe(subscription_);
  subscription_ = 0;
  ping_timer_.cancel();
  beast::error_code ec;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
  stream_.socket().close(ec);
}

}  // namespace reglament::http
