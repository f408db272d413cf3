#include "adapters/http/auth/route_table.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

using namespace reglament;
using namespace reglament::http;

namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string cell(const route_rule& r, unsigned bit, bool anonymous) {
  if (r.who & allow::anyone) return "✓";
  if (r.who & bit) return "✓";
  if (anonymous) return r.public_by_config ? "401 (✓ if public_metrics)" : "401";
  return "403";
}

// docs/API.md's matrix, as the table says it must read.
std::string matrix_markdown() {
  std::string out =
      "| Method | Path | anonymous | manager | director | owner | integration token | What |\n"
      "|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : route_rules())
    out += fmt::format("| {} | `{}` | {} | {} | {} | {} | {} | {} |\n", r.method, r.pattern, cell(r, 0, true),
                       cell(r, allow::manager, false), cell(r, allow::director, false), cell(r, allow::owner, false),
                       cell(r, allow::integration, false), r.what);
  return out;
}

}  // namespace

TEST_CASE("route patterns: one segment per *, any rest for a last **", "[http][auth]") {
  CHECK(path_matches("/api/v1/cases/*", "/api/v1/cases/12"));
  CHECK_FALSE(path_matches("/api/v1/cases/*", "/api/v1/cases"));
  CHECK_FALSE(path_matches("/api/v1/cases/*", "/api/v1/cases/12/actions"));
  CHECK_FALSE(path_matches("/api/v1/cases/*/actions", "/api/v1/cases//actions"));
  CHECK(path_matches("/api/v1/cases/*/actions", "/api/v1/cases/12/actions"));
  CHECK(path_matches("/app/**", "/app"));
  CHECK(path_matches("/app/**", "/app/cases/12"));
  CHECK_FALSE(path_matches("/app/**", "/apps"));
  CHECK(path_matches("/", "/"));
  CHECK_FALSE(path_matches("/", "/x"));
  CHECK_FALSE(path_matches("/healthz", "/healthz/x"));
}

TEST_CASE("the route table: default deny, 405 for a known path, a trailing slash ignored", "[http][auth]") {
  CHECK(find_route("GET", "/api/v1/cases/").rule);
  auto m = find_route("GET", "/api/v1/cases?open=1");
  REQUIRE(m.rule);
  CHECK(m.rule->pattern == "/api/v1/cases");
  auto none = find_route("GET", "/api/v1/secret-admin");
  CHECK_FALSE(none.rule);
  CHECK(none.other_methods.empty());
  auto wrong = find_route("DELETE", "/api/v1/cases/3");
  CHECK_FALSE(wrong.rule);
  CHECK(wrong.other_methods == "GET");
  CHECK(find_route("DELETE", "/api/v1/clients").other_methods == "GET, POST");
  CHECK(unsafe_path("/api/v1/cases/../users") != "");
  CHECK(unsafe_path("/assets/%2e%2e/x") != "");
  CHECK(unsafe_path("/api/v1/cases/3") == "");
}

TEST_CASE("the route table: each method and pattern once, every rule names its roles", "[http][auth]") {
  std::set<std::pair<std::string_view, std::string_view>> seen;
  for (const auto& r : route_rules()) {
    INFO(r.method << " " << r.pattern);
    CHECK(seen.insert({r.method, r.pattern}).second);
    CHECK(r.who != 0);
    CHECK_FALSE(r.what.empty());
    const std::set<std::string_view> methods{"GET", "POST", "PUT", "PATCH", "DELETE"};
    CHECK(methods.count(r.method));
    // Nothing but the login, the staff app's files, health and the website chat is public.
    if (r.who & allow::anyone)
      CHECK((r.pattern == "/api/v1/auth/login" || r.pattern == "/healthz" || r.pattern == "/" ||
             r.pattern.rfind("/app", 0) == 0 || r.pattern.rfind("/assets", 0) == 0 ||
             r.pattern.rfind("/chat", 0) == 0 || r.pattern == "/favicon.ico" || r.pattern == "/index.html"));
    // The owner can do everything a person can.
    if (r.who & (allow::manager | allow::director)) CHECK((r.who & allow::owner));
    if (r.who & allow::manager) CHECK((r.who & allow::director));
  }
}

// Routes a handler answers but the table forgets would be refused at run time; this lists
// them at build time. It reads the adapters' sources for path literals.
TEST_CASE("every path the adapters answer has a rule (routes without an entry)", "[http][auth]") {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(REGLAMENT_SOURCE_DIR) / "adapters";
  REQUIRE(fs::is_directory(root));
  const std::regex literal(R"re("(/(?:api/|chat)[^"\s{}]*|/[a-z_]+)")re");
  std::vector<std::string> missing;
  int checked = 0;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    const auto ext = e.path().extension();
    if (!e.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) continue;
    const bool http = e.path().string().find("/adapters/http/") != std::string::npos;
    const auto text = read_file(e.path());
    for (std::sregex_iterator it(text.begin(), text.end(), literal), end; it != end; ++it) {
      std::string l = (*it)[1];
      const bool api = l.rfind("/api/", 0) == 0 || l.rfind("/chat", 0) == 0;
      if (!api && !http) continue;  // a single segment means a route only in the HTTP adapter
      if (l.rfind("/api/", 0) == 0 && l.find("/api/v1") != 0) continue;
      if (l == "/api") continue;  // the API's prefix (the app's files are served outside it), not a route
      bool covered = false;
      for (const auto& r : route_rules()) {
        const std::string p(r.pattern);
        if (!api) {  // "/actions", "/healthz": some pattern ends with it
          covered = covered || (p.size() >= l.size() && p.compare(p.size() - l.size(), l.size(), l) == 0);
        } else if (l.back() == '/') {  // a prefix the router strips
          covered = covered || p.rfind(l, 0) == 0;
        } else {
          covered = covered || path_matches(p, l);
        }
      }
      ++checked;
      if (!covered) missing.push_back(fmt::format("{} ({})", l, e.path().lexically_relative(root).string()));
    }
  }
  INFO("add these to adapters/http/auth/route_table.cpp:\n" << fmt::format("{}", fmt::join(missing, "\n")));
  CHECK(checked > 10);
  CHECK(missing.empty());
}

TEST_CASE("docs/API.md's authorization matrix is the route table", "[http][auth]") {
  const auto doc = read_file(std::filesystem::path(REGLAMENT_SOURCE_DIR) / "docs" / "API.md");
  const std::string begin = "<!-- authorization matrix: begin (generated from route_table.cpp) -->\n";
  const std::string end = "<!-- authorization matrix: end -->";
  auto b = doc.find(begin);
  auto e = doc.find(end);
  REQUIRE(b != std::string::npos);
  REQUIRE(e != std::string::npos);
  const auto documented = doc.substr(b + begin.size(), e - b - begin.size());
  if (documented != matrix_markdown()) {
    // Catch wraps long lines: the table to paste goes to a file instead.
    const auto out = std::filesystem::absolute("authorization-matrix.md");
    std::ofstream(out) << matrix_markdown();
    FAIL("docs/API.md's matrix differs from the route table: paste " << out.string()
                                                                       << " between the markers in docs/API.md");
  }
}
