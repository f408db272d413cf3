#include "engine/store/journal_reader.hpp"

#include "engine/store/sqlite_connection.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

namespace reglament {

struct journal_reader::impl {
  sqlite_db::connection conn;
  ~impl() {
    if (conn.db) sqlite3_close_v2(conn.db);
  }
};

journal_reader::journal_reader(const std::string& path, int busy_timeout_ms) : impl_(std::make_unique<impl>()) {
  impl_->conn.path = path;
  const int rc = sqlite3_open_v2(path.c_str(), &impl_->conn.db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) impl_->conn.fail("open for reading", rc);
  sqlite3_extended_result_codes(impl_->conn.db, 1);
  sqlite3_busy_timeout(impl_->conn.db, busy_timeout_ms);
}

journal_reader::~journal_reader() = default;

const std::string& journal_reader::path() const { return impl_->conn.path; }

bool journal_reader::row::null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
std::int64_t journal_reader::row::int64(int col) const { return sqlite3_column_int64(s_, col); }
double journal_reader::row::real(int col) const { return sqlite3_column_double(s_, col); }
std::string journal_reader::row::text(int col) const {
  auto p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col))) : std::string{};
}

void journal_reader::query(const char* purpose, const std::string& sql, const std::vector<arg>& args,
                           const std::function<void(const row&)>& each) {
  auto& c = impl_->conn;
  sqlite3_stmt* s = c.prepare(sql, purpose, false);
  struct finalize {
    sqlite3_stmt* s;
    ~finalize() { sqlite3_finalize(s); }
  } guard{s};
  for (std::size_t i = 0; i < args.size(); ++i) {
    const int at = static_cast<int>(i + 1);
    int rc = std::holds_alternative<std::int64_t>(args[i])
                 ? sqlite3_bind_int64(s, at, std::get<std::int64_t>(args[i]))
                 : sqlite3_bind_text(s, at, std::get<std::string>(args[i]).c_str(),
                                     static_cast<int>(std::get<std::string>(args[i]).size()), SQLITE_TRANSIENT);
    if (rc != SQLITE_OK) c.fail(purpose, rc);
  }
  row r(s);
  for (;;) {
    const int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) c.fail(purpose, rc);
    each(r);
  }
}

std::int64_t journal_reader::last_seq() {
  std::int64_t seq = 0;
  query("read last journal seq", "SELECT coalesce(max(seq), 0) FROM journal", {},
        [&](const row& r) { seq = r.int64(0); });
  return seq;
}

std::vector<journal_entry> journal_reader::since(std::int64_t after, int limit, std::int64_t* last_read) {
  std::vector<journal_entry> out;
  query("read journal since", "SELECT seq, case_id, at, kind, step, data FROM journal WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        {after, std::int64_t{limit}}, [&](const row& r) {
          journal_entry e;
          e.seq = r.int64(0);
          if (last_read) *last_read = e.seq;
          e.id = r.int64(1);
          e.what.at = from_millis(r.int64(2));
          auto kind = fact_kind_from_string(r.text(3));
          if (!kind) return;  // a kind newer than this program: not for the feed
          e.what.kind = *kind;
          e.what.step = r.text(4);
          e.what.data = flat_object::from_json(nlohmann::json::parse(r.text(5), nullptr, false));  // bad: no fields
          out.push_back(std::move(e));
        });
  return out;
}

}  // namespace reglament
