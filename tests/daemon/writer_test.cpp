#include "engine/writer.hpp"

#include "engine/store/sqlite_store.hpp"
#include "tests/fakes/forwarding_store.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <future>
#include <thread>

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
