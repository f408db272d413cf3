#include "engine/store/account_store.hpp"

#include "engine/store/sqlite_connection.hpp"
#include "engine/store/sqlite_store.hpp"

#include <sqlite3.h>

#include <array>
#include <mutex>

namespace reglament {
namespace {

using sqlite_db::connection;
using sqlite_db::query;
using sqlite_db::sql_def;
using sqlite_db::statement_cache;

enum account_sql : std::size_t {
  a_begin,
  a_commit,
  a_rollback,
  a_add_user,
  a_users,
  a_user,
  a_credentials,
  a_set_role,
  a_set_disabled,
  a_set_name,
  a_set_language,
  a_set_password,
  a_enabled_owners,
  a_add_session,
  a_session,
  a_touch_session,
  a_end_session,
  a_end_sessions_of,
  a_end_old_sessions,
  a_add_token,
  a_token_by_digest_any,
  a_tokens,
  a_token,
  a_revoke_token,
  a_touch_token,
  a_record_failure,
  a_failures,
  a_clear_failures,
  a_forget_failures,
  a_count_
};

#define USER_COLUMNS "u.id, u.login, u.name, u.role, u.language, u.disabled, u.created_at"
#define TOKEN_COLUMNS "id, name, role, created_at, created_by, last_used_at, revoked_at"

constexpr std::array<sql_def, a_count_> account_defs{{
    {"begin account change", "BEGIN IMMEDIATE"},
    {"commit account change", "COMMIT"},
    {"roll back account change", "ROLLBACK"},
    {"add user",
     "INSERT INTO users(login, name, role, password_hash, language, disabled, created_at, password_changed_at) "
     "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) ON CONFLICT(login) DO NOTHING"},
    {"list users", "SELECT " USER_COLUMNS " FROM users u ORDER BY u.login"},
    {"find user", "SELECT " USER_COLUMNS " FROM users u WHERE u.login = ?1"},
    {"read credentials", "SELECT " USER_COLUMNS ", u.password_hash FROM users u WHERE u.login = ?1"},
    {"change role", "UPDATE users SET role = ?2 WHERE login = ?1"},
    {"disable or enable user", "UPDATE users SET disabled = ?2 WHERE login = ?1"},
    {"rename user", "UPDATE users SET name = ?2 WHERE login = ?1"},
    {"change user language", "UPDATE users SET language = ?2 WHERE login = ?1"},
    {"change password", "UPDATE users SET password_hash = ?2, password_changed_at = ?3 WHERE login = ?1"},
    {"count owners", "SELECT count(*) FROM users WHERE role = 'owner' AND disabled = 0"},
    {"add session",
     "INSERT INTO sessions(digest, user_id, csrf, created_at, last_seen_at, expires_at, address) "
     "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
    {"find session",
     "SELECT " USER_COLUMNS ", s.csrf, s.created_at, s.last_seen_at, s.expires_at, s.address "
     "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.digest = ?1"},
    {"touch session", "UPDATE sessions SET last_seen_at = ?2 WHERE digest = ?1"},
    {"end session", "DELETE FROM sessions WHERE digest = ?1"},
    {"end a user's sessions", "DELETE FROM sessions WHERE user_id = ?1"},
    {"end expired sessions", "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at <= ?2"},
    {"add token",
     "INSERT INTO api_tokens(digest, name, role, created_at, created_by) VALUES(?1, ?2, ?3, ?4, ?5) "
     "RETURNING " TOKEN_COLUMNS},
    {"find token by digest", "SELECT " TOKEN_COLUMNS " FROM api_tokens WHERE digest = ?1"},
    {"list tokens", "SELECT " TOKEN_COLUMNS " FROM api_tokens ORDER BY id"},
    {"find token", "SELECT " TOKEN_COLUMNS " FROM api_tokens WHERE digest = ?1 AND revoked_at IS NULL"},
    {"revoke token", "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL"},
    {"note token use", "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1"},
    {"record failed login", "INSERT INTO login_attempts(key, at) VALUES(?1, ?2)"},
    {"count failed logins", "SELECT count(*), coalesce(max(at), 0) FROM login_attempts WHERE key = ?1 AND at >= ?2"},
    {"clear failed logins", "DELETE FROM login_attempts WHERE key = ?1"},
    {"forget old failed logins", "DELETE FROM login_attempts WHERE at < ?1"},
}};

#undef USER_COLUMNS
#undef TOKEN_COLUMNS

// Columns 0..6 of USER_COLUMNS.
user_record read_user(const query& q) {
  user_record u;
  u.id = q.int64(0);
  u.login = q.text(1);
  u.name = q.text(2);
  u.role = auth::role_from_string(q.text(3)).value_or(auth::role::manager);
  u.language = q.text(4);
  u.disabled = q.integer(5) != 0;
  u.created_at = q.time(6);
  return u;
}

token_record read_token(const query& q) {
  token_record t;
  t.id = q.int64(0);
  t.name = q.text(1);
  t.role = auth::role_from_string(q.text(2)).value_or(auth::role::integration);
  t.created_at = q.time(3);
  t.created_by = q.text(4);
  if (!q.null(5)) t.last_used_at = q.time(5);
  if (!q.null(6)) t.revoked_at = q.time(6);
  return t;
}

}  // namespace

struct account_store::impl {
  connection conn;
  std::optional<statement_cache> st;
  std::mutex mutex;
  int busy_timeout_ms = 5000;

