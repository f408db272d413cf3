// The SQLite store: engine/store.hpp over one SQLite connection (WAL mode for files).
// Not thread-safe, like every store: one instance per thread; many readers may run
// beside one writer on the same file. The journal table is the truth; every other table
// is derived from it by one projection that append() and verify_replay() share.
// It is not a cache and keeps no case in memory (only the next case id).
#pragma once

#include "engine/store.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace reglament {

// A failed SQLite call. The message names the database, what was being done and
// SQLite's reason: "store /var/x.db: append journal for case 12: database or disk is full".
class store_error : public std::runtime_error {
 public:
  store_error(const std::string& message, int code) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }  // SQLite's extended result code
  bool is_busy() const;               // SQLITE_BUSY / SQLITE_LOCKED: retrying may succeed

 private:
  int code_;
};

struct sqlite_store_options {
  enum class sync_mode { full, normal };
  bool read_only = false;                // no migrations, no writes
  sync_mode synchronous = sync_mode::full;  // normal: a power cut may lose the last commits
  int busy_timeout_ms = 5000;            // how long to wait for another connection's lock
  // false: this connection never checkpoints the WAL inside its commits; someone else
  // must call checkpoint_passive() regularly (the daemon's checkpointer thread).
  bool auto_checkpoint = true;
};

class sqlite_store final : public store {
 public:
  using options = sqlite_store_options;

  // Opens (creating the file and its directory if needed) and migrates the schema.
  // ":memory:" gives a private in-memory database. Throws store_error.
  explicit sqlite_store(const std::string& path, options opt = {});
  ~sqlite_store() override;
  sqlite_store(const sqlite_store&) = delete;
  sqlite_store& operator=(const sqlite_store&) = delete;

  void begin() override;  // BEGIN IMMEDIATE: the writer takes the lock up front
  void commit() override;
  void rollback() override;  // no-op if SQLite has already rolled back on its own
  void savepoint() override;
  void release_savepoint() override;
  void rollback_to_savepoint() override;  // the savepoint stays open: release it after
  std::uint64_t rows_changed() override;

  int register_playbook(const playbook& pb, timestamp now) override;
  std::vector<stored_playbook_version> playbook_versions(const std::string& id) override;
  std::optional<stored_playbook_version> playbook_version(const std::string& id, int version) override;

  case_id next_case_id() override;
  std::optional<case_state> load_case(case_id id) override;
  std::optional<case_id> open_case_for_thread(const std::string& channel,
                                              const std::string& thread) override;
  void append(case_id id, const std::vector<fact>& facts, const case_state& after) override;

  std::optional<case_id> inbound_case(const std::string& channel,
                                      const std::string& external_id) override;
  void record_inbound(const std::string& channel, const std::string& external_id, case_id id,
                      timestamp at) override;  // the first record for a message wins

  std::vector<timer_row> due_timers(timestamp now, int limit) override;
  std::optional<timestamp> next_timer_due() override;
  std::vector<outbox_row> outbox_due(timestamp now, int limit) override;
  std::vector<outbox_row> outbox(const std::string& state, int limit) override;

  int quota_used(std::string_view client_id, std::string_view service_id,
                 std::string_view period) override;
  std::vector<learned_service> learned_services(std::string_view client_id) override;

  int last_invoice_seq(int year) override;
  std::optional<invoice_row> invoice(const std::string& number) override;
  std::vector<invoice_row> invoices(const invoice_filter& f) override;

  std::optional<schedule_run> schedule_last_run(const std::string& playbook, const std::string& key) override;
  void record_schedule_run(const std::string& playbook, const std::string& key, const schedule_run& run) override;

  std::vector<case_row> cases(const case_filter& f) override;  // newest first
  std::vector<journal_entry> journal(case_id id) override;
  std::int64_t count_cases_by_status(const std::string& status) override;
  std::int64_t count_timers() override;
  std::int64_t count_outbox(const std::string& state) override;

  // Replays into TEMP tables and compares; runs in its own read snapshot (a savepoint),
  // so call it outside a write transaction to check committed data.
  replay_report verify_replay() override;

  // Operations.
  // Online backup of one consistent snapshot while writers go on (WAL): copies in chunks
  // under one read transaction, reporting (pages copied, pages total) after each chunk,
  // into `path`.partial, checks it (PRAGMA integrity_check), syncs it and renames it
  // into place, so `path` is either the previous file or a complete, checked copy.
  void backup_to(const std::string& path,
                 const std::function<void(int copied, int total)>& progress = {});
  std::int64_t journal_size();              // number of facts in the journal
  void checkpoint();                        // copy the WAL into the file and truncate it
  void checkpoint_passive();                // copy what it can without blocking anyone
  int schema_version();                     // PRAGMA user_version: migrations applied
  const std::string& path() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace reglament
