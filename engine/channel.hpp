// The channel contract: how adapters (email, Telegram, the website chat, staff
// notifications) meet the engine. The engine never includes an adapter; adapters live in
// adapters/<channel>/ and implement the interfaces below, and the daemon wires them.
//
// Outbound: the outbox dispatcher hands each queued message to the `channel` registered
// under its name. deliver() may block and is called from the delivery thread only; an
// implementation must be idempotent on `idempotency_key` where its medium allows it,
// because after a crash a message whose delivery was not yet recorded is offered again.
//
// Inbound: an `inbound_source` runs on its own thread(s) and hands what arrives to an
// `inbound_sink` (the daemon's gateway). accept() answers only after the message is
// committed to the journal (or refused), so a source advances its cursor (IMAP UID,
// Telegram offset) only after that: fetching twice is harmless, the (channel,
// external_id) dedup makes it exactly once. Nothing is dropped silently: what cannot be
// parsed or matched goes to reject() with its raw form and is listed for the staff.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace reglament {

struct engine_result;
struct inbound_message;

struct outbound_message {
  std::string idempotency_key;  // stable across retries and restarts
  std::string channel;
  std::string to;
  std::string text;
  long long case_no = 0;
  // Reply buttons: a channel that has them (Telegram, the website chat) shows them under
  // the text; a pressed button comes back as an inbound message with the label as text.
  // Channels without buttons ignore them: the text itself asks the question.
  std::vector<std::string> buttons;
  // Threading, filled by the dispatcher from the case: the case's thread key on this
  // channel, the external id of the client's latest message on it (email: its
  // Message-ID, for In-Reply-To/References) and the subject to use (email).
  std::string thread;
  std::string in_reply_to;
  std::string subject;
};

struct delivery_status {
  bool ok = false;
  bool permanent = false;  // retrying cannot help (bad address): dead-letter at once
  std::string error;       // what went wrong, for the staff app
  // How long the medium asked us to wait (Telegram 429 retry_after); 0: the usual backoff.
  int retry_after_seconds = 0;
};

class channel {
 public:
  virtual ~channel() = default;
  virtual std::string name() const = 0;
  virtual delivery_status deliver(const outbound_message& m) = 0;
};

// A file that came with an inbound message. The source stores the bytes (within its
// size limit) through inbound_sink::store_attachment and passes the returned record.
struct attachment {
  std::string name;          // as the sender named it (UTF-8, decoded)
  std::string content_type;  // as declared; served back with safe headers only
  std::uint64_t size = 0;
  std::string sha256;        // hex; also the stored file's name
};

// An inbound item that could not become a message: kept with its raw form.
struct channel_error {
  std::string channel;
  std::string external_id;   // may be empty when the item has none
  std::string reason;        // what is wrong, in English, with where (header, part, field)
  std::string raw;           // the item as received (truncated to the sink's limit)
};

// Thrown by inbound_sink::store_attachment when a file is over the configured limit; the
// message says which file, its size and the limit. The source keeps the message (its
// text can say a file was left out) or rejects it: either way nothing is lost silently.
class attachment_too_large : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What a source tells the staff about its server after each poll: it answered (ok), or
// not (`error`: what went wrong, with the server; `retry_in`: when the source tries again).
struct source_report {
  bool ok = true;
  std::string error;
  std::chrono::milliseconds retry_in{0};
};

class inbound_sink {
 public:
  virtual ~inbound_sink() = default;
  // Journals `m` and calls `done` once it is committed or refused (on another thread).
  // done(r): r.error empty: committed (r.duplicate: seen before); r.http_status 503: not
  // committed, try again later (keep the cursor); any other error: refused, and the
  // sink has already kept it as a channel error, so the source moves on.
  virtual void accept(inbound_message m, std::function<void(const engine_result&)> done) = 0;
  // Keeps an item that cannot be accepted, for the staff app's list of channel errors.
  virtual void reject(channel_error e) = 0;
  // Stores `bytes` under the data dir's attachments/ (content-addressed) and describes it.
  // Throws attachment_too_large over the limit, std::runtime_error if it cannot write.
  virtual attachment store_attachment(const std::string& name, const std::string& content_type,
                                      const std::string& bytes) = 0;
  // A source's durable position (IMAP UIDVALIDITY:UID, Telegram update offset); "" if
  // never saved. save_cursor returns once it is committed.
  virtual std::string cursor(const std::string& channel, const std::string& key) = 0;
  virtual void save_cursor(const std::string& channel, const std::string& key,
                           const std::string& value) = 0;
  // After each poll, for the staff app's channel status (engine/channel_health.hpp).
  // Thread-safe; never throws. The default ignores it.
  virtual void report(const std::string& /*channel*/, const source_report& /*r*/) {}
};

class inbound_source {
 public:
  virtual ~inbound_source() = default;
  virtual std::string name() const = 0;
  // Begins fetching on the source's own thread(s). A source whose server is down logs,
  // reports it to the sink, backs off and retries; it never throws out of its thread.
  virtual void start(inbound_sink& sink) = 0;
  // Returns when the source will make no more calls into the sink.
  virtual void stop() = 0;
};

}  // namespace reglament
