#include "engine/store/proposal_book.hpp"

#include "engine/store/sqlite_connection.hpp"
#include "engine/store/sqlite_store.hpp"

#include <sqlite3.h>

namespace reglament {

namespace {

using sqlite_db::connection;
using sqlite_db::query;

// One proposal row: the fact, its case, and the decision if any.
constexpr const char* select_proposals =
    "SELECT j.seq, j.case_id, j.at, j.step, j.data, c.playbook, c.version, c.client_id, c.channel, c.sender, "
    "c.status, p.state, p.playbook, p.version, p.note, p.actor, p.at "
    "FROM journal j JOIN cases c ON c.id = j.case_id LEFT JOIN proposal_states p ON p.seq = j.seq "
    "WHERE j.kind = 'form_submitted' AND json_extract(j.data, '$.values.proposal') IS NOT NULL ";

proposal row_of(const query& q) {
  proposal p;
  p.id = q.int64(0);
  p.case_id = q.int64(1);
  p.at = q.time(2);
  p.step = q.text(3);
  auto data = nlohmann::json::parse(q.text(4), nullptr, false);
  if (data.is_object()) {
    p.values = data.value("values", nlohmann::json::object());
    p.author = data.value("actor", "");
  }
  p.case_playbook = q.text(5);
  p.case_version = q.integer(6);
  p.client_id = q.text(7);
  p.channel = q.text(8);
  p.sender = q.text(9);
  p.case_status = q.text(10);
  if (!q.null(11)) {
    p.state = q.text(11);
    p.playbook = q.text(12);
    if (!q.null(13)) p.version = q.integer(13);
    p.note = q.text(14);
    p.decided_by = q.text(15);
    p.decided_at = q.time(16);
  }
  return p;
}

}  // namespace

struct proposal_book::impl {
  std::mutex mutex;
  connection conn;
  sqlite3_stmt* list = nullptr;
  sqlite3_stmt* one = nullptr;
  sqlite3_stmt* decide = nullptr;
  ~impl() {
    for (auto* s : {list, one, decide}) sqlite3_finalize(s);
    if (conn.db) sqlite3_close_v2(conn.db);
  }
};

proposal_book::proposal_book(const std::string& path) : impl_(std::make_unique<impl>()) {
  {
    sqlite_store schema(path);  // creates and migrates like every connection of the daemon
  }
  impl_->conn.path = path;
  const int rc = sqlite3_open_v2(path.c_str(), &impl_->conn.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) impl_->conn.fail("open proposals", rc);
  sqlite3_extended_result_codes(impl_->conn.db, 1);
  sqlite3_busy_timeout(impl_->conn.db, 5000);
  impl_->conn.exec("PRAGMA wal_autocheckpoint = 0", "turn off automatic checkpoints");
  impl_->list = impl_->conn.prepare(
      std::string(select_proposals) + "AND (?1 = '' OR coalesce(p.state, 'new') = ?1) ORDER BY j.seq DESC LIMIT ?2",
      "prepare proposal list", true);
  impl_->one = impl_->conn.prepare(std::string(select_proposals) + "AND j.seq = ?1", "prepare proposal", true);
  impl_->decide = impl_->conn.prepare(
      "INSERT INTO proposal_states(seq, state, playbook, version, note, actor, at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) "
      "ON CONFLICT(seq) DO UPDATE SET state = excluded.state, playbook = excluded.playbook, "
      "version = excluded.version, note = excluded.note, actor = excluded.actor, at = excluded.at",
      "prepare proposal decision", true);
}

proposal_book::~proposal_book() = default;

std::vector<proposal> proposal_book::list(const proposal_filter& f) {
  std::lock_guard lock(impl_->mutex);
  query q(impl_->conn, impl_->list, "list proposals", 0);
  q.bind(1, std::string_view(f.state)).bind(2, f.limit);
  std::vector<proposal> out;
  while (q.next()) out.push_back(row_of(q));
  return out;
}

std::optional<proposal> proposal_book::get(std::int64_t id) {
  std::lock_guard lock(impl_->mutex);
  query q(impl_->conn, impl_->one, "read proposal", 0);
  q.bind(1, id);
  if (!q.next()) return std::nullopt;
  return row_of(q);
}

void proposal_book::decide(std::int64_t id, const std::string& state, const std::string& playbook,
                           std::optional<int> version, const std::string& note, const std::string& actor,
                           timestamp at) {
  std::lock_guard lock(impl_->mutex);
  query q(impl_->conn, impl_->decide, "record proposal decision", 0);
  q.bind(1, id).bind(2, std::string_view(state)).bind(3, std::string_view(playbook));
  if (version)
    q.bind(4, *version);
  else
    q.bind_null(4);
  q.bind(5, std::string_view(note)).bind(6, std::string_view(actor)).bind(7, at).run();
}

}  // namespace reglament
