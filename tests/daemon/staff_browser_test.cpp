// Browser tests of the staff app: each Catch2 case starts the real reglamentd on loopback
// and runs one tests/e2e/*.mjs script in headless Chromium (playwright-core, installed by
// `npm ci --prefix tests/e2e`, which tools/test runs), passing the base URL. The script's
// exit status is the verdict; its output is printed when it fails.
#include "tests/daemon/daemon_process.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <filesystem>

using namespace reglament::testing;

namespace {

struct node_run {
  int status = -1;
  std::string output;
};

node_run run_script(const std::string& script, unsigned short port, const std::string& out_dir) {
  const std::string e2e = std::string(REGLAMENT_SOURCE_DIR) + "/tests/e2e";
  const std::string cmd = "cd '" + e2e + "' && E2E_OUT='" + out_dir + "' node '" + script +
                          "' http://127.0.0.1:" + std::to_string(port) + " 2>&1";
  node_run r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), p)) r.output += buf.data();
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

void run_browser_test(const std::string& name) {
  const std::string e2e = std::string(REGLAMENT_SOURCE_DIR) + "/tests/e2e";
  if (!std::filesystem::exists(e2e + "/node_modules/playwright-core"))
    FAIL("playwright-core is missing: run npm ci --prefix tests/e2e (tools/test does)");
  auto dir = temp_dir("browser-" + name);
  daemon_process d(dir, {});
  auto r = run_script(name + ".mjs", d.port(), dir + "/screenshots");
  INFO(r.output);
  INFO("daemon log:\n" << d.log());
  CHECK(r.status == 0);
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
