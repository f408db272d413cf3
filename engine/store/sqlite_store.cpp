#include "engine/store/sqlite_store.hpp"

#include "engine/case_state_json.hpp"
#include "engine/json_text.hpp"
#include "engine/store/migrations.hpp"
#include "engine/store/sqlite_connection.hpp"

#include <fmt/args.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <map>
#include <span>
#include <string_view>

namespace reglament {

bool store_error::is_busy() const {
  const int primary = code_ & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

namespace {

using json = nlohmann::json;

bool in_memory(const std::string& path) { return path.empty() || path == ":memory:"; }

// Invalid UTF-8 (a client's broken mail) must not make a fact unstorable.
std::string dump(const json& j) { return json_text(j); }

// A sum in rubles (a fact keeps 1500 or 1500.5) as whole kopecks.
std::int64_t kopecks_of(const flat_object& d, const char* key) {
  auto v = d.number(key);
  return v ? std::llround(*v * 100) : 0;
}

using sqlite_db::connection;
using sqlite_db::query;
using sqlite_db::sql_def;
using sqlite_db::statement_cache;

// The one projection from facts to derived tables, shared by append() (prefix "") and
// verify_replay() (prefix "temp.replay_"). It reads only the facts and the case state,
// never the clock, so a replay writes byte-identical rows.
enum projection_sql : std::size_t {
  p_upsert_case,
  p_update_case,
  p_upsert_task,
  p_delete_task,
  p_outbox_insert,
  p_outbox_sent,
  p_outbox_failed,
  p_outbox_retried,
  p_timer_insert,
  p_timer_delete,
  p_timers_clear,
  p_quota_add,
  p_invoice_insert,
  p_invoice_paid,
  p_invoice_cancel,
  p_quota_return,
  p_correction_add,
  p_count_
};

constexpr std::array<sql_def, p_count_> projection_defs{{
    {"update case row",
     "INSERT INTO {0}cases AS c(id, playbook, version, status, step, channel, sender, thread, "
     "client_id, assignee, outcome, opened_at, updated_at, closed_at, state) "
     "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
     "CASE WHEN ?4 = 'closed' THEN ?14 END, ?15) "
     "ON CONFLICT(id) DO UPDATE SET playbook = excluded.playbook, version = excluded.version, "
     "status = excluded.status, step = excluded.step, channel = excluded.channel, "
     "sender = excluded.sender, thread = excluded.thread, client_id = excluded.client_id, "
     "assignee = excluded.assignee, outcome = excluded.outcome, opened_at = excluded.opened_at, "
     "updated_at = excluded.updated_at, "
     "closed_at = CASE WHEN excluded.status = 'closed' THEN coalesce(?14, c.closed_at) END, "
     "state = excluded.state"},
    // Leaves the columns only case_opened sets alone: fewer columns to compare and write.
    {"update case row",
     "UPDATE {0}cases SET playbook = ?2, version = ?3, status = ?4, step = ?5, assignee = ?6, "
     "outcome = ?7, updated_at = ?8, closed_at = CASE WHEN ?4 = 'closed' THEN coalesce(?9, closed_at) END, "
     "state = ?10 WHERE id = ?1"},
    {"update task row",
     "INSERT INTO {0}tasks AS t(case_id, assignee, step, waiting_for, since) "
     "VALUES(?1, ?2, ?3, ?4, coalesce(?5, ?6)) "
     "ON CONFLICT(case_id) DO UPDATE SET assignee = excluded.assignee, step = excluded.step, "
     "waiting_for = excluded.waiting_for, since = coalesce(?5, t.since)"},
    {"delete task row", "DELETE FROM {0}tasks WHERE case_id = ?1"},
    {"queue outbox message",
     "INSERT INTO {0}outbox(case_id, n, channel, recipient, text, state, attempts, last_error, "
     "created_at, next_attempt_at, sent_at, buttons) VALUES(?1, ?2, ?3, ?4, ?5, 'queued', 0, '', ?6, ?6, NULL, ?7)"},
    {"mark outbox message sent",
     "UPDATE {0}outbox SET state = 'sent', attempts = coalesce(?3, attempts + 1), sent_at = ?4 "
     "WHERE case_id = ?1 AND n = ?2"},
    {"mark outbox message failed",
     "UPDATE {0}outbox SET state = ?3, attempts = coalesce(?4, attempts + 1), last_error = ?5, "
     "next_attempt_at = coalesce(?6, next_attempt_at) WHERE case_id = ?1 AND n = ?2"},
    {"queue dead outbox message again",
     "UPDATE {0}outbox SET state = 'queued', attempts = 0, last_error = '', next_attempt_at = ?3 "
     "WHERE case_id = ?1 AND n = ?2"},
    {"set timer",
     "INSERT INTO {0}timers(case_id, n, due_at, step, purpose) VALUES(?1, ?2, ?3, ?4, ?5) "
     "ON CONFLICT(case_id, n) DO UPDATE SET due_at = excluded.due_at, step = excluded.step, "
     "purpose = excluded.purpose"},
    {"delete timer", "DELETE FROM {0}timers WHERE case_id = ?1 AND n = ?2"},
    {"delete timers of closed case", "DELETE FROM {0}timers WHERE case_id = ?1"},
    {"count quota use",
     "INSERT INTO {0}quota_usage AS q(client_id, service_id, period, used) VALUES(?1, ?2, ?3, 1) "
     "ON CONFLICT(client_id, service_id, period) DO UPDATE SET used = q.used + 1"},
    {"issue invoice",
     "INSERT INTO {0}invoices(number, year, seq, case_id, client_id, amount_kopecks, paid_kopecks, currency, "
     "purpose, status, issued_at, due_at, due_date, paid_at, cancelled_at) "
     "VALUES(?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8, 'issued', ?9, ?10, ?11, NULL, NULL)"},
    {"record invoice payment",
     "UPDATE {0}invoices SET paid_kopecks = ?2, status = CASE WHEN ?3 THEN 'paid' ELSE status END, "
     "paid_at = CASE WHEN ?3 THEN ?4 ELSE paid_at END WHERE number = ?1"},
    {"cancel invoice",
     "UPDATE {0}invoices SET status = 'cancelled', cancelled_at = ?2 WHERE number = ?1 AND status = 'issued'"},
    {"give quota use back",
     "UPDATE {0}quota_usage SET used = used - 1 WHERE client_id = ?1 AND service_id = ?2 AND period = ?3 "
     "AND used > 0"},
    {"remember a service correction",
     "INSERT INTO {0}service_corrections AS c(client_id, phrase_key, service_id, count) VALUES(?1, ?2, ?3, 1) "
     "ON CONFLICT(client_id, phrase_key, service_id) DO UPDATE SET count = c.count + 1"},
}};

// Facts after which the case's status may be different (see apply()).
bool sets_status(fact_kind k) {
  switch (k) {
    case fact_kind::case_opened:
    case fact_kind::step_entered:
    case fact_kind::waiting:
    case fact_kind::run_error:
    case fact_kind::case_closed:
      return true;
    default:
      return false;
  }
}

// Facts after which the tasks row (status, assignee, step) may be different.
bool touches_task(fact_kind k) {
  return sets_status(k) || k == fact_kind::assigned || k == fact_kind::playbook_called ||
         k == fact_kind::playbook_returned;
}

class projection {
 public:
  projection(const connection& c, std::string prefix, bool persistent)
      : st_(c, projection_defs, std::move(prefix), persistent) {}

  // `facts` have just been appended to case `id`; `after` is the state they lead to.
  // Only the last state matters, so projecting a whole journal at once (replay) and
  // projecting it batch by batch (live) give the same rows.
  void apply(case_id id, std::span<const fact> facts, const case_state& after, std::string_view state_json) {
    std::optional<std::int64_t> closed_at, status_since;
    bool opened = false, task_changed = false;
    for (const auto& f : facts) {
      const auto& d = f.data;
      switch (f.kind) {
        case fact_kind::message_queued:
        case fact_kind::staff_notified:
          st_.use(p_outbox_insert, id)
              .bind(1, id)
              .bind(2, d.integer("outbox").value_or(0))
              .bind_static(3, f.kind == fact_kind::staff_notified ? std::string_view("staff") : d.text("channel"))
              .bind_static(4, d.text("to"))
              .bind_static(5, d.text("text"))
              .bind(6, f.at)
              .bind(7, d.contains("buttons") ? dump(d["buttons"]) : std::string())
              .run();
          break;
        case fact_kind::message_sent:
          st_.use(p_outbox_sent, id)
              .bind(1, id)
              .bind(2, d.integer("outbox").value_or(0))
              .bind(3, d.integer("attempts"))
              .bind(4, f.at)
              .run();
          break;
        case fact_kind::message_failed: {
          const bool is_dead = d.flag("dead", false);
          st_.use(p_outbox_failed, id)
              .bind(1, id)
              .bind(2, d.integer("outbox").value_or(0))
              .bind_static(3, is_dead ? "dead" : "failed")
              .bind(4, d.integer("attempts"))
              .bind_static(5, d.text("error"))
              .bind(6, d.integer("retry_at"))
              .run();
          break;
        }
        case fact_kind::message_retried:
          st_.use(p_outbox_retried, id).bind(1, id).bind(2, d.integer("outbox").value_or(0)).bind(3, f.at).run();
          break;
        case fact_kind::timer_set:
          st_.use(p_timer_insert, id)
              .bind(1, id)
              .bind(2, d.integer("timer").value_or(0))
              .bind(3, d.integer("due").value_or(0))
              .bind_static(4, f.step)
              .bind_static(5, d.text("purpose"))
              .run();
          break;
        case fact_kind::timer_fired:
        case fact_kind::timer_cancelled:
          st_.use(p_timer_delete, id).bind(1, id).bind(2, d.integer("timer").value_or(0)).run();
          break;
        case fact_kind::case_closed:
          closed_at = to_millis(f.at);
          st_.use(p_timers_clear, id).bind(1, id).run();  // apply() drops them too
          break;
        case fact_kind::invoice_issued:
          st_.use(p_invoice_insert, id)
              .bind_static(1, d.text("number"))
              .bind(2, d.integer("year").value_or(0))
              .bind(3, d.integer("seq").value_or(0))
              .bind(4, id)
              .bind_static(5, d.text("client"))
              .bind(6, kopecks_of(d, "amount"))
              .bind_static(7, d.text("currency"))
              .bind_static(8, d.text("purpose"))
              .bind(9, f.at)
              .bind(10, d.integer("due").value_or(0))
              .bind_static(11, d.text("due_date"))
              .run();
          break;
        case fact_kind::payment_confirmed:
          if (!d.text("invoice").empty()) {
            const bool full = d.value("full", false);
            st_.use(p_invoice_paid, id)
                .bind_static(1, d.text("invoice"))
                .bind(2, kopecks_of(d, "paid_total"))
                .bind(3, full ? 1 : 0)
                .bind(4, f.at)
                .run();
          }
          break;
        case fact_kind::invoice_cancelled:
          st_.use(p_invoice_cancel, id).bind_static(1, d.text("number")).bind(2, f.at).run();
          break;
        case fact_kind::tariff_checked:
          if (d.text("outcome") == "in_tariff")
            st_.use(p_quota_add, id)
                .bind_static(1, after.client_id)
                .bind_static(2, d.text("service"))
                .bind_static(3, d.text("period"))
                .run();
          break;
        case fact_kind::quota_returned:
          st_.use(p_quota_return, id)
              .bind_static(1, after.client_id)
              .bind_static(2, d.text("service"))
              .bind_static(3, d.text("period"))
              .run();
          break;
        case fact_kind::service_corrected:
          if (!after.client_id.empty() && !d.text("key").empty())
            st_.use(p_correction_add, id)
                .bind_static(1, after.client_id)
                .bind_static(2, d.text("key"))
                .bind_static(3, d.text("to"))
                .run();
          break;
        default:
          break;
      }
      if (sets_status(f.kind)) status_since = to_millis(f.at);
      opened = opened || f.kind == fact_kind::case_opened;
      task_changed = task_changed || touches_task(f.kind);
    }

    const char* status = to_string(after.status);
    if (!opened) {
      auto q = st_.use(p_update_case, id);
      q.bind(1, id)
          .bind_static(2, after.playbook)
          .bind(3, after.version)
          .bind_static(4, status)
          .bind_static(5, after.step)
          .bind_static(6, after.assignee)
          .bind_static(7, after.outcome)
          .bind(8, after.updated_at)
          .bind(9, closed_at)
          .bind_static(10, state_json)
          .run();
      opened = q.changes() == 0;  // no row yet (a journal without case_opened): insert it
    }
    if (opened)
      st_.use(p_upsert_case, id)
          .bind(1, id)
          .bind_static(2, after.playbook)
          .bind(3, after.version)
          .bind_static(4, status)
          .bind_static(5, after.step)
          .bind_static(6, after.channel)
          .bind_static(7, after.sender)
          .bind_static(8, after.thread)
          .bind_static(9, after.client_id)
          .bind_static(10, after.assignee)
          .bind_static(11, after.outcome)
          .bind(12, after.opened_at)
          .bind(13, after.updated_at)
          .bind(14, closed_at)
          .bind_static(15, state_json)
          .run();

    // A task row exists while the case waits for a person; `since` is when it began waiting.
    // Unless a fact could change status, assignee or step, the row is already right.
    if (!task_changed) return;
    if (after.status == case_status::waiting_manager || after.status == case_status::waiting_director)
      st_.use(p_upsert_task, id)
          .bind(1, id)
          .bind_static(2, after.assignee)
          .bind_static(3, after.step)
          .bind_static(4, status)
          .bind(5, status_since)
          .bind(6, after.updated_at)
          .run();
    else
      st_.use(p_delete_task, id).bind(1, id).run();
  }

 private:
  statement_cache st_;
};

enum store_sql : std::size_t {
  s_begin,
  s_commit,
  s_rollback,
  s_savepoint,
  s_release,
  s_rollback_to,
  s_load_case,
  s_open_for_thread,
  s_max_case_id,
  s_inbound_case,
  s_record_inbound,
  s_due_timers,
  s_next_timer_due,
  s_outbox_due,
  s_outbox_all,
  s_outbox_by_state,
  s_quota_used,
  s_learned_services,
  s_last_invoice_seq,
  s_invoice_get,
  s_invoices_list,
  s_cases,
  s_journal,
  s_count_by_status,
  s_count_timers,
  s_count_outbox,
  s_pb_insert,
  s_pb_find,
  s_pb_list,
  s_pb_get,
  s_journal_size,
  s_user_version,
  s_schedule_last,
  s_schedule_record,
  s_count_
};

#define REGLAMENT_OUTBOX_COLUMNS \
  "case_id, n, channel, recipient, text, state, attempts, last_error, created_at, next_attempt_at, buttons"
#define REGLAMENT_INVOICE_COLUMNS                                                                        \
  "number, year, seq, case_id, client_id, amount_kopecks, paid_kopecks, currency, purpose, status, " \
  "issued_at, due_at, due_date, paid_at, cancelled_at"
#define REGLAMENT_PLAYBOOK_COLUMNS "playbook, version, sha256, file, source, loaded_at"

constexpr std::array<sql_def, s_count_> store_defs{{
    {"begin transaction", "BEGIN IMMEDIATE"},
    {"commit", "COMMIT"},
    {"rollback", "ROLLBACK"},
    {"savepoint", "SAVEPOINT item"},
    {"release savepoint", "RELEASE item"},
    {"roll back to savepoint", "ROLLBACK TO item"},
    {"load case", "SELECT state FROM cases WHERE id = ?1"},
    {"find open case for thread",
     "SELECT id FROM cases WHERE channel = ?1 AND thread = ?2 AND status <> 'closed' "
     "ORDER BY id DESC LIMIT 1"},
    {"find last case id",
     "SELECT max(coalesce((SELECT max(id) FROM cases), 0), "
     "coalesce((SELECT max(case_id) FROM journal), 0))"},
    {"find inbound message", "SELECT case_id FROM inbound WHERE channel = ?1 AND external_id = ?2"},
    {"record inbound message",
     "INSERT INTO inbound(channel, external_id, case_id, received_at) VALUES(?1, ?2, ?3, ?4) "
     "ON CONFLICT(channel, external_id) DO NOTHING"},
    {"list due timers",
     "SELECT case_id, n, due_at, step, purpose FROM timers WHERE due_at <= ?1 "
     "ORDER BY due_at, case_id, n LIMIT ?2"},
    {"find next timer", "SELECT min(due_at) FROM timers"},
    {"list due outbox messages",
     "SELECT " REGLAMENT_OUTBOX_COLUMNS " FROM outbox WHERE state IN ('queued', 'failed') "
     "AND next_attempt_at <= ?1 ORDER BY next_attempt_at, case_id, n LIMIT ?2"},
    {"list outbox", "SELECT " REGLAMENT_OUTBOX_COLUMNS " FROM outbox ORDER BY created_at, case_id, n LIMIT ?1"},
    {"list outbox by state",
     "SELECT " REGLAMENT_OUTBOX_COLUMNS " FROM outbox WHERE state = ?1 "
     "ORDER BY created_at, case_id, n LIMIT ?2"},
    {"read quota use",
     "SELECT used FROM quota_usage WHERE client_id = ?1 AND service_id = ?2 AND period = ?3"},
    {"read service corrections",
     "SELECT phrase_key, service_id, count FROM service_corrections WHERE client_id = ?1 "
     "ORDER BY phrase_key, service_id"},
    {"find last invoice number", "SELECT coalesce(max(seq), 0) FROM invoices WHERE year = ?1"},
    {"read invoice", "SELECT " REGLAMENT_INVOICE_COLUMNS " FROM invoices WHERE number = ?1"},
    {"list invoices",
     "SELECT " REGLAMENT_INVOICE_COLUMNS " FROM invoices WHERE (?1 = '' OR status = ?1) "
     "AND (?2 = '' OR client_id = ?2) ORDER BY year DESC, seq DESC LIMIT ?3"},
    {"list cases",
     "SELECT id, playbook, version, status, step, channel, sender, client_id, assignee, outcome, "
     "opened_at, updated_at FROM cases WHERE (?1 = 0 OR status <> 'closed') "
     "AND (?2 = '' OR status = ?2) AND (?3 = '' OR assignee = ?3) AND id > ?4 "
     "AND (?5 = 0 OR id < ?5) ORDER BY id DESC LIMIT ?6"},
    {"read journal", "SELECT seq, at, kind, step, data FROM journal WHERE case_id = ?1 ORDER BY seq"},
    {"count cases by status", "SELECT count(*) FROM cases WHERE status = ?1"},
    {"count timers", "SELECT count(*) FROM timers"},
    {"count outbox messages", "SELECT count(*) FROM outbox WHERE state = ?1"},
    {"register playbook version",
     "INSERT INTO playbook_versions(" REGLAMENT_PLAYBOOK_COLUMNS ") "
     "SELECT ?1, coalesce(max(version), 0) + 1, ?2, ?3, ?4, ?5 FROM playbook_versions "
     "WHERE playbook = ?1 ON CONFLICT(playbook, sha256) DO NOTHING"},
    {"find playbook version", "SELECT version FROM playbook_versions WHERE playbook = ?1 AND sha256 = ?2"},
    {"list playbook versions",
     "SELECT " REGLAMENT_PLAYBOOK_COLUMNS " FROM playbook_versions WHERE playbook = ?1 ORDER BY version"},
    {"read playbook version",
     "SELECT " REGLAMENT_PLAYBOOK_COLUMNS " FROM playbook_versions WHERE playbook = ?1 AND version = ?2"},
    {"measure journal", "SELECT coalesce(max(seq), 0) FROM journal"},
    {"read schema version", "PRAGMA user_version"},
    {"read last schedule run",
     "SELECT rule, due_at, case_id, started_at FROM schedule_runs WHERE playbook = ?1 AND key = ?2"},
    {"record schedule run",
     "INSERT INTO schedule_runs(playbook, key, rule, due_at, case_id, started_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6) "
     "ON CONFLICT(playbook, key) DO UPDATE SET rule = excluded.rule, due_at = excluded.due_at, "
     "case_id = excluded.case_id, started_at = excluded.started_at "
     "WHERE excluded.due_at > schedule_runs.due_at OR excluded.rule <> schedule_runs.rule"},
}};

#undef REGLAMENT_OUTBOX_COLUMNS
#undef REGLAMENT_INVOICE_COLUMNS
#undef REGLAMENT_PLAYBOOK_COLUMNS

outbox_row outbox_row_of(const query& q) {
  outbox_row r;
  r.id = q.int64(0);
  r.n = q.integer(1);
  r.channel = q.text(2);
  r.to = q.text(3);
  r.text = q.text(4);
  r.state = q.text(5);
  r.attempts = q.integer(6);
  r.last_error = q.text(7);
  r.created_at = q.time(8);
  r.next_attempt_at = q.time(9);
  if (auto b = q.text(10); !b.empty()) {
    auto j = json::parse(b, nullptr, false);
    if (j.is_array())
      for (const auto& label : j)
        if (label.is_string()) r.buttons.push_back(label.get<std::string>());
  }
  return r;
}

invoice_row invoice_row_of(const query& q) {
  invoice_row r;
  r.number = q.text(0);
  r.year = q.integer(1);
  r.seq = q.integer(2);
  r.id = q.int64(3);
  r.client_id = q.text(4);
  r.amount_kopecks = q.int64(5);
  r.paid_kopecks = q.int64(6);
  r.currency = q.text(7);
  r.purpose = q.text(8);
  r.status = q.text(9);
  r.issued_at = q.time(10);
  r.due_at = q.time(11);
  r.due_date = q.text(12);
  if (!q.null(13)) r.paid_at = q.time(13);
  if (!q.null(14)) r.cancelled_at = q.time(14);
  return r;
}

stored_playbook_version playbook_row_of(const query& q) {
  return {q.text(0), q.integer(1), q.text(2), q.text(3), q.text(4), q.time(5)};
}

}  // namespace

struct sqlite_store::impl {
  connection conn;
  options opt;
  std::optional<statement_cache> st;
  std::optional<projection> proj;
  std::optional<case_id> next_id;
  // "INSERT INTO journal ... VALUES (...), (...)" for 1..max_journal_rows rows, prepared
  // on first use: one statement per event instead of one per fact. OR FAIL spares SQLite
  // a statement journal (a copy of each page the insert touches, to undo it alone): an
  // insert that fails fails its event, and every caller undoes the event whole.
  static constexpr std::size_t max_journal_rows = 16;
  std::array<sqlite3_stmt*, max_journal_rows> journal_rows{};
  std::vector<std::string> fact_texts;  // the facts' JSON, kept bound until the insert ran
  std::optional<std::optional<case_id>> txn_next_id;       // next_id at begin(), while in one
  std::vector<std::optional<case_id>> savepoint_next_ids;  // next_id at each open savepoint

  ~impl() {
    for (auto* q : journal_rows) sqlite3_finalize(q);
    proj.reset();
    st.reset();
    if (conn.db) sqlite3_close_v2(conn.db);
  }

  query use(std::size_t id, case_id for_case = 0) { return st->use(id, for_case); }

  query insert_journal(std::size_t rows, case_id for_case) {
    auto& q = journal_rows[rows - 1];
    if (!q) {
      std::string sql = "INSERT OR FAIL INTO journal(case_id, at, kind, step, data) VALUES";
      for (std::size_t i = 0; i < rows; ++i)
        fmt::format_to(std::back_inserter(sql), "{}(?{}, ?{}, ?{}, ?{}, ?{})", i ? ", " : "", 5 * i + 1,
                       5 * i + 2, 5 * i + 3, 5 * i + 4, 5 * i + 5);
      q = conn.prepare(sql, "append journal", true);
    }
    return query(conn, q, "append journal", for_case);
  }

  void open();
  void migrate();
  std::string pragma(const std::string& sql, std::string_view what) {
    auto s = conn.prepare(sql, what, false);
    std::string out;
    {
      query q(conn, s, what.data(), 0);
      if (q.next()) out = q.text(0);
    }
    sqlite3_finalize(s);
    return out;
  }
};

void sqlite_store::impl::open() {
  if (!in_memory(conn.path) && !opt.read_only) {
    const auto dir = std::filesystem::path(conn.path).parent_path();
    std::error_code ec;
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    if (ec)
      throw store_error(fmt::format("store {}: open: cannot create directory {}: {}", conn.path,
                                    dir.string(), ec.message()),
                        SQLITE_CANTOPEN);
  }
  // NOMUTEX: a store is one thread's connection, so SQLite's own locking is wasted work.
  const int flags = (opt.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(conn.path.c_str(), &conn.db, flags, nullptr);
  if (rc != SQLITE_OK) conn.fail("open", rc);
  sqlite3_extended_result_codes(conn.db, 1);
  sqlite3_busy_timeout(conn.db, opt.busy_timeout_ms);

  if (!in_memory(conn.path) && !opt.read_only) {
    // WAL: readers never block the writer, and a commit is one append plus one fsync.
    auto mode = pragma("PRAGMA journal_mode = WAL", "set journal mode");
    if (mode != "wal")
      throw store_error(fmt::format("store {}: set journal mode: WAL refused (got '{}')", conn.path, mode),
                        SQLITE_ERROR);
  }
  conn.exec(opt.synchronous == options::sync_mode::full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
            "set synchronous mode");
  conn.exec("PRAGMA foreign_keys = ON", "enable foreign keys");
  // The automatic checkpoint runs inside whichever commit fills the WAL: a latency spike
  // for that batch (docs/BENCHMARKS.md). The daemon checkpoints from another thread.
  if (!opt.auto_checkpoint) conn.exec("PRAGMA wal_autocheckpoint = 0", "turn off automatic checkpoints");
  // Replay's scratch tables stay in memory; a larger page cache keeps indexes hot.
  conn.exec("PRAGMA temp_store = MEMORY", "set temp store");
  conn.exec("PRAGMA cache_size = -16384", "set cache size");

  st.emplace(conn, store_defs, "", true);
  migrate();
  proj.emplace(conn, "", true);
}

void sqlite_store::impl::migrate() {
  const int latest = sqlite_schema::latest_version();
  auto version = [this] {
    auto q = use(s_user_version);
    return q.next() ? q.integer(0) : 0;
  };
  int current = version();
  if (current > latest)
    throw store_error(fmt::format("store {}: open: schema version {} is newer than this program's {}",
                                  conn.path, current, latest),
                      SQLITE_ERROR);
  if (current == latest) return;
  if (opt.read_only)
    throw store_error(fmt::format("store {}: open: schema version {} needs migrating to {}; open it "
                                  "read-write once",
                                  conn.path, current, latest),
                      SQLITE_READONLY);
  for (const auto& m : sqlite_schema::migrations()) {
    if (m.version <= current) continue;
    const auto what = fmt::format("migration {} ({})", m.version, m.purpose);
    conn.exec("BEGIN IMMEDIATE", what);
    try {
      // Another process may have migrated while we waited for the lock.
      current = version();
      if (m.version > current) {
        conn.exec(m.sql, what);
        conn.exec(fmt::format("PRAGMA user_version = {}", m.version).c_str(), what);
      }
      conn.exec("COMMIT", what);
    } catch (...) {
      if (!sqlite3_get_autocommit(conn.db)) sqlite3_exec(conn.db, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }
}

sqlite_store::sqlite_store(const std::string& path, options opt) : impl_(std::make_unique<impl>()) {
  impl_->conn.path = path;
  impl_->opt = opt;
  impl_->open();
}

sqlite_store::~sqlite_store() = default;

const std::string& sqlite_store::path() const { return impl_->conn.path; }

// The case ids handed out since begin() (or a savepoint) are given back when it rolls
// back, so running a batch again hands out the same ids.
void sqlite_store::begin() {
  impl_->use(s_begin).run();
  impl_->txn_next_id = impl_->next_id;
  impl_->savepoint_next_ids.clear();
}
void sqlite_store::commit() {
  impl_->use(s_commit).run();
  impl_->txn_next_id.reset();
  impl_->savepoint_next_ids.clear();
}
void sqlite_store::rollback() {
  auto& s = *impl_;
  if (s.txn_next_id) s.next_id = *s.txn_next_id;
  s.txn_next_id.reset();
  s.savepoint_next_ids.clear();
  // After SQLITE_FULL, SQLITE_IOERR etc. SQLite may have rolled back already.
  if (sqlite3_get_autocommit(s.conn.db)) return;
  s.use(s_rollback).run();
}
void sqlite_store::savepoint() {
  impl_->use(s_savepoint).run();
  impl_->savepoint_next_ids.push_back(impl_->next_id);
}
void sqlite_store::release_savepoint() {
  impl_->use(s_release).run();
  if (!impl_->savepoint_next_ids.empty()) impl_->savepoint_next_ids.pop_back();
}
void sqlite_store::rollback_to_savepoint() {
  impl_->use(s_rollback_to).run();
  if (!impl_->savepoint_next_ids.empty()) impl_->next_id = impl_->savepoint_next_ids.back();
}
std::uint64_t sqlite_store::rows_changed() {
  return static_cast<std::uint64_t>(sqlite3_total_changes64(impl_->conn.db));
}

int sqlite_store::register_playbook(const playbook& pb, timestamp now) {
  impl_->use(s_pb_insert)
      .bind(1, pb.id)
      .bind(2, pb.sha256)
      .bind(3, pb.file)
      .bind(4, pb.source)
      .bind(5, now)
      .run();
  auto q = impl_->use(s_pb_find);
  q.bind(1, pb.id).bind(2, pb.sha256);
  if (!q.next())
    throw store_error(fmt::format("store {}: register playbook {}: version row missing after insert",
                                  impl_->conn.path, pb.id),
                      SQLITE_INTERNAL);
  return q.integer(0);
}

std::vector<stored_playbook_version> sqlite_store::playbook_versions(const std::string& id) {
  std::vector<stored_playbook_version> out;
  auto q = impl_->use(s_pb_list);
  q.bind(1, id);
  while (q.next()) out.push_back(playbook_row_of(q));
  return out;
}

std::optional<stored_playbook_version> sqlite_store::playbook_version(const std::string& id, int version) {
  auto q = impl_->use(s_pb_get);
  q.bind(1, id).bind(2, version);
  if (!q.next()) return std::nullopt;
  return playbook_row_of(q);
}

case_id sqlite_store::next_case_id() {
  // One writer per database: after the first look the counter lives in memory. Ids
  // handed out in a rolled-back transaction or savepoint are handed out again.
  if (!impl_->next_id) {
    auto q = impl_->use(s_max_case_id);
    impl_->next_id = (q.next() ? q.int64(0) : 0) + 1;
  }
  return (*impl_->next_id)++;
}

std::optional<case_state> sqlite_store::load_case(case_id id) {
  auto q = impl_->use(s_load_case, id);
  q.bind(1, id);
  if (!q.next()) return std::nullopt;
  auto text = q.text(0);
  try {
    return case_state_from_json(json::parse(text));
  } catch (const std::exception& e) {
    throw store_error(fmt::format("store {}: load case for case {}: stored state is not valid: {}",
                                  impl_->conn.path, id, e.what()),
                      SQLITE_CORRUPT);
  }
}

std::optional<case_id> sqlite_store::open_case_for_thread(const std::string& channel, const std::string& thread) {
  auto q = impl_->use(s_open_for_thread);
  q.bind(1, channel).bind(2, thread);
  if (!q.next()) return std::nullopt;
  return q.int64(0);
}

void sqlite_store::append(case_id id, const std::vector<fact>& facts, const case_state& after) {
  auto& s = *impl_;
  // The contract asks for begin(); without it, still keep the event atomic.
  const bool own_transaction = sqlite3_get_autocommit(s.conn.db) != 0;
  if (own_transaction) s.conn.exec("SAVEPOINT append", fmt::format("append for case {}", id));
  try {
    if (s.fact_texts.size() < facts.size()) s.fact_texts.resize(facts.size());
    for (std::size_t i = 0; i < facts.size(); ++i) {
      auto& text = s.fact_texts[i];  // reused: its buffer outlives the event
      text.clear();
      facts[i].data.append_json(text);
    }
    for (std::size_t from = 0; from < facts.size();) {
      const std::size_t rows = std::min(impl::max_journal_rows, facts.size() - from);
      auto q = s.insert_journal(rows, id);
      for (std::size_t i = 0; i < rows; ++i) {
        const auto& f = facts[from + i];
        const int p = static_cast<int>(5 * i);
        q.bind(p + 1, id)
            .bind(p + 2, f.at)
            .bind_static(p + 3, to_string(f.kind))
            .bind_static(p + 4, f.step)
            .bind_static(p + 5, s.fact_texts[from + i]);
      }
      q.run();
      from += rows;
    }
    s.proj->apply(id, facts, after, to_json_text(after));
  } catch (...) {
    if (own_transaction && !sqlite3_get_autocommit(s.conn.db))
      sqlite3_exec(s.conn.db, "ROLLBACK TO append; RELEASE append", nullptr, nullptr, nullptr);
    throw;
  }
  if (own_transaction) s.conn.exec("RELEASE append", fmt::format("append for case {}", id));
}

std::optional<case_id> sqlite_store::inbound_case(const std::string& channel, const std::string& external_id) {
  auto q = impl_->use(s_inbound_case);
  q.bind(1, channel).bind(2, external_id);
  if (!q.next()) return std::nullopt;
  return q.int64(0);
}

void sqlite_store::record_inbound(const std::string& channel, const std::string& external_id, case_id id,
                                  timestamp at) {
  impl_->use(s_record_inbound, id).bind(1, channel).bind(2, external_id).bind(3, id).bind(4, at).run();
}

std::vector<timer_row> sqlite_store::due_timers(timestamp now, int limit) {
  std::vector<timer_row> out;
  auto q = impl_->use(s_due_timers);
  q.bind(1, now).bind(2, limit);
  while (q.next()) out.push_back({q.int64(0), q.integer(1), q.time(2), q.text(3), q.text(4)});
  return out;
}

std::optional<timestamp> sqlite_store::next_timer_due() {
  auto q = impl_->use(s_next_timer_due);
  if (!q.next() || q.null(0)) return std::nullopt;
  return q.time(0);
}

std::vector<outbox_row> sqlite_store::outbox_due(timestamp now, int limit) {
  std::vector<outbox_row> out;
  auto q = impl_->use(s_outbox_due);
  q.bind(1, now).bind(2, limit);
  while (q.next()) out.push_back(outbox_row_of(q));
  return out;
}

std::vector<outbox_row> sqlite_store::outbox(const std::string& state, int limit) {
  std::vector<outbox_row> out;
  if (state.empty()) {
    auto q = impl_->use(s_outbox_all);
    q.bind(1, limit);
    while (q.next()) out.push_back(outbox_row_of(q));
  } else {
    auto q = impl_->use(s_outbox_by_state);
    q.bind(1, state).bind(2, limit);
    while (q.next()) out.push_back(outbox_row_of(q));
  }
  return out;
}

int sqlite_store::quota_used(std::string_view client_id, std::string_view service_id, std::string_view period) {
  auto q = impl_->use(s_quota_used);
  q.bind(1, client_id).bind(2, service_id).bind(3, period);
  return q.next() ? q.integer(0) : 0;
}

std::vector<learned_service> sqlite_store::learned_services(std::string_view client_id) {
  auto q = impl_->use(s_learned_services);
  q.bind(1, client_id);
  std::vector<learned_service> out;
  while (q.next()) out.push_back({q.text(0), q.text(1), q.integer(2)});
  return out;
}

int sqlite_store::last_invoice_seq(int year) {
  auto q = impl_->use(s_last_invoice_seq);
  q.bind(1, year);
  return q.next() ? q.integer(0) : 0;
}

std::optional<invoice_row> sqlite_store::invoice(const std::string& number) {
  auto q = impl_->use(s_invoice_get);
  q.bind(1, number);
  if (!q.next()) return std::nullopt;
  return invoice_row_of(q);
}

std::vector<invoice_row> sqlite_store::invoices(const invoice_filter& f) {
  std::vector<invoice_row> out;
  auto q = impl_->use(s_invoices_list);
  q.bind(1, f.status).bind(2, f.client_id).bind(3, f.limit);
  while (q.next()) out.push_back(invoice_row_of(q));
  return out;
}

std::optional<schedule_run> sqlite_store::schedule_last_run(const std::string& playbook, const std::string& key) {
  auto q = impl_->use(s_schedule_last);
  q.bind(1, playbook).bind(2, key);
  if (!q.next()) return std::nullopt;
  return schedule_run{q.text(0), q.time(1), q.int64(2), q.time(3)};
}

void sqlite_store::record_schedule_run(const std::string& playbook, const std::string& key, const schedule_run& run) {
  impl_->use(s_schedule_record, run.id)
      .bind(1, playbook)
      .bind(2, key)
      .bind(3, run.rule)
      .bind(4, run.due)
      .bind(5, run.id)
      .bind(6, run.started_at)
      .run();
}

std::vector<case_row> sqlite_store::cases(const case_filter& f) {
  std::vector<case_row> out;
  auto q = impl_->use(s_cases);
  q.bind(1, f.open_only ? 1 : 0)
      .bind(2, f.status)
      .bind(3, f.assignee)
      .bind(4, f.after)
      .bind(5, f.before)
      .bind(6, f.limit);
  while (q.next()) {
    case_row r;
    r.id = q.int64(0);
    r.playbook = q.text(1);
    r.version = q.integer(2);
    r.status = q.text(3);
    r.step = q.text(4);
    r.channel = q.text(5);
    r.sender = q.text(6);
    r.client_id = q.text(7);
    r.assignee = q.text(8);
    r.outcome = q.text(9);
    r.opened_at = q.time(10);
    r.updated_at = q.time(11);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<journal_entry> sqlite_store::journal(case_id id) {
  std::vector<journal_entry> out;
  auto q = impl_->use(s_journal, id);
  q.bind(1, id);
  while (q.next()) {
    const auto seq = q.int64(0);
    const auto kind_name = q.text(2);
    auto kind = fact_kind_from_string(kind_name);
    if (!kind)
      throw store_error(fmt::format("store {}: read journal for case {}: seq {} has unknown kind '{}'",
                                    impl_->conn.path, id, seq, kind_name),
                        SQLITE_CORRUPT);
    flat_object data;
    try {
      data = flat_object::from_json(json::parse(q.text(4)));
    } catch (const std::exception& e) {
      throw store_error(fmt::format("store {}: read journal for case {}: seq {} data is not JSON: {}",
                                    impl_->conn.path, id, seq, e.what()),
                        SQLITE_CORRUPT);
    }
    out.push_back({seq, id, fact{*kind, q.time(1), q.text(3), std::move(data)}});
  }
  return out;
}

std::int64_t sqlite_store::count_cases_by_status(const std::string& status) {
  auto q = impl_->use(s_count_by_status);
  q.bind(1, status);
  return q.next() ? q.int64(0) : 0;
}

std::int64_t sqlite_store::count_timers() {
  auto q = impl_->use(s_count_timers);
  return q.next() ? q.int64(0) : 0;
}

std::int64_t sqlite_store::count_outbox(const std::string& state) {
  auto q = impl_->use(s_count_outbox);
  q.bind(1, state);
  return q.next() ? q.int64(0) : 0;
}

void sqlite_store::backup_to(const std::string& path, const std::function<void(int, int)>& progress) {
  const auto& c = impl_->conn;
  const auto what = fmt::format("backup to {}", path);
  const auto fail = [&](const std::string& why, int code) {
    throw store_error(fmt::format("store {}: {}: {}", c.path, what, why), code);
  };
  const auto dir = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  if (ec) fail(ec.message(), SQLITE_CANTOPEN);
  const std::string partial = path + ".partial";
  std::filesystem::remove(partial, ec);

  sqlite3* dest = nullptr;
  int rc = sqlite3_open_v2(partial.c_str(), &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  auto fail_dest = [&](int code, std::string why = {}) {
    if (why.empty()) why = dest ? sqlite3_errmsg(dest) : sqlite3_errstr(code);
    sqlite3_close_v2(dest);
    std::filesystem::remove(partial, ec);
    fail(why, code);
  };
  if (rc != SQLITE_OK) fail_dest(rc);
  sqlite3_busy_timeout(dest, impl_->opt.busy_timeout_ms);

  // A read transaction held on the source pins one snapshot: copying in chunks then never
  // restarts because the daemon commits meanwhile, and the copy is that snapshot exactly.
  const bool own_txn = sqlite3_get_autocommit(c.db) != 0;
  if (own_txn) {
    c.exec("BEGIN", "backup: begin read");
    c.exec("SELECT count(*) FROM sqlite_schema", "backup: pin snapshot");
  }
  sqlite3_backup* b = sqlite3_backup_init(dest, "main", c.db, "main");
  if (!b) {
    if (own_txn) sqlite3_exec(c.db, "ROLLBACK", nullptr, nullptr, nullptr);
    fail_dest(sqlite3_errcode(dest));
  }
  constexpr int chunk_pages = 1024;  // 4 MiB with 4 KiB pages: progress without much overhead
  do {
    rc = sqlite3_backup_step(b, chunk_pages);
    if (progress && (rc == SQLITE_OK || rc == SQLITE_DONE)) {
      const int total = sqlite3_backup_pagecount(b);
      progress(total - sqlite3_backup_remaining(b), total);
    }
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(20);
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  sqlite3_backup_finish(b);
  if (own_txn) sqlite3_exec(c.db, "ROLLBACK", nullptr, nullptr, nullptr);
  if (rc != SQLITE_DONE) fail_dest(rc);

  // The copy must open and be whole before it replaces anything.
  std::string check;
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(dest, "PRAGMA integrity_check", -1, &q, nullptr) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
    check = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
  sqlite3_finalize(q);
  if (check != "ok") fail_dest(SQLITE_CORRUPT, "the copy fails integrity_check: " + check);
  sqlite3_close_v2(dest);
  if (int fd = ::open(partial.c_str(), O_RDONLY); fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  std::filesystem::rename(partial, path, ec);
  if (ec) fail(fmt::format("rename {}: {}", partial, ec.message()), SQLITE_IOERR);
}

std::int64_t sqlite_store::journal_size() {
  // The journal is append-only and seq is its rowid, so the last seq is the count.
  auto q = impl_->use(s_journal_size);
  return q.next() ? q.int64(0) : 0;
}

void sqlite_store::checkpoint() {
  if (in_memory(impl_->conn.path)) return;
  const int rc = sqlite3_wal_checkpoint_v2(impl_->conn.db, "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  if (rc != SQLITE_OK) impl_->conn.fail("checkpoint", rc);
}

void sqlite_store::checkpoint_passive() {
  if (in_memory(impl_->conn.path)) return;
  const int rc = sqlite3_wal_checkpoint_v2(impl_->conn.db, "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) impl_->conn.fail("checkpoint", rc);
}

int sqlite_store::schema_version() {
  auto q = impl_->use(s_user_version);
  return q.next() ? q.integer(0) : 0;
}

namespace {

enum replay_sql : std::size_t { r_table_sql, r_journal_all, r_columns, r_state_differs, r_count_ };

constexpr std::array<sql_def, r_count_> replay_defs{{
    {"verify replay: read table schema", "SELECT sql FROM main.sqlite_schema WHERE type = 'table' AND name = ?1"},
    {"verify replay: read journal",
     "SELECT case_id, seq, at, kind, step, data FROM main.journal ORDER BY case_id, seq"},
    {"verify replay: read table columns", "SELECT name, pk FROM pragma_table_info(?1, 'main') ORDER BY cid"},
    {"verify replay: compare case states",
     "SELECT l.id, l.state, r.state FROM main.cases l JOIN temp.replay_cases r ON r.id = l.id "
     "WHERE l.state IS NOT r.state ORDER BY l.id"},
}};

constexpr std::size_t max_differences = 1000;

class difference_list {
 public:
  explicit difference_list(std::vector<std::string>& out) : out_(out) {}
  ~difference_list() {
    if (dropped_ > 0) out_.push_back(fmt::format("... and {} more differences", dropped_));
  }
  void add(std::string d) {
    if (out_.size() < max_differences) out_.push_back(std::move(d));
    else ++dropped_;
  }

 private:
  std::vector<std::string>& out_;
  std::size_t dropped_ = 0;
};

std::string shown(const std::optional<std::string>& v) {
  if (!v) return "null";
  if (v->size() <= 120) return *v;
  return v->substr(0, 117) + "...";
}

using row = std::vector<std::optional<std::string>>;

std::vector<row> read_rows(const connection& c, const std::string& sql, const char* purpose, std::size_t width) {
  std::vector<row> out;
  auto* s = c.prepare(sql, purpose, false);
  {
    query q(c, s, purpose, 0);
    while (q.next()) {
      row r;
      for (std::size_t i = 0; i < width; ++i) r.push_back(q.value(static_cast<int>(i)));
      out.push_back(std::move(r));
    }
  }
  sqlite3_finalize(s);
  return out;
}

// Compares one live derived table with its replayed copy, column by column.
void compare_table(const connection& c, statement_cache& rs, const sqlite_schema::derived_table& t,
                   difference_list& diffs) {
  std::vector<std::string> columns;
  std::vector<std::pair<int, std::size_t>> key_order;  // (pk position, column index)
  {
    auto q = rs.use(r_columns);
    q.bind(1, std::string_view(t.name));
    while (q.next()) {
      auto name = q.text(0);
      if (std::string_view(t.name) == "cases" && name == "state") continue;  // compared as JSON
      if (q.integer(1) > 0) key_order.emplace_back(q.integer(1), columns.size());
      columns.push_back(std::move(name));
    }
  }
  std::sort(key_order.begin(), key_order.end());
  const auto list = fmt::format("{}", fmt::join(columns, ", "));
  const auto purpose = fmt::format("verify replay: compare {}", t.name);
  auto live_only = read_rows(
      c, fmt::format("SELECT {1} FROM main.{0} EXCEPT SELECT {1} FROM temp.replay_{0}", t.name, list),
      purpose.c_str(), columns.size());
  auto replay_only = read_rows(
      c, fmt::format("SELECT {1} FROM temp.replay_{0} EXCEPT SELECT {1} FROM main.{0}", t.name, list),
      purpose.c_str(), columns.size());

  auto label_of = [&](const row& r) {
    fmt::dynamic_format_arg_store<fmt::format_context> args;
    for (const auto& [pos, i] : key_order) args.push_back(shown(r[i]));
    return fmt::vformat(t.label, args);
  };
  auto key_of = [&](const row& r) {
    row k;
    for (const auto& [pos, i] : key_order) k.push_back(r[i]);
    return k;
  };
  std::map<row, const row*> replay_by_key;
  for (const auto& r : replay_only) replay_by_key.emplace(key_of(r), &r);

  for (const auto& l : live_only) {
    auto it = replay_by_key.find(key_of(l));
    if (it == replay_by_key.end()) {
      diffs.add(fmt::format("{}: in live {} but not in the replay", label_of(l), t.name));
      continue;
    }
    const row& r = *it->second;
    for (std::size_t i = 0; i < columns.size(); ++i)
      if (l[i] != r[i])
        diffs.add(fmt::format("{}: {} live={} replay={}", label_of(l), columns[i], shown(l[i]), shown(r[i])));
    replay_by_key.erase(it);
  }
  for (const auto& r : replay_only)
    if (replay_by_key.count(key_of(r)))
      diffs.add(fmt::format("{}: missing from live {}", label_of(r), t.name));
}

std::optional<std::string> at_pointer(const json& j, const std::string& path) {
  try {
    return dump(j.at(json::json_pointer(path)));
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

void compare_states(const connection& c, statement_cache& rs, difference_list& diffs) {
  auto q = rs.use(r_state_differs);
  while (q.next()) {
    const auto id = q.int64(0);
    json live, replayed = json::parse(q.text(2));
    try {
      live = json::parse(q.text(1));
    } catch (const json::exception&) {
      diffs.add(fmt::format("case {}: state live is not valid JSON", id));
      continue;
    }
    if (live == replayed) continue;  // same content, other spelling
    for (const auto& op : json::diff(live, replayed)) {
      const auto path = op.value("path", "");
      auto l = at_pointer(live, path), r = at_pointer(replayed, path);
      diffs.add(fmt::format("case {}: state{} live={} replay={}", id, path, l ? shown(l) : "absent",
                            r ? shown(r) : "absent"));
    }
  }
}

}  // namespace

replay_report sqlite_store::verify_replay() {
  const auto& c = impl_->conn;
  replay_report rep;
  // A savepoint gives one read snapshot; rolling it back drops the scratch tables.
  c.exec("SAVEPOINT replay", "verify replay: begin");
  try {
    statement_cache rs(c, replay_defs, "", false);
    difference_list diffs(rep.differences);
    for (const auto& t : sqlite_schema::derived_tables()) {
      std::string sql;
      {
        auto q = rs.use(r_table_sql);
        q.bind(1, std::string_view(t.name));
        if (q.next()) sql = q.text(0);
      }
      const auto paren = sql.find('(');
      if (paren == std::string::npos)
        throw store_error(fmt::format("store {}: verify replay: table {} has no schema", c.path, t.name),
                          SQLITE_CORRUPT);
      // The live table's own definition, so later migrations are replayed as they are.
      c.exec(fmt::format("CREATE TEMP TABLE replay_{}{}", t.name, sql.substr(paren)).c_str(),
             "verify replay: create scratch tables");
    }
    {
      projection proj(c, "temp.replay_", false);
      auto q = rs.use(r_journal_all);
      case_id current = 0;
      bool any = false;
      case_state state;
      std::vector<fact> facts;
      auto flush = [&] {
        if (!any) return;
        proj.apply(current, facts, state, to_json_text(state));
        ++rep.cases;
      };
      while (q.next()) {
        const case_id id = q.int64(0);
        if (!any || id != current) {
          flush();
          current = id;
          any = true;
          state = case_state{};
          facts.clear();
        }
        ++rep.facts;
        const auto seq = q.int64(1);
        const auto kind_name = q.text(3);
        auto kind = fact_kind_from_string(kind_name);
        if (!kind) {
          diffs.add(fmt::format("case {}: journal seq {} has unknown kind '{}'", id, seq, kind_name));
          continue;
        }
        flat_object data;
        try {
          data = flat_object::from_json(json::parse(q.text(5)));
        } catch (const json::exception&) {
          diffs.add(fmt::format("case {}: journal seq {} data is not JSON", id, seq));
        }
        fact f{*kind, q.time(2), q.text(4), std::move(data)};
        apply(state, id, f);
        facts.push_back(std::move(f));
      }
      flush();
    }
    for (const auto& t : sqlite_schema::derived_tables()) compare_table(c, rs, t, diffs);
    compare_states(c, rs, diffs);
  } catch (...) {
    sqlite3_exec(c.db, "ROLLBACK TO replay; RELEASE replay", nullptr, nullptr, nullptr);
    throw;
  }
  c.exec("ROLLBACK TO replay; RELEASE replay", "verify replay: drop scratch tables");
  return rep;
}

}  // namespace reglament
