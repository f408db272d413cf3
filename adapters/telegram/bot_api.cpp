#include "adapters/telegram/bot_api.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <memory>
#include <mutex>

namespace reglament::telegram {
namespace {

using json = nlohmann::json;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct easy_deleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct slist_deleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

struct sink_state {
  std::string* out;
  std::uint64_t limit;
  bool too_big = false;
};

std::size_t on_data(char* data, std::size_t size, std::size_t n, void* user) {
  auto* s = static_cast<sink_state*>(user);
  const std::size_t len = size * n;
  if (s->out->size() + len > s->limit) {
    s->too_big = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  s->out->append(data, len);
  return len;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancel = static_cast<const std::atomic<bool>*>(user);
  return cancel && cancel->load() ? 1 : 0;
}

// Runs one transfer; returns the curl code and fills `status`.
CURLcode perform(const std::string& url, const std::string* body, sink_state& sink, std::chrono::seconds timeout,
                 const std::atomic<bool>* cancel, long& status) {
  global_init();
  std::unique_ptr<CURL, easy_deleter> h(curl_easy_init());
  if (!h) return CURLE_FAILED_INIT;
  std::unique_ptr<curl_slist, slist_deleter> headers;
  CURL* c = h.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(cancel));
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_USERAGENT, "reglamentd");
  if (body) {
    headers.reset(curl_slist_append(nullptr, "Content-Type: application/json"));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
  }
  const CURLcode rc = curl_easy_perform(c);
  status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  return rc;
}

std::string trimmed_base(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

std::string api_reply::summary(const std::string& method) const {
  if (ok) return method + ": ok";
  if (http_status == 0) return fmt::format("{}: no answer: {}", method, description);
  return fmt::format("{}: {} {}", method, error_code ? error_code : http_status, description);
}

bot_api::bot_api(std::string api_url, std::string token)
    : api_url_(trimmed_base(std::move(api_url))), token_(std::move(token)) {}

std::string bot_api::redact(std::string text) const {
  if (token_.empty()) return text;
  for (auto pos = text.find(token_); pos != std::string::npos; pos = text.find(token_, pos))
    text.replace(pos, token_.size(), "<token>");
  return text;
}

api_reply bot_api::call(const std::string& method, const json& params, std::chrono::seconds timeout,
                        const std::atomic<bool>* cancel) const {
  api_reply r;
  const std::string url = fmt::format("{}/bot{}/{}", api_url_, token_, method);
  const std::string body = params.is_null() ? "{}" : params.dump();
  std::string answer;
  sink_state sink{&answer, 64u * 1024 * 1024};
  long status = 0;
  const CURLcode rc = perform(url, &body, sink, timeout, cancel, status);
  if (rc != CURLE_OK) {
    r.http_status = 0;
    r.description = redact(cancel && cancel->load() ? "cancelled" : curl_easy_strerror(rc));
    return r;
  }
  r.http_status = static_cast<int>(status);
  json j = json::parse(answer, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("ok") || !j["ok"].is_boolean()) {
    // A proxy's HTML error page or a truncated body: not the API speaking.
    r.description = redact(fmt::format("HTTP {}: the answer is not Bot API JSON: {}", status, answer.substr(0, 200)));
    return r;
  }
  r.ok = j["ok"].get<bool>();
  if (r.ok) {
    r.result = j.value("result", json());
    return r;
  }
  r.error_code = j.value("error_code", static_cast<int>(status));
  r.description = redact(j.value("description", std::string("(no description)")));
  if (auto p = j.find("parameters"); p != j.end() && p->is_object())
    if (auto ra = p->find("retry_after"); ra != p->end() && ra->is_number_integer()) r.retry_after = ra->get<int>();
  if (r.error_code == 429 && r.retry_after <= 0) r.retry_after = 1;
  return r;
}

download_reply bot_api::download(const std::string& file_path, std::uint64_t max_bytes, std::chrono::seconds timeout,
                                 const std::atomic<bool>* cancel) const {
  download_reply r;
  const std::string url = fmt::format("{}/file/bot{}/{}", api_url_, token_, file_path);
  sink_state sink{&r.bytes, max_bytes};
  long status = 0;
  const CURLcode rc = perform(url, nullptr, sink, timeout, cancel, status);
  r.http_status = static_cast<int>(status);
  if (sink.too_big) {
    r.too_big = true;
    r.error = fmt::format("the file is larger than {} bytes", max_bytes);
    return r;
  }
  if (rc != CURLE_OK) {
    r.error = redact(fmt::format("download of {} failed: {}", file_path, curl_easy_strerror(rc)));
    return r;
  }
  if (status != 200) {
    r.error = redact(fmt::format("download of {} failed: HTTP {}", file_path, status));
    return r;
  }
  r.ok = true;
  return r;
}

}  // namespace reglament::telegram
