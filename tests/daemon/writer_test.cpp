#include "engine/writer.hpp"

#include "engine/store/sqlite_store.hpp"
#include "tests/fakes/forwarding_store.hpp"
#include "tests/fakes/shipped_engine.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <future>
#include <map>
#include <thread>
#include <tuple>

using namespace reglament;
using namespace std::chrono_literals;

namespace {

// A real SQLite file (WAL, synchronous=full) behind a counting wrapper, and an engine
// the work items mostly ignore: the writer's contract is about transactions.
struct rig {
  std::string path;
  sqlite_store db;
  fakes::counting_store st{db};
  playbook_library books;
  manual_clock clk{from_millis(1'800'000'000'000)};
  case_engine engine;

  explicit rig(const std::string& name)
      : path(fresh(name)), db(path), engine(st, books, context(clk)) {}

  static std::string fresh(const std::string& name) {
    auto p = std::filesystem::temp_directory_path() /
             ("reglament-writer-" + name + "-" + std::to_string(::getpid()) + ".db");
    for (auto ext : {"", "-wal", "-shm"}) std::filesystem::remove(p.string() + ext);
    return p.string();
  }
  static run_context context(const reglament::clock& c) {
    run_context ctx;
    ctx.now = &c;
    return ctx;
  }
};

// A work item that writes one inbound record: visible after commit only if it survived.
writer::work record(rig& r, const std::string& ext, case_id id) {
  return [&r, ext, id](case_engine&) {
    r.st.record_inbound("test", ext, id, r.clk.now());
    engine_result res;
    res.id = id;
    res.http_status = 201;
    return res;
  };
}

}  // namespace

TEST_CASE("many submits from several threads share few commits", "[writer]") {
  rig r("group");
  writer w(r.st, r.engine, r.clk, {});
  w.start();
  constexpr int threads = 4, per_thread = 250;
  std::atomic<int> acked{0}, errors{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < threads; ++t)
    clients.emplace_back([&, t] {
      std::vector<std::future<engine_result>> waits;
      for (int i = 0; i < per_thread; ++i) {
        auto p = std::make_shared<std::promise<engine_result>>();
        waits.push_back(p->get_future());
        w.submit(record(r, fmt::format("t{}-{}", t, i), t * 1000 + i + 1),
                 [p](const engine_result& res) { p->set_value(res); });
      }
      for (auto& f : waits) (f.get().error.empty() ? acked : errors)++;
    });
  for (auto& c : clients) c.join();
  w.stop();

  CHECK(acked == threads * per_thread);
  CHECK(errors == 0);
  const auto& s = w.stats();
  CHECK(s.items == threads * per_thread);
  CHECK(static_cast<int>(s.batches) == r.st.commits.load());
  // With an fsync per commit the queue fills while one commits: batches are shared.
  CHECK(s.batches < threads * per_thread / 4);
  std::uint64_t in_buckets = 0;
  for (auto& b : s.batch_size_buckets) in_buckets += b;
  CHECK(in_buckets == s.batches);
  for (int t = 0; t < threads; ++t)
    for (int i = 0; i < per_thread; i += 49) CHECK(r.db.inbound_case("test", fmt::format("t{}-{}", t, i)));
}

TEST_CASE("a failing item rolls back alone", "[writer]") {
  rig r("savepoint");
  writer w(r.st, r.engine, r.clk, {});
  std::vector<engine_result> results(4);
  w.submit(record(r, "a", 1), [&](const engine_result& x) { results[0] = x; });
  w.submit(
      [&r](case_engine&) -> engine_result {
        r.st.record_inbound("test", "b", 2, r.clk.now());
        throw std::runtime_error("boom in the middle");
      },
      [&](const engine_result& x) { results[1] = x; });
  w.submit(
      [&r](case_engine&) {
        r.st.record_inbound("test", "c", 3, r.clk.now());
        engine_result res;
        res.error = "step 'x' is not current";
        res.http_status = 409;
        return res;
      },
      [&](const engine_result& x) { results[2] = x; });
  w.submit(record(r, "d", 4), [&](const engine_result& x) { results[3] = x; });
  w.start();  // all four are waiting: one batch
  w.stop();

  CHECK(w.stats().batches == 1);
  CHECK(results[0].error.empty());
  CHECK(results[1].http_status == 500);
  CHECK_THAT(results[1].error, Catch::Contains("boom in the middle"));
  CHECK(results[2].http_status == 409);
  CHECK(results[3].error.empty());
  CHECK(r.db.inbound_case("test", "a") == 1);
  CHECK_FALSE(r.db.inbound_case("test", "b"));  // thrown: rolled back
  CHECK_FALSE(r.db.inbound_case("test", "c"));  // refused: rolled back
  CHECK(r.db.inbound_case("test", "d") == 4);
}

