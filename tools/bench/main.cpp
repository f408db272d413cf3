// reglament-bench: how many client requests per second the engine makes durable, how
// that compares with what SQLite alone can write, and what the interpreter costs on its
// own. A benchmark, not a test: it prints a Markdown table (median, min and max of
// several runs) and the machine it ran on; progress goes to stderr.
#include "engine/case_engine.hpp"
#include "engine/case_state_json.hpp"
#include "engine/clock.hpp"
#include "engine/firm_file.hpp"
#include "engine/interpreter.hpp"
#include "engine/json_text.hpp"
#include "engine/playbook_library.hpp"
#include "engine/store/sqlite_store.hpp"
#include "engine/text.hpp"
#include "engine/working_calendar.hpp"
#include "engine/writer.hpp"
#include "tools/bench/extras.hpp"
#include "tools/bench/machine.hpp"
#include "tools/bench/sqlite_limit.hpp"
#include "tools/bench/wal_checkpointer.hpp"
#include "tools/bench/workload.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <latch>
#include <map>
#include <mutex>
#include <semaphore>
#include <thread>
#include <unordered_map>

namespace reglament::bench {
namespace {

namespace fs = std::filesystem;
using steady = std::chrono::steady_clock;

struct config {
  int clients = 5000;
  int messages = 20000;
  int threads = 4;
  int inflight = 64;            // per submitting thread, at saturation
  std::vector<double> rates{500, 2000, 10000};
  double rate_seconds = 4;      // length of each fixed-rate phase
  int runs = 5;
  std::string dir;
  std::string playbooks = REGLAMENT_SOURCE_DIR "/playbooks/bookkeeping";
  std::string firm;             // demo firm whose services and tariffs are reused
  std::string markdown;
  std::string json;              // results as JSON for tools/bench/report.mjs
  std::string export_workload;   // the firm and messages as JSON for bench/peers
  std::string write_firm;        // only write the synthetic firm YAML here, then exit
  std::string make_idle_store;   // only create a store of idle open cases here, then exit
  std::int64_t idle_cases = 1000000;
  int validate_steps = 2000;
  std::uint64_t seed = 20251123;
  bool quick = false;
  bool with_rates = true;        // --no-rates: saturation, limit and interpreter only
  bool with_interpreter = true;  // --no-interpreter
  bool with_ingest = true;       // --no-ingest: the interpreter phases alone (A/B runs of the engine)
};

// Reporting helpers.

std::string grouped(double v) {  // 12345.6 -> "12,346"
  auto s = fmt::format("{:.0f}", v);
  for (int i = static_cast<int>(s.size()) - 3; i > (s[0] == '-' ? 1 : 0); i -= 3) s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

std::string number(double v) {
  if (std::fabs(v) >= 1000) return grouped(v);
  if (std::fabs(v) >= 100) return fmt::format("{:.0f}", v);
  if (std::fabs(v) >= 10) return fmt::format("{:.1f}", v);
  return fmt::format("{:.2f}", v);
}

struct latencies {
  double p50 = 0, p99 = 0, p999 = 0;  // milliseconds
};

latencies summarize(std::vector<std::int64_t> ns) {
  latencies l;
  if (ns.empty()) return l;
  std::sort(ns.begin(), ns.end());
  auto at = [&](double q) {
    auto i = std::min(ns.size() - 1, static_cast<std::size_t>(q * static_cast<double>(ns.size())));
    return static_cast<double>(ns[i]) / 1e6;
  };
  l.p50 = at(0.50);
  l.p99 = at(0.99);
  l.p999 = at(0.999);
  return l;
}

// One line of the results table, with its value in every run.
struct measure {
  std::string name;
  std::string unit;
  std::vector<double> values;
};

class results {
 public:
  void add(const std::string& name, const std::string& unit, double v) {
    for (auto& m : rows_)
      if (m.name == name) {
        m.values.push_back(v);
        return;
      }
    rows_.push_back({name, unit, {v}});
  }
  nlohmann::json to_json() const {
    auto out = nlohmann::json::array();
    for (const auto& m : rows_) out.push_back({{"name", m.name}, {"unit", m.unit}, {"values", m.values}});
    return out;
  }
  double median(const std::string& name) const {
    for (const auto& m : rows_)
      if (m.name == name) return median_of(m.values);
    return 0;
  }
  std::string table() const {
    std::string t = "| Measure | Median | Min | Max | Unit |\n|---|---:|---:|---:|---|\n";
    for (const auto& m : rows_) {
      auto [lo, hi] = std::minmax_element(m.values.begin(), m.values.end());
      t += fmt::format("| {} | {} | {} | {} | {} |\n", m.name, number(median_of(m.values)), number(*lo),
                       number(*hi), m.unit);
    }
    return t;
  }

 private:
  static double median_of(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const auto n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }
  std::vector<measure> rows_;
};

// Redraws "label: done/total" on stderr until destroyed.
class progress_meter {
 public:
  progress_meter(std::string label, std::uint64_t total, const std::atomic<std::uint64_t>& done)
      : label_(std::move(label)), total_(total), done_(done), tty_(isatty(2)) {
    if (tty_) thread_ = std::thread([this] { loop(); });
  }
  ~progress_meter() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::fprintf(stderr, "%s%s: %s/%s done\n", tty_ ? "\r\033[K" : "", label_.c_str(),
                 grouped(static_cast<double>(done_.load())).c_str(), grouped(static_cast<double>(total_)).c_str());
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stop_; }))
      std::fprintf(stderr, "\r\033[K%s: %s/%s", label_.c_str(), grouped(static_cast<double>(done_.load())).c_str(),
                   grouped(static_cast<double>(total_)).c_str());
  }
  std::string label_;
  std::uint64_t total_;
  const std::atomic<std::uint64_t>& done_;
  bool tty_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

