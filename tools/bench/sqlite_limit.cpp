#include "tools/bench/sqlite_limit.hpp"
#include "tools/bench/wal_checkpointer.hpp"

#include "engine/store/migrations.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <thread>

namespace reglament::bench {
namespace {

struct table_sql {
  const char* name;
  const char* select;  // first column is the case id unless noted in case_column
  int case_column;
  const char* insert;
};

// Same columns as the store's statements; journal.seq is left to SQLite as the store does.
constexpr std::array<table_sql, t_count> tables{{
    {"journal", "SELECT case_id, at, kind, step, data FROM journal ORDER BY seq", 0,
     "INSERT INTO journal(case_id, at, kind, step, data) VALUES(?1, ?2, ?3, ?4, ?5)"},
    {"outbox",
     "SELECT case_id, n, channel, recipient, text, state, attempts, last_error, created_at, "
     "next_attempt_at, sent_at FROM outbox ORDER BY case_id, n",
     0,
     "INSERT INTO outbox(case_id, n, channel, recipient, text, state, attempts, last_error, "
     "created_at, next_attempt_at, sent_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"},
    {"timers", "SELECT case_id, n, due_at, step, purpose FROM timers ORDER BY case_id, n", 0,
     "INSERT INTO timers(case_id, n, due_at, step, purpose) VALUES(?1, ?2, ?3, ?4, ?5)"},
    {"cases",
     "SELECT id, playbook, version, status, step, channel, sender, thread, client_id, assignee, "
     "outcome, opened_at, updated_at, closed_at, state FROM cases ORDER BY id",
     0,
     "INSERT INTO cases(id, playbook, version, status, step, channel, sender, thread, client_id, "
     "assignee, outcome, opened_at, updated_at, closed_at, state) "
     "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"},
    {"tasks", "SELECT case_id, assignee, step, waiting_for, since FROM tasks ORDER BY case_id", 0,
     "INSERT INTO tasks(case_id, assignee, step, waiting_for, since) VALUES(?1, ?2, ?3, ?4, ?5)"},
    {"inbound", "SELECT channel, external_id, case_id, received_at FROM inbound", 2,
     "INSERT INTO inbound(channel, external_id, case_id, received_at) VALUES(?1, ?2, ?3, ?4)"},
    // Not read back: one upsert per in-tariff check, rebuilt from the journal below.
    {"quota_usage", nullptr, 0,
     "INSERT INTO quota_usage AS q(client_id, service_id, period, used) VALUES(?1, ?2, ?3, 1) "
     "ON CONFLICT(client_id, service_id, period) DO UPDATE SET used = q.used + 1"},
}};

class database {
 public:
  explicit database(const std::string& path, int flags) : path_(path) {
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) fail("open");
  }
  ~database() {
    for (auto* s : stmts_) sqlite3_finalize(s);
    sqlite3_close_v2(db_);
  }
  database(const database&) = delete;
  database& operator=(const database&) = delete;

  void exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(sql);
  }
  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) fail(sql);
    stmts_.push_back(s);
    return s;
  }
  [[noreturn]] void fail(std::string_view what) const {
    throw std::runtime_error(fmt::format("sqlite limit {}: {}: {}", path_, what, sqlite3_errmsg(db_)));
  }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> stmts_;
};

cell cell_of(sqlite3_stmt* s, int col) {
  switch (sqlite3_column_type(s, col)) {
    case SQLITE_INTEGER: return static_cast<std::int64_t>(sqlite3_column_int64(s, col));
    case SQLITE_FLOAT: return sqlite3_column_double(s, col);
    case SQLITE_NULL: return nullptr;
    default: {
      auto p = reinterpret_cast<const char*>(sqlite3_column_text(s, col));
      return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, col)));
    }
  }
}

void bind(database& db, sqlite3_stmt* s, const row& r) {
  for (std::size_t i = 0; i < r.size(); ++i) {
    const int at = static_cast<int>(i) + 1;
    int rc = SQLITE_OK;
    if (auto* v = std::get_if<std::int64_t>(&r[i])) rc = sqlite3_bind_int64(s, at, *v);
    else if (auto* d = std::get_if<double>(&r[i])) rc = sqlite3_bind_double(s, at, *d);
    else if (auto* t = std::get_if<std::string>(&r[i]))
      rc = sqlite3_bind_text(s, at, t->data(), static_cast<int>(t->size()), SQLITE_STATIC);
    else rc = sqlite3_bind_null(s, at);
    if (rc != SQLITE_OK) db.fail("bind");
  }
}

}  // namespace

const char* table_name(std::size_t t) { return tables[t].name; }

std::uint64_t engine_rows::total_rows() const {
  std::uint64_t n = 0;
  for (auto v : totals_) n += v;
  return n;
}

