// reglament backup while the real daemon takes messages, then reglament restore into a
// new data dir and a daemon started on it: the copy is one consistent snapshot holding
// every message acknowledged before it began, each case's journal in it is a prefix of
// the live one, and the restored daemon knows those messages (a replay is a duplicate).
#include "engine/store/sqlite_store.hpp"
#include "tests/daemon/daemon_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <array>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>

using namespace reglament::testing;
using nlohmann::json;

namespace {

struct run_result {
  int code = -1;
  std::string out;
};

run_result run_cli(const std::string& args) {
  std::string cmd = std::string(REGLAMENT_CLI) + " " + args + " 2>&1";
  run_result r;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::array<char, 4096> buf{};
  while (auto n = std::fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string message(int i) {
  return json{{"channel", "api"},
              {"external_id", "backup-" + std::to_string(i)},
              {"sender", "client" + std::to_string(i % 7) + "@example.ru"},
              {"text", "Нужна справка, заявка " + std::to_string(i)}}
      .dump();
}

std::vector<std::string> daemon_args(const std::string& dir) {
  const auto cfg = dir + "/reglament.toml";
  std::ofstream(cfg) << "[firm]\nfile = \"" REGLAMENT_SOURCE_DIR "/playbooks/bookkeeping/firm/demo-firm.yaml\"\n"
                     << "[spool]\nchannels = [\"api\"]\n";
  return {"--config", cfg, "--playbooks", REGLAMENT_SOURCE_DIR "/tests/daemon/fixtures/playbooks"};
}

}  // namespace

TEST_CASE("an online backup under load is a consistent snapshot that restores", "[integration]") {
  const auto dir = temp_dir("backup");
  const auto live_dir = dir + "/live";
  const auto copy = dir + "/copies/reglament-copy.db";
  constexpr int total = 600;

  std::vector<reglament::case_id> acked(total, 0);
  int acked_before_backup = 0;
  {
    daemon_process d(live_dir, daemon_args(dir));
    std::atomic<int> done{0};
    std::thread load([&] {
      http_client c(d.port());
      for (int i = 0; i < total; ++i) {
        auto r = c.post("/api/v1/inbound", message(i));
        if (r.status == 201 || r.status == 200) acked[i] = json::parse(r.body).at("case").get<reglament::case_id>();
        done = i + 1;
      }
    });
    while (done < total / 3) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    acked_before_backup = done;
    auto b = run_cli("backup --db " + live_dir + "/reglament.db --to " + copy + " --verify");
    load.join();
    INFO(b.out);
    REQUIRE(b.code == 0);
    CHECK(b.out.find("equals the tables") != std::string::npos);
    CHECK(d.kill(SIGTERM) == 0);
  }
  REQUIRE(std::count(acked.begin(), acked.end(), 0) == 0);

  // Every message acknowledged before the backup began is in it, and each copied case's
  // journal is exactly the start of the live one: a snapshot, not a mixture.
  reglament::sqlite_store live(live_dir + "/reglament.db", {.read_only = true});
  reglament::sqlite_store snap(copy, {.read_only = true});
  for (int i = 0; i < acked_before_backup; ++i)
    CHECK(snap.inbound_case("api", "backup-" + std::to_string(i)) == acked[i]);
  CHECK(snap.journal_size() <= live.journal_size());
  for (reglament::case_id id = 1; id <= acked.back(); ++id) {
    const auto a = snap.journal(id), b = live.journal(id);
    REQUIRE(a.size() <= b.size());
    for (std::size_t k = 0; k < a.size(); ++k) CHECK(a[k].seq == b[k].seq);
  }

  // Restore into a fresh data dir; refusing to overwrite without --force.
  const auto restored_dir = dir + "/restored";
  std::filesystem::create_directories(restored_dir);
  auto r = run_cli("restore " + copy + " --db " + restored_dir + "/reglament.db");
  INFO(r.out);
  REQUIRE(r.code == 0);
  auto again = run_cli("restore " + copy + " --db " + restored_dir + "/reglament.db");
  CHECK(again.code == 1);
  CHECK(again.out.find("--force") != std::string::npos);
  auto forced = run_cli("restore " + copy + " --db " + restored_dir + "/reglament.db --force");
  CHECK(forced.code == 0);
  CHECK(std::filesystem::exists(restored_dir + "/reglament.db.before-restore"));

  daemon_process d(restored_dir, daemon_args(dir));
  http_client c(d.port());
  auto dup = c.post("/api/v1/inbound", message(0));
  CHECK(dup.status == 200);
  CHECK(json::parse(dup.body).at("duplicate") == true);
  CHECK(c.get("/api/v1/cases/" + std::to_string(acked[0])).status == 200);
}

TEST_CASE("restore refuses a file that is not a whole Reglament database", "[integration]") {
  const auto dir = temp_dir("restore-bad");
  std::ofstream(dir + "/junk.db") << "this is not a database";
  auto r = run_cli("restore " + dir + "/junk.db --db " + dir + "/target.db");
  CHECK(r.code == 1);
  CHECK(r.out.find("junk.db") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir + "/target.db"));
}