void remove_database(const fs::path& db) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db.string() + suffix, ec);
}

// 1. Durable ingest through the real engine and the group-commit writer.

// The daemon's wiring (daemon/daemon.cpp) minus the network: store, playbooks, firm,
// engine, writer. Members are destroyed in reverse: the writer stops first.
struct engine_rig {
  engine_rig(const fs::path& db, const config& cfg, const firm_file& firm) {
    sqlite_store::options opt;  // WAL, synchronous=FULL: the defaults
    opt.auto_checkpoint = false;  // as the daemon: checkpoints from their own thread
    st = std::make_unique<sqlite_store>(db.string(), opt);
    checkpointer = std::make_unique<wal_checkpointer>(db.string());
    auto problems = books.load_directory(cfg.playbooks, st.get(), clock.now());
    if (has_errors(problems)) {
      for (const auto& d : problems) std::fprintf(stderr, "%s\n", d.to_string().c_str());
      throw std::runtime_error("playbooks in " + cfg.playbooks + " do not validate");
    }
    run_context ctx;
    auto* s = st.get();
    ctx.playbook_version = [this, s](const std::string& id, int v) { return books.version(id, v, s); };
    ctx.playbook_latest = [this](const std::string& id) { return books.latest(id); };
    ctx.now = &clock;
    ctx.calendar = &calendar;
    ctx.clients = &firm;
    ctx.tariffs = &firm;
    ctx.quota_used = [s](std::string_view c, std::string_view sv, std::string_view p) { return s->quota_used(c, sv, p); };
    engine = std::make_unique<case_engine>(*st, books, std::move(ctx));
    w = std::make_unique<writer>(*st, *engine, clock, writer::options{});
    w->start();
  }

  system_clock_source clock;
  weekly_calendar calendar;
  std::unique_ptr<sqlite_store> st;
  std::unique_ptr<wal_checkpointer> checkpointer;
  playbook_library books;
  std::unique_ptr<case_engine> engine;
  std::unique_ptr<writer> w;
};

struct ingest_result {
  double seconds = 0;
  double throughput = 0;  // messages per second, first submit to last commit callback
  latencies lat;
  double avg_batch = 0;   // messages per commit, from writer_stats
};

// Shared by the submitting threads and the writer's callbacks of one phase.
struct ingest_run {
  explicit ingest_run(std::size_t n) : latency_ns(n), all_done(static_cast<std::ptrdiff_t>(n)) {}
  std::vector<std::int64_t> latency_ns;  // each slot written once, by the writer thread
  std::atomic<std::uint64_t> done{0};
  std::atomic<std::int64_t> last_done_ns{0};
  std::latch all_done;
  std::mutex error_mutex;
  std::string first_error;

