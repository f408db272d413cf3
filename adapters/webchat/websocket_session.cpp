#include "adapters/webchat/websocket_session.hpp"

#include "adapters/webchat/visitor_token.hpp"

#include <boost/asio/dispatch.hpp>
#include <fmt/format.h>

#include <algorithm>

namespace reglament::webchat {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace websocket = beast::websocket;

namespace {
constexpr std::size_t max_queued_before_pause = 16;  // frames; then pumping waits for the socket
constexpr int entries_per_pump = 64;
}  // namespace

websocket_session::websocket_session(net::ip::tcp::socket&& socket, std::shared_ptr<shared_state> state,
                                     std::string peer_address, bool counted)
    : ws_(std::move(socket)),
      state_(std::move(state)),
      peer_(std::move(peer_address)),
      counted_(counted),
      hello_timer_(ws_.get_executor()) {}

websocket_session::~websocket_session() {
  if (!visitor_.empty()) state_->leave(visitor_, this);
  if (counted_) state_->disconnect();
}

void websocket_session::run(upgrade_request req) {
  // The websocket stream keeps its own timeouts (handshake, idle pings).
  beast::get_lowest_layer(ws_).expires_never();
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(beast::http::field::server, "reglamentd"); }));
  // Room for a text at the limit written as JSON escapes; a larger frame is cut off by
  // Beast (close code 1009), a smaller one over the limit gets a clear "too_large".
  ws_.read_message_max(state_->lim().max_text_bytes * 6 + 1024);
  ws_.async_accept(req, beast::bind_front_handler(&websocket_session::on_accept, shared_from_this()));
}

void websocket_session::on_accept(beast::error_code ec) {
  if (ec) return fail(ec, "accept");
  if (!counted_)
    return refuse("too_many_connections", "the chat has too many open connections; try again in a minute",
                  websocket::close_code::try_again_later, 60);
  hello_timer_.expires_after(state_->lim().hello_timeout);
  hello_timer_.async_wait([self = shared_from_this()](beast::error_code e) {
    if (e || !self->visitor_.empty() || self->closing_) return;
    self->refuse("hello_timeout", "no hello frame arrived in time", websocket::close_code::policy_error);
  });
  do_read();
}

void websocket_session::do_read() {
  ws_.async_read(buffer_, beast::bind_front_handler(&websocket_session::on_read, shared_from_this()));
}

void websocket_session::on_read(beast::error_code ec, std::size_t) {
  if (ec) return fail(ec, "read");
  if (closing_) return;
  if (!ws_.got_text()) {
    buffer_.consume(buffer_.size());
    queue(error_json("bad_frame", "frames must be text (JSON)"));
    return do_read();
  }
  const auto frame = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  auto parsed = parse_client_frame(frame, state_->lim().max_text_bytes);
  if (auto* e = std::get_if<protocol_error>(&parsed)) {
    if (visitor_.empty())
      return refuse(e->code, e->message + " (the first frame must be a hello)", websocket::close_code::policy_error);
    const bool too_large = e->code == "too_large";
    queue(error_json(e->code, e->message, e->id, 0, too_large ? state_->lim().max_text_bytes : 0));
  } else if (auto* h = std::get_if<hello_frame>(&parsed)) {
    on_hello(*h);
  } else {
    on_message(std::get<message_frame>(parsed));
  }
  if (!closing_) do_read();
}

void websocket_session::on_hello(const hello_frame& h) {
  if (!visitor_.empty()) {
    queue(error_json("bad_frame", "hello was already sent on this connection"));
    return;
  }
  const auto& firm = state_->firm();
  if (!firm.empty() && h.firm != firm)
    return refuse("wrong_firm", fmt::format("this chat serves data-firm=\"{}\", not \"{}\"", firm, h.firm),
                  websocket::close_code::policy_error);
  auto& store = state_->store();
  const auto now = state_->clk().now();
  std::string visitor, token;
  try {
    if (h.token) {
      if (!well_formed_token(*h.token))
        return refuse("bad_token", "the token is not one this chat issues (43 characters of A-Z a-z 0-9 - _)",
                      websocket::close_code::policy_error);
      auto found = store.visitor_by_token(token_hash(*h.token), now);
      if (!found)
        return refuse("unknown_token", "no conversation has this token; start a new one by saying hello without a token",
                      websocket::close_code::policy_error);
      visitor = *found;
    } else {
      if (int wait = state_->take_new_visitor(peer_))
        return refuse("too_many_visitors",
                      fmt::format("too many new conversations from {}; try again in {} s", peer_, wait),
                      websocket::close_code::try_again_later, wait);
      for (int attempt = 0; attempt < 4 && visitor.empty(); ++attempt) {
        auto id = new_visitor_id();
        auto t = new_token();
        if (store.create_visitor(id, token_hash(t), h.lang, now)) {
          visitor = id;
          token = t;
        }
      }
      if (visitor.empty()) {
        state_->error("webchat hello", "could not draw a fresh visitor id in 4 attempts");
        return refuse("unavailable", "the chat cannot start a conversation now; try again later",
                      websocket::close_code::try_again_later, 5);
      }
    }
  } catch (const std::exception& e) {
    state_->error("webchat hello", e.what());
    return refuse("unavailable", "the chat's store cannot be used now; try again later",
                  websocket::close_code::try_again_later, 5);
  }
  if (!state_->join(visitor, shared_from_this()))
    return refuse("too_many_connections",
                  fmt::format("this conversation is open in {} windows already; close one",
                              state_->lim().max_connections_per_visitor),
                  websocket::close_code::try_again_later, 10);
  visitor_ = visitor;
  hello_timer_.cancel();
  welcome_info w;
  w.visitor = visitor;
  w.token = token;
  try {
    w.last_seq = store.last_seq(visitor);
  } catch (const std::exception& e) {
    state_->error("webchat hello", e.what());
  }
  w.firm_name = state_->firm_name(h.lang);
  w.text_bytes = state_->lim().max_text_bytes;
  w.messages_per_minute = state_->lim().messages_per_minute;
  sent_up_to_ = std::min(h.after, w.last_seq);
  queue(welcome_json(w));
  pump();
}

