// A small IMAP client over libcurl for one mailbox: STATUS, UID SEARCH, sizes and flags,
// fetching a message by UID, and setting \Seen. The connection is kept open between calls
// (one CURL handle). Not thread-safe: one client per thread. Failures throw imap_error
// with the command and the server's or libcurl's words.
//
// Fetching uses libcurl's own UID fetch (";UID=n" in the URL), which asks for BODY[]
// rather than BODY.PEEK[]: the server sets \Seen as it hands the message over. libcurl
// passes a custom command's untagged lines but not a literal's bytes, so BODY.PEEK[] is
// out of reach; the source never relies on \Seen (the UID cursor decides what is new).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace reglament::email {

class imap_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct imap_settings {
  std::string server;   // "imap://host:143/" or "imaps://host:993/"
  std::string mailbox = "INBOX";
  bool starttls = false;
  std::string username;
  std::string password;
  std::string ca_file;
  int timeout_seconds = 60;
};

struct mailbox_status {
  std::uint32_t uidvalidity = 0;
  std::uint32_t uidnext = 0;
};

struct message_info {
  std::uint32_t uid = 0;
  std::uint64_t size = 0;
  bool seen = false;
};

class imap_client {
 public:
  explicit imap_client(imap_settings s);
  ~imap_client();
  imap_client(const imap_client&) = delete;
  imap_client& operator=(const imap_client&) = delete;

  mailbox_status status();
  // UID SEARCH `criteria` ("UID 18:*", "UNSEEN", "ALL"); UIDs ascending.
  std::vector<std::uint32_t> search(const std::string& criteria);
  message_info info(std::uint32_t uid);
  // The whole message; fails if the mailbox's UIDVALIDITY is no longer `uidvalidity`.
  std::string fetch(std::uint32_t uidvalidity, std::uint32_t uid);
  std::string fetch_header(std::uint32_t uidvalidity, std::uint32_t uid);
  void set_seen(std::uint32_t uid, bool seen);

 private:
  std::string perform(const std::string& url, const std::string& custom, const std::string& what);
  std::string mailbox_url() const;

  imap_settings s_;
  void* curl_;  // CURL*
};

}  // namespace reglament::email
