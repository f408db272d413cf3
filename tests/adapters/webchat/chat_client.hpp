// A website chat visitor for tests: a Beast WebSocket client on 127.0.0.1 that sends and
// reads the chat's JSON frames. Every read has a deadline (20 s by default) so a broken
// daemon fails the test instead of hanging it; no test asserts on time. Not thread-safe.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace reglament::testing {

class chat_client {
 public:
  explicit chat_client(unsigned short port, const std::string& path = "/chat/ws") : ws_(ioc_) {
    using boost::asio::ip::tcp;
    boost::beast::get_lowest_layer(ws_).connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    ws_.handshake("127.0.0.1:" + std::to_string(port), path);
  }

  void send(const nlohmann::json& frame) { send_text(frame.dump()); }
  void send_text(const std::string& text) {
    ws_.text(true);
    ws_.write(boost::asio::buffer(text));
  }

  // The next frame; throws when none comes in time or the connection closed.
  nlohmann::json read(std::chrono::seconds limit = std::chrono::seconds(20)) {
    auto f = try_read(limit);
    if (!f) throw std::runtime_error("chat: no frame (the connection closed: " + close_text() + ")");
    return *f;
  }
  // nullopt when the daemon closed the connection (close_code() says how).
  std::optional<nlohmann::json> try_read(std::chrono::seconds limit = std::chrono::seconds(20)) {
    boost::beast::flat_buffer buf;
    boost::beast::error_code ec;
    bool done = false;
    ws_.async_read(buf, [&](boost::beast::error_code e, std::size_t) {
      ec = e;
      done = true;
    });
    ioc_.restart();
    ioc_.run_for(limit);
    if (!done) throw std::runtime_error("chat: no frame within the deadline");
    if (ec) {
      closed_ = true;
      return std::nullopt;
    }
    return nlohmann::json::parse(boost::beast::buffers_to_string(buf.data()));
  }
  // Frames until one satisfies `pred` (returned); the others are appended to `skipped`.
  template <class Pred>
  nlohmann::json read_until(Pred pred, std::vector<nlohmann::json>* skipped = nullptr) {
    for (int i = 0; i < 200; ++i) {
      auto f = read();
      if (pred(f)) return f;
      if (skipped) skipped->push_back(f);
    }
    throw std::runtime_error("chat: 200 frames and not the one expected");
  }

  int close_code() const { return static_cast<int>(ws_.reason().code); }
  std::string close_text() const {
    return std::to_string(static_cast<int>(ws_.reason().code)) + " " + std::string(ws_.reason().reason.c_str());
  }
  void close() {
    boost::beast::error_code ec;
    ws_.close(boost::beast::websocket::close_code::normal, ec);
  }

 private:
  boost::asio::io_context ioc_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  bool closed_ = false;
};

}  // namespace reglament::testing
