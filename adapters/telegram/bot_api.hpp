// A blocking client for the Telegram Bot API over HTTPS (libcurl): one method call is
// one POST of a JSON body to <api_url>/bot<token>/<method>, and files come from
// <api_url>/file/bot<token>/<file_path>. Safe to share between threads (each call uses
// its own curl handle). It never logs; every text it returns has the token redacted.
// Not a bot: it knows nothing of updates, offsets or the outbox.
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace reglament::telegram {

// One answer of the Bot API (or the lack of one).
struct api_reply {
  bool ok = false;
  int http_status = 0;      // 0: no HTTP answer (connection refused, timeout, cancelled)
  int error_code = 0;       // the Bot API's error_code when ok is false
  std::string description;  // the Bot API's description, or what went wrong on our side
  int retry_after = 0;      // parameters.retry_after (seconds) of a 429
  nlohmann::json result;    // `result` when ok

  // Worth trying again later: no answer, 429, 5xx, or a body that is not the API's JSON.
  bool transient() const { return !ok && (http_status == 0 || http_status == 429 || http_status >= 500 || error_code == 0); }
  // "sendMessage: 403 Forbidden: bot was blocked by the user" style text for logs.
  std::string summary(const std::string& method) const;
};

struct download_reply {
  bool ok = false;
  bool too_big = false;     // stopped at the size limit: `bytes` is incomplete
  int http_status = 0;
  std::string bytes;
  std::string error;        // token redacted
};

class bot_api {
 public:
  // `api_url` without a trailing slash is fine either way ("https://api.telegram.org").
  bot_api(std::string api_url, std::string token);

  // Calls `method` with `params` (a JSON object). `timeout` bounds the whole exchange
  // (give getUpdates its long-poll timeout plus a margin). `cancel` (may be null) aborts
  // the call soon after it becomes true; the reply then has http_status 0.
  api_reply call(const std::string& method, const nlohmann::json& params, std::chrono::seconds timeout,
                 const std::atomic<bool>* cancel = nullptr) const;

  // Downloads a file by the file_path getFile gave, reading at most `max_bytes`.
  download_reply download(const std::string& file_path, std::uint64_t max_bytes, std::chrono::seconds timeout,
                          const std::atomic<bool>* cancel = nullptr) const;

  // `text` with every occurrence of the token replaced by "<token>".
  std::string redact(std::string text) const;
  const std::string& api_url() const { return api_url_; }

 private:
  std::string api_url_;
  std::string token_;
};

}  // namespace reglament::telegram
