#include "adapters/email/smtp_channel.hpp"

#include "adapters/email/curl_session.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <chrono>
#include <cstring>

namespace reglament::email {
namespace {

struct upload {
  const std::string* data;
  std::size_t pos = 0;
};

std::size_t read_cb(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* u = static_cast<upload*>(user);
  const std::size_t len = std::min(size * n, u->data->size() - u->pos);
  std::memcpy(buf, u->data->data() + u->pos, len);
  u->pos += len;
  return len;
}

bool plausible_address(const std::string& a) {
  const auto at = a.find('@');
  return at != std::string::npos && at > 0 && at + 1 < a.size() && a.find_first_of(" <>\r\n,") == std::string::npos;
}

}  // namespace

smtp_channel::smtp_channel(smtp_settings s, const reglament::clock* clk, sent_book book)
    : settings_(std::move(s)), clock_(clk ? clk : &system_clock_), book_(std::move(book)) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  curl_ = curl_easy_init();
}

smtp_channel::~smtp_channel() {
  if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

reglament::delivery_status smtp_channel::deliver(const reglament::outbound_message& m) {
  if (!plausible_address(m.to))
    return {false, true, fmt::format("not an email address: \"{}\"", m.to)};
  // Accepted by the server before: its "sent" report was lost (a crash, a failed commit).
  if (book_.sent && book_.sent(m.idempotency_key)) return {true, false, {}};
  const auto now = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::seconds>(clock_->now()));
  const auto mail = compose(m, settings_.compose, now);

  std::lock_guard lock(mutex_);
  CURL* c = static_cast<CURL*>(curl_);
  if (!c) return {false, false, "libcurl could not be initialised"};
  curl_easy_reset(c);
  char errbuf[CURL_ERROR_SIZE] = {};
  upload body{&mail.raw};
  const auto from = "<" + settings_.compose.from_address + ">";
  const auto rcpt = "<" + m.to + ">";
  curl_slist* rcpts = curl_slist_append(nullptr, rcpt.c_str());
  set_connection_options(c, settings_.url,
                         {"smtp://", settings_.starttls, settings_.username, settings_.password, settings_.ca_file,
                          settings_.timeout_seconds, 3},
                         errbuf);
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
  curl_easy_setopt(c, CURLOPT_READDATA, &body);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(mail.raw.size()));
  server_reply reply;
  reply.attach(c);
  const CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(rcpts);
  if (rc == CURLE_OK) {
    if (book_.record) {
      try {
        book_.record(m.idempotency_key, m.to, mail.message_id);
      } catch (const std::exception&) {
        // The server has the message: reporting a failure would send it again. The
        // outbox's "sent" fact still keeps it from being offered in the normal case.
      }
    }
    return {true, false, {}};
  }

  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  const std::string what = (errbuf[0] ? errbuf : curl_easy_strerror(rc)) + reply.suffix();
  delivery_status st;
  st.error = code > 0 ? fmt::format("SMTP {} from {} sending to {}: {}", code, settings_.url, m.to, what)
                      : fmt::format("SMTP to {} failed sending to {}: {}", settings_.url, m.to, what);
  // 5xx: the server will not take this message (bad address, refused content): permanent.
  // A refused login (535) is a configuration problem: retried, not dead-lettered.
  st.permanent = code >= 500 && code < 600 && rc != CURLE_LOGIN_DENIED;
  return st;
}

}  // namespace reglament::email