void websocket_session::on_message(const message_frame& m) {
  if (visitor_.empty())
    return refuse("hello_first", "say hello before sending messages", websocket::close_code::policy_error);
  if (int wait = state_->take_message(visitor_)) {
    queue(error_json("rate_limited",
                     fmt::format("too many messages: at most {} a minute; try again in {} s",
                                 state_->lim().messages_per_minute, wait),
                     m.id, wait));
    return;
  }
  added_entry added;
  try {
    added = state_->store().add_visitor_message(visitor_, m.id, m.text, state_->clk().now());
  } catch (const std::exception& e) {
    state_->error("webchat keep message", e.what());
    queue(error_json("unavailable", "the message could not be saved; send it again later", m.id, 5));
    return;
  }
  if (!added.fresh) {
    // A resend after a reconnect: the conversation has it already.
    queue(ack_json(m.id, added.seq));
    return;
  }
  state_->submit(pending_message{visitor_, added.seq, m.text, m.id});
  state_->notify(visitor_);
}

void websocket_session::pump() {
  if (visitor_.empty() || closing_) return;
  if (queue_.size() >= max_queued_before_pause) {
    more_to_pump_ = true;
    return;
  }
  std::vector<conversation_entry> entries;
  try {
    entries = state_->store().entries_after(visitor_, sent_up_to_, entries_per_pump);
  } catch (const std::exception& e) {
    state_->error("webchat read conversation", e.what());
    return;
  }
  more_to_pump_ = entries.size() == static_cast<std::size_t>(entries_per_pump);
  for (const auto& e : entries) {
    sent_up_to_ = e.seq;
    queue(message_json(e));
  }
}

void websocket_session::send(std::string frame) {
  if (closing_) return;
  queue(std::move(frame));
}

void websocket_session::refuse(const std::string& error_code, const std::string& message,
                               websocket::close_code code, int retry_after) {
  if (closing_) return;
  queue(error_json(error_code, message, {}, retry_after));
  closing_ = true;
  close_reason_ = websocket::close_reason(code, error_code);
  hello_timer_.cancel();
}

void websocket_session::queue(std::string frame) {
  queue_.push_back(std::move(frame));
  if (!writing_) do_write();
}

void websocket_session::do_write() {
  writing_ = true;
  ws_.text(true);
  ws_.async_write(net::buffer(queue_.front()),
                  beast::bind_front_handler(&websocket_session::on_write, shared_from_this()));
}

void websocket_session::on_write(beast::error_code ec, std::size_t) {
  if (ec) {
    writing_ = false;
    return fail(ec, "write");
  }
  queue_.pop_front();
  if (!queue_.empty()) return do_write();
  writing_ = false;
  if (closing_) return do_close();
  if (more_to_pump_) pump();
}

void websocket_session::do_close() {
  if (!close_reason_) return;
  auto reason = *close_reason_;
  close_reason_.reset();
  ws_.async_close(reason, [self = shared_from_this()](beast::error_code ec) {
    if (ec) self->fail(ec, "close");
  });
}

void websocket_session::fail(beast::error_code ec, const char* what) {
  // Routine ends of a connection: the visitor left, the server stops, a peer went away.
  if (ec == net::error::operation_aborted || ec == websocket::error::closed || ec == beast::error::timeout ||
      ec == net::error::connection_reset || ec == net::error::eof || ec == net::error::broken_pipe ||
      ec == websocket::error::message_too_big)
    return;
  state_->error(std::string("webchat ") + what, ec.message());
}

}  // namespace reglament::webchat
