// The libcurl options IMAP and SMTP share: TLS (STARTTLS required on a plain-scheme URL
// when asked; imaps:// and smtps:// are TLS from the start), the CA bundle, the login and
// the time limits. Internal to the email adapter.
#pragma once

#include <curl/curl.h>

#include <cctype>
#include <string>
#include <string_view>

namespace reglament::email {

struct curl_login {
  std::string plain_scheme;  // "imap://" or "smtp://": the scheme STARTTLS applies to
  bool starttls = false;
  std::string username;  // empty: no login
  std::string password;
  std::string ca_file;
  int timeout_seconds = 60;
  int transfer_factor = 3;  // the whole transfer may take this many timeouts
};

inline void set_connection_options(CURL* c, const std::string& url, const curl_login& l, char* errbuf) {
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (url.rfind(l.plain_scheme, 0) == 0 && l.starttls) curl_easy_setopt(c, CURLOPT_USE_SSL, CURLUSESSL_ALL);
  if (!l.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, l.ca_file.c_str());
  if (!l.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, l.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, l.password.c_str());
  }
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(l.timeout_seconds));
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(l.timeout_seconds * l.transfer_factor));
}

// The server's last reply line, kept from libcurl's protocol trace, so that an error says
// what the server answered ("NO [AUTHENTICATIONFAILED] Authentication failed.", "554 5.7.1
// Rejected") and not only libcurl's summary ("Login denied", "Quote command returned
// error"). Only incoming lines are read: the outgoing ones carry the password.
class server_reply {
 public:
  // Turns the trace on for the next transfer on `c`; `*this` must outlive it.
  void attach(CURL* c) {
    last_.clear();
    curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, &server_reply::trace);
    curl_easy_setopt(c, CURLOPT_DEBUGDATA, this);
    curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
  }
  // ` (the server: "…")` to append to an error, or nothing if the server said nothing.
  std::string suffix() const { return last_.empty() ? std::string() : " (the server: \"" + last_ + "\")"; }
  const std::string& last() const { return last_; }

 private:
  static int trace(CURL*, curl_infotype type, char* data, std::size_t size, void* self) {
    if (type == CURLINFO_HEADER_IN) static_cast<server_reply*>(self)->take({data, size});
    return 0;
  }
  // Keeps refusals only: after one, libcurl still says goodbye ("221 Bye", "OK Logout").
  void take(std::string_view text) {
    while (!text.empty()) {
      const auto end = text.find('\n');
      auto line = text.substr(0, end);
      text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
      if (!refusal(line)) continue;
      // Replies are ASCII by protocol; anything else must not reach the JSON status as bytes.
      last_.clear();
      for (char ch : line.substr(0, 300)) last_ += (ch >= 0x20 && ch < 0x7f) ? ch : '?';
    }
  }
  // An SMTP 4xx/5xx reply, or an IMAP NO/BAD (its tag dropped: "A003 NO …" -> "NO …").
  static bool refusal(std::string_view& line) {
    if (line.size() >= 3 && (line[0] == '4' || line[0] == '5') && std::isdigit(static_cast<unsigned char>(line[1])) &&
        std::isdigit(static_cast<unsigned char>(line[2])))
      return true;
    const auto space = line.find(' ');
    if (space == std::string_view::npos) return false;
    const auto rest = line.substr(space + 1);
    if (rest.rfind("NO ", 0) != 0 && rest.rfind("BAD ", 0) != 0) return false;
    line = rest;
    return true;
  }
  std::string last_;
};

}  // namespace reglament::email
