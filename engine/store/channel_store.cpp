#include "engine/store/channel_store.hpp"

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

enum channel_sql : std::size_t {
  c_add_error,
  c_find_error,
  c_errors_open,
  c_errors_all,
  c_error,
  c_resolve,
  c_count_open,
  c_cursor,
  c_save_cursor,
  c_add_attachment,
  c_attachment,
  c_count_
};

#define REGLAMENT_ERROR_COLUMNS \
  "id, channel, external_id, reason, raw, raw_size, received_at, resolved, resolved_at, resolved_by"

constexpr std::array<sql_def, c_count_> channel_defs{{
    {"keep channel error",
     "INSERT INTO channel_errors(channel, external_id, reason, raw, raw_size, received_at) "
     "VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING"},
    {"find channel error", "SELECT id FROM channel_errors WHERE channel = ?1 AND external_id = ?2"},
    {"list open channel errors",
     "SELECT " REGLAMENT_ERROR_COLUMNS " FROM channel_errors WHERE resolved = 0 ORDER BY id DESC LIMIT ?1"},
    {"list channel errors", "SELECT " REGLAMENT_ERROR_COLUMNS " FROM channel_errors ORDER BY id DESC LIMIT ?1"},
    {"read channel error", "SELECT " REGLAMENT_ERROR_COLUMNS " FROM channel_errors WHERE id = ?1"},
    {"resolve channel error",
     "UPDATE channel_errors SET resolved = 1, resolved_at = ?2, resolved_by = ?3 WHERE id = ?1 AND resolved = 0"},
    {"count open channel errors", "SELECT count(*) FROM channel_errors WHERE resolved = 0"},
    {"read channel cursor", "SELECT value FROM channel_cursors WHERE channel = ?1 AND key = ?2"},
    {"save channel cursor",
     "INSERT INTO channel_cursors(channel, key, value, updated_at) VALUES(?1, ?2, ?3, ?4) "
     "ON CONFLICT(channel, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"},
    {"record attachment",
     "INSERT INTO attachments(sha256, name, content_type, size, stored_at) VALUES(?1, ?2, ?3, ?4, ?5) "
     "ON CONFLICT(sha256) DO NOTHING"},
    {"read attachment", "SELECT sha256, name, content_type, size FROM attachments WHERE sha256 = ?1"},
}};

channel_error_row read_error(const query& q) {
  channel_error_row r;
  r.id = q.int64(0);
  r.error.channel = q.text(1);
  r.error.external_id = q.text(2);
  r.error.reason = q.text(3);
  r.error.raw = q.blob(4);
  r.raw_size = static_cast<std::uint64_t>(q.int64(5));
  r.received_at = q.time(6);
  r.resolved = q.int64(7) != 0;
  if (!q.null(8)) r.resolved_at = q.time(8);
  r.resolved_by = q.text(9);
  return r;
}

}  // namespace

struct channel_store::impl {
  options opt;
  connection conn;
  std::optional<statement_cache> st;
  std::mutex mutex;

  ~impl() {
    st.reset();
    if (conn.db) sqlite3_close_v2(conn.db);
  }
};

channel_store::channel_store(const std::string& path, options opt) : impl_(std::make_unique<impl>()) {
  impl_->opt = opt;
  sqlite_db::open_beside_store(impl_->conn, path, opt.read_only, opt.busy_timeout_ms, "channel store");
  impl_->st.emplace(impl_->conn, channel_defs, "", true);
}

channel_store::~channel_store() = default;

std::size_t channel_store::raw_limit() const { return impl_->opt.raw_limit; }

std::int64_t channel_store::add_error(const channel_error& e, timestamp at) {
  std::lock_guard lock(impl_->mutex);
  std::string_view raw(e.raw);
  if (raw.size() > impl_->opt.raw_limit) raw = raw.substr(0, impl_->opt.raw_limit);
  {
    auto q = impl_->st->use(c_add_error);
    q.bind(1, e.channel)
        .bind(2, e.external_id)
        .bind(3, e.reason)
        .bind_blob(4, raw)
        .bind(5, static_cast<std::int64_t>(e.raw.size()))
        .bind(6, at)
        .run();
    if (q.changes() > 0) return sqlite3_last_insert_rowid(impl_->conn.db);
  }
  auto q = impl_->st->use(c_find_error);
  q.bind(1, e.channel).bind(2, e.external_id);
  return q.next() ? q.int64(0) : 0;
}

std::vector<channel_error_row> channel_store::errors(bool include_resolved, int limit) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->st->use(include_resolved ? c_errors_all : c_errors_open);
  q.bind(1, limit);
  std::vector<channel_error_row> out;
  while (q.next()) out.push_back(read_error(q));
  return out;
}

std::optional<channel_error_row> channel_store::error(std::int64_t id) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->st->use(c_error);
  q.bind(1, id);
  if (!q.next()) return std::nullopt;
  return read_error(q);
}

bool channel_store::resolve_error(std::int64_t id, const std::string& actor, timestamp at) {
  std::lock_guard lock(impl_->mutex);
  {
    auto q = impl_->st->use(c_resolve);
    q.bind(1, id).bind(2, at).bind(3, actor).run();
    if (q.changes() > 0) return true;
  }
  auto q = impl_->st->use(c_error);
  q.bind(1, id);
  return q.next();
}

std::int64_t channel_store::count_open_errors() {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->st->use(c_count_open);
  return q.next() ? q.int64(0) : 0;
}

std::string channel_store::cursor(const std::string& channel, const std::string& key) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->st->use(c_cursor);
  q.bind(1, channel).bind(2, key);
  return q.next() ? q.text(0) : std::string{};
}

void channel_store::save_cursor(const std::string& channel, const std::string& key, const std::string& value,
                                timestamp at) {
  std::lock_guard lock(impl_->mutex);
  impl_->st->use(c_save_cursor).bind(1, channel).bind(2, key).bind(3, value).bind(4, at).run();
}

void channel_store::record_attachment(const attachment& a, timestamp at) {
  std::lock_guard lock(impl_->mutex);
  impl_->st->use(c_add_attachment)
      .bind(1, a.sha256)
      .bind(2, a.name)
      .bind(3, a.content_type)
      .bind(4, static_cast<std::int64_t>(a.size))
      .bind(5, at)
      .run();
}

std::optional<attachment> channel_store::attachment_info(const std::string& sha256) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->st->use(c_attachment);
  q.bind(1, sha256);
  if (!q.next()) return std::nullopt;
  attachment a;
  a.sha256 = q.text(0);
  a.name = q.text(1);
  a.content_type = q.text(2);
  a.size = static_cast<std::uint64_t>(q.int64(3));
  return a;
}

}  // namespace reglament
