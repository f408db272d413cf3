#include "tools/bench/extras.hpp"

#include "engine/case_state.hpp"
#include "engine/case_state_json.hpp"
#include "engine/clock.hpp"
#include "engine/playbook_loader.hpp"
#include "engine/store/sqlite_store.hpp"
#include "engine/validator.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>

namespace reglament::bench {
namespace {

using json = nlohmann::json;
using steady = std::chrono::steady_clock;

void check(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
    throw std::runtime_error(fmt::format("idle store: {}: {}", what, sqlite3_errmsg(db)));
}

}  // namespace

void export_workload(const firm_file& firm, const std::vector<inbound_message>& msgs, const std::string& path) {
  json j;
  j["services"] = json::array();
  for (const auto& s : firm.services())
    j["services"].push_back({{"id", s.id}, {"title", s.title}, {"keywords", s.keywords}});
  j["tariffs"] = json::object();
  for (const auto& [id, t] : firm.tariffs()) j["tariffs"][id] = t.quotas;
  j["clients"] = json::array();
  for (const auto& c : firm.clients()) {
    std::string email;
    for (const auto& k : c.contacts)
      if (k.channel == "email") {
        email = k.address;
        break;
      }
    j["clients"].push_back({{"id", c.info.id},
                            {"email", email},
                            {"tariff", c.info.tariff_id},
                            {"address", c.info.address_as},
                            {"form", c.info.informal ? "ты" : "Вы"},
                            {"manager", c.info.manager},
                            {"accountant", c.info.accountant}});
  }
  j["period"] = "2026-11";
  j["messages"] = json::array();
  for (const auto& m : msgs)
    j["messages"].push_back({{"sender", m.sender}, {"text", m.text}, {"external_id", m.external_id}});
  std::ofstream out(path, std::ios::binary);
  out << j.dump();
  if (!out) throw std::runtime_error("cannot write " + path);
}

double make_idle_store(const std::string& path, std::int64_t cases, const std::string& intake_file) {
  const auto start = steady::now();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  auto intake = load_playbook_file(intake_file);
  if (!intake.book) throw std::runtime_error("idle store: cannot load " + intake_file);
  const timestamp now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  int version = 0;
  {
    sqlite_store st(path);  // the schema, migrated as the daemon would
    version = st.register_playbook(*intake.book, now);
  }
  sqlite3* db = nullptr;
  check(db, sqlite3_open(path.c_str(), &db), "open");
  // Setup only: no fsync per page, one transaction. The daemon then opens it normally.
  for (const char* p : {"PRAGMA synchronous = OFF", "PRAGMA cache_size = -262144", "BEGIN"})
    check(db, sqlite3_exec(db, p, nullptr, nullptr, nullptr), p);
  auto prepare = [&](const char* sql) {
    sqlite3_stmt* s = nullptr;
    check(db, sqlite3_prepare_v2(db, sql, -1, &s, nullptr), sql);
    return s;
  };
  auto* journal = prepare("INSERT INTO journal(case_id, at, kind, step, data) VALUES(?1, ?2, ?3, ?4, ?5)");
  auto* case_row = prepare(
      "INSERT INTO cases(id, playbook, version, status, step, channel, sender, thread, client_id, assignee, "
      "outcome, opened_at, updated_at, closed_at, state) VALUES(?1, 'intake', ?2, ?3, ?4, 'email', ?5, ?6, ?7, "
      "?8, '', ?9, ?9, NULL, ?10)");
  auto* timer = prepare("INSERT INTO timers(case_id, n, due_at, step, purpose) VALUES(?1, 1, ?2, ?3, ?4)");
  auto run = [&](sqlite3_stmt* s) {
    check(db, sqlite3_step(s), sqlite3_sql(s));
    sqlite3_reset(s);
  };
  std::mt19937_64 rng(7);
  const auto now_ms = to_millis(now);
  for (std::int64_t id = 1; id <= cases; ++id) {
    // The facts a case waiting on `wait_work` has, applied as a live run would.
    const auto at = from_millis(now_ms - static_cast<std::int64_t>(rng() % (30LL * 86400000)));
    const auto due = now_ms + 3600000 + static_cast<std::int64_t>(rng() % (30LL * 86400000));
    const auto client = fmt::format("c{:05}", id % 5000);
    const auto sender = fmt::format("client{:05}@firm{}.ru", id % 5000, id % 997);
    const auto thread = fmt::format("<idle.{}@mail.example>", id);
    std::vector<fact> facts{
        {fact_kind::case_opened, at, "",
         flat_object{{"playbook", "intake"}, {"version", version}, {"channel", "email"}, {"sender", sender},
              {"thread", thread}, {"client", client}}},
        {fact_kind::message_received, at, "", flat_object{{"text", "Пришлите, пожалуйста, выписку из банка за октябрь."}}},
        {fact_kind::step_entered, at, "wait_work", flat_object{{"kind", "wait_time"}}},
        {fact_kind::timer_set, at, "wait_work", flat_object{{"timer", 1}, {"due", due}, {"purpose", "pause"}}},
        {fact_kind::waiting, at, "wait_work", flat_object{{"for", "timer"}}},
    };
    case_state state;
    state.assignee = "buh.ivanova";
    for (const auto& f : facts) {
      apply(state, id, f);
      sqlite3_bind_int64(journal, 1, id);
      sqlite3_bind_int64(journal, 2, to_millis(f.at));
      sqlite3_bind_text(journal, 3, to_string(f.kind), -1, SQLITE_STATIC);
      sqlite3_bind_text(journal, 4, f.step.c_str(), -1, SQLITE_TRANSIENT);
      const auto data = f.data.dump();
      sqlite3_bind_text(journal, 5, data.c_str(), static_cast<int>(data.size()), SQLITE_TRANSIENT);
      run(journal);
    }
    const auto state_json = to_json_text(state);
    sqlite3_bind_int64(case_row, 1, id);
    sqlite3_bind_int(case_row, 2, version);
    sqlite3_bind_text(case_row, 3, to_string(state.status), -1, SQLITE_STATIC);
    sqlite3_bind_text(case_row, 4, state.step.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(case_row, 5, sender.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(case_row, 6, thread.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(case_row, 7, client.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(case_row, 8, state.assignee.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(case_row, 9, to_millis(at));
    sqlite3_bind_text(case_row, 10, state_json.c_str(), static_cast<int>(state_json.size()), SQLITE_TRANSIENT);
    run(case_row);
    sqlite3_bind_int64(timer, 1, id);
    sqlite3_bind_int64(timer, 2, due);
    sqlite3_bind_text(timer, 3, "wait_work", -1, SQLITE_STATIC);
    sqlite3_bind_text(timer, 4, "pause", -1, SQLITE_STATIC);
    run(timer);
  }
  for (auto* s : {journal, case_row, timer}) sqlite3_finalize(s);
  check(db, sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), "commit");
  check(db, sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr), "checkpoint");
  sqlite3_close(db);
  return std::chrono::duration<double>(steady::now() - start).count();
}

std::string long_playbook_yaml(int steps) {
  std::string y =
      "id: long_flow\ntitle: Длинный регламент\ndescription: Сгенерирован для замера проверки.\n"
      "trigger:\n  message: [email]\n"
      "variables:\n  price: { title: \"Стоимость, руб.\", type: money }\n"
      "  deadline: { title: \"Срок\", type: text }\n"
      "steps:\n";
  auto id = [](int i) { return fmt::format("s{:05}", i); };
  for (int i = 0; i < steps; ++i) {
    const bool last = i + 1 == steps;
    const auto next = id(i + 1);
    y += fmt::format("  - id: {}\n    title: Шаг {}\n", id(i), i + 1);
    if (last) {
      y += "    end: done\n    say: \"{{обращение}}, готово.\"\n";
      continue;
    }
    switch (i % 5) {
      case 0:
        y += fmt::format("    say: \"{{{{обращение}}}}, шаг {} из {}: срок — {{{{срок}}}}.\"\n", i + 1, steps);
        break;
      case 1:
        y += "    form: Стоимость и срок\n    fields:\n      price: \"Стоимость, руб.\"\n      deadline: \"Срок\"\n";
        break;
      case 2:
        y += fmt::format("    if: price >= {}\n    then: {}\n    else: {}\n", 1000 + i, next,
                         id(std::min(steps - 1, i + 2)));
        break;
      case 3:
        y += fmt::format("    choice: \"Что дальше на шаге {}?\"\n    options:\n      \"Дальше\": {}\n      \"Через один\": {}\n",
                         i + 1, next, id(std::min(steps - 1, i + 2)));
        break;
      case 4:
        y += "    wait: time\n    for: 1 рабочий день\n";
        break;
    }
  }
  return y;
}

validation_timing time_validation(const std::string& yaml) {
  validation_timing t;
  const auto t0 = steady::now();
  auto loaded = load_playbook_text(yaml, "long_flow.yaml");
  const auto t1 = steady::now();
  if (!loaded.book) throw std::runtime_error("the generated playbook does not load");
  auto problems = validate(*loaded.book);
  const auto t2 = steady::now();
  t.load_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  t.validate_ms = std::chrono::duration<double, std::milli>(t2 - t1).count();
  for (const auto& d : loaded.problems)
    if (d.level == severity::error) ++t.problems;
  for (const auto& d : problems)
    if (d.level == severity::error) ++t.problems;
  return t;
}

}  // namespace reglament::bench
