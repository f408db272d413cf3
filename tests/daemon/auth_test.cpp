// Integration: who may do what on the real reglamentd — the authorization matrix (every
// route of the table × anonymous, manager, director, owner, integration token), sessions
// (fixation, expiry, logout), CSRF, the login rate limit, and no secret in the log.
#include "tests/daemon/daemon_process.hpp"

#include "adapters/http/auth/route_table.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>

using namespace reglament;
using namespace reglament::testing;
using nlohmann::json;
using verb = boost::beast::http::verb;

namespace {

json body(const http_reply& r) {
  auto j = json::parse(r.body, nullptr, false);
  return j.is_discarded() ? json{} : j;
}

std::string error_code(const http_reply& r) {
  auto j = body(r);
  return j.contains("error") ? j["error"].value("code", "") : "";
}

// Distinctive passwords: the test looks for them in the daemon's log.
const std::map<std::string, std::string> passwords{
    {"maria", "Пароль-менеджера-7cf3"}, {"alexey", "director-pass-91b2"}, {"olga", "owner-pass-5d0e"}};

struct staff_daemon {
  explicit staff_daemon(const std::string& name, std::vector<std::string> args = {})
      : dir(temp_dir(name)), d(dir, std::move(args)), admin(d.port()) {
    for (auto [login, role] : {std::pair{"maria", "manager"}, std::pair{"alexey", "director"}, std::pair{"olga", "owner"}}) {
      auto r = admin.post("/api/v1/users", json{{"login", login}, {"name", login}, {"role", role},
                                                {"password", passwords.at(login)}}.dump());
      REQUIRE(r.status == 201);
    }
    auto t = admin.post("/api/v1/tokens", json{{"name", "bank"}, {"role", "integration"}}.dump());
    REQUIRE(t.status == 201);
    integration_token = body(t)["secret"];
  }
  // A client holding a fresh session of `login`, with its CSRF header set.
  std::unique_ptr<http_client> session(const std::string& login) {
    auto c = std::make_unique<http_client>(d.port(), "");
    c->use_cookies(true);
    auto r = c->post("/api/v1/auth/login", json{{"login", login}, {"password", passwords.at(login)}}.dump());
    REQUIRE(r.status == 200);
    REQUIRE(!c->cookie().empty());
    c->header("X-CSRF-Token", body(r)["csrf_token"]);
    return c;
  }
  std::string dir;
  daemon_process d;
  http_client admin;
  std::string integration_token;
};

// A concrete path for a pattern: "*" becomes a sample segment, a last "**" one more.
std::string sample_path(std::string_view pattern) {
  std::string out;
  std::string_view rest = pattern.substr(1);
  while (true) {
    auto slash = rest.find('/');
    auto seg = rest.substr(0, slash);
    out += '/';
    if (seg == "**")
      out += "sample";
    else if (seg == "*")
      out += pattern.find("/users/") != std::string_view::npos    ? "maria"
             : pattern.find("/tokens/") != std::string_view::npos ? "999"
                                                                  : "1";
    else
      out += seg;
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  return out;
}

}  // namespace

TEST_CASE("authorization matrix: every route x anonymous, manager, director, owner, integration token",
          "[integration]") {
  staff_daemon s("it-auth-matrix");
  struct caller {
    std::string name;
    unsigned bit;  // 0: anonymous
    std::unique_ptr<http_client> client;
  };
  std::vector<caller> callers;
  callers.push_back({"anonymous", 0, std::make_unique<http_client>(s.d.port(), "")});
  callers.push_back({"manager", http::allow::manager, s.session("maria")});
  callers.push_back({"director", http::allow::director, s.session("alexey")});
  callers.push_back({"owner", http::allow::owner, s.session("olga")});
  callers.push_back({"integration", http::allow::integration, std::make_unique<http_client>(s.d.port(), s.integration_token)});

  int allowed = 0, refused = 0;
  for (const auto& rule : http::route_rules()) {
    const auto path = sample_path(rule.pattern);
    const auto method = boost::beast::http::string_to_verb(std::string(rule.method));
    for (auto& c : callers) {
      const bool expect_allowed = (rule.who & http::allow::anyone) || (c.bit & rule.who);
      // Logging out ends the caller's session: do it on a session of its own.
      std::unique_ptr<http_client> own;
      auto* client = c.client.get();
      if (rule.pattern == "/api/v1/auth/logout" && c.bit && c.bit != http::allow::integration) {
        own = s.session(c.name == "manager" ? "maria" : c.name == "director" ? "alexey" : "olga");
        client = own.get();
      }
      const bool has_body = method == verb::post || method == verb::patch || method == verb::put;
      auto r = client->request(method, path, has_body ? "{}" : "");
      INFO(rule.method << " " << path << " as " << c.name << " -> " << r.status << " " << r.body);
      REQUIRE(r.status != 0);
      if (expect_allowed) {
        ++allowed;
        CHECK(r.status != 401);
        CHECK(r.status != 403);
        CHECK(r.status != 405);
      } else {
        ++refused;
        CHECK(r.status == (c.bit == 0 ? 401 : 403));
        CHECK(error_code(r) == (c.bit == 0 ? "unauthenticated" : "forbidden"));
      }
    }
  }
  CHECK(allowed > 50);
  CHECK(refused > 40);

  // A path the table does not know: refused whoever asks (default deny).
  for (auto& c : callers) {
    auto r = c.client->get("/api/v1/not-in-the-table");
    CHECK(r.status == (c.bit == 0 ? 401 : 403));
  }
  // Deciding an escalation is the director's, even though managers may act on cases.
  auto decide = json{{"action", "decide"}, {"step", "ask_director"}, {"option", "approve"}}.dump();
  auto by_manager = callers[1].client->post("/api/v1/cases/1/actions", decide);
  CHECK(by_manager.status == 403);
  CHECK(callers[2].client->post("/api/v1/cases/1/actions", decide).status != 403);
}

TEST_CASE("sessions: a new id at every login, a planted cookie is never adopted", "[integration]") {
  staff_daemon s("it-auth-fixation");
  http_client c(s.d.port(), "");
  c.use_cookies(true);
  // An attacker plants a session id of their choosing before the victim logs in.
  c.cookie("reglament_session=attacker-chosen-session-id-0000000000000000");
  auto first = c.post("/api/v1/auth/login", json{{"login", "maria"}, {"password", passwords.at("maria")}}.dump());
  REQUIRE(first.status == 200);
  const auto a = c.cookie();
  CHECK(a.rfind("reglament_session=", 0) == 0);
  CHECK(a.find("attacker-chosen") == std::string::npos);
  const auto set = first.header(boost::beast::http::field::set_cookie);
  CHECK(set.find("HttpOnly") != std::string::npos);
  CHECK(set.find("SameSite=Strict") != std::string::npos);
  CHECK(set.find("Path=/") != std::string::npos);
  CHECK(set.find("Secure") == std::string::npos);  // not configured for TLS
  CHECK(first.header(boost::beast::http::field::cache_control) == "no-store");

  http_client attacker(s.d.port(), "");
  attacker.cookie("reglament_session=attacker-chosen-session-id-0000000000000000");
  CHECK(attacker.get("/api/v1/auth/me").status == 401);

  // Logging in again (same browser) gives another id and ends the old one.
  auto second = c.post("/api/v1/auth/login", json{{"login", "maria"}, {"password", passwords.at("maria")}}.dump());
  REQUIRE(second.status == 200);
  CHECK(c.cookie() != a);
  CHECK(body(first)["csrf_token"] != body(second)["csrf_token"]);
  http_client old(s.d.port(), "");
  old.cookie(a);
  auto gone = old.get("/api/v1/auth/me");
  CHECK(gone.status == 401);
  CHECK(error_code(gone) == "session_expired");
  auto me = c.get("/api/v1/auth/me");
  REQUIRE(me.status == 200);
  CHECK(body(me)["user"]["login"] == "maria");
  CHECK(body(me)["user"]["role"] == "manager");
}

TEST_CASE("sessions: logout ends the session, CSRF guards every write", "[integration]") {
  staff_daemon s("it-auth-csrf");
  auto c = s.session("maria");
  const auto csrf = body(c->get("/api/v1/auth/me"))["csrf_token"].get<std::string>();
  auto msg = json{{"channel", "telegram"}, {"external_id", "csrf-1"}, {"sender", "@client"}, {"text", "Добрый день"}}.dump();

  c->header("X-CSRF-Token", "");
  auto missing = c->post("/api/v1/inbound", msg);
  CHECK(missing.status == 403);
  CHECK(error_code(missing) == "csrf");
  c->header("X-CSRF-Token", "not-the-token");
  CHECK(c->post("/api/v1/inbound", msg).status == 403);
  // Another session's token does not fit this one.
  auto other = s.session("alexey");
  c->header("X-CSRF-Token", body(other->get("/api/v1/auth/me"))["csrf_token"].get<std::string>());
  CHECK(c->post("/api/v1/inbound", msg).status == 403);
  CHECK(c->post("/api/v1/auth/logout", "{}").status == 403);
  // Nothing was accepted by the refused writes.
  CHECK(body(s.admin.get("/api/v1/cases"))["cases"].empty());
  c->header("X-CSRF-Token", csrf);
  auto ok = c->post("/api/v1/inbound", msg);
  CHECK(ok.status == 201);
  // A token needs no CSRF header.
  http_client bank(s.d.port(), s.integration_token);
  auto by_token = bank.post("/api/v1/inbound", json{{"channel", "telegram"}, {"external_id", "csrf-2"},
                                                    {"sender", "@client"}, {"text", "Ещё"}}.dump());
  CHECK(by_token.status == 201);

  // The journal names the signed-in person, whatever the body claims.
  const auto id = body(ok)["case"].get<long long>();
  auto note = c->post(fmt::format("/api/v1/cases/{}/actions", id),
                      json{{"action", "note"}, {"reason", "звонок"}, {"actor", "olga"}}.dump());
  REQUIRE(note.status == 200);
  auto journal = body(s.admin.get(fmt::format("/api/v1/cases/{}", id)))["journal"];
  bool noted = false;
  for (const auto& f : journal)
    if (f["kind"] == "note_added") {
      noted = true;
      CHECK(f["data"]["actor"] == "maria");
    }
  CHECK(noted);

  auto out = c->post("/api/v1/auth/logout", "{}");
  CHECK(out.status == 200);
  CHECK(out.header(boost::beast::http::field::set_cookie).find("Max-Age=0") != std::string::npos);
  CHECK(c->cookie().empty());
  auto after = c->get("/api/v1/auth/me");
  CHECK(after.status == 401);
}

TEST_CASE("sessions expire after the configured time", "[integration]") {
  auto dir = temp_dir("it-auth-expiry-config");
  // The absolute limit: using the session does not extend it (idle expiry is unit-tested).
  std::ofstream(dir + "/short.toml") << "[auth]\nsession_max = \"1s\"\n";
  staff_daemon s("it-auth-expiry", {"--config", dir + "/short.toml"});
  auto c = s.session("maria");
  // Wait for the session to lapse: the daemon, not the test, decides when (no timing asserted).
  http_reply r;
  for (int i = 0; i < 300; ++i) {
    r = c->get("/api/v1/auth/me");
    if (r.status != 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(r.status == 401);
  CHECK(error_code(r) == "session_expired");
  CHECK(c->cookie().empty());  // the daemon told the browser to forget it
  CHECK(c->get("/api/v1/cases").status == 401);
  // Logging in again works (the new session lasts a second too: nothing is asserted of it).
  http_client again(s.d.port(), "");
  CHECK(again.post("/api/v1/auth/login", json{{"login", "maria"}, {"password", passwords.at("maria")}}.dump()).status == 200);
}

TEST_CASE("logins: 5 failures, then 429 with Retry-After, per login", "[integration]") {
  staff_daemon s("it-auth-throttle");
  http_client c(s.d.port(), "");
  for (int i = 0; i < 5; ++i) {
    auto r = c.post("/api/v1/auth/login", json{{"login", "maria"}, {"password", "wrong-password-" + std::to_string(i)}}.dump());
    CHECK(r.status == 401);
    CHECK(error_code(r) == "wrong_credentials");
  }
  // Even the right password waits now.
  auto r = c.post("/api/v1/auth/login", json{{"login", "maria"}, {"password", passwords.at("maria")}}.dump());
  CHECK(r.status == 429);
  CHECK(error_code(r) == "too_many_attempts");
  auto retry = r.header(boost::beast::http::field::retry_after);
  REQUIRE(!retry.empty());
  CHECK(std::stoi(retry) > 0);
  CHECK(std::stoi(retry) <= 60);
  // An unknown login answers like a wrong password.
  auto unknown = c.post("/api/v1/auth/login", json{{"login", "nobody"}, {"password", "whatever-123"}}.dump());
  CHECK(unknown.status == 401);
  CHECK(error_code(unknown) == "wrong_credentials");
  // Another person from the same address is not locked out.
  CHECK(c.post("/api/v1/auth/login", json{{"login", "alexey"}, {"password", passwords.at("alexey")}}.dump()).status == 200);
}

TEST_CASE("users and tokens: disable and reset end sessions, revoked tokens stop, no secret in the log",
          "[integration]") {
  staff_daemon s("it-auth-users");
  auto maria = s.session("maria");
  CHECK(maria->get("/api/v1/cases").status == 200);
  auto off = s.admin.patch("/api/v1/users/maria", json{{"disabled", true}}.dump());
  REQUIRE(off.status == 200);
  CHECK(body(off)["user"]["disabled"] == true);
  CHECK(maria->get("/api/v1/cases").status == 401);
  http_client again(s.d.port(), "");
  auto refused = again.post("/api/v1/auth/login", json{{"login", "maria"}, {"password", passwords.at("maria")}}.dump());
  CHECK(refused.status == 403);
  CHECK(error_code(refused) == "account_disabled");
  REQUIRE(s.admin.patch("/api/v1/users/maria", json{{"disabled", false}, {"role", "director"}}.dump()).status == 200);
  auto promoted = s.session("maria");
  CHECK(body(promoted->get("/api/v1/auth/me"))["user"]["role"] == "director");

  auto alexey = s.session("alexey");
  const std::string new_password = "new-director-pass-4a7c";
  REQUIRE(s.admin.patch("/api/v1/users/alexey", json{{"password", new_password}}.dump()).status == 200);
  CHECK(alexey->get("/api/v1/cases").status == 401);
  http_client relog(s.d.port(), "");
  CHECK(relog.post("/api/v1/auth/login", json{{"login", "alexey"}, {"password", new_password}}.dump()).status == 200);

  // The only owner cannot be demoted or disabled; the bootstrap token is not a person.
  auto last = s.admin.patch("/api/v1/users/olga", json{{"role", "manager"}}.dump());
  CHECK(last.status == 409);
  CHECK(error_code(last) == "last_owner");
  CHECK(s.admin.post("/api/v1/users", json{{"login", "olga"}, {"role", "manager"}, {"password", "whatever-123"}}.dump()).status == 409);
  CHECK(s.admin.post("/api/v1/users", json{{"login", "x"}, {"role", "manager"}, {"password", "short"}}.dump()).status == 422);
  CHECK(s.admin.post("/api/v1/users", json{{"login", "y"}, {"role", "admin"}, {"password", "long-enough-1"}}.dump()).status == 422);

  http_client bank(s.d.port(), s.integration_token);
  CHECK(bank.get("/api/v1/invoices").status == 200);
  auto tokens = body(s.admin.get("/api/v1/tokens"))["tokens"];
  long long bank_id = 0;
  for (const auto& t : tokens) {
    CHECK_FALSE(t.contains("secret"));
    if (t["name"] == "bank") bank_id = t["id"];
  }
  REQUIRE(bank_id > 0);
  auto revoked = s.admin.del(fmt::format("/api/v1/tokens/{}", bank_id));
  CHECK(revoked.status == 200);
  CHECK(body(revoked)["revoked"] == true);
  auto after = bank.get("/api/v1/invoices");
  CHECK(after.status == 401);
  CHECK(error_code(after) == "bad_token");

  // Limits: nesting and field sizes get clear errors.
  std::string deep(100, '[');
  auto too_deep = s.admin.post("/api/v1/users", deep + std::string(100, ']'));
  CHECK(too_deep.status == 400);
  CHECK(error_code(too_deep) == "too_deep");
  auto long_login = s.admin.post("/api/v1/auth/login", json{{"login", std::string(100, 'a')}, {"password", "x"}}.dump());
  CHECK(long_login.status == 413);

  // Nothing secret reached the log: passwords, the new token's secret, session cookies.
  const auto log = s.d.log();
  CHECK(log.find("login") != std::string::npos);  // the log is there and names logins
  for (const auto& [login, password] : passwords) CHECK(log.find(password) == std::string::npos);
  CHECK(log.find(new_password) == std::string::npos);
  CHECK(log.find(s.integration_token) == std::string::npos);
  CHECK(log.find(test_owner_token) == std::string::npos);
  auto cookie = promoted->cookie();
  CHECK(log.find(cookie.substr(cookie.find('=') + 1)) == std::string::npos);
}

TEST_CASE("a person changes their own password: other sessions end, this one is renewed", "[integration]") {
  staff_daemon s("it-auth-password");
  auto phone = s.session("maria");
  auto laptop = s.session("maria");
  auto wrong = laptop->post("/api/v1/auth/password", json{{"current", "not-it-at-all"}, {"new", "brand-new-pass-1"}}.dump());
  CHECK(wrong.status == 403);
  CHECK(error_code(wrong) == "wrong_password");
  auto weak = laptop->post("/api/v1/auth/password", json{{"current", passwords.at("maria")}, {"new", "short"}}.dump());
  CHECK(weak.status == 422);
  const auto before = laptop->cookie();
  auto changed = laptop->post("/api/v1/auth/password",
                              json{{"current", passwords.at("maria")}, {"new", "brand-new-pass-1"}}.dump());
  REQUIRE(changed.status == 200);
  CHECK(laptop->cookie() != before);
  laptop->header("X-CSRF-Token", body(changed)["csrf_token"]);
  CHECK(laptop->get("/api/v1/auth/me").status == 200);
  CHECK(phone->get("/api/v1/auth/me").status == 401);
  http_client fresh(s.d.port(), "");
  CHECK(fresh.post("/api/v1/auth/login", json{{"login", "maria"}, {"password", "brand-new-pass-1"}}.dump()).status == 200);
  CHECK(s.d.log().find("brand-new-pass-1") == std::string::npos);
  // A program has no password of its own.
  http_client bank(s.d.port(), s.integration_token);
  CHECK(bank.post("/api/v1/auth/password", "{}").status == 403);
}
