// The website chat's own SQLite file (webchat.db beside the daemon's database): visitors
// (the public id and the SHA-256 of their token) and each visitor's conversation, every
// entry numbered 1, 2, 3 ... within it. It is the chat's history and its resume point;
// the case journal stays the truth about requests. A visitor's message is kept here
// (state pending) before it goes to the engine and marked accepted once the engine has
// committed it, so after a crash the pending ones are sent again (the engine's dedup
// on (channel, external id) makes that harmless). A firm's message is kept under its
// outbox idempotency key, so a delivery offered twice is stored once.
// Thread-safe: one connection behind a mutex. Failures throw store_error naming the file.
#pragma once

#include "adapters/webchat/protocol.hpp"
#include "engine/clock.hpp"

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace reglament::webchat {

struct added_entry {
  std::int64_t seq = 0;
  bool fresh = false;  // false: the same message (same id or key) was kept before
};

struct pending_message {
  std::string visitor;
  std::int64_t seq = 0;
  std::string text;
  std::string client_id;
};

class conversation_store {
 public:
  // Opens or creates `path` (":memory:" for tests) and brings its schema up to date.
  explicit conversation_store(const std::string& path);
  ~conversation_store();
  conversation_store(const conversation_store&) = delete;
  conversation_store& operator=(const conversation_store&) = delete;

  // False when the id or the token hash is taken (the caller draws again).
  bool create_visitor(const std::string& id, const std::string& token_hash, const std::string& lang, timestamp now);
  // The visitor whose token has this hash; notes when it was last seen.
  std::optional<std::string> visitor_by_token(const std::string& token_hash, timestamp now);
  bool visitor_exists(const std::string& id);
  std::int64_t last_seq(const std::string& visitor);

  // A visitor's message, pending until mark_accepted/mark_refused. The same client_id
  // again gives the first one's number and fresh = false.
  added_entry add_visitor_message(const std::string& visitor, const std::string& client_id,
                                  const std::string& text, timestamp now);
  // A firm's message delivered from the outbox. nullopt: no such visitor.
  std::optional<added_entry> add_firm_message(const std::string& visitor, const std::string& outbox_key,
                                              const std::string& text, const std::vector<std::string>& buttons,
                                              timestamp now);

  // Entries with seq > `after`, in order, at most `limit`.
  std::vector<conversation_entry> entries_after(const std::string& visitor, std::int64_t after, int limit);

  std::vector<pending_message> pending(int limit);
  void mark_accepted(const std::string& visitor, std::int64_t seq, std::int64_t case_no);
  void mark_refused(const std::string& visitor, std::int64_t seq, const std::string& error);
  // "pending", "accepted", "refused" or "sent"; "" when there is no such entry (tests, tools).
  std::string state(const std::string& visitor, std::int64_t seq);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::mutex mutex_;
};

}  // namespace reglament::webchat
