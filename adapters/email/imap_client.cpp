#include "adapters/email/imap_client.hpp"

#include "adapters/email/curl_session.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <regex>
#include <sstream>

namespace reglament::email {
namespace {

std::size_t write_cb(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

std::string quoted(const std::string& mailbox) {
  std::string q = "\"";
  for (char c : mailbox) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

}  // namespace

imap_client::imap_client(imap_settings s) : s_(std::move(s)) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  curl_ = curl_easy_init();
  if (!curl_) throw imap_error("libcurl could not be initialised");
}

imap_client::~imap_client() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

std::string imap_client::mailbox_url() const {
  CURL* c = static_cast<CURL*>(curl_);
  char* esc = curl_easy_escape(c, s_.mailbox.c_str(), static_cast<int>(s_.mailbox.size()));
  std::string url = s_.server + (esc ? esc : s_.mailbox);
  curl_free(esc);
  return url;
}

std::string imap_client::perform(const std::string& url, const std::string& custom, const std::string& what) {
  CURL* c = static_cast<CURL*>(curl_);
  std::string body;
  char errbuf[CURL_ERROR_SIZE] = {};
  set_connection_options(c, url, {"imap://", s_.starttls, s_.username, s_.password, s_.ca_file, s_.timeout_seconds, 5},
                         errbuf);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, custom.empty() ? nullptr : custom.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  server_reply reply;
  reply.attach(c);
  const CURLcode rc = curl_easy_perform(c);
  curl_easy_setopt(c, CURLOPT_VERBOSE, 0L);
  if (rc != CURLE_OK)
    throw imap_error(fmt::format("IMAP {} at {}: {}{}", what, s_.server, errbuf[0] ? errbuf : curl_easy_strerror(rc),
                                 reply.suffix()));
  return body;
}

mailbox_status imap_client::status() {
  const auto text = perform(s_.server, fmt::format("STATUS {} (UIDVALIDITY UIDNEXT)", quoted(s_.mailbox)),
                            "STATUS " + s_.mailbox);
  mailbox_status st;
  static const std::regex validity(R"(UIDVALIDITY (\d+))"), next(R"(UIDNEXT (\d+))");
  std::smatch m;
  if (!std::regex_search(text, m, validity))
    throw imap_error(fmt::format("IMAP STATUS {} at {}: no UIDVALIDITY in \"{}\"", s_.mailbox, s_.server, text));
  st.uidvalidity = static_cast<std::uint32_t>(std::stoul(m[1]));
  if (std::regex_search(text, m, next)) st.uidnext = static_cast<std::uint32_t>(std::stoul(m[1]));
  return st;
}

std::vector<std::uint32_t> imap_client::search(const std::string& criteria) {
  const auto text = perform(mailbox_url(), "UID SEARCH " + criteria, "UID SEARCH " + criteria);
  std::vector<std::uint32_t> uids;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("* SEARCH", 0) != 0) continue;
    std::istringstream words(line.substr(8));
    for (std::string w; words >> w;)
      if (!w.empty() && std::all_of(w.begin(), w.end(), ::isdigit)) uids.push_back(static_cast<std::uint32_t>(std::stoul(w)));
  }
  std::sort(uids.begin(), uids.end());
  return uids;
}

message_info imap_client::info(std::uint32_t uid) {
  const auto text = perform(mailbox_url(), fmt::format("UID FETCH {} (FLAGS RFC822.SIZE)", uid),
                            fmt::format("UID FETCH {} (FLAGS RFC822.SIZE)", uid));
  static const std::regex size_re(R"(RFC822\.SIZE (\d+))"), uid_re(R"(UID (\d+))");
  message_info mi;
  std::smatch m;
  if (!std::regex_search(text, m, uid_re) || std::stoul(m[1]) != uid)
    throw imap_error(fmt::format("IMAP UID FETCH {} at {}: no such message", uid, s_.server));
  mi.uid = uid;
  if (std::regex_search(text, m, size_re)) mi.size = std::stoull(m[1]);
  mi.seen = text.find("\\Seen") != std::string::npos;
  return mi;
}

std::string imap_client::fetch(std::uint32_t uidvalidity, std::uint32_t uid) {
  return perform(fmt::format("{};UIDVALIDITY={}/;UID={}", mailbox_url(), uidvalidity, uid), {},
                 fmt::format("UID FETCH {} BODY[] (UIDVALIDITY {})", uid, uidvalidity));
}

std::string imap_client::fetch_header(std::uint32_t uidvalidity, std::uint32_t uid) {
  return perform(fmt::format("{};UIDVALIDITY={}/;UID={};SECTION=HEADER", mailbox_url(), uidvalidity, uid), {},
                 fmt::format("UID FETCH {} BODY[HEADER] (UIDVALIDITY {})", uid, uidvalidity));
}

void imap_client::set_seen(std::uint32_t uid, bool seen) {
  const auto cmd = fmt::format("UID STORE {} {}FLAGS.SILENT (\\Seen)", uid, seen ? '+' : '-');
  perform(mailbox_url(), cmd, cmd);
}

}  // namespace reglament::email