  void finished(std::size_t i, steady::time_point from, const engine_result& r) {
    const auto now = steady::now();
    latency_ns[i] = std::chrono::duration_cast<std::chrono::nanoseconds>(now - from).count();
    if (!r.error.empty() || r.duplicate) {
      std::lock_guard lock(error_mutex);
      if (first_error.empty()) first_error = r.duplicate ? "duplicate inbound" : r.error;
    }
    last_done_ns.store(now.time_since_epoch().count());
    done.fetch_add(1);
    all_done.count_down();
  }
};

ingest_result finish_ingest(engine_rig& rig, ingest_run& run, steady::time_point start) {
  run.all_done.wait();
  rig.w->stop();
  if (!run.first_error.empty()) throw std::runtime_error("the engine refused a message: " + run.first_error);
  ingest_result r;
  r.seconds = static_cast<double>(run.last_done_ns.load() - start.time_since_epoch().count()) / 1e9;
  r.throughput = static_cast<double>(run.latency_ns.size()) / r.seconds;
  r.lat = summarize(std::move(run.latency_ns));
  const auto& ws = rig.w->stats();
  r.avg_batch = ws.batches ? static_cast<double>(ws.items.load()) / static_cast<double>(ws.batches.load()) : 0;
  return r;
}

// What a receiving thread of the daemon does before the writer sees a message: its own
// copy (the daemon parses one per request), stemmed there (analyse()). Timed with the run.
std::shared_ptr<const inbound_message> received(const inbound_message& prototype) {
  auto m = std::make_shared<inbound_message>(prototype);
  analyse(*m);
  return m;
}

// Closed loop: each thread keeps `inflight` messages submitted and not yet committed, so
// the writer always has work; latency is from submit to the commit callback.
ingest_result ingest_saturated(engine_rig& rig, const std::vector<inbound_message>& msgs, std::size_t n,
                               const config& cfg, const std::string& label) {
  ingest_run run(n);
  progress_meter meter(label, n, run.done);
  // Outlive the threads: the writer's callbacks release them until the writer stops.
  std::vector<std::unique_ptr<std::counting_semaphore<1 << 20>>> windows;
  for (int k = 0; k < cfg.threads; ++k) windows.push_back(std::make_unique<std::counting_semaphore<1 << 20>>(cfg.inflight));
  const auto start = steady::now();
  std::vector<std::thread> threads;
  for (int k = 0; k < cfg.threads; ++k)
    threads.emplace_back([&, k] {
      auto& window = *windows[static_cast<std::size_t>(k)];
      for (std::size_t i = static_cast<std::size_t>(k); i < n; i += static_cast<std::size_t>(cfg.threads)) {
        window.acquire();
        const auto t = steady::now();
        auto m = received(msgs[i]);
        rig.w->submit([m](case_engine& e) { return e.inbound(*m); },
                      [&run, &window, i, t](const engine_result& r) {
                        run.finished(i, t, r);
                        window.release();
                      });
      }
    });
  for (auto& t : threads) t.join();
  return finish_ingest(rig, run, start);
}

// Open loop: message i is due at start + i/rate whatever happened before, and its
// latency counts from that moment, so a writer falling behind shows as latency instead
// of silently slowing the senders down.
ingest_result ingest_at_rate(engine_rig& rig, const std::vector<inbound_message>& msgs, std::size_t n,
                             double rate, const config& cfg, const std::string& label) {
  ingest_run run(n);
  progress_meter meter(label, n, run.done);
  const auto start = steady::now() + std::chrono::milliseconds(20);
  std::vector<std::thread> threads;
  for (int k = 0; k < cfg.threads; ++k)
    threads.emplace_back([&, k] {
      for (std::size_t i = static_cast<std::size_t>(k); i < n; i += static_cast<std::size_t>(cfg.threads)) {
        const auto due = start + std::chrono::nanoseconds(static_cast<std::int64_t>(static_cast<double>(i) * 1e9 / rate));
        std::this_thread::sleep_until(due);
        auto m = received(msgs[i]);
        rig.w->submit([m](case_engine& e) { return e.inbound(*m); },
                      [&run, i, due](const engine_result& r) { run.finished(i, due, r); });
      }
    });
  for (auto& t : threads) t.join();
  return finish_ingest(rig, run, start);
}