engine_rows engine_rows::capture(const std::string& db_path) {
  database db(db_path, SQLITE_OPEN_READONLY);
  engine_rows out;
  std::map<std::int64_t, std::size_t> index;  // case id -> position, in id order
  {
    auto* s = db.prepare("SELECT id FROM cases ORDER BY id");
    while (sqlite3_step(s) == SQLITE_ROW) index.emplace(sqlite3_column_int64(s, 0), index.size());
  }
  out.cases_.resize(index.size());
  for (std::size_t t = 0; t < t_count; ++t) {
    if (!tables[t].select) continue;
    auto* s = db.prepare(tables[t].select);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      row r;
      const int n = sqlite3_column_count(s);
      for (int c = 0; c < n; ++c) r.push_back(cell_of(s, c));
      auto it = index.find(sqlite3_column_int64(s, tables[t].case_column));
      if (it == index.end()) continue;  // rows of no case: none expected
      out.cases_[it->second].tables[t].push_back(std::move(r));
      ++out.totals_[t];
    }
    if (rc != SQLITE_DONE) db.fail(tables[t].select);
  }
  // The quota upserts the projection ran: one per in-tariff tariff check.
  for (auto& c : out.cases_) {
    if (c.tables[t_cases].empty()) continue;
    const auto& client = std::get<std::string>(c.tables[t_cases].front()[8]);
    for (const auto& j : c.tables[t_journal]) {
      if (std::get<std::string>(j[2]) != "tariff_checked") continue;
      auto d = nlohmann::json::parse(std::get<std::string>(j[4]));
      if (d.value("outcome", "") != "in_tariff") continue;
      c.tables[t_quota].push_back(row{client, d.value("service", ""), d.value("period", "")});
      ++out.totals_[t_quota];
    }
  }
  return out;
}

namespace {

// A fresh database with the store's schema and pragmas (engine/store/sqlite_store.cpp),
// so only the work differs, and the WAL checkpointed from a thread as the daemon does.
class appender {
 public:
  explicit appender(const std::string& db_path)
      : db_(db_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX) {
    db_.exec("PRAGMA journal_mode = WAL");
    db_.exec("PRAGMA synchronous = FULL");
    db_.exec("PRAGMA foreign_keys = ON");
    db_.exec("PRAGMA temp_store = MEMORY");
    db_.exec("PRAGMA cache_size = -16384");
    for (const auto& m : sqlite_schema::migrations()) db_.exec(m.sql);
    db_.exec("PRAGMA wal_autocheckpoint = 0");
    checkpointer_ = std::make_unique<wal_checkpointer>(db_path);
    for (std::size_t t = 0; t < t_count; ++t) insert_[t] = db_.prepare(tables[t].insert);
    begin_ = db_.prepare("BEGIN IMMEDIATE");
    commit_ = db_.prepare("COMMIT");
  }

  // Cases [from, to) in one transaction, committed when it returns. Returns the rows written.
  std::uint64_t write(const std::vector<engine_rows::one_case>& cases, std::size_t from, std::size_t to) {
    std::uint64_t rows = 0;
    run(begin_);
    for (std::size_t i = from; i < to; ++i)
      for (std::size_t t = 0; t < t_count; ++t)
        for (const auto& rw : cases[i].tables[t]) {
          bind(db_, insert_[t], rw);
          run(insert_[t]);
          ++rows;
        }
    run(commit_);
    return rows;
  }

 private:
  void run(sqlite3_stmt* s) {
    if (sqlite3_step(s) != SQLITE_DONE) db_.fail(sqlite3_sql(s));
    sqlite3_reset(s);
  }

  database db_;  // declared first: the checkpointer stops before this connection closes
  std::unique_ptr<wal_checkpointer> checkpointer_;
  std::array<sqlite3_stmt*, t_count> insert_{};
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
};

}  // namespace

limit_result append_plain(const engine_rows& rows, const std::string& db_path, int batch,
                          std::atomic<std::uint64_t>* progress) {
  appender out(db_path);
  limit_result r;
  const auto& cases = rows.cases();
  const std::size_t per_commit = static_cast<std::size_t>(std::max(1, batch));
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < cases.size();) {
    const std::size_t end = std::min(cases.size(), i + per_commit);
    r.rows += out.write(cases, i, end);
    ++r.commits;
    i = end;
    if (progress) progress->store(i);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.messages = cases.size();
  return r;
}

limit_result append_at_rate(const engine_rows& rows, const std::string& db_path, double rate, int max_batch,
                            std::atomic<std::uint64_t>* progress) {
  using steady = std::chrono::steady_clock;
  appender out(db_path);
  limit_result r;
  const auto& cases = rows.cases();
  r.latency_ns.resize(cases.size());
  const auto start = steady::now() + std::chrono::milliseconds(20);
  auto due = [&](std::size_t i) {
    return start + std::chrono::nanoseconds(static_cast<std::int64_t>(static_cast<double>(i) * 1e9 / rate));
  };
  const std::size_t most = static_cast<std::size_t>(std::max(1, max_batch));
  for (std::size_t i = 0; i < cases.size();) {
    std::this_thread::sleep_until(due(i));
    // Everything due by now goes into this commit, as the writer takes what is queued.
    const auto now = steady::now();
    std::size_t end = i + 1;
    while (end < cases.size() && end - i < most && due(end) <= now) ++end;
    r.rows += out.write(cases, i, end);
    ++r.commits;
    const auto committed = steady::now();
    for (std::size_t k = i; k < end; ++k)
      r.latency_ns[k] = std::chrono::duration_cast<std::chrono::nanoseconds>(committed - due(k)).count();
    i = end;
    if (progress) progress->store(i);
  }
  r.seconds = std::chrono::duration<double>(steady::now() - start).count();
  r.messages = cases.size();
  return r;
}

}  // namespace reglament::bench
