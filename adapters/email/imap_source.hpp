// The inbound email source: polls one IMAP mailbox (imap_client.hpp) on its own thread,
// hands each new message to the intake (intake.hpp) in UID order, and only after the sink
// has committed it saves "UIDVALIDITY:UID" as the cursor and sets \Seen. A restart goes
// on after the last committed UID: nothing is lost and nothing repeated (a message fetched
// twice after a crash is a duplicate by Message-ID). A changed UIDVALIDITY means the
// mailbox was rebuilt: everything in it is read again, and Message-IDs keep it once.
//
// It polls every poll_seconds rather than using IDLE: libcurl sends a custom command and
// waits for its tagged answer, and IDLE ends only when the client sends DONE, which
// libcurl cannot do. A server that is down is retried with backoff (up to 5 minutes).
// start()/stop() from one thread; poll_once() is for tests and is not used with start().
#pragma once

#include "adapters/email/imap_client.hpp"
#include "adapters/email/intake.hpp"
#include "engine/channel.hpp"

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace reglament::email {

enum class source_log { debug, info, warn, error };
using source_logger = std::function<void(source_log, const std::string&)>;

struct imap_source_settings {
  imap_settings imap;
  std::string initial = "unseen";  // first start: "unseen" or "all"
  int poll_seconds = 60;
  intake_limits limits;
};

class imap_source final : public reglament::inbound_source {
 public:
  imap_source(imap_source_settings s, source_logger log);
  ~imap_source() override;

  std::string name() const override { return "email"; }
  void start(reglament::inbound_sink& sink) override;
  void stop() override;

  // One poll on the calling thread; returns the number of messages taken. Throws
  // imap_error when the server cannot be reached or answers wrongly.
  std::size_t poll_once(reglament::inbound_sink& sink);

  std::string cursor_key() const { return "imap." + s_.imap.mailbox; }

 private:
  void run(reglament::inbound_sink& sink);

  imap_source_settings s_;
  source_logger log_;
  std::unique_ptr<imap_client> client_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace reglament::email