  ~impl() {
    st.reset();
    if (conn.db) sqlite3_close_v2(conn.db);
  }
  query use(account_sql id) { return st->use(id); }

  template <typename F>
  auto in_transaction(F&& f) {
    use(a_begin).run();
    try {
      auto r = f();
      use(a_commit).run();
      return r;
    } catch (...) {
      if (!sqlite3_get_autocommit(conn.db)) use(a_rollback).run();
      throw;
    }
  }

  // Runs `f` without waiting for another connection's lock; false if it could not write
  // (locked, disk full). For bookkeeping a request must not wait or fail for.
  template <typename F>
  bool best_effort(F&& f) {
    sqlite3_busy_timeout(conn.db, 0);
    bool ok = true;
    try {
      f();
    } catch (const store_error&) {
      ok = false;
    }
    sqlite3_busy_timeout(conn.db, busy_timeout_ms);
    return ok;
  }

  std::optional<user_record> find_user(std::string_view login) {
    auto q = use(a_user);
    q.bind(1, login);
    if (!q.next()) return std::nullopt;
    return read_user(q);
  }
};

account_store::account_store(const std::string& path, options opt) : impl_(std::make_unique<impl>()) {
  if (path.empty() || path == ":memory:")
    throw store_error("account store: needs a database file, not an in-memory database", SQLITE_CANTOPEN);
  {
    // The store's own open creates the file and runs (or, read-only, checks) the migrations.
    sqlite_store::options sopt;
    sopt.read_only = opt.read_only;
    sopt.busy_timeout_ms = opt.busy_timeout_ms;
    sqlite_store schema(path, sopt);
  }
  impl_->conn.path = path;
  impl_->busy_timeout_ms = opt.busy_timeout_ms;
  const int flags = opt.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  const int rc = sqlite3_open_v2(path.c_str(), &impl_->conn.db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) impl_->conn.fail("open account store", rc);
  sqlite3_extended_result_codes(impl_->conn.db, 1);
  sqlite3_busy_timeout(impl_->conn.db, opt.busy_timeout_ms);
  impl_->conn.exec("PRAGMA foreign_keys = ON", "enable foreign keys");
  if (!opt.read_only) impl_->conn.exec("PRAGMA wal_autocheckpoint = 0", "turn off automatic checkpoints");
  impl_->st.emplace(impl_->conn, account_defs, "", true);
}

account_store::~account_store() = default;

std::optional<user_record> account_store::add_user(const user_record& u, const std::string& password_hash,
                                                   timestamp now) {
  std::lock_guard lock(impl_->mutex);
  {
    auto q = impl_->use(a_add_user);
    q.bind(1, u.login).bind(2, u.name).bind(3, auth::to_string(u.role)).bind(4, password_hash);
    q.bind(5, u.language).bind(6, u.disabled ? 1 : 0).bind(7, now);
    q.run();
    if (q.changes() == 0) return std::nullopt;
  }
  return impl_->find_user(u.login);
}

std::vector<user_record> account_store::users() {
  std::lock_guard lock(impl_->mutex);
  std::vector<user_record> out;
  auto q = impl_->use(a_users);
  while (q.next()) out.push_back(read_user(q));
  return out;
}

std::optional<user_record> account_store::user(std::string_view login) {
  std::lock_guard lock(impl_->mutex);
  return impl_->find_user(login);
}

std::optional<std::pair<user_record, std::string>> account_store::credentials(std::string_view login) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->use(a_credentials);
  q.bind(1, login);
  if (!q.next()) return std::nullopt;
  return std::make_pair(read_user(q), q.text(7));
}

std::optional<user_record> account_store::update_user(std::string_view login, const user_change& c, timestamp now) {
  std::lock_guard lock(impl_->mutex);
  return impl_->in_transaction([&]() -> std::optional<user_record> {
    auto u = impl_->find_user(login);
    if (!u) return std::nullopt;
    // The stored login (it may differ in case from the one asked for).
    const std::string& l = u->login;
    if (c.role) impl_->use(a_set_role).bind(1, l).bind(2, auth::to_string(*c.role)).run();
    if (c.disabled) impl_->use(a_set_disabled).bind(1, l).bind(2, *c.disabled ? 1 : 0).run();
    if (c.name) impl_->use(a_set_name).bind(1, l).bind(2, *c.name).run();
    if (c.language) impl_->use(a_set_language).bind(1, l).bind(2, *c.language).run();
    if (c.password_hash) impl_->use(a_set_password).bind(1, l).bind(2, *c.password_hash).bind(3, now).run();
    if ((c.disabled && *c.disabled) || c.password_hash) impl_->use(a_end_sessions_of).bind(1, u->id).run();
    return impl_->find_user(l);
  });
}

int account_store::enabled_owners() {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->use(a_enabled_owners);
  q.next();
  return q.integer(0);
}

void account_store::add_session(const session_record& s) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->use(a_add_session);
  q.bind(1, s.digest).bind(2, s.user.id).bind(3, s.csrf).bind(4, s.created_at).bind(5, s.last_seen_at);
  q.bind(6, s.expires_at).bind(7, s.address);
  q.run();
}