TEST_CASE("nothing is acknowledged before its commit", "[writer]") {
  rig r("ack");
  writer w(r.st, r.engine, r.clk, {});
  w.start();
  std::atomic<int> early{0};
  std::vector<std::future<void>> done;
  for (int i = 0; i < 200; ++i) {
    auto seen = std::make_shared<int>(0);
    auto p = std::make_shared<std::promise<void>>();
    done.push_back(p->get_future());
    w.submit(
        [&r, seen, i](case_engine& e) {
          *seen = r.st.commits.load();  // commits so far, while this item runs
          return record(r, std::to_string(i), i + 1)(e);
        },
        [&r, &early, seen, p](const engine_result&) {
          if (r.st.commits.load() <= *seen) ++early;
          p->set_value();
        });
  }
  for (auto& f : done) f.get();
  CHECK(early == 0);
}

TEST_CASE("a failed commit acknowledges nothing of its batch", "[writer]") {
  rig r("commitfail");
  writer w(r.st, r.engine, r.clk, {});
  std::vector<engine_result> results(3);
  for (int i = 0; i < 3; ++i)
    w.submit(record(r, "f" + std::to_string(i), i + 1), [&, i](const engine_result& x) { results[i] = x; });
  r.st.fail_next_commit = true;
  w.start();
  w.stop();
  CHECK(w.stats().failed_commits == 1);
  for (const auto& x : results) {
    CHECK(x.http_status == 503);
    CHECK_THAT(x.error, Catch::Contains("disk is full"));
  }
  for (int i = 0; i < 3; ++i) CHECK_FALSE(r.db.inbound_case("test", "f" + std::to_string(i)));
  // The writer goes on after a failed commit.
  writer w2(r.st, r.engine, r.clk, {});
  w2.start();
  CHECK(w2.run(record(r, "after", 9)).error.empty());
  // A store is one thread's connection: read it only once the writer's thread is gone.
  w2.stop();
  CHECK(r.db.inbound_case("test", "after") == 9);
}

TEST_CASE("wake() makes the writer look for due timers at the clock's new time", "[writer]") {
  rig r("wake");
  writer w(r.st, r.engine, r.clk, {});
  w.start();
  std::this_thread::sleep_for(50ms);
  const auto later = r.clk.now() + 2h;
  r.clk.set(later);
  w.wake();
  // Well under the 1 s idle sleep: it was the wake, not the poll.
  for (int i = 0; i < 40 && r.st.last_due_query_ms < to_millis(later); ++i) std::this_thread::sleep_for(5ms);
  CHECK(r.st.last_due_query_ms >= to_millis(later));
}

TEST_CASE("work submitted after stop is refused, not lost", "[writer]") {
  rig r("stopped");
  writer w(r.st, r.engine, r.clk, {});
  w.start();
  w.stop();
  engine_result got;
  w.submit(record(r, "late", 1), [&](const engine_result& x) { got = x; });
  CHECK(got.http_status == 503);
}

TEST_CASE("a batch with no failure runs once, and a refusal that wrote nothing does not run it again",
          "[writer]") {
  rig r("optimistic");
  writer w(r.st, r.engine, r.clk, {});
  std::vector<engine_result> results(3);
  w.submit(record(r, "a", 1), [&](const engine_result& x) { results[0] = x; });
  w.submit(
      [](case_engine&) {
        engine_result res;
        res.error = "sender: required";
        res.http_status = 422;
        return res;
      },
      [&](const engine_result& x) { results[1] = x; });
  w.submit(record(r, "b", 2), [&](const engine_result& x) { results[2] = x; });
  w.start();
  w.stop();
  CHECK(w.stats().batches == 1);
  CHECK(w.stats().batches_redone == 0);
  CHECK(results[0].error.empty());
  CHECK(results[1].http_status == 422);
  CHECK(results[2].error.empty());
  CHECK(r.db.inbound_case("test", "a") == 1);
  CHECK(r.db.inbound_case("test", "b") == 2);
}

namespace {

// The shipped playbooks and demo firm over a real SQLite file, driven through the writer
// as the daemon drives them: what the group commit must keep right for real cases.
struct engine_rig {
  sqlite_store db{rig::fresh("engine")};
  fakes::shipped_engine shipped{db};

  static inbound_message mail(const std::string& id, const std::string& from, const std::string& text) {
    return {"email", id, from, "", text};
  }

  // Quota counted in the store equals the in-tariff checks the journal holds, and the
  // derived tables equal a replay of the journal.
  void check_consistent(case_id last) {
    std::map<std::tuple<std::string, std::string, std::string>, int> in_tariff;
    for (case_id id = 1; id <= last; ++id) {
      auto c = db.load_case(id);
      REQUIRE(c);
      int opened = 0;
      for (const auto& e : db.journal(id)) {
        opened += e.what.kind == fact_kind::case_opened;
        if (e.what.kind == fact_kind::tariff_checked && e.what.data.value("outcome", "") == "in_tariff")
          ++in_tariff[{c->client_id, e.what.data.value("service", ""), e.what.data.value("period", "")}];
      }
      CHECK(opened == 1);
    }
    CHECK_FALSE(db.load_case(last + 1));
    REQUIRE_FALSE(in_tariff.empty());  // the check below is not vacuous
    for (const auto& [key, n] : in_tariff)
      CHECK(db.quota_used(std::get<0>(key), std::get<1>(key), std::get<2>(key)) == n);
    auto rep = db.verify_replay();
    CHECK(rep.differences.empty());
  }
};

}  // namespace

