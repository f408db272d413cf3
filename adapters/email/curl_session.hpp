// The libcurl options IMAP and SMTP share: TLS (STARTTLS required on a plain-scheme URL
// when asked; imaps:// and smtps:// are TLS from the start), the CA bundle, the login and
// the time limits. Internal to the email adapter.
#pragma once

#include <curl/curl.h>

#include <string>

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

}  // namespace reglament::email
