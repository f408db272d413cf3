// A read-only SQLite connection for what the staff app reads across cases: the journal
// since a sequence number (the live-update feed) and plain SQL over the journal and the
// derived tables (the director's reports, engine/store/reports.hpp). Not thread-safe:
// one owner thread, or a mutex around it. Never writes and never migrates: the daemon's
// writer owns the schema; opening a database that is not migrated yet throws store_error.
#pragma once

#include "engine/fact.hpp"
#include "engine/store/sqlite_store.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

struct sqlite3_stmt;

namespace reglament {

class journal_reader {
 public:
  explicit journal_reader(const std::string& path, int busy_timeout_ms = 5000);
  ~journal_reader();
  journal_reader(const journal_reader&) = delete;
  journal_reader& operator=(const journal_reader&) = delete;

  // The highest journal seq committed (0 for an empty journal).
  std::int64_t last_seq();
  // Journal entries with seq > `after`, in order, at most `limit` rows read. `last_read`
  // (if given) gets the last seq read, also when its kind is unknown to this program and
  // the entry is left out.
  std::vector<journal_entry> since(std::int64_t after, int limit, std::int64_t* last_read = nullptr);

  // One row of a query: column values as text/ints by index.
  class row {
   public:
    explicit row(sqlite3_stmt* s) : s_(s) {}
    bool null(int col) const;
    std::int64_t int64(int col) const;
    double real(int col) const;
    std::string text(int col) const;

   private:
    sqlite3_stmt* s_;
  };
  // Runs `sql` (prepared each time; reports are rare) with `args` bound in order as
  // integers or text, calling `each` per row. Throws store_error naming `purpose`.
  using arg = std::variant<std::int64_t, std::string>;
  void query(const char* purpose, const std::string& sql, const std::vector<arg>& args,
             const std::function<void(const row&)>& each);

  const std::string& path() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace reglament
