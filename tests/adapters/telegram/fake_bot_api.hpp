// Runs tests/adapters/telegram/fake_bot_api.py as a child process on 127.0.0.1 (port 0)
// and talks to its /control endpoints with libcurl: queue updates, press a sent
// message's button, serve a file, make the next calls fail, read what it received.
// One instance per test; not thread-safe; the server is killed on destruction.
#pragma once

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

namespace reglament::testing {

class fake_bot_api {
 public:
  // A token in the shape @BotFather gives, for tests that need no particular one.
  static constexpr const char* test_token = "7000001:AAHfake-token_for_tests";

  explicit fake_bot_api(const std::string& token) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      ::close(fds[1]);
      const std::string script = REGLAMENT_SOURCE_DIR "/tests/adapters/telegram/fake_bot_api.py";
      // Debian's interpreter first: a version manager's shim on PATH costs seconds a start.
      ::execl("/usr/bin/python3", "python3", script.c_str(), "--token", token.c_str(), static_cast<char*>(nullptr));
      ::execlp("python3", "python3", script.c_str(), "--token", token.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    std::string line;
    char c;
    while (::read(fds[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(fds[0]);
    if (line.empty()) throw std::runtime_error("fake_bot_api.py did not start (is python3 installed?)");
    port_ = static_cast<unsigned short>(std::stoi(line));
  }
  ~fake_bot_api() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  fake_bot_api(const fake_bot_api&) = delete;
  fake_bot_api& operator=(const fake_bot_api&) = delete;

  unsigned short port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  nlohmann::json update(const nlohmann::json& u) { return post("update", u); }
  nlohmann::json press(const nlohmann::json& p) { return post("press", p); }
  void file(const nlohmann::json& f) { post("file", f); }
  void fail(const std::string& method, int status, int times = 1, int retry_after = 0,
            const std::string& description = "Internal Server Error", int after = 0) {
    nlohmann::json f{{"method", method}, {"status", status}, {"times", times}, {"description", description}, {"after", after}};
    if (retry_after) f["retry_after"] = retry_after;
    post("fail", f);
  }
  nlohmann::json calls() { return get("calls"); }
  nlohmann::json calls(const std::string& method) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : calls())
      if (c["method"] == method) out.push_back(c);
    return out;
  }
  nlohmann::json state() { return get("state"); }

  // Polls `pred` every 20 ms until it holds; false after `limit` (a generous bound that
  // only ends a hung test, never a timing assertion).
  static bool wait_for(const std::function<bool()>& pred, std::chrono::seconds limit = std::chrono::seconds(60)) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return pred();
  }

  // A text message in a private chat, in the Bot API's Message shape.
  static nlohmann::json text_message(long long user, const std::string& text, long long message_id,
                                     const std::string& first = "Анна", const std::string& last = "Петрова") {
    return {{"message",
             {{"message_id", message_id},
              {"from", {{"id", user}, {"is_bot", false}, {"first_name", first}, {"last_name", last}, {"language_code", "ru"}}},
              {"chat", {{"id", user}, {"first_name", first}, {"last_name", last}, {"type", "private"}}},
              {"date", 1795000000 + message_id},
              {"text", text}}}};
  }

 private:
  static std::size_t on_data(char* d, std::size_t s, std::size_t n, void* out) {
    static_cast<std::string*>(out)->append(d, s * n);
    return s * n;
  }
  nlohmann::json exchange(const std::string& what, const std::string* body) {
    CURL* c = curl_easy_init();
    std::string url = this->url() + "/control/" + what, answer;
    curl_slist* h = curl_slist_append(nullptr, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    if (body) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->c_str());
    const CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK || status != 200)
      throw std::runtime_error("fake bot api /control/" + what + " failed: " + answer);
    return nlohmann::json::parse(answer);
  }
  nlohmann::json post(const std::string& what, const nlohmann::json& body) {
    const std::string s = body.dump();
    return exchange(what, &s);
  }
  nlohmann::json get(const std::string& what) { return exchange(what, nullptr); }

  pid_t pid_ = -1;
  unsigned short port_ = 0;
};

}  // namespace reglament::testing
