#include "engine/store/channel_ledger.hpp"

#include "engine/store/sqlite_connection.hpp"
#include "engine/store/sqlite_store.hpp"

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <array>
#include <mutex>

namespace reglament {
namespace {

using sqlite_db::connection;
using sqlite_db::sql_def;
using sqlite_db::statement_cache;

enum ledger_sql : std::size_t { l_find, l_by_message, l_record, l_count_ };

constexpr std::array<sql_def, l_count_> ledger_defs{{
    {"look up a sent message",
     "SELECT thread, external_id, buttons, sent_at FROM channel_sent WHERE channel = ?1 AND idempotency_key = ?2"},
    {"look up a sent message by its id",
     "SELECT idempotency_key, buttons, sent_at FROM channel_sent WHERE channel = ?1 AND thread = ?2 AND external_id = ?3"},
    {"record a sent message",
     "INSERT OR REPLACE INTO channel_sent(channel, idempotency_key, thread, external_id, buttons, sent_at) "
     "VALUES(?1, ?2, ?3, ?4, ?5, ?6)"},
}};

std::vector<std::string> labels(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& v : j)
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

}  // namespace

struct channel_ledger::impl {
  connection conn;
  std::optional<statement_cache> st;
  std::mutex mutex;
  ~impl() {
    st.reset();
    if (conn.db) sqlite3_close(conn.db);
  }
};

channel_ledger::channel_ledger(const std::string& path, int busy_timeout_ms) : impl_(std::make_unique<impl>()) {
  {
    sqlite_store::options sopt;
    sopt.busy_timeout_ms = busy_timeout_ms;
    sqlite_store schema(path, sopt);  // creates and migrates
  }
  impl_->conn.path = path;
  const int rc = sqlite3_open_v2(path.c_str(), &impl_->conn.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) impl_->conn.fail("open channel ledger", rc);
  sqlite3_extended_result_codes(impl_->conn.db, 1);
  sqlite3_busy_timeout(impl_->conn.db, busy_timeout_ms);
  impl_->conn.exec("PRAGMA synchronous = FULL", "set synchronous");
  impl_->conn.exec("PRAGMA wal_autocheckpoint = 0", "turn off automatic checkpoints");
  impl_->st.emplace(impl_->conn, ledger_defs, "", true);
}

channel_ledger::~channel_ledger() = default;

std::optional<sent_entry> channel_ledger::find(std::string_view channel, std::string_view key) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->st->use(l_find);
  q.bind(1, channel).bind(2, key);
  if (!q.next()) return std::nullopt;
  return sent_entry{std::string(channel), std::string(key), q.text(0), q.text(1), labels(q.text(2)), q.time(3)};
}

std::optional<sent_entry> channel_ledger::by_message(std::string_view channel, std::string_view thread,
                                                     std::string_view external_id) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->st->use(l_by_message);
  q.bind(1, channel).bind(2, thread).bind(3, external_id);
  if (!q.next()) return std::nullopt;
  return sent_entry{std::string(channel), q.text(0), std::string(thread), std::string(external_id), labels(q.text(1)),
                    q.time(2)};
}

void channel_ledger::record(const sent_entry& e) {
  std::lock_guard lock(impl_->mutex);
  auto q = impl_->st->use(l_record);
  q.bind(1, e.channel).bind(2, e.key).bind(3, e.thread).bind(4, e.external_id).bind(5, nlohmann::json(e.buttons).dump())
      .bind(6, e.at)
      .run();
}

}  // namespace reglament
