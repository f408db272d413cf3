// Browser tests of the staff app: each Catch2 case starts the real reglamentd on loopback,
// creates a manager, a director and an owner through the API, and runs one
// tests/e2e/*.mjs script in headless Chromium (playwright-core, installed by
// `npm ci --prefix tests/e2e`, which tools/test runs), passing the base URL, the logins
// (E2E_USERS) and an owner token for the script's own API calls (E2E_TOKEN). The script
// signs in through the login form; its exit status is the verdict, its output is printed
// when it fails.
#include "tests/adapters/email/mail_servers.hpp"
#include "tests/daemon/daemon_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

using namespace reglament::testing;

namespace {

struct node_run {
  int status = -1;
  std::string output;
};

// One person per role, added through the API as the owner would; returns E2E_USERS.
std::string add_people(unsigned short port) {
  http_client owner(port);
  nlohmann::json users = nlohmann::json::object();
  for (std::string role : {"manager", "director", "owner"}) {
    const std::string login = "e2e-" + role, password = "Пароль-для-" + role + "-42";
    auto r = owner.post("/api/v1/users", nlohmann::json{{"login", login}, {"name", "Тест " + role}, {"role", role},
                                                        {"password", password}}.dump());
    INFO(r.body);
    REQUIRE(r.status == 201);
    users[role] = {{"login", login}, {"password", password}};
  }
  return users.dump();
}

node_run run_script(const std::string& script, unsigned short port, const std::string& out_dir,
                    const std::string& env = {}) {
  const std::string e2e = std::string(REGLAMENT_SOURCE_DIR) + "/tests/e2e";
  const std::string cmd = "cd '" + e2e + "' && " + env + " E2E_OUT='" + out_dir + "' E2E_TOKEN='" + test_owner_token +
                          "' E2E_USERS='" + add_people(port) + "' node '" + script + "' http://127.0.0.1:" +
                          std::to_string(port) + " 2>&1";
  node_run r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), p)) r.output += buf.data();
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

void run_browser_test(const std::string& name, std::vector<std::string> args = {}, std::string dir = {},
                      const std::string& env = {}) {
  const std::string e2e = std::string(REGLAMENT_SOURCE_DIR) + "/tests/e2e";
  if (!std::filesystem::exists(e2e + "/node_modules/playwright-core"))
    FAIL("playwright-core is missing: run npm ci --prefix tests/e2e (tools/test does)");
  if (dir.empty()) dir = temp_dir("browser-" + name);
  daemon_process d(dir + "/data", std::move(args));
  auto r = run_script(name + ".mjs", d.port(), dir + "/screenshots", env);
  INFO(r.output);
  INFO("daemon log:\n" << d.log());
  CHECK(r.status == 0);
  CHECK(std::filesystem::exists(dir + "/screenshots"));
}

}  // namespace

TEST_CASE("a manager handles an in-tariff request and a paid one in the browser", "[browser]") {
  run_browser_test("manager");
}

TEST_CASE("a director decides an escalation in the browser", "[browser]") {
  run_browser_test("director");
}

TEST_CASE("the manager's main flow works with the keyboard alone", "[browser]") {
  run_browser_test("keyboard");
}

TEST_CASE("client text and notes with HTML and script are shown as text, never run", "[browser]") {
  run_browser_test("xss");
}

TEST_CASE("an owner fixes a validation error at its line and deploys, and a manager is refused the studio", "[browser]") {
  // Its own copy of the shipped playbooks: the test deploys a new version to disk.
  namespace fs = std::filesystem;
  auto dir = temp_dir("browser-studio");
  fs::create_directories(fs::path(dir) / "pb");
  fs::path src(REGLAMENT_SOURCE_DIR "/playbooks");
  fs::copy(src / "bookkeeping", fs::path(dir) / "pb" / "bookkeeping", fs::copy_options::recursive);
  fs::copy(src / "calendar", fs::path(dir) / "pb" / "calendar", fs::copy_options::recursive);
  run_browser_test("studio", {"--playbooks", dir + "/pb/bookkeeping"}, dir);
  CHECK(fs::exists(dir + "/screenshots/studio-error.png"));
  CHECK(fs::exists(dir + "/screenshots/studio-history.png"));
  CHECK(fs::exists(dir + "/screenshots/studio-refused.png"));
}

TEST_CASE("a failing channel is shown live under the top bar and on the channels page, and clears", "[browser]") {
  auto dir = temp_dir("browser-channels");
  reglament::email::testing::smtp_server smtp(dir + "/smtp");
  smtp.fail_with("451 4.3.0 Mailbox temporarily unavailable, try again later");
  std::ofstream(dir + "/reglamentd.toml") << "[channels.email]\n"
                                          << reglament::email::testing::smtp_keys(smtp)
                                          << "[outbox]\nretry_first_seconds = 1\nretry_max_seconds = 2\n";
  run_browser_test("channels", {"--config", dir + "/reglamentd.toml"}, dir, "E2E_SMTP_FAULT='" + dir + "/smtp/fault'");
  CHECK(smtp.received().size() == 1);
}
