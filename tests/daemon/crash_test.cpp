// The crash test: 1,000 messages from several clients, SIGKILL in the middle, restart on
// the same data dir. Nothing acknowledged may be lost or doubled, no message may reach
// the spool twice, timers that came due while the daemon was down must fire, and the
// journal replay must equal the derived tables.
#include "engine/store/sqlite_store.hpp"
#include "tests/daemon/daemon_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>

using namespace reglament::testing;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr int messages = 1000;
constexpr int clients = 4;

std::string message(int i) {
  return json{{"channel", "api"},
              {"external_id", "crash-" + std::to_string(i)},
              {"sender", "client" + std::to_string(i) + "@example.ru"},
              {"text", "Заявка номер " + std::to_string(i)}}
      .dump();
}

std::string config(const std::string& dir) {
  auto path = dir + "/reglament.toml";
  std::ofstream(path) << "[firm]\nfile = \"" REGLAMENT_SOURCE_DIR "/playbooks/bookkeeping/firm/demo-firm.yaml\"\n"
                      << "[spool]\nchannels = [\"api\"]\n";
  return path;
}

std::vector<std::string> daemon_args(const std::string& dir) {
  return {"--config", config(dir), "--playbooks", REGLAMENT_SOURCE_DIR "/tests/daemon/fixtures/playbooks"};
}

void sql(const std::string& db, const std::string& statement) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(h, statement.c_str(), nullptr, nullptr, &err);
  std::string why = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(h);
  INFO(why);
  REQUIRE(rc == SQLITE_OK);
}

double metric(http_client& c, const std::string& name) {
  auto text = c.get("/metrics").body;
  auto at = text.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + name.size() + 2));
}

}  // namespace

TEST_CASE("a SIGKILL in the middle loses and doubles nothing", "[slow][integration]") {
  auto dir = temp_dir("crash");
  auto data = dir + "/data";
  std::map<int, long long> acked;  // message -> case
  std::mutex acked_mutex;
  std::atomic<int> acked_count{0}, unanswered{0};
  int kills = 0;
  {
    daemon_process d(data, daemon_args(dir));
    std::vector<std::thread> threads;
    for (int t = 0; t < clients; ++t)
      threads.emplace_back([&, t] {
        http_client c(d.port());
        for (int i = t; i < messages; i += clients) {
          auto r = c.post("/api/v1/inbound", message(i));
          if (r.status / 100 == 2) {
            std::lock_guard lock(acked_mutex);
            acked[i] = json::parse(r.body)["case"].get<long long>();
            ++acked_count;
          } else {
            ++unanswered;
          }
        }
      });
    while (acked_count < messages / 2) std::this_thread::sleep_for(1ms);
    d.kill(SIGKILL);
    ++kills;
    for (auto& t : threads) t.join();
  }
  INFO("acknowledged before the kill: " << acked.size() << ", unanswered: " << unanswered);
  CHECK(acked.size() >= messages / 2);
  CHECK(acked.size() < messages);  // the kill really came in the middle

  int lost = 0, doubled = 0, replayed_new = 0;
  {
    daemon_process d(data, daemon_args(dir));
    http_client c(d.port());
    std::map<long long, int> case_of;  // case -> message
    for (int i = 0; i < messages; ++i) {
      auto r = c.post("/api/v1/inbound", message(i));
      REQUIRE(r.status / 100 == 2);
      auto j = json::parse(r.body);
      auto id = j["case"].get<long long>();
      if (auto it = acked.find(i); it != acked.end()) {
        if (!j["duplicate"].get<bool>() || id != it->second) ++lost;
      } else if (!j["duplicate"].get<bool>()) {
        ++replayed_new;
      }
      if (!case_of.emplace(id, i).second) ++doubled;  // one case per message (distinct senders)
    }
    // Every greeting reaches the spool.
    for (int i = 0; i < 1000 && metric(c, "reglament_outbox_backlog") != 0; ++i) std::this_thread::sleep_for(20ms);
    CHECK(metric(c, "reglament_outbox_backlog") == 0);
    CHECK(metric(c, "reglament_timers_pending") == messages);
    CHECK(d.kill(SIGTERM) == 0);
  }
  WARN("crash test: messages=" << messages << " acknowledged=" << acked.size() << " kills=" << kills
                               << " lost=" << lost << " doubled=" << doubled
                               << " committed-but-unanswered=" << (messages - acked.size() - replayed_new));
  CHECK(lost == 0);
  CHECK(doubled == 0);

  // Timers due while the daemon was down fire after the restart.
  auto past = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count() -
              60'000;
  sql(data + "/reglament.db", "UPDATE timers SET due_at = " + std::to_string(past));
  {
    daemon_process d(data, daemon_args(dir));
    http_client c(d.port());
    for (int i = 0; i < 1000 && metric(c, "reglament_timers_pending") != 0; ++i) std::this_thread::sleep_for(20ms);
    CHECK(metric(c, "reglament_timers_pending") == 0);
    for (int i = 0; i < 1000 && metric(c, "reglament_outbox_backlog") != 0; ++i) std::this_thread::sleep_for(20ms);
    CHECK(metric(c, "reglament_cases{status=\"closed\"}") == messages);
    CHECK(d.kill(SIGTERM) == 0);
  }

  // The spool: each key once, two messages per case (greeting and after the pause).
  std::set<std::string> keys;
  int duplicated_keys = 0, lines = 0;
  for (const auto& f : std::filesystem::directory_iterator(data + "/spool")) {
    std::ifstream in(f.path());
    for (std::string line; std::getline(in, line); ++lines)
      if (!keys.insert(json::parse(line)["key"].get<std::string>()).second) ++duplicated_keys;
  }
  CHECK(duplicated_keys == 0);
  CHECK(lines == 2 * messages);

  reglament::sqlite_store st(data + "/reglament.db");
  auto report = st.verify_replay();
  for (const auto& diff : report.differences) UNSCOPED_INFO(diff);
  CHECK(report.differences.empty());
  CHECK(report.cases == messages);
}