std::optional<session_record> account_store::session(std::string_view digest) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->use(a_session);
  q.bind(1, digest);
  if (!q.next()) return std::nullopt;
  session_record s;
  s.digest = std::string(digest);
  s.user = read_user(q);
  s.csrf = q.text(7);
  s.created_at = q.time(8);
  s.last_seen_at = q.time(9);
  s.expires_at = q.time(10);
  s.address = q.text(11);
  return s;
}

bool account_store::touch_session(std::string_view digest, timestamp now) {
  std::lock_guard lock(impl_->mutex);
  return impl_->best_effort([&] { impl_->use(a_touch_session).bind(1, digest).bind(2, now).run(); });
}

bool account_store::end_session(std::string_view digest) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->use(a_end_session);
  q.bind(1, digest).run();
  return q.changes() > 0;
}

int account_store::end_sessions_of(std::int64_t user_id) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->use(a_end_sessions_of);
  q.bind(1, user_id).run();
  return q.changes();
}

int account_store::end_sessions_before(timestamp expires_before, timestamp idle_before) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->use(a_end_old_sessions);
  q.bind(1, expires_before).bind(2, idle_before).run();
  return q.changes();
}

token_record account_store::add_token(const std::string& name, auth::role role, const std::string& digest,
                                      const std::string& created_by, timestamp now) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->use(a_add_token);
  q.bind(1, digest).bind(2, name).bind(3, auth::to_string(role)).bind(4, now).bind(5, created_by);
  q.next();
  return read_token(q);
}

token_record account_store::ensure_token(const std::string& name, auth::role role, const std::string& digest,
                                         timestamp now) {
  {
    std::lock_guard lock(impl_->mutex);
    auto q = impl_->use(a_token_by_digest_any);
    q.bind(1, digest);
    if (q.next()) return read_token(q);
  }
  return add_token(name, role, digest, "reglamentd", now);
}

std::vector<token_record> account_store::tokens() {
  std::lock_guard lock(impl_->mutex);
  std::vector<token_record> out;
  auto q = impl_->use(a_tokens);
  while (q.next()) out.push_back(read_token(q));
  return out;
}

std::optional<token_record> account_store::token(std::string_view digest) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->use(a_token);
  q.bind(1, digest);
  if (!q.next()) return std::nullopt;
  return read_token(q);
}

bool account_store::revoke_token(std::int64_t id, timestamp now) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->use(a_revoke_token);
  q.bind(1, id).bind(2, now).run();
  return q.changes() > 0;
}

bool account_store::touch_token(std::int64_t id, timestamp now) {
  std::lock_guard lock(impl_->mutex);
  return impl_->best_effort([&] { impl_->use(a_touch_token).bind(1, id).bind(2, now).run(); });
}

void account_store::record_failure(const std::string& key, timestamp now) {
  std::lock_guard lock(impl_->mutex);
  impl_->use(a_record_failure).bind(1, key).bind(2, now).run();
}

account_store::failure_count account_store::failures(const std::string& key, timestamp since) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->use(a_failures);
  q.bind(1, key).bind(2, since);
  failure_count out;
  if (q.next()) {
    out.count = q.integer(0);
    out.last = q.time(1);
  }
  return out;
}

void account_store::clear_failures(const std::string& key) {
  std::lock_guard lock(impl_->mutex);
  impl_->use(a_clear_failures).bind(1, key).run();
}

void account_store::forget_failures_before(timestamp before) {
  std::lock_guard lock(impl_->mutex);
  impl_->use(a_forget_failures).bind(1, before).run();
}

}  // namespace reglament
