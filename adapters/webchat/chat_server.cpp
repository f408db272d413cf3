#include "adapters/webchat/chat_server.hpp"

#include "adapters/webchat/assets.hpp"
#include "adapters/webchat/visitor_token.hpp"
#include "adapters/webchat/websocket_session.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace reglament::webchat {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

chat_server::response make(const chat_server::request& req, http::status status, std::string_view type,
                           std::string body) {
  chat_server::response res{status, req.version()};
  res.set(http::field::content_type, beast::string_view(type.data(), type.size()));
  res.set(http::field::cache_control, "no-cache");
  res.set("X-Content-Type-Options", "nosniff");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

chat_server::response error(const chat_server::request& req, http::status status, const std::string& code,
                            const std::string& message) {
  nlohmann::json j{{"error", {{"code", code}, {"message", message}}}};
  return make(req, status, "application/json; charset=utf-8", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string_view path_of(const chat_server::request& req) {
  std::string_view target(req.target().data(), req.target().size());
  return target.substr(0, target.find('?'));
}

}  // namespace

chat_server::chat_server(server_options opt, const clock& clk,
                         std::function<std::string(const std::string&)> firm_name, shared_state::error_fn on_error)
    : opt_(std::move(opt)),
      store_((init_crypto(), opt_.db_path)),
      state_(std::make_shared<shared_state>(opt_.lim, opt_.firm, store_, clk, std::move(firm_name),
                                            std::move(on_error))),
      channel_(state_) {}

chat_server::~chat_server() { stop(); }

void chat_server::start(inbound_sink& sink) { state_->start(sink, answers_.get_executor()); }

void chat_server::stop() {
  state_->stop();
  answers_.join();
}

std::optional<chat_server::response> chat_server::serve(const request& req) {
  const auto path = path_of(req);
  if (path != "/chat" && path.rfind("/chat/", 0) != 0) return std::nullopt;
  if (path == "/chat/ws")
    return error(req, http::status::upgrade_required, "upgrade_required",
                 "/chat/ws is the website chat's WebSocket: connect with a WebSocket client");
  if (req.method() != http::verb::get) return error(req, http::status::method_not_allowed, "method_not_allowed", "use GET");
  if (path == "/chat/widget.js") return make(req, http::status::ok, "text/javascript; charset=utf-8", std::string(asset("widget.js")));
  if (path == "/chat/demo") {
    auto res = make(req, http::status::ok, "text/html; charset=utf-8", std::string(asset("demo.html")));
    // The page runs the widget and nothing else: no inline script, no other origin.
    res.set("Content-Security-Policy",
            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    res.set("Referrer-Policy", "no-referrer");
    return res;
  }
  return error(req, http::status::not_found, "not_found",
               fmt::format("no such page: {} (the chat serves /chat/widget.js, /chat/demo and /chat/ws)", path));
}

std::optional<chat_server::response> chat_server::upgrade(request& req, beast::tcp_stream& stream) {
  if (path_of(req) != "/chat/ws")
    return error(req, http::status::not_found, "not_found",
                 fmt::format("no WebSocket at {} (the website chat's is /chat/ws)", path_of(req)));
  if (!opt_.allowed_origins.empty()) {
    const std::string origin(req[http::field::origin]);
    if (std::find(opt_.allowed_origins.begin(), opt_.allowed_origins.end(), origin) == opt_.allowed_origins.end())
      return error(req, http::status::forbidden, "origin_refused",
                   fmt::format("pages from '{}' may not open the chat (see channels.webchat.allowed_origins)", origin));
  }
  boost::system::error_code ec;
  auto peer = stream.socket().remote_endpoint(ec);
  const std::string address = ec ? std::string("unknown") : peer.address().to_string();
  const bool counted = state_->connect();
  std::make_shared<websocket_session>(stream.release_socket(), state_, address, counted)->run(std::move(req));
  return std::nullopt;
}

}  // namespace reglament::webchat
