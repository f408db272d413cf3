// The scheduler starts scheduled playbooks (trigger `schedule:`): once for the firm, or
// once per client (professional holiday) or per contact (birthday) on their day. What
// already started is recorded in the store (schedule_runs), in the same transaction as
// the case, so a restart neither repeats a start nor misses one: runs missed while the
// daemon was down collapse into one catch-up start. It owns no thread and no clock: the
// daemon calls run_due() on the writer thread; tests and stories call it with a manual
// clock. Not thread-safe; the playbook library and client directory must outlive it.
#pragma once

#include "engine/case_engine.hpp"
#include "engine/firm.hpp"
#include "engine/playbook_library.hpp"
#include "engine/schedule.hpp"
#include "engine/store.hpp"
#include "engine/working_calendar.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace reglament {

// One start a schedule owes.
struct scheduled_start {
  std::string playbook;
  std::string key;        // "" for the firm; CLIENT for a holiday; CLIENT/NAME for a birthday
  std::string client_id;  // empty for the firm
  timestamp due{};
  nlohmann::json vars = nlohmann::json::object();  // contact_name, occasion, occasion_date
};

// What one round did.
struct schedule_round {
  std::vector<scheduled_start> started;       // with a case each (results[i].id)
  std::vector<engine_result> results;
  std::vector<scheduled_start> skipped;       // congratulations too late to send
  std::optional<timestamp> next;              // the earliest start still ahead
};

class scheduler {
 public:
  struct options {
    // A congratulation missed by longer than this (the daemon was down on the day) is
    // recorded as skipped: a greeting days late reads worse than none. Firm-wide
    // schedules always catch up once.
    std::chrono::hours congratulation_grace{24};
  };

  scheduler(const playbook_library& books, const client_directory* clients, const working_calendar& calendar,
            options opt);
  scheduler(const playbook_library& books, const client_directory* clients, const working_calendar& calendar)
      : scheduler(books, clients, calendar, options{}) {}

  // Starts everything due at `now` through `engine` and records it in `st` (the engine's
  // store). A schedule or client seen for the first time, or a rule the owner changed,
  // is armed at `now`: nothing before it is owed. REQUIRES: inside a transaction of `st`; each start gets its own
  // savepoint, so one failing start does not undo the others.
  schedule_round run_due(case_engine& engine, store& st, timestamp now) const;

  // Every start of `book`'s schedule in (from, to], in time order, without looking at the
  // store: for stories, previews and `reglament graph`.
  std::vector<scheduled_start> occurrences(const playbook& book, timestamp from, timestamp to) const;

 private:
  struct target {
    std::string key, client_id;
    std::chrono::minutes offset;
    annual_date occasion;
    nlohmann::json vars;
  };
  std::vector<target> targets_of(const schedule_rule& rule) const;

  const playbook_library& books_;
  const client_directory* clients_;
  const working_calendar& calendar_;
  options opt_;
};

}  // namespace reglament
