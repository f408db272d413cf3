// Drives tests/e2e/webchat.mjs (Playwright with Debian's Chromium) against the real
// reglamentd: the website chat from the demo page to a quote answered with a button.
#include "tests/daemon/daemon_process.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

using namespace reglament::testing;

TEST_CASE("the website chat in a browser: request, greeting, quote buttons, history after a reload",
          "[webchat][browser]") {
  const std::string e2e = std::string(REGLAMENT_SOURCE_DIR) + "/tests/e2e";
  if (!std::filesystem::exists(e2e + "/node_modules/playwright-core"))
    FAIL("playwright-core is not installed: run `npm ci --prefix tests/e2e` (tools/test does)");
  auto dir = temp_dir("webchat-browser");
  std::filesystem::create_directories(dir + "-config");
  const auto config = dir + "-config/reglament.toml";
  std::ofstream(config) << "[channels.webchat]\n";
  daemon_process d(dir, {"--config", config});
  const auto base = "http://127.0.0.1:" + std::to_string(d.port());
  // E2E_TOKEN: the owner token for the script's own API calls (the manager's price).
  const auto cmd = "cd '" + e2e + "' && E2E_OUT='" + dir + "/screenshots' E2E_TOKEN='" + test_owner_token +
                   "' node webchat.mjs " + base + " 2>&1";
  std::string output;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::array<char, 4096> buf{};
  while (auto n = std::fread(buf.data(), 1, buf.size(), p)) output.append(buf.data(), n);
  const int status = ::pclose(p);
  INFO("node webchat.mjs " << base << ":\n" << output << "\nreglamentd log:\n" << d.log());
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(output.find("webchat e2e: ok") != std::string::npos);
}
