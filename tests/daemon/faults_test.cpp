// Faults the real daemon must live through without losing what it acknowledged: the disk
// filling up (a small tmpfs as the data dir, in a private mount namespace), another
// process holding the database's write lock, and slow clients holding connections open.
// In each case it keeps serving what it can, refuses writes with a clear 503 that
// accepts nothing, and recovers by itself once the cause is gone.
#include "engine/store/sqlite_store.hpp"
#include "tests/daemon/daemon_process.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>

#include <cstring>

using namespace reglament::testing;
using nlohmann::json;

namespace {

std::string message(const std::string& id, int size = 0) {
  return json{{"channel", "api"},
              {"external_id", id},
              {"sender", id + "@example.ru"},
              {"text", "Нужна справка 2-НДФЛ. " + std::string(static_cast<std::size_t>(size), 'x')}}
      .dump();
}

std::vector<std::string> daemon_args(const std::string& dir) {
  const auto cfg = dir + "/reglament.toml";
  std::ofstream(cfg) << "[firm]\nfile = \"" REGLAMENT_SOURCE_DIR "/playbooks/bookkeeping/firm/demo-firm.yaml\"\n"
                     << "[spool]\nchannels = [\"api\"]\n";
  return {"--config", cfg, "--playbooks", REGLAMENT_SOURCE_DIR "/tests/daemon/fixtures/playbooks"};
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// Moves this test process into its own mount namespace (as root, or as an unprivileged
// user through a user namespace) and mounts a tmpfs of `bytes` at `dir`: a disk that
// really fills up, seen by this process and the daemon it starts, and nobody else.
void mount_small_disk(const std::string& dir, std::size_t bytes) {
  std::filesystem::create_directories(dir);
  if (::geteuid() != 0) {
    const auto uid = ::getuid(), gid = ::getgid();
    REQUIRE(::unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0);
    write_file("/proc/self/setgroups", "deny");
    write_file("/proc/self/uid_map", fmt::format("0 {} 1", uid));
    write_file("/proc/self/gid_map", fmt::format("0 {} 1", gid));
  } else {
    INFO("unshare(CLONE_NEWNS): " << std::strerror(errno));
    REQUIRE(::unshare(CLONE_NEWNS) == 0);
  }
  REQUIRE(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0);
  const auto opts = fmt::format("size={}", bytes);
  INFO("mount tmpfs: " << std::strerror(errno));
  REQUIRE(::mount("tmpfs", dir.c_str(), "tmpfs", 0, opts.c_str()) == 0);
}

}  // namespace

TEST_CASE("a full disk refuses new writes with 503, keeps what it acknowledged, and recovers", "[integration]") {
  const auto dir = temp_dir("faults-disk");
  const auto data = dir + "/data";
  mount_small_disk(data, 6 << 20);
  // Ballast that the test deletes later to free space, as an operator would.
  {
    std::ofstream ballast(data + "/ballast", std::ios::binary);
    const std::string mib(1 << 20, '\0');
    for (int i = 0; i < 2; ++i) ballast << mib;
  }
  daemon_process d(data, daemon_args(dir));
  http_client c(d.port());

  std::vector<std::pair<std::string, long long>> acked;
  int refused = 0;
  std::string refusal;
  for (int i = 0; i < 3000 && refused < 5; ++i) {
    const auto id = "full-" + std::to_string(i);
    auto r = c.post("/api/v1/inbound", message(id, 2000));
    if (r.status == 201) {
      acked.emplace_back(id, json::parse(r.body).at("case").get<long long>());
    } else {
      REQUIRE(r.status == 503);
      ++refused;
      refusal = r.body;
    }
  }
  INFO("acknowledged " << acked.size() << ", log:\n" << d.log());
  REQUIRE(refused == 5);  // the disk did fill up
  REQUIRE(acked.size() > 10);
  CHECK(json::parse(refusal).at("error").at("code") == "unavailable");
  CHECK(refusal.find("full") != std::string::npos);

  // Reads go on while writes cannot.
  CHECK(c.get("/api/v1/cases/" + std::to_string(acked.front().second)).status == 200);
  CHECK(c.get("/api/v1/cases?limit=5").status == 200);

  // Space comes back: the same daemon accepts writes again, no restart.
  std::filesystem::remove(data + "/ballast");
  auto again = c.post("/api/v1/inbound", message("after-space", 10));
  CHECK(again.status == 201);

  // Nothing acknowledged was lost, and a restart replays to the same tables.
  CHECK(d.kill(SIGKILL) != 0);
  {
    reglament::sqlite_store st(data + "/reglament.db");
    for (const auto& [id, case_no] : acked) CHECK(st.inbound_case("api", id) == case_no);
    CHECK(st.verify_replay().differences.empty());
  }
  daemon_process d2(data, daemon_args(dir));
  http_client c2(d2.port());
  auto dup = c2.post("/api/v1/inbound", message(acked.back().first, 2000));
  CHECK(dup.status == 200);
  CHECK(json::parse(dup.body).at("duplicate") == true);
}

TEST_CASE("another process holding the write lock: 503 busy, reads go on, writes resume", "[integration]") {
  const auto dir = temp_dir("faults-busy");
  daemon_process d(dir + "/data", daemon_args(dir));
  http_client c(d.port());
  REQUIRE(c.post("/api/v1/inbound", message("busy-0")).status == 201);

  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open((dir + "/data/reglament.db").c_str(), &h) == SQLITE_OK);
  sqlite3_busy_timeout(h, 10000);
  REQUIRE(sqlite3_exec(h, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  auto refused = c.post("/api/v1/inbound", message("busy-1"));  // waits out the busy timeout
  CHECK(refused.status == 503);
  CHECK(refused.body.find("unavailable") != std::string::npos);
  CHECK(c.get("/api/v1/cases/1").status == 200);
  REQUIRE(sqlite3_exec(h, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(h);

  auto retried = c.post("/api/v1/inbound", message("busy-1"));
  CHECK(retried.status == 201);
  CHECK(json::parse(retried.body).at("duplicate") == false);
}

TEST_CASE("slow clients holding half-sent requests do not stop the daemon serving others", "[integration]") {
  const auto dir = temp_dir("faults-slow");
  const auto cfg = dir + "/slow.toml";
  std::ofstream(cfg) << "[firm]\nfile = \"" REGLAMENT_SOURCE_DIR "/playbooks/bookkeeping/firm/demo-firm.yaml\"\n"
                     << "[http]\nread_timeout_seconds = 2\n";
  daemon_process d(dir + "/data", {"--config", cfg, "--playbooks", REGLAMENT_SOURCE_DIR "/tests/daemon/fixtures/playbooks"});

  boost::asio::io_context io;
  std::vector<boost::asio::ip::tcp::socket> slow;
  for (int i = 0; i < 64; ++i) {
    auto& s = slow.emplace_back(io);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), d.port()});
    boost::asio::write(s, boost::asio::buffer(std::string("POST /api/v1/inbound HTTP/1.1\r\nHost: x\r\nContent-Le")));
  }
  http_client c(d.port());
  CHECK(c.get("/healthz").status == 200);
  CHECK(c.post("/api/v1/inbound", message("beside-slow")).status == 201);

  // The daemon drops a connection that stalls mid-request after its read timeout.
  char b;
  boost::system::error_code ec;
  slow.front().read_some(boost::asio::buffer(&b, 1), ec);
  CHECK(ec);  // closed by the daemon (eof or reset), not left open forever
}
