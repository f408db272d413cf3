// A channel's own pages and WebSocket on the HTTP API's port (the website chat's widget,
// demo page and visitors' socket). The HTTP session asks each web service after the gate
// has admitted a request (docs/API.md, the authorization matrix) and before the api
// routes it. Implementations must be thread-safe: every IO thread calls in.
#pragma once

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <optional>

namespace reglament::http {

class web_service {
 public:
  using request = boost::beast::http::request<boost::beast::http::string_body>;
  using response = boost::beast::http::response<boost::beast::http::string_body>;

  virtual ~web_service() = default;
  // The response for a plain request the service owns; nullopt leaves it to the api.
  virtual std::optional<response> serve(const request& req) = 0;
  // A WebSocket upgrade request: nullopt when the service took the connection (the
  // stream is moved from and the HTTP session ends), else the response to send instead
  // (404 when the path is not the service's, so the next service or the api may answer).
  virtual std::optional<response> upgrade(request& req, boost::beast::tcp_stream& stream) = 0;
};

}  // namespace reglament::http