// 3. The interpreter alone: open each case on a case_state in memory, no store.

struct interpret_result {
  double seconds = 0;
  std::uint64_t steps = 0, facts = 0, cases = 0;
};

interpret_result interpret_only(const config& cfg, const firm_file& firm, const std::vector<inbound_message>& msgs,
                                std::size_t n, bool encode, const std::string& label) {
  system_clock_source clock;
  weekly_calendar calendar;
  playbook_library books;
  auto problems = books.load_directory(cfg.playbooks, nullptr, clock.now());
  if (has_errors(problems)) throw std::runtime_error("playbooks in " + cfg.playbooks + " do not validate");
  // Quota use kept in memory, counted the way the store's projection counts it.
  std::unordered_map<std::string, int, text_hash, std::equal_to<>> quota;
  std::string k;  // the key of the last lookup, its buffer reused
  auto key = [&k](std::string_view c, std::string_view s, std::string_view p) -> const std::string& {
    k.assign(c).append(1, '\x1f').append(s).append(1, '\x1f').append(p);
    return k;
  };
  run_context ctx;
  ctx.playbook_version = [&books](const std::string& id, int v) { return books.version(id, v); };
  ctx.playbook_latest = [&books](const std::string& id) { return books.latest(id); };
  ctx.now = &clock;
  ctx.calendar = &calendar;
  ctx.clients = &firm;
  ctx.tariffs = &firm;
  ctx.quota_used = [&](std::string_view c, std::string_view s, std::string_view p) {
    auto it = quota.find(key(c, s, p));
    return it == quota.end() ? 0 : it->second;
  };
  interpreter interp(ctx);
  auto book = books.for_channel("email");
  if (!book) throw std::runtime_error("no playbook starts on email");

  std::atomic<std::uint64_t> done{0};
  progress_meter meter(label, n, done);
  interpret_result r;
  std::size_t encoded_bytes = 0;  // keeps the encoding from being optimised away
  const auto start = steady::now();
  for (std::size_t i = 0; i < n; ++i) {
    case_state state;
    auto out = interp.open(state, static_cast<case_id>(i + 1), book, &msgs[i]);
    if (!out.rejected.empty()) throw std::runtime_error("the interpreter refused a message: " + out.rejected);
    for (const auto& f : out.facts)
      if (f.kind == fact_kind::tariff_checked && f.data.text("outcome") == "in_tariff")
        ++quota[key(state.client_id, f.data.text("service"), f.data.text("period"))];
    if (encode) {
      // What the store serialises per event besides SQLite, with the store's own functions
      // (sqlite_store::append): each fact's data and the state.
      for (const auto& f : out.facts) encoded_bytes += f.data.dump().size();
      encoded_bytes += to_json_text(state).size();
    }
    r.steps += static_cast<std::uint64_t>(state.steps_run);
    r.facts += out.facts.size();
    ++r.cases;
    if ((i & 255) == 0) done.store(i);
  }
  r.seconds = std::chrono::duration<double>(steady::now() - start).count();
  done.store(n);
  if (encode && encoded_bytes == 0) throw std::runtime_error("nothing was encoded");
  return r;
}


std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return in ? a + ", " + b + ", " + c : std::string("unknown");
}

std::string now_text() {
  const std::time_t t = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &utc);
  return buf;
}

