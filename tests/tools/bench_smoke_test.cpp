// Runs reglament-bench in its smallest form and turns its JSON into the report, as
// tools/bench/run does: both exit 0 and the report has its sections, tables and chart.
// No figure is checked: benchmarks are not tests.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct run_result {
  int code = -1;
  std::string out;
};

run_result run(const std::string& cmd) {
  run_result r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  REQUIRE(p);
  std::array<char, 4096> buf{};
  while (auto n = std::fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string src = REGLAMENT_SOURCE_DIR;

// tools/bench/report.mjs on these section files, writing into `dir`: the report's text.
std::string report_of(const fs::path& dir, const std::string& sections) {
  auto report = run("node " + src + "/tools/bench/report.mjs --out " + (dir / "BENCHMARKS.md").string() + " --svg " +
                    (dir / "benchmarks.svg").string() + " --command smoke " + sections);
  INFO(report.out);
  REQUIRE(report.code == 0);
  return slurp(dir / "BENCHMARKS.md");
}

}  // namespace

TEST_CASE("tools/bench: a tiny run writes the report with its tables and chart", "[bench][slow]") {
  const auto dir = fs::temp_directory_path() / ("reglament-bench-smoke-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto engine_json = (dir / "engine.json").string();
  auto bench = run(std::string(REGLAMENT_BENCH_BINARY) + " --playbooks " + src +
                   "/playbooks/bookkeeping --quick --clients 200 --messages 300 --runs 1 --rates 300 "
                   "--rate-seconds 0.5 --validate-steps 100 --dir " + (dir / "db").string() + " --json " + engine_json +
                   " --export-workload " + (dir / "workload.json").string());
  INFO(bench.out);
  REQUIRE(bench.code == 0);
  REQUIRE(fs::exists(engine_json));
  CHECK(fs::exists(dir / "workload.json"));
  CHECK(fs::is_empty(dir / "db"));  // every phase's database removed, the fixed rate's raw copy too

  // The fixed rate's floor: the engine's rows written alone at the same rate, 300 latencies.
  const auto engine = nlohmann::json::parse(slurp(engine_json));
  auto values_of = [&](const std::string& name) {
    for (const auto& m : engine["measures"])
      if (m["name"] == name) return m["values"].get<std::vector<double>>();
    FAIL("no measure " << name);
    return std::vector<double>{};
  };
  const std::string raw = "SQLite alone at 300 msg/s offered, same rows: latency ";
  const auto p50 = values_of(raw + "p50"), p99 = values_of(raw + "p99"), p999 = values_of(raw + "p99.9");
  REQUIRE(p50.size() == 1);
  CHECK(p50[0] > 0);
  CHECK(p50[0] <= p99[0]);
  CHECK(p99[0] <= p999[0]);

  const auto md = report_of(dir, engine_json);
  CHECK_THAT(md, Catch::Contains("## Results"));
  CHECK_THAT(md, Catch::Contains("### Machine"));
  CHECK_THAT(md, Catch::Contains("### Targets"));
  CHECK_THAT(md, Catch::Contains("| Engine / SQLite limit |"));
  CHECK_THAT(md, Catch::Contains("| p99 of SQLite alone at 2,000 msg/s, same rows and commits (the floor on this disk; no target) | not measured |"));
  CHECK_THAT(md, Catch::Contains("| Interpreter alone: steps |"));
  CHECK_THAT(md, Catch::Contains("Validation of a 100-step playbook"));
  CHECK_THAT(md, Catch::Contains("<!-- bench:results:end -->"));
  CHECK_THAT(slurp(dir / "benchmarks.svg"), Catch::StartsWith("<svg"));
  fs::remove_all(dir);
}

TEST_CASE("tools/bench: paired rounds give the in-memory target the ratio taken within each round", "[bench][slow]") {
  // Two rounds of the real interpreter phase (--no-ingest: no database is written), each
  // set beside an xstate section of known speed, folded by paired.mjs and reported.
  const auto dir = fs::temp_directory_path() / ("reglament-bench-paired-" + std::to_string(::getpid()));
  fs::create_directories(dir / "db");
  std::vector<std::string> rounds;
  const double xstate_median[] = {2000, 4000};
  for (int r = 0; r < 2; ++r) {
    const auto engine_json = (dir / ("engine-" + std::to_string(r) + ".json")).string();
    auto bench = run(std::string(REGLAMENT_BENCH_BINARY) + " --playbooks " + src +
                     "/playbooks/bookkeeping --clients 200 --messages 300 --runs 3 --no-ingest --validate-steps 0 --dir " +
                     (dir / "db").string() + " --json " + engine_json);
    INFO(bench.out);
    REQUIRE(bench.code == 0);
    CHECK(fs::is_empty(dir / "db"));  // the durable phases did not run
    const auto xstate_json = (dir / ("xstate-" + std::to_string(r) + ".json")).string();
    const double m = xstate_median[r];
    std::ofstream(xstate_json) << nlohmann::json{
        {"section", "peers"},
        {"measures", {{{"name", "xstate v5, in memory: cases opened"}, {"unit", "cases/s"}, {"values", {m / 2, m, m * 3}}}}}};
    rounds.push_back(engine_json);
    rounds.push_back(xstate_json);
  }
  const auto paired_json = (dir / "paired.json").string();
  auto paired = run("node " + src + "/tools/bench/paired.mjs --json " + paired_json + " " + rounds[0] + " " + rounds[1] +
                    " " + rounds[2] + " " + rounds[3]);
  INFO(paired.out);
  REQUIRE(paired.code == 0);
  const auto folded = nlohmann::json::parse(slurp(paired_json));
  CHECK(folded["section"] == "paired");
  const auto& m = folded["measures"];
  REQUIRE(m.size() == 3);
  for (int r = 0; r < 2; ++r) {
    // The round's reglament figure is the median of its three runs.
    auto runs = nlohmann::json::parse(slurp(rounds[static_cast<std::size_t>(2 * r)]))["measures"];
    std::vector<double> cases;
    for (const auto& x : runs)
      if (x["name"] == "Interpreter alone: cases opened") cases = x["values"].get<std::vector<double>>();
    REQUIRE(cases.size() == 3);
    std::sort(cases.begin(), cases.end());
    CHECK(m[0]["values"][r].get<double>() == Approx(cases[1]));
    CHECK(m[1]["values"][r].get<double>() == Approx(xstate_median[r]));
    CHECK(m[2]["values"][r].get<double>() == Approx(cases[1] / xstate_median[r]));
  }

  const auto md = report_of(dir, rounds[0] + " " + paired_json);
  CHECK_THAT(md, Catch::Contains("| In memory ≥ 10 × xstate (cases opened per second, median of paired rounds) |"));
  CHECK_THAT(md, Catch::Contains("### In memory, paired rounds: the interpreter and xstate back to back"));
  CHECK_THAT(md, Catch::Contains("| Paired rounds: Reglament / xstate v5, in memory |"));
  fs::remove_all(dir);
}

TEST_CASE("tools/bench: the daemon's WebSocket chat phase runs against the real reglamentd", "[bench][slow]") {
  const auto dir = fs::temp_directory_path() / ("reglament-bench-chat-smoke-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto json = (dir / "daemon.json").string();
  // As tools/bench/run calls it (Node 20 needs the flag for its WebSocket client).
  auto daemon = run("node --experimental-websocket --no-warnings " + src + "/tools/bench/daemon.mjs --reglamentd " +
                    REGLAMENTD_BINARY + " --bench " + REGLAMENT_BENCH_BINARY + " --playbooks " + src +
                    "/playbooks/bookkeeping --json " + json + " --only chat --runs 1 --chat-visitors 40 --chat-connections 8" +
                    " --dir " + dir.string());
  INFO(daemon.out);
  REQUIRE(daemon.code == 0);
  const auto out = slurp(json);
  // Every visitor got the welcome, the echo of the request and the playbook's greeting,
  // or daemon.mjs would have failed; the measures are there for the report.
  CHECK_THAT(out, Catch::Contains("WebSocket chat, 8 visitors at a time: conversations"));
  CHECK_THAT(out, Catch::Contains("request -> greeting p99"));
  fs::remove_all(dir);
}
