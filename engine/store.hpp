// The store: the journal of every case, the tables derived from it, playbook versions,
// inbound deduplication, the outbox and timers. One instance is one database
// connection: it is NOT thread-safe; give each thread its own (SQLite in WAL mode lets
// readers run beside the one writer). Writes happen inside begin()/commit(); the
// journal append and the derived rows it implies land in the same transaction.
#pragma once

#include "engine/case_state.hpp"
#include "engine/fact.hpp"
#include "engine/playbook.hpp"
#include "engine/service_catalog.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace reglament {

struct stored_playbook_version {
  std::string playbook;
  int version = 0;
  std::string sha256;
  std::string file;
  std::string source;
  timestamp loaded_at{};
};

struct outbox_row {
  case_id id = 0;
  int n = 0;                 // number within the case
  std::string channel;       // client channel, or "staff"
  std::string to;
  std::string text;
  std::vector<std::string> buttons;  // reply buttons, for channels that show them
  std::string state;         // queued, sent, failed, dead
  int attempts = 0;
  std::string last_error;
  timestamp created_at{};
  timestamp next_attempt_at{};
  std::string idempotency_key() const;  // "c{id}-m{n}"
};

struct timer_row {
  case_id id = 0;
  int n = 0;
  timestamp due;
  std::string step;
  std::string purpose;
};

struct case_row {            // the `cases` query table
  case_id id = 0;
  std::string playbook;
  int version = 0;
  std::string status;
  std::string step;
  std::string channel, sender, client_id, assignee, outcome;
  timestamp opened_at{}, updated_at{};
};

// An invoice issued by a case (the `invoices` query table). Sums are whole kopecks.
struct invoice_row {
  std::string number;        // "2026-0007": year and the firm-wide sequence within it
  int year = 0;
  int seq = 0;
  case_id id = 0;
  std::string client_id;
  std::int64_t amount_kopecks = 0;
  std::int64_t paid_kopecks = 0;
  std::string currency;      // RUB
  std::string purpose;       // what it is for
  std::string status;        // issued, paid, cancelled
  timestamp issued_at{};
  timestamp due_at{};
  std::string due_date;      // the firm's local date, "2026-11-30"
  std::optional<timestamp> paid_at, cancelled_at;
};

struct invoice_filter {
  std::string status;        // empty: any
  std::string client_id;     // empty: any
  int limit = 100;
};

struct schedule_run {
  std::string rule;          // the schedule text it ran under
  timestamp due{};           // the start it stands for
  case_id id = 0;            // the case it started; 0: armed or skipped, no case
  timestamp started_at{};
};

struct case_filter {
  bool open_only = false;
  std::string status;        // empty: any
  std::string assignee;      // empty: any
  int limit = 100;
  case_id after = 0;         // paging: ids greater than this
  case_id before = 0;        // paging newest first: ids less than this (0: no bound)
};

struct replay_report {
  std::int64_t cases = 0, facts = 0;
  std::vector<std::string> differences;  // empty: derived tables equal the replay
};

class store {
 public:
  virtual ~store() = default;

  // Transactions. Savepoints let one bad event roll back alone inside a group commit.
  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;
  virtual void savepoint() = 0;
  virtual void release_savepoint() = 0;
  virtual void rollback_to_savepoint() = 0;
  // Rows inserted, updated or deleted through this store so far (rolled back or not): an
  // unchanged count means the work in between wrote nothing that needs undoing.
  virtual std::uint64_t rows_changed() = 0;

  // Playbook versions: returns the version number for this content (new if unseen).
  virtual int register_playbook(const playbook& pb, timestamp now) = 0;
  virtual std::vector<stored_playbook_version> playbook_versions(const std::string& id) = 0;
  virtual std::optional<stored_playbook_version> playbook_version(const std::string& id, int version) = 0;

  // Cases.
  virtual case_id next_case_id() = 0;
  virtual std::optional<case_state> load_case(case_id id) = 0;
  virtual std::optional<case_id> open_case_for_thread(const std::string& channel,
                                                      const std::string& thread) = 0;
  // Appends `facts` to the journal of case `id` and updates every derived table so it
  // matches `after` (the state with those facts applied). REQUIRES: inside begin().
  virtual void append(case_id id, const std::vector<fact>& facts, const case_state& after) = 0;

  // Inbound dedup: the case a (channel, external id) went to, if seen before.
  virtual std::optional<case_id> inbound_case(const std::string& channel,
                                              const std::string& external_id) = 0;
  virtual void record_inbound(const std::string& channel, const std::string& external_id,
                              case_id id, timestamp at) = 0;

  // Timers and outbox.
  virtual std::vector<timer_row> due_timers(timestamp now, int limit) = 0;
  virtual std::optional<timestamp> next_timer_due() = 0;
  virtual std::vector<outbox_row> outbox_due(timestamp now, int limit) = 0;
  virtual std::vector<outbox_row> outbox(const std::string& state, int limit) = 0;  // "" = any

  // Tariff quotas.
  virtual int quota_used(std::string_view client_id, std::string_view service_id,
                         std::string_view period) = 0;
  // The manager's service corrections for a client (service_corrected facts, counted).
  virtual std::vector<learned_service> learned_services(std::string_view client_id) = 0;

  // Invoices. The highest sequence number used in `year` (0 if none): numbers are
  // never reused, cancelled invoices keep theirs.
  virtual int last_invoice_seq(int year) = 0;
  virtual std::optional<invoice_row> invoice(const std::string& number) = 0;
  virtual std::vector<invoice_row> invoices(const invoice_filter& f) = 0;  // newest first

  // Schedules: when a scheduled playbook last started for `key` (a client or contact for
  // per-client rules, "" for the firm) under `rule` (its schedule text), and recording a
  // start. `case_id` 0 records that the rule was first seen at `due` (nothing before it
  // is owed). A later due replaces an earlier one. REQUIRES for the record: inside
  // begin(), with the case it started.
  virtual std::optional<schedule_run> schedule_last_run(const std::string& playbook, const std::string& key) = 0;
  virtual void record_schedule_run(const std::string& playbook, const std::string& key, const schedule_run& run) = 0;

  // Queries.
  virtual std::vector<case_row> cases(const case_filter& f) = 0;
  virtual std::vector<journal_entry> journal(case_id id) = 0;
  virtual std::int64_t count_cases_by_status(const std::string& status) = 0;
  virtual std::int64_t count_timers() = 0;                          // pending timers
  virtual std::int64_t count_outbox(const std::string& state) = 0;  // rows in that state

  // Rebuilds every derived table from the journal into scratch space and compares.
  virtual replay_report verify_replay() = 0;
};

}  // namespace reglament
