#include "adapters/webchat/conversation_store.hpp"

#include "engine/store/sqlite_connection.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace reglament::webchat {

namespace {

using sqlite_db::sql_def;

// Schema versions are only ever appended; PRAGMA user_version counts them.
constexpr const char* migrations[] = {
    R"(CREATE TABLE visitors(
         id TEXT PRIMARY KEY,
         token_hash BLOB NOT NULL UNIQUE,
         lang TEXT NOT NULL,
         created_at INTEGER NOT NULL,
         last_seen_at INTEGER NOT NULL,
         last_seq INTEGER NOT NULL DEFAULT 0);
       CREATE TABLE messages(
         visitor TEXT NOT NULL REFERENCES visitors(id),
         seq INTEGER NOT NULL,
         author TEXT NOT NULL CHECK (author IN ('visitor', 'firm')),
         text TEXT NOT NULL,
         buttons TEXT NOT NULL DEFAULT '[]',
         at INTEGER NOT NULL,
         client_id TEXT,
         outbox_key TEXT UNIQUE,
         state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'refused', 'sent')),
         case_no INTEGER,
         error TEXT,
         PRIMARY KEY (visitor, seq),
         UNIQUE (visitor, client_id)) WITHOUT ROWID;
       CREATE INDEX messages_pending ON messages(state) WHERE state = 'pending';)",
};

enum stmt : std::size_t {
  s_create_visitor,
  s_visitor_by_token,
  s_seen,
  s_visitor_exists,
  s_last_seq,
  s_next_seq,
  s_by_client_id,
  s_by_outbox_key,
  s_insert,
  s_after,
  s_pending,
  s_mark,
  s_state,
  s_count
};

constexpr sql_def defs[] = {
    {"create visitor",
     "INSERT OR IGNORE INTO visitors(id, token_hash, lang, created_at, last_seen_at) VALUES (?1, ?2, ?3, ?4, ?4)"},
    {"find visitor by token", "SELECT id FROM visitors WHERE token_hash = ?1"},
    {"note visitor seen", "UPDATE visitors SET last_seen_at = ?2 WHERE id = ?1"},
    {"check visitor", "SELECT 1 FROM visitors WHERE id = ?1"},
    {"read last sequence number", "SELECT last_seq FROM visitors WHERE id = ?1"},
    {"take next sequence number", "UPDATE visitors SET last_seq = last_seq + 1 WHERE id = ?1 RETURNING last_seq"},
    {"find message by client id", "SELECT seq FROM messages WHERE visitor = ?1 AND client_id = ?2"},
    {"find message by outbox key", "SELECT seq FROM messages WHERE outbox_key = ?1"},
    {"keep message",
     "INSERT INTO messages(visitor, seq, author, text, buttons, at, client_id, outbox_key, state) "
     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"},
    {"read conversation",
     "SELECT seq, author, text, buttons, at, client_id FROM messages WHERE visitor = ?1 AND seq > ?2 "
     "ORDER BY seq LIMIT ?3"},
    {"list pending messages",
     "SELECT visitor, seq, text, client_id FROM messages WHERE state = 'pending' ORDER BY visitor, seq "
     "LIMIT ?1"},
    {"mark message", "UPDATE messages SET state = ?3, case_no = ?4, error = ?5 WHERE visitor = ?1 AND seq = ?2"},
    {"read message state", "SELECT state FROM messages WHERE visitor = ?1 AND seq = ?2"},
};
static_assert(std::size(defs) == s_count);

}  // namespace

struct conversation_store::impl {
  sqlite_db::connection conn;
  std::unique_ptr<sqlite_db::statement_cache> stmts;

  ~impl() {
    stmts.reset();
    if (conn.db) sqlite3_close_v2(conn.db);
  }

  sqlite_db::query use(stmt s) { return stmts->use(s); }

