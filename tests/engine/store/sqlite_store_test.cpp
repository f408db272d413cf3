#include "engine/store/sqlite_store.hpp"

#include "engine/store/migrations.hpp"
#include "tests/fakes/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

using namespace reglament;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A second, raw connection: what another process (or a careless admin) could do.
class raw_db {
 public:
  explicit raw_db(const std::string& path) { REQUIRE(sqlite3_open(path.c_str(), &db_) == SQLITE_OK); }
  ~raw_db() { sqlite3_close(db_); }
  void exec(const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    INFO(sql << ": " << (err ? err : ""));
    sqlite3_free(err);
    REQUIRE(rc == SQLITE_OK);
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
    std::string out;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
      out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

constexpr std::int64_t t0 = 1795000000000;  // 2026-11-18, ms
timestamp at(std::int64_t offset_ms) { return from_millis(t0 + offset_ms); }

fact make(fact_kind k, std::int64_t offset_ms, std::string step, flat_object data = {}) {
  return fact{k, at(offset_ms), std::move(step), std::move(data)};
}

// Plays the interpreter: folds the facts into `state`, then appends them in a transaction.
void record(sqlite_store& s, case_state& state, case_id id, std::vector<fact> facts) {
  for (const auto& f : facts) apply(state, id, f);
  s.begin();
  s.append(id, facts, state);
  s.commit();
}

// A client request that is greeted, checked against the tariff and handed to the manager.
case_state intake(sqlite_store& s, case_id id, const std::string& thread, std::int64_t t = 0) {
  case_state st;
  record(s, st, id,
         {make(fact_kind::case_opened, t, "",
               {{"playbook", "intake"}, {"version", 1}, {"channel", "telegram"}, {"sender", "@ivanov"},
                {"thread", thread}, {"client", "romashka"}}),
          make(fact_kind::message_received, t, "",
               {{"channel", "telegram"}, {"external_id", thread + "-1"}, {"sender", "@ivanov"},
                {"text", "Нужна справка"}}),
          make(fact_kind::step_entered, t, "greet", {{"kind", "say"}}),
          make(fact_kind::message_queued, t, "greet",
               {{"outbox", 1}, {"channel", "telegram"}, {"to", "@ivanov"}, {"text", "Здравствуйте!"}}),
          make(fact_kind::step_entered, t + 1, "check", {{"kind", "check_tariff"}}),
          make(fact_kind::tariff_checked, t + 1, "check",
               {{"outcome", "in_tariff"}, {"service", "certificate"}, {"period", "2026-11"},
                {"quota_used", 0}, {"quota_limit", 3}}),
          make(fact_kind::step_entered, t + 2, "prepare", {{"kind", "task"}}),
          make(fact_kind::assigned, t + 2, "prepare", {{"to", "anna"}}),
          make(fact_kind::waiting, t + 2, "prepare", {{"for", "manager"}})});
  return st;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

}  // namespace

TEST_CASE("a fresh file is migrated, and reopening it is idempotent", "[store]") {
  temp_dir dir;
  const auto path = dir.file("nested/dir/reglament.db");  // the directory does not exist yet
  {
    sqlite_store s(path);
    CHECK(s.schema_version() == sqlite_schema::latest_version());
    CHECK(s.journal_size() == 0);
    CHECK(s.next_case_id() == 1);
  }
  {
    sqlite_store s(path);
    CHECK(s.schema_version() == sqlite_schema::latest_version());
  }
  raw_db raw(path);
  CHECK(raw.text("PRAGMA user_version") == std::to_string(sqlite_schema::latest_version()));
  CHECK(raw.text("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('journal', "
                 "'cases', 'inbound', 'outbox', 'timers', 'tasks', 'quota_usage', 'playbook_versions')") ==
        "8");
}

TEST_CASE("a database from a newer program is refused", "[store]") {
  temp_dir dir;
  const auto path = dir.file("x.db");
  { sqlite_store s(path); }
  raw_db(path).exec("PRAGMA user_version = 99");
  try {
    sqlite_store s(path);
    FAIL("opened a newer schema");
  } catch (const store_error& e) {
    CHECK(std::string(e.what()).find(path) != std::string::npos);
    CHECK(std::string(e.what()).find("newer") != std::string::npos);
  }
}

TEST_CASE("files are opened in WAL mode, and :memory: works", "[store]") {
  temp_dir dir;
  const auto path = dir.file("wal.db");
  sqlite_store s(path);
  CHECK(raw_db(path).text("PRAGMA journal_mode") == "wal");

  sqlite_store mem(":memory:");
  CHECK(mem.schema_version() == sqlite_schema::latest_version());
  case_state st = intake(mem, mem.next_case_id(), "t1");
  CHECK(mem.load_case(1).has_value());
}

TEST_CASE("the journal round-trips and folds back into the stored state", "[store]") {
  sqlite_store s(":memory:");
  const case_id id = s.next_case_id();
  case_state st = intake(s, id, "thread-1");
  record(s, st, id,
         {make(fact_kind::form_submitted, 10, "prepare", {{"values", {{"inn", "7701"}}}, {"actor", "anna"}}),
          make(fact_kind::task_done, 11, "prepare", {{"actor", "anna"}}),
          make(fact_kind::step_entered, 12, "wait", {{"kind", "wait_client"}}),
          make(fact_kind::timer_set, 12, "wait", {{"timer", 1}, {"due", t0 + 86400000}, {"purpose", "timeout"}}),
          make(fact_kind::waiting, 12, "wait", {{"for", "client"}})});

  auto entries = s.journal(id);
  REQUIRE(entries.size() == 14);
  CHECK(s.journal_size() == 14);
  case_state folded;
  std::int64_t last_seq = 0;
  for (const auto& e : entries) {
    CHECK(e.id == id);
    CHECK(e.seq > last_seq);
    last_seq = e.seq;
    apply(folded, e.id, e.what);
    // What journal() returns is what fact_from_json accepts.
    CHECK(to_json(fact_from_json(to_json(e.what))) == to_json(e.what));
  }
  CHECK(entries[0].what.kind == fact_kind::case_opened);
  CHECK(entries[0].what.data["client"] == "romashka");
  CHECK(entries[10].what.step == "prepare");
  CHECK(entries.back().what.at == at(12));

  auto loaded = s.load_case(id);
  REQUIRE(loaded);
  CHECK(to_json(*loaded) == to_json(folded));
  CHECK(to_json(*loaded) == to_json(st));
  CHECK(loaded->status == case_status::waiting_client);
  CHECK(loaded->vars["inn"] == "7701");
  CHECK_FALSE(s.load_case(99).has_value());
}

TEST_CASE("derived tables equal their replay, and tampering is found", "[store]") {
  temp_dir dir;
  const auto path = dir.file("replay.db");
  sqlite_store s(path);
  case_state a = intake(s, s.next_case_id(), "a");
  case_state b = intake(s, s.next_case_id(), "b", 1000);
  record(s, b, 2,
         {make(fact_kind::message_sent, 1100, "", {{"outbox", 1}, {"attempts", 1}}),
          make(fact_kind::choice_made, 1200, "prepare", {{"option", "done"}, {"actor", "anna"}}),
          make(fact_kind::step_entered, 1200, "wait", {{"kind", "wait_client"}}),
          make(fact_kind::timer_set, 1200, "wait", {{"timer", 1}, {"due", t0 + 5000}, {"purpose", "timeout"}}),
          make(fact_kind::waiting, 1200, "wait", {{"for", "client"}})});
  case_state c = intake(s, s.next_case_id(), "c", 2000);
  record(s, c, 3,
         {make(fact_kind::step_entered, 2100, "bye", {{"kind", "end"}}),
          make(fact_kind::staff_notified, 2100, "bye", {{"outbox", 2}, {"to", "director"}, {"text", "Готово"}}),
          make(fact_kind::case_closed, 2100, "bye", {{"outcome", "done"}})});

  auto clean = s.verify_replay();
  INFO(joined(clean.differences));
  CHECK(clean.differences.empty());
  CHECK(clean.cases == 3);
  CHECK(clean.facts == 9 * 3 + 5 + 3);

  SECTION("a changed column of a case row") {
    raw_db(path).exec("UPDATE cases SET status = 'closed' WHERE id = 2");
    auto rep = s.verify_replay();
    INFO(joined(rep.differences));
    CHECK(contains(rep.differences, "case 2: status live=closed replay=waiting_client"));
  }
  SECTION("a changed case state") {
    raw_db(path).exec("UPDATE cases SET state = json_set(state, '$.assignee', 'boris') WHERE id = 1");
    auto rep = s.verify_replay();
    INFO(joined(rep.differences));
    CHECK(contains(rep.differences, "case 1: state/assignee live=\"boris\" replay=\"anna\""));
  }
  SECTION("a lost outbox row, an extra timer, a wrong quota") {
    raw_db raw(path);
    raw.exec("DELETE FROM outbox WHERE case_id = 3 AND n = 2");
    raw.exec("INSERT INTO timers VALUES(1, 7, 0, 'x', 'pause')");
    raw.exec("UPDATE quota_usage SET used = 1");
    auto rep = s.verify_replay();
    INFO(joined(rep.differences));
    CHECK(contains(rep.differences, "case 3 outbox 2: missing from live outbox"));
    CHECK(contains(rep.differences, "case 1 timer 7: in live timers but not in the replay"));
    CHECK(contains(rep.differences, "quota romashka/certificate/2026-11: used live=1 replay=3"));
  }
  // The scratch tables are gone and the store still works.
  case_state d = intake(s, s.next_case_id(), "d", 3000);
  CHECK(s.count_cases_by_status("waiting_manager") == 2);
}

TEST_CASE("inbound messages are deduplicated", "[store]") {
  sqlite_store s(":memory:");
  CHECK_FALSE(s.inbound_case("telegram", "m-1").has_value());
  s.record_inbound("telegram", "m-1", 5, at(0));
  s.record_inbound("telegram", "m-1", 6, at(1));  // a redelivery: the first record wins
  s.record_inbound("email", "m-1", 7, at(2));     // same id on another channel is another message
  CHECK(s.inbound_case("telegram", "m-1") == std::optional<case_id>(5));
  CHECK(s.inbound_case("email", "m-1") == std::optional<case_id>(7));
}

TEST_CASE("outbox rows move from queued to sent, failed and dead", "[store]") {
  sqlite_store s(":memory:");
  case_state st = intake(s, 1, "t");  // queues message 1 at t0
  record(s, st, 1,
         {make(fact_kind::staff_notified, 5, "prepare", {{"outbox", 2}, {"to", "anna"}, {"text", "Новая заявка"}}),
          make(fact_kind::message_queued, 6, "prepare",
               {{"outbox", 3}, {"channel", "telegram"}, {"to", "@ivanov"}, {"text", "Принято"}})});

  auto due = s.outbox_due(at(5), 10);
  REQUIRE(due.size() == 2);
  CHECK(due[0].n == 1);
  CHECK(due[0].state == "queued");
  CHECK(due[0].idempotency_key() == "c1-m1");
  CHECK(due[1].channel == "staff");
  CHECK(due[1].to == "anna");
  CHECK(s.outbox_due(at(6), 10).size() == 3);
  CHECK(s.outbox_due(at(6), 2).size() == 2);

  record(s, st, 1,
         {make(fact_kind::message_sent, 20, "", {{"outbox", 1}, {"attempts", 1}}),
          make(fact_kind::message_failed, 21, "",
               {{"outbox", 2}, {"attempts", 1}, {"error", "smtp 451"}, {"retry_at", t0 + 60000}}),
          make(fact_kind::message_failed, 22, "", {{"outbox", 3}, {"attempts", 5}, {"error", "blocked"}, {"dead", true}})});

  CHECK(s.outbox_due(at(1000), 10).empty());  // 2 waits for its retry, 1 is sent, 3 is dead
  auto retry = s.outbox_due(at(60000), 10);
  REQUIRE(retry.size() == 1);
  CHECK(retry[0].n == 2);
  CHECK(retry[0].state == "failed");
  CHECK(retry[0].attempts == 1);
  CHECK(retry[0].last_error == "smtp 451");
  CHECK(retry[0].next_attempt_at == at(60000));

  CHECK(s.outbox("sent", 10).size() == 1);
  CHECK(s.outbox("dead", 10).at(0).last_error == "blocked");
  CHECK(s.outbox("", 10).size() == 3);
  CHECK(s.verify_replay().differences.empty());
}

TEST_CASE("timers come due in order and disappear when fired, cancelled or closed", "[store]") {
  sqlite_store s(":memory:");
  case_state a = intake(s, 1, "a"), b = intake(s, 2, "b");
  auto timer = [](std::int64_t t, int n, std::int64_t due) {
    return make(fact_kind::timer_set, t, "wait", {{"timer", n}, {"due", t0 + due}, {"purpose", "timeout"}});
  };
  record(s, a, 1, {timer(10, 1, 3000), timer(10, 2, 1000)});
  record(s, b, 2, {timer(11, 1, 2000)});
  CHECK(s.next_timer_due() == std::optional<timestamp>(at(1000)));

  auto due = s.due_timers(at(5000), 10);
  REQUIRE(due.size() == 3);
  CHECK((due[0].id == 1 && due[0].n == 2));
  CHECK((due[1].id == 2 && due[1].n == 1));
  CHECK((due[2].id == 1 && due[2].n == 1));
  CHECK(due[0].step == "wait");
  CHECK(due[0].purpose == "timeout");
  CHECK(s.due_timers(at(1999), 10).size() == 1);
  CHECK(s.due_timers(at(5000), 1).size() == 1);

  record(s, a, 1, {make(fact_kind::timer_fired, 1000, "wait", {{"timer", 2}})});
  record(s, b, 2, {make(fact_kind::timer_cancelled, 1500, "wait", {{"timer", 1}})});
  CHECK(s.next_timer_due() == std::optional<timestamp>(at(3000)));
  record(s, a, 1, {make(fact_kind::case_closed, 1600, "wait", {{"outcome", "cancelled"}})});
  CHECK_FALSE(s.next_timer_due().has_value());
  CHECK(s.due_timers(at(99999), 10).empty());
  CHECK(s.verify_replay().differences.empty());
}

TEST_CASE("in-tariff checks count against the client's quota", "[store]") {
  sqlite_store s(":memory:");
  case_state a = intake(s, 1, "a");  // one in-tariff certificate in 2026-11
  auto check = [](const char* outcome, const char* period) {
    return make(fact_kind::tariff_checked, 50, "check",
                {{"outcome", outcome}, {"service", "certificate"}, {"period", period}});
  };
  record(s, a, 1, {check("in_tariff", "2026-11"), check("over_quota", "2026-11"), check("in_tariff", "2026-12")});
  CHECK(s.quota_used("romashka", "certificate", "2026-11") == 2);
  CHECK(s.quota_used("romashka", "certificate", "2026-12") == 1);
  CHECK(s.quota_used("romashka", "payroll", "2026-11") == 0);
  CHECK(s.quota_used("other", "certificate", "2026-11") == 0);
  CHECK(s.verify_replay().differences.empty());
}

TEST_CASE("playbook versions: same content keeps its number, a change gets the next", "[store]") {
  sqlite_store s(":memory:");
  playbook pb;
  pb.id = "intake";
  pb.file = "playbooks/intake.yaml";
  pb.sha256 = "aaa";
  pb.source = "id: intake\n";
  CHECK(s.register_playbook(pb, at(0)) == 1);
  CHECK(s.register_playbook(pb, at(1)) == 1);
  pb.sha256 = "bbb";
  pb.source = "id: intake\n# changed\n";
  CHECK(s.register_playbook(pb, at(2)) == 2);
  pb.id = "office-supplies";
  CHECK(s.register_playbook(pb, at(3)) == 1);

  auto versions = s.playbook_versions("intake");
  REQUIRE(versions.size() == 2);
  CHECK(versions[0].version == 1);
  CHECK(versions[1].version == 2);
  auto old = s.playbook_version("intake", 1);
  REQUIRE(old);
  CHECK(old->sha256 == "aaa");
  CHECK(old->source == "id: intake\n");
  CHECK(old->file == "playbooks/intake.yaml");
  CHECK(old->loaded_at == at(0));
  CHECK_FALSE(s.playbook_version("intake", 3).has_value());
}

TEST_CASE("a file database keeps everything across reopening", "[store]") {
  temp_dir dir;
  const auto path = dir.file("keep.db");
  {
    sqlite_store s(path);
    intake(s, s.next_case_id(), "a");
    intake(s, s.next_case_id(), "b");
    s.record_inbound("telegram", "a-1", 1, at(0));
    playbook pb;
    pb.id = "intake";
    pb.sha256 = "aaa";
    s.register_playbook(pb, at(0));
  }
  sqlite_store s(path);
  CHECK(s.next_case_id() == 3);
  CHECK(s.journal_size() == 18);
  CHECK(s.load_case(2)->thread == "b");
  CHECK(s.open_case_for_thread("telegram", "a") == std::optional<case_id>(1));
  CHECK(s.inbound_case("telegram", "a-1") == std::optional<case_id>(1));
  CHECK(s.playbook_versions("intake").size() == 1);
  CHECK(s.quota_used("romashka", "certificate", "2026-11") == 2);
  CHECK(s.outbox_due(at(0), 10).size() == 2);
  CHECK(s.verify_replay().differences.empty());
}

TEST_CASE("case queries: open case by thread, filters, paging, tasks", "[store]") {
  temp_dir dir;
  const auto path = dir.file("q.db");
  sqlite_store s(path);
  for (int i = 1; i <= 5; ++i) intake(s, s.next_case_id(), "t" + std::to_string(i), i * 100);
  case_state third = *s.load_case(3);
  record(s, third, 3, {make(fact_kind::case_closed, 900, "prepare", {{"outcome", "done"}})});

  CHECK(s.open_case_for_thread("telegram", "t3") == std::nullopt);
  CHECK(s.open_case_for_thread("telegram", "t4") == std::optional<case_id>(4));
  CHECK(s.open_case_for_thread("email", "t4") == std::nullopt);

  auto all = s.cases({});
  REQUIRE(all.size() == 5);
  CHECK(all.front().id == 5);  // newest first
  CHECK(all.front().assignee == "anna");
  CHECK(all.front().opened_at == at(500));
  case_filter open;
  open.open_only = true;
  CHECK(s.cases(open).size() == 4);
  case_filter page;
  page.limit = 2;
  page.before = 4;
  auto p = s.cases(page);
  REQUIRE(p.size() == 2);
  CHECK(p[0].id == 3);
  CHECK(p[1].id == 2);
  case_filter closed;
  closed.status = "closed";
  CHECK(s.cases(closed).at(0).id == 3);
  case_filter newer;
  newer.after = 3;
  CHECK(s.cases(newer).size() == 2);
  CHECK(s.count_cases_by_status("closed") == 1);
  CHECK(s.count_timers() == static_cast<std::int64_t>(s.due_timers(from_millis(std::int64_t{1} << 52), 1000).size()));
  CHECK(s.count_outbox("queued") == static_cast<std::int64_t>(s.outbox("queued", 1000).size()));
  CHECK(s.count_cases_by_status("waiting_manager") == 4);

  raw_db raw(path);
  CHECK(raw.text("SELECT count(*) FROM tasks") == "4");
  CHECK(raw.text("SELECT waiting_for || ' ' || assignee || ' ' || step || ' ' || (since - " +
                 std::to_string(t0) + ") FROM tasks WHERE case_id = 2") == "waiting_manager anna prepare 202");
  CHECK(raw.text("SELECT closed_at - " + std::to_string(t0) + " FROM cases WHERE id = 3") == "900");
}

TEST_CASE("a savepoint rolls one event back inside a group commit", "[store]") {
  sqlite_store s(":memory:");
  s.begin();
  s.savepoint();
  case_state a;
  std::vector<fact> fa{make(fact_kind::case_opened, 0, "", {{"playbook", "intake"}, {"thread", "a"}})};
  apply(a, 1, fa[0]);
  s.append(1, fa, a);
  s.release_savepoint();
  s.savepoint();
  case_state b;
  std::vector<fact> fb{make(fact_kind::case_opened, 0, "", {{"playbook", "intake"}, {"thread", "b"}})};
  apply(b, 2, fb[0]);
  s.append(2, fb, b);
  s.rollback_to_savepoint();
  s.release_savepoint();
  s.commit();
  CHECK(s.load_case(1).has_value());
  CHECK_FALSE(s.load_case(2).has_value());
  CHECK(s.journal_size() == 1);

  s.begin();
  s.append(3, fb, b);
  s.rollback();
  s.rollback();  // already rolled back: harmless
  CHECK_FALSE(s.load_case(3).has_value());
}

TEST_CASE("an event of many facts is journaled whole and in order, in inserts of several rows", "[store]") {
  sqlite_store s(":memory:");
  case_state st = intake(s, s.next_case_id(), "t");
  const auto before = s.journal(1).size();
  // 37 notes: more than one multi-row insert holds, and not a multiple of it.
  std::vector<fact> notes;
  for (int i = 0; i < 37; ++i)
    notes.push_back(make(fact_kind::note_added, 100 + i, "prepare", {{"text", "note " + std::to_string(i)}, {"actor", "anna"}}));
  record(s, st, 1, notes);
  auto j = s.journal(1);
  REQUIRE(j.size() == before + 37);
  for (std::size_t i = 0; i < 37; ++i) {
    const auto& e = j[before + i];
    CHECK(e.what.kind == fact_kind::note_added);
    CHECK(e.what.data.value("text", "") == "note " + std::to_string(i));
    CHECK(to_millis(e.what.at) == t0 + 100 + static_cast<std::int64_t>(i));
    CHECK(e.seq > j[before + i - 1].seq);
  }
  CHECK(s.journal_size() == static_cast<std::int64_t>(before + 37));
  CHECK(s.verify_replay().differences.empty());
}

TEST_CASE("case ids handed out in a rolled-back transaction or savepoint are handed out again", "[store]") {
  sqlite_store s(":memory:");
  auto open = [&s](case_id id) {
    case_state c;
    std::vector<fact> f{make(fact_kind::case_opened, 0, "", {{"playbook", "intake"}, {"thread", std::to_string(id)}})};
    apply(c, id, f[0]);
    s.append(id, f, c);
  };
  s.begin();
  CHECK(s.next_case_id() == 1);
  open(1);
  s.savepoint();
  CHECK(s.next_case_id() == 2);
  open(2);
  s.rollback_to_savepoint();
  s.release_savepoint();
  CHECK(s.next_case_id() == 2);  // given back by the savepoint
  open(2);
  s.commit();
  CHECK(s.load_case(2).has_value());

  const auto before = s.rows_changed();
  s.begin();
  CHECK(s.next_case_id() == 3);
  CHECK(s.rows_changed() == before);  // nothing written yet
  open(3);
  CHECK(s.rows_changed() > before);
  s.rollback();
  CHECK_FALSE(s.load_case(3).has_value());
  CHECK(s.rows_changed() > before);  // rows written count, rolled back or not
  CHECK(s.next_case_id() == 3);      // given back by the rollback
}

TEST_CASE("errors name the database and the operation, and a locked database is busy", "[store]") {
  temp_dir dir;
  const auto path = dir.file("busy.db");
  sqlite_store writer(path);
  sqlite_store::options quick;
  quick.busy_timeout_ms = 0;
  sqlite_store other(path, quick);
  writer.begin();
  try {
    other.begin();
    FAIL("took the write lock twice");
  } catch (const store_error& e) {
    CHECK(e.is_busy());
    CHECK(std::string(e.what()) == "store " + path + ": begin transaction: database is locked");
  }
  writer.commit();

  // A duplicate outbox number is a bug in the caller; the message says where.
  sqlite_store mem(":memory:");
  case_state st = intake(mem, 1, "a");
  mem.begin();
  try {
    mem.append(1, {make(fact_kind::message_queued, 9, "x", {{"outbox", 1}, {"channel", "telegram"}})}, st);
    FAIL("appended a duplicate outbox row");
  } catch (const store_error& e) {
    CHECK_FALSE(e.is_busy());
    INFO(e.what());
    CHECK(std::string(e.what()).rfind("store :memory:: queue outbox message for case 1: UNIQUE", 0) == 0);
  }
  mem.rollback();
}

TEST_CASE("read-only stores read, and backups copy a consistent snapshot", "[store]") {
  temp_dir dir;
  const auto path = dir.file("live.db");
  sqlite_store s(path);
  intake(s, s.next_case_id(), "a");
  s.checkpoint();

  sqlite_store::options ro;
  ro.read_only = true;
  sqlite_store reader(path, ro);
  CHECK(reader.load_case(1).has_value());
  CHECK(reader.verify_replay().differences.empty());
  CHECK_THROWS_AS(reader.record_inbound("telegram", "x", 1, at(0)), store_error);

  const auto copy = dir.file("backups/copy.db");
  s.backup_to(copy);
  sqlite_store restored(copy);
  CHECK(restored.journal_size() == s.journal_size());
  CHECK(to_json(*restored.load_case(1)) == to_json(*s.load_case(1)));
  CHECK(restored.verify_replay().differences.empty());
}

TEST_CASE("quota is counted in the step's transaction: a rolled-back step counts nothing", "[store]") {
  sqlite_store s(":memory:");
  case_state a = intake(s, 1, "a");
  CHECK(s.quota_used("romashka", "certificate", "2026-11") == 1);
  auto second = make(fact_kind::tariff_checked, 60, "check",
                     {{"outcome", "in_tariff"}, {"service", "certificate"}, {"period", "2026-11"}});
  case_state scratch = a;
  apply(scratch, 1, second);
  s.begin();
  s.append(1, {second}, scratch);
  CHECK(s.quota_used("romashka", "certificate", "2026-11") == 2);  // the writer sees its own step
  s.rollback();
  CHECK(s.quota_used("romashka", "certificate", "2026-11") == 1);
  CHECK(s.verify_replay().differences.empty());
}

TEST_CASE("a cancelled request gives its quota back and paid work never touches it", "[store]") {
  temp_dir dir;
  sqlite_store s(dir.file("quota.db"));
  case_state a = intake(s, 1, "a");  // in tariff: holds one certificate of 2026-11
  case_state b = intake(s, 2, "b", 1000);
  CHECK(s.quota_used("romashka", "certificate", "2026-11") == 2);
  CHECK(a.quota_held == "certificate\n2026-11");
  record(s, a, 1,
         {make(fact_kind::quota_returned, 100, "cancelled",
               {{"service", "certificate"}, {"period", "2026-11"}, {"reason", "cancelled"}}),
          make(fact_kind::case_closed, 100, "cancelled", {{"outcome", "cancelled"}})});
  CHECK(a.quota_held.empty());
  CHECK(s.quota_used("romashka", "certificate", "2026-11") == 1);
  // A paid request (over quota) closed as declined: the quota stays as it was.
  case_state c;
  record(s, c, 3,
         {make(fact_kind::case_opened, 2000, "", {{"playbook", "intake"}, {"version", 1}, {"client", "romashka"}}),
          make(fact_kind::tariff_checked, 2001, "check",
               {{"outcome", "over_quota"}, {"service", "certificate"}, {"period", "2026-11"}}),
          make(fact_kind::case_closed, 2002, "declined", {{"outcome", "declined"}})});
  CHECK(c.quota_held.empty());
  CHECK(s.quota_used("romashka", "certificate", "2026-11") == 1);
  auto rep = s.verify_replay();
  INFO(joined(rep.differences));
  CHECK(rep.differences.empty());
  raw_db(dir.file("quota.db")).exec("UPDATE quota_usage SET used = 2");
  CHECK(contains(s.verify_replay().differences, "quota romashka/certificate/2026-11: used live=2 replay=1"));
}

TEST_CASE("service corrections are counted per client and phrase and replay equal", "[store]") {
  temp_dir dir;
  sqlite_store s(dir.file("learned.db"));
  case_state a = intake(s, 1, "a");
  auto corrected = [](std::int64_t t, const char* key, const char* to) {
    return make(fact_kind::service_corrected, t, "check",
                {{"from", "bank_statement"}, {"to", to}, {"key", key}, {"actor", "manager"}});
  };
  record(s, a, 1, {corrected(10, "выписк лютик расчет", "certificate")});
  case_state b = intake(s, 2, "b", 1000);
  record(s, b, 2, {corrected(1010, "выписк лютик расчет", "certificate"), corrected(1011, "доверен", "hr_docs")});
  auto learned = s.learned_services("romashka");
  REQUIRE(learned.size() == 2);
  CHECK(learned[0].key == "выписк лютик расчет");
  CHECK(learned[0].service_id == "certificate");
  CHECK(learned[0].count == 2);
  CHECK(learned[1].service_id == "hr_docs");
  CHECK(learned[1].count == 1);
  CHECK(s.learned_services("vektor").empty());
  auto rep = s.verify_replay();
  INFO(joined(rep.differences));
  CHECK(rep.differences.empty());
  raw_db(dir.file("learned.db")).exec("DELETE FROM service_corrections WHERE service_id = 'hr_docs'");
  CHECK_FALSE(s.verify_replay().differences.empty());
}
