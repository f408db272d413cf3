// What the channels keep in the store outside the journal: inbound items that could not
// become a message (channel errors, with their raw form, for the staff app), each
// source's durable position (cursors: IMAP UIDVALIDITY:UID, Telegram update offset) and
// the index of stored attachment files. It has its own connection to the database file
// and a mutex: safe to share between threads (sources, the HTTP API). It does not store
// the attachment bytes (the inbound gateway writes those under the data dir) and it is
// not derived from the journal: replay neither reads nor rebuilds it.
#pragma once

#include "engine/channel.hpp"
#include "engine/clock.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace reglament {

struct channel_error_row {
  std::int64_t id = 0;
  channel_error error;             // raw cut to the store's limit
  std::uint64_t raw_size = 0;      // bytes before cutting
  timestamp received_at{};
  bool resolved = false;
  std::optional<timestamp> resolved_at;
  std::string resolved_by;
};

class channel_store {
 public:
  struct options {
    bool read_only = false;
    int busy_timeout_ms = 5000;
    std::size_t raw_limit = 256 * 1024;  // a channel error keeps this much of the raw item
  };

  // Opens `path` (creating and migrating it like sqlite_store). Throws store_error.
  explicit channel_store(const std::string& path, options opt);
  explicit channel_store(const std::string& path) : channel_store(path, options{}) {}
  ~channel_store();
  channel_store(const channel_store&) = delete;
  channel_store& operator=(const channel_store&) = delete;

  // Keeps `e` (raw cut to the limit) and returns its id. An item with the same (channel,
  // external_id) already kept is not kept twice: its id is returned.
  std::int64_t add_error(const channel_error& e, timestamp at);
  // Newest first; unresolved only unless `include_resolved`.
  std::vector<channel_error_row> errors(bool include_resolved, int limit);
  std::optional<channel_error_row> error(std::int64_t id);
  // False if there is no such error; resolving twice keeps the first resolution.
  bool resolve_error(std::int64_t id, const std::string& actor, timestamp at);
  std::int64_t count_open_errors();

  // "" if never saved.
  std::string cursor(const std::string& channel, const std::string& key);
  void save_cursor(const std::string& channel, const std::string& key, const std::string& value, timestamp at);

  // The first record of a sha256 wins (its name and type are what downloads show).
  void record_attachment(const attachment& a, timestamp at);
  std::optional<attachment> attachment_info(const std::string& sha256);

  std::size_t raw_limit() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace reglament