int run_benchmark(config cfg) {
  if (cfg.quick) {
    cfg.clients = std::min(cfg.clients, 1000);
    cfg.messages = std::min(cfg.messages, 4000);
    cfg.runs = std::min(cfg.runs, 2);
    cfg.rate_seconds = std::min(cfg.rate_seconds, 1.0);
    cfg.idle_cases = std::min<std::int64_t>(cfg.idle_cases, 20000);
  }
  if (!cfg.make_idle_store.empty()) {
    std::fprintf(stderr, "creating %s open cases with pending timers in %s...\n", grouped(static_cast<double>(cfg.idle_cases)).c_str(),
                 cfg.make_idle_store.c_str());
    const double s = make_idle_store(cfg.make_idle_store, cfg.idle_cases, cfg.playbooks + "/intake.yaml");
    std::fprintf(stderr, "done in %.1f s\n", s);
    return 0;
  }
  const bool own_dir = cfg.dir.empty();
  if (own_dir) cfg.dir = (fs::temp_directory_path() / fmt::format("reglament-bench-{}", getpid())).string();
  fs::create_directories(cfg.dir);
  if (cfg.firm.empty()) cfg.firm = firm_file::beside(cfg.playbooks);
  if (cfg.firm.empty()) throw std::runtime_error("no firm file beside " + cfg.playbooks + " (use --firm)");

  diagnostics problems;
  auto demo = firm_file::load(cfg.firm, problems);
  if (!demo) throw std::runtime_error("firm file " + cfg.firm + " does not load");
  std::fprintf(stderr, "building a firm of %d clients and %d messages...\n", cfg.clients, cfg.messages);
  problems.clear();
  const auto firm_yaml = synthetic_firm_yaml(*demo, cfg.clients, cfg.seed);
  if (!cfg.write_firm.empty()) {
    // The demo firm file with its clients replaced: staff, pricing and SLAs stay.
    std::ifstream in(cfg.firm, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto cut = text.find("\nclients:");
    const auto generated = firm_yaml.find("\nclients:");
    if (cut == std::string::npos || generated == std::string::npos) throw std::runtime_error(cfg.firm + " has no clients: list");
    // The demo's clients list runs to the next top-level key (or the end).
    auto end = text.size();
    for (auto p = text.find('\n', cut + 1); p != std::string::npos && p + 1 < text.size(); p = text.find('\n', p + 1))
      if (text[p + 1] != ' ' && text[p + 1] != '-' && text[p + 1] != '#' && text[p + 1] != '\n') {
        end = p;
        break;
      }
    text = text.substr(0, cut) + firm_yaml.substr(generated) + text.substr(end);
    std::ofstream out(cfg.write_firm, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + cfg.write_firm);
    std::fprintf(stderr, "firm of %d clients written to %s\n", cfg.clients, cfg.write_firm.c_str());
    return 0;
  }
  auto firm = firm_file::parse(firm_yaml, "synthetic-firm.yaml", problems);
  if (!firm) {
    for (const auto& d : problems) std::fprintf(stderr, "%s\n", d.to_string().c_str());
    throw std::runtime_error("the synthetic firm does not parse");
  }
  std::size_t pool = static_cast<std::size_t>(cfg.messages);
  for (double rate : cfg.rates) pool = std::max(pool, static_cast<std::size_t>(rate * cfg.rate_seconds));
  const auto msgs = synthetic_messages(*firm, static_cast<int>(pool), cfg.seed);
  const auto n = static_cast<std::size_t>(cfg.messages);
  const auto started = now_text();
  if (!cfg.export_workload.empty()) {
    export_workload(*firm, std::vector<inbound_message>(msgs.begin(), msgs.begin() + static_cast<std::ptrdiff_t>(n)),
                    cfg.export_workload);
    std::fprintf(stderr, "workload written to %s\n", cfg.export_workload.c_str());
  }

  auto machine = describe_machine(cfg.dir);
  machine.emplace_back("Load average at the start (1, 5, 15 min)", load_average());
  results res;
  std::map<std::string, double> rows_per_message;
  std::map<std::string, std::uint64_t> outcomes;
  std::uint64_t outcome_total = 0;

  if (cfg.with_ingest) {
    // Warm-up, not counted: page cache, allocator arenas and the stemmer's word cache
    // are then in the state every counted run finds them in.
    const auto db = fs::path(cfg.dir) / "warm-up.db";
    {
      engine_rig rig(db, cfg, *firm);
      ingest_saturated(rig, msgs, std::max<std::size_t>(1, n / 4), cfg, "[warm-up] engine, saturation");
    }
    remove_database(db);
  }
  for (int run = 1; run <= cfg.runs; ++run) {
    const auto tag = fmt::format("[run {}/{}]", run, cfg.runs);
    if (cfg.with_ingest) {
      const auto db = fs::path(cfg.dir) / fmt::format("engine-{}.db", run);

      ingest_result sat;
      {
        engine_rig rig(db, cfg, *firm);
        sat = ingest_saturated(rig, msgs, n, cfg, tag + " engine, saturation");
      }
      res.add("Engine, saturation: throughput", "messages/s", sat.throughput);
      res.add("Engine, saturation: latency p50", "ms", sat.lat.p50);
      res.add("Engine, saturation: latency p99", "ms", sat.lat.p99);
      res.add("Engine, saturation: latency p99.9", "ms", sat.lat.p999);
      res.add("Engine, saturation: messages per commit", "messages", sat.avg_batch);

      // 2. The same rows through plain INSERTs, in commits of the writer's average size.
      const auto rows = engine_rows::capture(db.string());
      remove_database(db);
      if (rows.messages() != n)
        throw std::runtime_error(fmt::format("expected {} cases, the engine wrote {}", n, rows.messages()));
      const int batch = std::max(1, static_cast<int>(std::lround(sat.avg_batch)));
      const auto limit_db = fs::path(cfg.dir) / fmt::format("limit-{}.db", run);
      limit_result lim;
      {
        std::atomic<std::uint64_t> done{0};
        progress_meter meter(tag + fmt::format(" SQLite limit, {} messages per commit", batch), n, done);
        lim = append_plain(rows, limit_db.string(), batch, &done);
      }
      remove_database(limit_db);
      const double limit_mps = static_cast<double>(lim.messages) / lim.seconds;
      res.add("SQLite limit: rows", "rows/s", static_cast<double>(lim.rows) / lim.seconds);
      res.add("SQLite limit: messages-equivalent", "messages/s", limit_mps);
      res.add("Engine / SQLite limit", "ratio", sat.throughput / limit_mps);
      if (run == cfg.runs) {
        for (std::size_t t = 0; t < t_count; ++t)
          rows_per_message[table_name(t)] = static_cast<double>(rows.rows(t)) / static_cast<double>(rows.messages());
        rows_per_message["total"] = static_cast<double>(rows.total_rows()) / static_cast<double>(rows.messages());
        for (const auto& c : rows.cases())
          for (const auto& j : c.tables[t_journal])
            if (std::get<std::string>(j[2]) == "tariff_checked") {
              ++outcomes[nlohmann::json::parse(std::get<std::string>(j[4])).value("outcome", "?")];
              ++outcome_total;
            }
      }

      for (double rate : cfg.with_rates ? cfg.rates : std::vector<double>{}) {
        const auto count = static_cast<std::size_t>(rate * cfg.rate_seconds);
        const auto rate_db = fs::path(cfg.dir) / fmt::format("rate-{}-{}.db", run, rate);
        ingest_result r;
        {
          engine_rig rig(rate_db, cfg, *firm);
          r = ingest_at_rate(rig, msgs, count, rate, cfg, tag + fmt::format(" engine at {} messages/s", grouped(rate)));
        }
        const auto name = fmt::format("Engine at {} msg/s offered", grouped(rate));
        res.add(name + ": achieved", "messages/s", r.throughput);
        res.add(name + ": latency p50", "ms", r.lat.p50);
        res.add(name + ": latency p99", "ms", r.lat.p99);
        res.add(name + ": latency p99.9", "ms", r.lat.p999);

        // The same rows at the same offered rate through plain INSERTs: the disk's floor.
        const auto rate_rows = engine_rows::capture(rate_db.string());
        remove_database(rate_db);
        const auto raw_db = fs::path(cfg.dir) / fmt::format("limit-rate-{}-{}.db", run, rate);
        limit_result raw;
        {
          std::atomic<std::uint64_t> done{0};
          progress_meter meter(tag + fmt::format(" SQLite alone at {} messages/s", grouped(rate)), count, done);
          raw = append_at_rate(rate_rows, raw_db.string(), rate, writer::options{}.max_batch, &done);
        }
        remove_database(raw_db);
        const auto raw_lat = summarize(std::move(raw.latency_ns));
        const auto raw_name = fmt::format("SQLite alone at {} msg/s offered, same rows", grouped(rate));
        res.add(raw_name + ": latency p50", "ms", raw_lat.p50);
        res.add(raw_name + ": latency p99", "ms", raw_lat.p99);
        res.add(raw_name + ": latency p99.9", "ms", raw_lat.p999);
      }
    }

    // 6. Validation of a long generated playbook: load (parse, per-step checks), then graph.
    if (cfg.validate_steps > 0) {
      const auto yaml = long_playbook_yaml(cfg.validate_steps);
      time_validation(yaml);  // warm
      const auto v = time_validation(yaml);
      if (v.problems) throw std::runtime_error(fmt::format("the generated {}-step playbook has {} errors", cfg.validate_steps, v.problems));
      const auto name = fmt::format("Validation of a {}-step playbook", grouped(cfg.validate_steps));
      res.add(name + ": load and validate", "ms", v.load_ms + v.validate_ms);
      res.add(name + ": of which graph checks", "ms", v.validate_ms);
    }

    // 3. Interpretation alone, then with the JSON encoding the store adds.
    if (!cfg.with_interpreter) continue;
    auto ir = interpret_only(cfg, *firm, msgs, n, false, tag + " interpreter alone");
    res.add("Interpreter alone: steps", "steps/s", static_cast<double>(ir.steps) / ir.seconds);
    res.add("Interpreter alone: cases opened", "cases/s", static_cast<double>(ir.cases) / ir.seconds);
    res.add("Interpreter alone: time per case", "µs", ir.seconds * 1e6 / static_cast<double>(ir.cases));
    auto ie = interpret_only(cfg, *firm, msgs, n, true, tag + " interpreter + JSON encoding");
    res.add("Interpreter + JSON encoding: cases opened", "cases/s", static_cast<double>(ie.cases) / ie.seconds);
    res.add("Interpreter + JSON encoding: time per case", "µs", ie.seconds * 1e6 / static_cast<double>(ie.cases));
    if (run == cfg.runs)
      rows_per_message["steps per case"] = static_cast<double>(ir.steps) / static_cast<double>(ir.cases);

  }
  if (own_dir) fs::remove_all(cfg.dir);
  // Other work on the machine shows here: the figures are only as quiet as the machine.
  machine.emplace_back("Load average at the end (1, 5, 15 min)", load_average());

  // The report.
  std::string md = fmt::format("### Results ({})\n\n", now_text());
  md += fmt::format(
      "Workload: {} clients, {} messages per saturation run from {} threads with {} in flight each; "
      "fixed rates {} msg/s for {} s each; {} runs (median, min, max).\n\n",
      grouped(cfg.clients), grouped(cfg.messages), cfg.threads, cfg.inflight,
      [&] {
        std::string s;
        for (double r : cfg.rates) s += (s.empty() ? "" : ", ") + grouped(r);
        return s;
      }(),
      cfg.rate_seconds, cfg.runs);
  md += "| Machine | |\n|---|---|\n";
  for (const auto& [k, v] : machine) md += fmt::format("| {} | {} |\n", k, v);
  md += "\n" + res.table();
  // What the last run wrote and decided (the durable phases), and how far a case walks.
  std::vector<std::string> notes;
  if (cfg.with_ingest) {
    std::string rows_note = "Rows written per message (last run): ";
    for (std::size_t t = 0; t < t_count; ++t)
      rows_note += fmt::format("{}{} {:.2f}", t ? ", " : "", table_name(t), rows_per_message[table_name(t)]);
    notes.push_back(rows_note + fmt::format("; total {:.2f}.", rows_per_message["total"]));
    std::string outcome_note = "Tariff check outcomes (last run): ";
    bool first = true;
    for (const auto& [k, v] : outcomes) {
      outcome_note += fmt::format("{}{} {:.1f}%", first ? "" : ", ", k,
                                  100.0 * static_cast<double>(v) / static_cast<double>(outcome_total));
      first = false;
    }
    notes.push_back(outcome_note + ".");
  }
  if (cfg.with_interpreter) notes.push_back(fmt::format("Steps entered per case: {:.2f}.", rows_per_message["steps per case"]));
  for (const auto& note : notes) md += "\n" + note + "\n";

  if (!cfg.json.empty()) {
    nlohmann::json j;
    j["section"] = "engine";
    j["started"] = started;
    j["workload"] = fmt::format(
        "{} clients on the demo firm's tariffs; {} messages per saturation run from {} threads with {} in flight each; "
        "fixed rates {} msg/s for {} s each",
        grouped(cfg.clients), grouped(cfg.messages), cfg.threads, cfg.inflight,
        [&] {
          std::string s;
          for (double r : cfg.rates) s += (s.empty() ? "" : ", ") + grouped(r);
          return s;
        }(),
        cfg.rate_seconds);
    j["runs"] = cfg.runs;
    j["machine"] = nlohmann::json::array();
    for (const auto& [k, v] : machine) j["machine"].push_back({k, v});
    j["measures"] = res.to_json();
    j["notes"] = notes;
    std::ofstream out(cfg.json, std::ios::binary);
    out << j.dump(1);
    if (!out) throw std::runtime_error("cannot write " + cfg.json);
  }
  std::fputs(md.c_str(), stdout);
  if (!cfg.markdown.empty()) {
    std::ofstream out(cfg.markdown, std::ios::binary);
    out << md;
    if (!out) throw std::runtime_error("cannot write " + cfg.markdown);
    std::fprintf(stderr, "results written to %s\n", cfg.markdown.c_str());
  }
  const double ratio = res.median("Engine / SQLite limit");
  if (cfg.with_ingest && ratio < 0.7)
    std::fprintf(stderr, "engine / SQLite limit = %.2f (< 0.7): the engine, not the disk, is the bottleneck\n", ratio);
  return 0;
}

}  // namespace
}  // namespace reglament::bench

