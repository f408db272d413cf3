// Test helpers for the daemon's integration tests: runs the real reglamentd binary as a
// child process on 127.0.0.1 port 0 with its own data dir, and a tiny blocking HTTP
// client (Boost.Beast, one keep-alive connection, reconnects on error). Not thread-safe:
// one client per thread. Every daemon started here grants test_owner_token as an owner
// API token (--bootstrap-token-file), and http_client sends it unless told otherwise.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cctype>
#include <chrono>
#include <csignal>
#include <map>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace reglament::testing {

// The owner API token of every test daemon (each has its own data dir and database).
inline const std::string test_owner_token = "rgl_test-owner-token-0123456789abcdefghijklmnop";

inline std::string temp_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() /
           ("reglament-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d.string();
}

class daemon_process {
 public:
  // Starts REGLAMENTD_BINARY with `args` plus --listen/--data-dir/--print-port-file, and
  // waits (up to 20 s) for the port file. Throws if it exits first.
  daemon_process(const std::string& data_dir, std::vector<std::string> args) : data_dir_(data_dir) {
    std::filesystem::create_directories(data_dir);  // the child's log goes there from the start
    port_file_ = data_dir + "/port";
    log_file_ = data_dir + "/reglamentd.log";
    std::filesystem::remove(port_file_);
    const std::string token_file = data_dir + "/bootstrap-token";
    std::ofstream(token_file) << test_owner_token << '\n';
    args.insert(args.begin(), {REGLAMENTD_BINARY, "--listen", "127.0.0.1:0", "--data-dir", data_dir,
                               "--print-port-file", port_file_, "--bootstrap-token-file", token_file});
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      FILE* log = std::fopen(log_file_.c_str(), "a");
      if (log) {
        ::dup2(fileno(log), 1);
        ::dup2(fileno(log), 2);
      }
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    for (int i = 0; i < 2000; ++i) {
      std::ifstream in(port_file_);
      if (in >> port_) return;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("reglamentd exited at start-up; log:\n" + log());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error("reglamentd did not write its port file; log:\n" + log());
  }
  ~daemon_process() {
    if (pid_ > 0) kill(SIGKILL);
  }

  unsigned short port() const { return port_; }
  // Sends `sig` and waits for the exit; returns the exit status (or 128+signal).
  int kill(int sig) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::string log() const {
    std::ifstream in(log_file_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  std::string data_dir_, port_file_, log_file_;
  pid_t pid_ = -1;
  unsigned short port_ = 0;
};

struct http_reply {
  int status = 0;  // 0: no answer (connection failed)
  std::string body;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string header(boost::beast::http::field f) const {
    std::string name(boost::beast::http::to_string(f));
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    auto it = headers.find(name);
    return it == headers.end() ? std::string{} : it->second;
  }
};

// Sends the owner test token by default (bearer("") for none). With cookies on, it keeps
// the session cookie a response sets (a browser's jar for one cookie) and sends it back.
class http_client {
 public:
  explicit http_client(unsigned short port, std::string bearer = test_owner_token)
      : port_(port), bearer_(std::move(bearer)) {}

  void bearer(std::string token) { bearer_ = std::move(token); }
  void use_cookies(bool on) { cookies_ = on; }
  void cookie(std::string name_value) { cookie_ = std::move(name_value); }
  const std::string& cookie() const { return cookie_; }
  // Extra headers for every request (e.g. X-CSRF-Token); an empty value removes one.
  void header(const std::string& name, const std::string& value) {
    if (value.empty())
      extra_.erase(name);
    else
      extra_.set(name, value);
  }

  http_reply request(boost::beast::http::verb method, const std::string& target,
                     const std::string& body = {}) {
    namespace http = boost::beast::http;
    for (int attempt = 0; attempt < 2; ++attempt) {
      try {
        if (!stream_) connect();
        http::request<http::string_body> req{method, target, 11};
        req.set(http::field::host, "127.0.0.1");
        req.keep_alive(true);
        if (!bearer_.empty()) req.set(http::field::authorization, "Bearer " + bearer_);
        if (!cookie_.empty()) req.set(http::field::cookie, cookie_);
        for (const auto& h : extra_) req.set(h.name_string(), h.value());
        if (!body.empty() || method == http::verb::post || method == http::verb::patch) {
          req.set(http::field::content_type, "application/json");
          req.body() = body;
          req.prepare_payload();
        }
        http::write(*stream_, req);
        http::response_parser<http::string_body> parser;
        parser.body_limit(std::numeric_limits<std::uint64_t>::max());
        http::read_header(*stream_, buffer_, parser);
        // An event stream never ends: its status and headers are the answer; the
        // connection is dropped.
        const bool stream_reply = parser.get()[http::field::content_type].starts_with("text/event-stream");
        if (!stream_reply) http::read(*stream_, buffer_, parser);
        auto res = parser.release();
        if (stream_reply || !res.keep_alive()) {
          stream_.reset();
          buffer_.clear();
        }
        http_reply out{static_cast<int>(res.result_int()), res.body(), {}};
        for (const auto& h : res) {
          std::string name(h.name_string());
          for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          out.headers[name] = std::string(h.value());
        }
        if (cookies_)
          if (auto it = res.find(http::field::set_cookie); it != res.end()) {
            std::string v(it->value());
            auto pair = v.substr(0, v.find(';'));
            const bool gone = v.find("Max-Age=0") != std::string::npos || pair.back() == '=';
            cookie_ = gone ? std::string{} : pair;
          }
        return out;
      } catch (const std::exception&) {
        stream_.reset();
        buffer_.clear();
        // A request sent on a connection the server had closed: try once on a new one.
        // A refused connection fails again at once and is reported as no answer.
      }
    }
    return {};
  }
  http_reply get(const std::string& target) { return request(boost::beast::http::verb::get, target); }
  http_reply post(const std::string& target, const std::string& body) {
    return request(boost::beast::http::verb::post, target, body);
  }
  http_reply patch(const std::string& target, const std::string& body) {
    return request(boost::beast::http::verb::patch, target, body);
  }
  http_reply del(const std::string& target) { return request(boost::beast::http::verb::delete_, target); }
  void retarget(unsigned short port) {
    port_ = port;
    stream_.reset();
  }

 private:
  void connect() {
    using boost::asio::ip::tcp;
    stream_.emplace(ioc_);
    stream_->expires_after(std::chrono::seconds(30));
    stream_->connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port_));
    stream_->expires_never();
  }

  unsigned short port_;
  std::string bearer_, cookie_;
  bool cookies_ = false;
  boost::beast::http::fields extra_;
  boost::asio::io_context ioc_;
  std::optional<boost::beast::tcp_stream> stream_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace reglament::testing
