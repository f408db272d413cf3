// A SQLite connection and one use of a prepared statement, with failures thrown as
// store_error naming the database, what was being done and SQLite's reason. Used by
// engine/store (sqlite_store, client_registry) and by adapters that keep their own SQLite
// file (adapters/webchat). Not thread-safe: one per thread or mutex.
#pragma once

#include "engine/clock.hpp"
#include "engine/store/sqlite_store.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace reglament::sqlite_db {

struct connection {
  sqlite3* db = nullptr;
  std::string path;

  [[noreturn]] void fail(std::string_view what, int rc) const {
    const char* why = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    throw store_error(fmt::format("store {}: {}: {}", path, what, why), rc);
  }

  void exec(const char* sql, std::string_view what) const {
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) fail(what, rc);
  }

  sqlite3_stmt* prepare(const std::string& sql, std::string_view what, bool persistent) const {
    sqlite3_stmt* s = nullptr;
    const int rc = sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size() + 1),
                                      persistent ? SQLITE_PREPARE_PERSISTENT : 0, &s, nullptr);
    if (rc != SQLITE_OK) fail(what, rc);
    return s;
  }
};

// Opens `conn` on the store file `path` for a side table's owner (client_registry,
// channel_store): the store's own open first creates the file and runs (or, read-only,
// checks) the migrations. The daemon checkpoints from its own thread, so this
// connection never does. Throws store_error naming `what`.
inline void open_beside_store(connection& conn, const std::string& path, bool read_only, int busy_timeout_ms,
                              std::string_view what) {
  if (path.empty() || path == ":memory:")
    throw store_error(fmt::format("{}: needs a database file, not an in-memory database", what), SQLITE_CANTOPEN);
  {
    sqlite_store_options sopt;
    sopt.read_only = read_only;
    sopt.busy_timeout_ms = busy_timeout_ms;
    sqlite_store schema(path, sopt);
  }
  conn.path = path;
  const int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  const int rc = sqlite3_open_v2(path.c_str(), &conn.db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) conn.fail(fmt::format("open {}", what), rc);
  sqlite3_extended_result_codes(conn.db, 1);
  sqlite3_busy_timeout(conn.db, busy_timeout_ms);
  if (!read_only) conn.exec("PRAGMA wal_autocheckpoint = 0", "turn off automatic checkpoints");
}

// One use of a prepared statement: bind, step, read; reset on destruction so that a
// statement left half-read never holds a read snapshot open.
class query {
 public:
  query(const connection& c, sqlite3_stmt* s, const char* purpose, case_id for_case)
      : c_(c), s_(s), purpose_(purpose), case_(for_case) {}
  ~query() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  query(const query&) = delete;
  query& operator=(const query&) = delete;

  query& bind(int i, std::int64_t v) { return check(sqlite3_bind_int64(s_, i, v)); }
  query& bind(int i, int v) { return check(sqlite3_bind_int64(s_, i, v)); }
  query& bind(int i, timestamp t) { return bind(i, to_millis(t)); }
  query& bind(int i, std::optional<std::int64_t> v) { return v ? bind(i, *v) : bind_null(i); }
  query& bind_null(int i) { return check(sqlite3_bind_null(s_, i)); }
  // Copies the text: safe for temporaries.
  query& bind(int i, std::string_view v) { return text(i, v, SQLITE_TRANSIENT); }
  // REQUIRES: `v` outlives this query (saves a copy on the append path).
  query& bind_static(int i, std::string_view v) { return text(i, v, SQLITE_STATIC); }

  // Bytes that need not be UTF-8 (a raw mail), into a BLOB column; copies.
  query& bind_blob(int i, std::string_view v) {
    return check(sqlite3_bind_blob64(s_, i, v.data() ? v.data() : "", v.size(), SQLITE_TRANSIENT));
  }

  int changes() const { return sqlite3_changes(sqlite3_db_handle(s_)); }

  bool next() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(rc);
  }
  void run() {
    while (next()) {
    }
  }

  bool null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::int64_t int64(int col) const { return sqlite3_column_int64(s_, col); }
  int integer(int col) const { return sqlite3_column_int(s_, col); }
  timestamp time(int col) const { return from_millis(int64(col)); }
  std::string text(int col) const {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col))) : std::string{};
  }
  std::string blob(int col) const {
    auto p = static_cast<const char*>(sqlite3_column_blob(s_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col))) : std::string{};
  }
  std::optional<std::string> value(int col) const {
    if (null(col)) return std::nullopt;
    return text(col);
  }

 private:
  query& text(int i, std::string_view v, sqlite3_destructor_type how) {
    // A null data() would bind SQL NULL; an empty string must stay a string.
    const char* p = v.data() ? v.data() : "";
    return check(sqlite3_bind_text(s_, i, p, static_cast<int>(v.size()), how));
  }
  query& check(int rc) {
    if (rc != SQLITE_OK) fail(rc);
    return *this;
  }
  [[noreturn]] void fail(int rc) const {
    if (case_ != 0) c_.fail(fmt::format("{} for case {}", purpose_, case_), rc);
    c_.fail(purpose_, rc);
  }

  const connection& c_;
  sqlite3_stmt* s_;
  const char* purpose_;
  case_id case_;
};

struct sql_def {
  const char* purpose;  // named in error messages
  const char* sql;      // {0} is the table prefix (projection statements only)
};

// Prepared statements of one connection, each prepared on first use and then kept.
class statement_cache {
 public:
  statement_cache(const connection& c, std::span<const sql_def> defs, std::string prefix, bool persistent)
      : c_(c), defs_(defs), prefix_(std::move(prefix)), persistent_(persistent), stmts_(defs.size()) {}
  ~statement_cache() {
    for (auto* s : stmts_) sqlite3_finalize(s);
  }
  statement_cache(const statement_cache&) = delete;
  statement_cache& operator=(const statement_cache&) = delete;

  query use(std::size_t id, case_id for_case = 0) {
    auto& s = stmts_[id];
    if (!s) s = c_.prepare(fmt::format(fmt::runtime(defs_[id].sql), prefix_), defs_[id].purpose, persistent_);
    return query(c_, s, defs_[id].purpose, for_case);
  }

 private:
  const connection& c_;
  std::span<const sql_def> defs_;
  std::string prefix_;
  bool persistent_;
  std::vector<sqlite3_stmt*> stmts_;
};

}  // namespace reglament::sqlite_db