int main(int argc, char** argv) {
  reglament::bench::config cfg;
  CLI::App app{"reglament-bench — durable ingest through the engine, the raw SQLite limit, the interpreter alone"};
  // An option given twice takes its last value: tools/bench/run appends its own to the user's.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--clients", cfg.clients, "Clients in the synthetic firm")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--messages", cfg.messages, "Messages per saturation run (each opens a case)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--threads", cfg.threads, "Submitting threads")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--inflight", cfg.inflight, "Messages in flight per thread at saturation")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--rates", cfg.rates, "Fixed offered rates, messages/s (open loop)")->capture_default_str()->delimiter(',');
  app.add_option("--rate-seconds", cfg.rate_seconds, "Length of each fixed-rate phase")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--runs", cfg.runs, "Runs; the table shows median, min and max")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--dir", cfg.dir, "Directory for the temporary databases (default: a new one under the temp dir)");
  app.add_option("--playbooks", cfg.playbooks, "Playbook folder")->capture_default_str();
  app.add_option("--firm", cfg.firm, "Firm file whose services and tariffs are reused (default: PLAYBOOKS/firm/*.yaml)");
  app.add_option("--markdown", cfg.markdown, "Also write the results section to this file");
  app.add_option("--json", cfg.json, "Also write the results as JSON (for tools/bench/report.mjs)");
  app.add_option("--export-workload", cfg.export_workload, "Write the firm and the messages as JSON for bench/peers");
  app.add_option("--write-firm", cfg.write_firm, "Only write the demo firm file with --clients synthetic clients here");
  app.add_option("--make-idle-store", cfg.make_idle_store, "Only create a store of --idle-cases open cases with timers here");
  app.add_option("--idle-cases", cfg.idle_cases, "Open cases in --make-idle-store")->capture_default_str();
  app.add_option("--validate-steps", cfg.validate_steps, "Steps of the generated playbook to validate (0: skip)")->capture_default_str();
  app.add_option("--seed", cfg.seed, "Seed of the synthetic firm and messages")->capture_default_str();
  app.add_flag("--quick", cfg.quick, "Smoke run: fewer clients and messages, 2 runs, short rate phases");
  app.add_flag("!--no-rates", cfg.with_rates, "Skip the fixed-rate phases (for profiling the rest)");
  app.add_flag("!--no-interpreter", cfg.with_interpreter, "Skip the interpreter-only phases");
  app.add_flag("!--no-ingest", cfg.with_ingest,
               "Skip the durable phases (ingest, SQLite limit, fixed rates): the interpreter alone, for A/B runs");
  CLI11_PARSE(app, argc, argv);
  try {
    return reglament::bench::run_benchmark(cfg);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "reglament-bench: %s\n", e.what());
    return 1;
  }
}