  // Runs `f` in one write transaction; rolls back on any exception.
  template <class F>
  auto transaction(F&& f) {
    conn.exec("BEGIN IMMEDIATE", "begin");
    try {
      if constexpr (std::is_void_v<decltype(f())>) {
        f();
        conn.exec("COMMIT", "commit");
      } else {
        auto r = f();
        conn.exec("COMMIT", "commit");
        return r;
      }
    } catch (...) {
      sqlite3_exec(conn.db, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  std::int64_t next_seq(const std::string& visitor) {
    auto q = use(s_next_seq);
    q.bind(1, visitor);
    if (!q.next()) conn.fail("take next sequence number: no visitor " + visitor, SQLITE_NOTFOUND);
    const auto seq = q.int64(0);
    q.run();
    return seq;
  }

  std::optional<std::int64_t> seq_of(stmt s, const std::string& a, const std::string& b = {}) {
    auto q = use(s);
    q.bind(1, a);
    if (s == s_by_client_id) q.bind(2, b);
    if (!q.next()) return std::nullopt;
    return q.int64(0);
  }
};

conversation_store::conversation_store(const std::string& path) : impl_(std::make_unique<impl>()) {
  impl_->conn.path = path;
  if (path != ":memory:") {
    std::error_code ec;
    const auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  }
  const int rc = sqlite3_open_v2(path.c_str(), &impl_->conn.db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) impl_->conn.fail("open", rc);
  auto& c = impl_->conn;
  sqlite3_busy_timeout(c.db, 5000);
  if (path != ":memory:") c.exec("PRAGMA journal_mode = WAL", "switch to WAL");
  c.exec("PRAGMA synchronous = FULL", "set synchronous");
  c.exec("PRAGMA foreign_keys = ON", "enable foreign keys");
  int version = 0;
  {
    sqlite3_stmt* s = c.prepare("PRAGMA user_version", "read schema version", false);
    if (sqlite3_step(s) == SQLITE_ROW) version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
  }
  const int latest = static_cast<int>(std::size(migrations));
  if (version > latest)
    c.fail(fmt::format("schema version {} is newer than this program knows ({})", version, latest), SQLITE_ERROR);
  for (int v = version; v < latest; ++v) {
    impl_->transaction([&] {
      c.exec(migrations[v], "migrate");
      c.exec(fmt::format("PRAGMA user_version = {}", v + 1).c_str(), "record schema version");
    });
  }
  impl_->stmts = std::make_unique<sqlite_db::statement_cache>(c, defs, "", true);
}

conversation_store::~conversation_store() = default;

bool conversation_store::create_visitor(const std::string& id, const std::string& token_hash,
                                        const std::string& lang, timestamp now) {
  std::lock_guard lock(mutex_);
  auto q = impl_->use(s_create_visitor);
  q.bind(1, id).bind(2, token_hash).bind(3, lang).bind(4, now);
  q.run();
  return q.changes() == 1;
}

std::optional<std::string> conversation_store::visitor_by_token(const std::string& token_hash, timestamp now) {
  std::lock_guard lock(mutex_);
  std::string id;
  {
    auto q = impl_->use(s_visitor_by_token);
    q.bind(1, token_hash);
    if (!q.next()) return std::nullopt;
    id = q.text(0);
  }
  auto q = impl_->use(s_seen);
  q.bind(1, id).bind(2, now);
  q.run();
  return id;
}

bool conversation_store::visitor_exists(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto q = impl_->use(s_visitor_exists);
  q.bind(1, id);
  return q.next();
}

std::int64_t conversation_store::last_seq(const std::string& visitor) {
  std::lock_guard lock(mutex_);
  auto q = impl_->use(s_last_seq);
  q.bind(1, visitor);
  return q.next() ? q.int64(0) : 0;
}

added_entry conversation_store::add_visitor_message(const std::string& visitor, const std::string& client_id,
                                                    const std::string& text, timestamp now) {
  std::lock_guard lock(mutex_);
  return impl_->transaction([&] {
    if (auto seq = impl_->seq_of(s_by_client_id, visitor, client_id)) return added_entry{*seq, false};
    const auto seq = impl_->next_seq(visitor);
    auto q = impl_->use(s_insert);
    q.bind(1, visitor).bind(2, seq).bind(3, std::string_view("visitor")).bind(4, text);
    q.bind(5, std::string_view("[]")).bind(6, now).bind(7, client_id).bind_null(8);
    q.bind(9, std::string_view("pending"));
    q.run();
    return added_entry{seq, true};
  });
}

std::optional<added_entry> conversation_store::add_firm_message(const std::string& visitor,
                                                                const std::string& outbox_key,
                                                                const std::string& text,
                                                                const std::vector<std::string>& buttons,
                                                                timestamp now) {
  std::lock_guard lock(mutex_);
  return impl_->transaction([&]() -> std::optional<added_entry> {
    if (auto seq = impl_->seq_of(s_by_outbox_key, outbox_key)) return added_entry{*seq, false};
    {
      auto q = impl_->use(s_visitor_exists);
      q.bind(1, visitor);
      if (!q.next()) return std::nullopt;
    }
    const auto seq = impl_->next_seq(visitor);
    auto q = impl_->use(s_insert);
    q.bind(1, visitor).bind(2, seq).bind(3, std::string_view("firm")).bind(4, text);
    q.bind(5, nlohmann::json(buttons).dump()).bind(6, now).bind_null(7).bind(8, outbox_key);
    q.bind(9, std::string_view("sent"));
    q.run();
    return added_entry{seq, true};
  });
}

std::vector<conversation_entry> conversation_store::entries_after(const std::string& visitor, std::int64_t after,
                                                                  int limit) {
  std::lock_guard lock(mutex_);
  std::vector<conversation_entry> out;
  auto q = impl_->use(s_after);
  q.bind(1, visitor).bind(2, after).bind(3, limit);
  while (q.next()) {
    conversation_entry e;
    e.seq = q.int64(0);
    e.from = q.text(1);
    e.text = q.text(2);
    auto buttons = nlohmann::json::parse(q.text(3), nullptr, false);
    if (buttons.is_array())
      for (const auto& b : buttons)
        if (b.is_string()) e.buttons.push_back(b.get<std::string>());
    e.at_ms = q.int64(4);
    e.client_id = q.value(5).value_or("");
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<pending_message> conversation_store::pending(int limit) {
  std::lock_guard lock(mutex_);
  std::vector<pending_message> out;
  auto q = impl_->use(s_pending);
  q.bind(1, limit);
  while (q.next()) out.push_back({q.text(0), q.int64(1), q.text(2), q.text(3)});
  return out;
}

void conversation_store::mark_accepted(const std::string& visitor, std::int64_t seq, std::int64_t case_no) {
  std::lock_guard lock(mutex_);
  auto q = impl_->use(s_mark);
  q.bind(1, visitor).bind(2, seq).bind(3, std::string_view("accepted")).bind(4, case_no).bind_null(5);
  q.run();
}

void conversation_store::mark_refused(const std::string& visitor, std::int64_t seq, const std::string& error) {
  std::lock_guard lock(mutex_);
  auto q = impl_->use(s_mark);
  q.bind(1, visitor).bind(2, seq).bind(3, std::string_view("refused")).bind_null(4).bind(5, error);
  q.run();
}

std::string conversation_store::state(const std::string& visitor, std::int64_t seq) {
  std::lock_guard lock(mutex_);
  auto q = impl_->use(s_state);
  q.bind(1, visitor).bind(2, seq);
  return q.next() ? q.text(0) : std::string{};
}

}  // namespace reglament::webchat