TEST_CASE("an item failing mid-batch leaves no trace, and the others commit once with the ids and quota a careful run gives",
          "[writer]") {
  engine_rig r;
  writer w(r.db, *r.shipped.engine, r.shipped.clk, {});
  std::vector<engine_result> results(6);
  auto put = [&](std::size_t i) { return [&results, i](const engine_result& x) { results[i] = x; }; };
  const auto m1 = engine_rig::mail("m1", "anna@romashka.ru", "Пришлите выписку из банка за октябрь");
  const auto m2 = engine_rig::mail("m2", "igor@vektor-plus.ru", "Пришлите выписку из банка за октябрь");
  const auto m3 = engine_rig::mail("m3", "buh@sever-ao.ru", "Пришлите выписку из банка за октябрь");
  const auto m4 = engine_rig::mail("m4", "m.kuznetsova@kvadrat.su", "Пришлите выписку из банка за октябрь");
  w.submit([&](case_engine& e) { return e.inbound(m1); }, put(0));
  // Opens a case, counts quota and queues a greeting, then fails.
  w.submit(
      [&](case_engine& e) -> engine_result {
        e.inbound(m2);
        throw std::runtime_error("disk gone mid-item");
      },
      put(1));
  w.submit([&](case_engine& e) { return e.inbound(m3); }, put(2));
  w.submit([&](case_engine& e) { return e.inbound(m1); }, put(3));  // replayed in the same batch
  // Writes a whole case, then is refused: nothing of it may stay.
  w.submit(
      [&](case_engine& e) {
        auto res = e.inbound(m4);
        res.error = "refused after writing";
        res.http_status = 409;
        return res;
      },
      put(4));
  w.submit([&](case_engine& e) { return e.inbound(m2); }, put(5));  // the failed one's message, again
  w.start();  // all waiting: one batch
  w.stop();

  CHECK(w.stats().batches == 1);
  CHECK(w.stats().batches_redone == 1);
  CHECK(w.stats().failed_commits == 0);
  CHECK(results[0].error.empty());
  CHECK(results[0].id == 1);
  CHECK(results[1].http_status == 500);
  CHECK_THAT(results[1].error, Catch::Contains("disk gone mid-item"));
  CHECK(results[2].error.empty());
  CHECK(results[2].id == 2);  // the failed item's id is handed out again
  CHECK(results[3].duplicate);
  CHECK(results[3].id == 1);
  CHECK(results[4].http_status == 409);
  CHECK(results[5].error.empty());
  CHECK_FALSE(results[5].duplicate);  // its first try left no inbound record
  CHECK(results[5].id == 3);
  CHECK_FALSE(r.db.inbound_case("email", "m4"));
  CHECK(r.db.inbound_case("email", "m2") == 3);
  for (const auto& o : r.db.outbox("", 100)) CHECK(o.id <= 3);
  r.check_consistent(3);

  // Replayed in a later batch: acknowledged, nothing changes.
  writer w2(r.db, *r.shipped.engine, r.shipped.clk, {});
  const auto facts = r.db.journal_size();  // before the writer's thread owns the store
  w2.start();
  for (const auto* m : {&m1, &m2, &m3}) {
    auto again = w2.run([m](case_engine& e) { return e.inbound(*m); });
    CHECK(again.duplicate);
  }
  auto fresh = w2.run([&](case_engine& e) { return e.inbound(m4); });
  CHECK(fresh.error.empty());
  CHECK(fresh.id == 4);
  w2.stop();
  CHECK(w2.stats().batches_redone == 0);
  CHECK(r.db.journal_size() > facts);
  r.check_consistent(4);
}

TEST_CASE("a failed commit after a redone batch gives back its case ids and leaves nothing", "[writer]") {
  engine_rig r;
  fakes::counting_store st{r.db};
  case_engine engine(st, r.shipped.books, r.shipped.context());
  writer w(st, engine, r.shipped.clk, {});
  std::vector<engine_result> results(2);
  w.submit([&](case_engine& e) { return e.inbound(engine_rig::mail("a", "anna@romashka.ru", "Пришлите выписку")); },
           [&](const engine_result& x) { results[0] = x; });
  w.submit([](case_engine&) -> engine_result { throw std::runtime_error("boom"); },
           [&](const engine_result& x) { results[1] = x; });
  st.fail_next_commit = true;
  w.start();
  w.stop();
  CHECK(w.stats().batches_redone == 1);
  CHECK(w.stats().failed_commits == 1);
  for (const auto& x : results) CHECK(x.http_status == 503);
  CHECK_FALSE(r.db.inbound_case("email", "a"));
  CHECK_FALSE(r.db.load_case(1));
  writer w2(r.db, *r.shipped.engine, r.shipped.clk, {});
  w2.start();
  auto x = w2.run([&](case_engine& e) { return e.inbound(engine_rig::mail("a", "anna@romashka.ru", "Пришлите выписку")); });
  CHECK(x.error.empty());
  CHECK(x.id == 1);  // the rolled-back id is handed out again
}
