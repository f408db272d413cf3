// The outbound email channel ("email"): composes each outbox message (composer.hpp) and
// submits it by SMTP with libcurl (smtp:// with STARTTLS, or smtps://; AUTH when a login
// is configured). An SMTP 5xx answer is permanent (the outbox dead-letters at once), a 4xx
// or a connection problem is transient (retried with backoff); a refused login is
// transient too, because fixing the configuration is what helps, not dropping the mail.
// SMTP has no idempotency of its own, so the channel keeps a book of what the server
// accepted (the store's channel_sent table in the daemon): a message found there is not
// sent again, whether the outbox offers it again because its "sent" report was not
// committed or because the daemon restarted. Only a crash between the server's 250 and
// the book's record can still resend; the Message-ID derived from the idempotency key then
// lets the recipient's mail client recognise the copy as the same message.
// deliver() is called from the delivery thread; a mutex keeps one transfer at a time.
#pragma once

#include "adapters/email/composer.hpp"
#include "engine/channel.hpp"
#include "engine/clock.hpp"

#include <functional>
#include <mutex>
#include <string>

namespace reglament::email {

struct smtp_settings {
  std::string url;           // smtp://host:587 or smtps://host:465
  bool starttls = true;      // smtp:// only
  std::string username;      // empty: no AUTH
  std::string password;
  std::string ca_file;
  int timeout_seconds = 60;
  compose_options compose;
};

// What the SMTP server already accepted, by outbox idempotency key. Either function may
// be empty (no book: every offer is sent). `record` is durable when it returns.
struct sent_book {
  std::function<bool(const std::string& key)> sent;
  std::function<void(const std::string& key, const std::string& to, const std::string& message_id)> record;
};

class smtp_channel final : public reglament::channel {
 public:
  // `clk` (for Date) may be null: the system clock; if not, it must outlive the channel.
  explicit smtp_channel(smtp_settings s, const reglament::clock* clk = nullptr, sent_book book = {});
  ~smtp_channel() override;
  smtp_channel(const smtp_channel&) = delete;
  smtp_channel& operator=(const smtp_channel&) = delete;

  std::string name() const override { return "email"; }
  reglament::delivery_status deliver(const reglament::outbound_message& m) override;

 private:
  smtp_settings settings_;
  const reglament::clock* clock_;
  sent_book book_;
  reglament::system_clock_source system_clock_;
  std::mutex mutex_;
  void* curl_ = nullptr;  // CURL*, reused so the connection stays open between messages
};

}  // namespace reglament::email
