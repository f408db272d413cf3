#include "adapters/http/auth/gate.hpp"

#include "adapters/http/router/json_limits.hpp"
#include "engine/store/account_store.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

#include <unistd.h>

using namespace reglament;
using namespace reglament::http;
using namespace std::chrono_literals;

namespace {

std::string fresh_db(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("reglament-gate-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return (dir / "reglament.db").string();
}

struct fixture {
  explicit fixture(const std::string& name) : accounts(fresh_db(name)), clock(from_millis(1'800'000'000'000LL)) {
    gate_options o;
    o.sessions.idle = 600s;
    o.sessions.absolute = 3600s;
    g.emplace(accounts, clock, o);
  }
  // A session for a new user with `r`; returns the cookie's secret.
  std::string session_for(const std::string& login, auth::role r) {
    user_record u;
    u.login = login;
    u.name = login;
    u.role = r;
    auto added = accounts.add_user(u, "unused-hash", clock.now());
    REQUIRE(added);
    auto secret = auth::random_secret();
    session_record s;
    s.digest = auth::secret_digest(secret);
    s.user = *added;
    s.csrf = "csrf-of-" + login;
    s.created_at = s.last_seen_at = clock.now();
    s.expires_at = clock.now() + 3600s;
    accounts.add_session(s);
    return secret;
  }
  gate::verdict admit(beast_http::verb v, const std::string& target, const std::string& cookie = {},
                      const std::string& csrf = {}, const std::string& bearer = {}) {
    request req{v, target, 11};
    if (!cookie.empty()) req.set(beast_http::field::cookie, "theme=dark; reglament_session=" + cookie);
    if (!csrf.empty()) req.set(csrf_header_name, csrf);
    if (!bearer.empty()) req.set(beast_http::field::authorization, "Bearer " + bearer);
    return g->admit(req, "10.0.0.7");
  }
  static int status(const gate::verdict& v) { return v.refusal ? static_cast<int>(v.refusal->result_int()) : 200; }

  account_store accounts;
  manual_clock clock;
  std::optional<gate> g;
};

using beast_http::verb;

}  // namespace

TEST_CASE("gate: nobody gets 401 except on public routes", "[http][auth]") {
  fixture f("anonymous");
  CHECK(fixture::status(f.admit(verb::get, "/healthz")) == 200);
  CHECK(fixture::status(f.admit(verb::post, "/api/v1/auth/login")) == 200);
  CHECK(fixture::status(f.admit(verb::get, "/app/cases/3")) == 200);
  auto v = f.admit(verb::get, "/api/v1/cases");
  CHECK(fixture::status(v) == 401);
  CHECK(v.refusal->body().find("unauthenticated") != std::string::npos);
  CHECK(fixture::status(f.admit(verb::get, "/metrics")) == 401);
  CHECK(fixture::status(f.admit(verb::get, "/api/v1/made-up")) == 401);
  CHECK(fixture::status(f.admit(verb::get, "/api/v1/cases/../users")) == 400);
}

TEST_CASE("gate: roles from the table, an endpoint with no rule is refused (default deny)", "[http][auth]") {
  fixture f("roles");
  auto manager = f.session_for("maria", auth::role::manager);
  auto owner = f.session_for("olga", auth::role::owner);
  CHECK(fixture::status(f.admit(verb::get, "/api/v1/cases", manager)) == 200);
  CHECK(fixture::status(f.admit(verb::get, "/api/v1/users", manager)) == 403);
  CHECK(fixture::status(f.admit(verb::get, "/api/v1/users", owner)) == 200);
  auto none = f.admit(verb::get, "/api/v1/made-up", owner);
  CHECK(fixture::status(none) == 403);
  CHECK(none.refusal->body().find("no_route_rule") != std::string::npos);
  auto wrong_method = f.admit(verb::delete_, "/api/v1/cases/4", owner);
  CHECK(fixture::status(wrong_method) == 405);
  CHECK(wrong_method.refusal->at(beast_http::field::allow) == "GET");
  auto ok = f.admit(verb::get, "/api/v1/cases", manager);
  CHECK(ok.who.how == principal::via::session);
  CHECK(ok.who.login == "maria");
  CHECK(ok.who.address == "10.0.0.7");
}

TEST_CASE("gate: a session's writes need its CSRF token, tokens need none", "[http][auth]") {
  fixture f("csrf");
  auto s = f.session_for("maria", auth::role::manager);
  auto missing = f.admit(verb::post, "/api/v1/inbound", s);
  CHECK(fixture::status(missing) == 403);
  CHECK(missing.refusal->body().find("\"csrf\"") != std::string::npos);
  CHECK(fixture::status(f.admit(verb::post, "/api/v1/inbound", s, "csrf-of-someone")) == 403);
  CHECK(fixture::status(f.admit(verb::post, "/api/v1/inbound", s, "csrf-of-maria")) == 200);
  // Reads need none.
  CHECK(fixture::status(f.admit(verb::get, "/api/v1/cases", s)) == 200);

  auto secret = auth::random_secret("rgl_");
  f.accounts.add_token("bank", auth::role::integration, auth::secret_digest(secret), "test", f.clock.now());
  auto t = f.admit(verb::post, "/api/v1/inbound", {}, {}, secret);
  CHECK(fixture::status(t) == 200);
  CHECK(t.who.how == principal::via::token);
  CHECK(t.who.actor() == "token:bank");
  // An integration token is not staff.
  CHECK(fixture::status(f.admit(verb::get, "/api/v1/cases", {}, {}, secret)) == 403);
  // A wrong token is refused even where a cookie would do.
  auto bad = f.admit(verb::get, "/api/v1/cases", s, {}, "rgl_forged");
  CHECK(fixture::status(bad) == 401);
  CHECK(bad.refusal->at(beast_http::field::www_authenticate) == "Bearer");
}

TEST_CASE("gate: sessions end when idle, at the absolute limit, and for a disabled user", "[http][auth]") {
  fixture f("expiry");
  auto s = f.session_for("maria", auth::role::manager);
  f.clock.advance(599s);
  CHECK(fixture::status(f.admit(verb::get, "/api/v1/cases", s)) == 200);  // and touched
  f.clock.advance(599s);
  CHECK(fixture::status(f.admit(verb::get, "/api/v1/cases", s)) == 200);
  f.clock.advance(600s);
  auto idle = f.admit(verb::get, "/api/v1/cases", s);
  CHECK(fixture::status(idle) == 401);
  CHECK(idle.refusal->body().find("session_expired") != std::string::npos);
  CHECK(idle.refusal->at(beast_http::field::set_cookie).find("Max-Age=0") != std::string::npos);
  // Ended for good: coming back does not revive it.
  CHECK(fixture::status(f.admit(verb::get, "/api/v1/cases", s)) == 401);

  auto busy = f.session_for("olga", auth::role::manager);
  for (int i = 0; i < 7; ++i) {
    f.clock.advance(500s);
    CHECK(fixture::status(f.admit(verb::get, "/api/v1/cases", busy)) == 200);
  }
  f.clock.advance(500s);  // 4000 s after login: past the absolute 3600 s
  CHECK(fixture::status(f.admit(verb::get, "/api/v1/cases", busy)) == 401);

  auto later = f.session_for("anna", auth::role::manager);
  user_change off;
  off.disabled = true;
  f.accounts.update_user("anna", off, f.clock.now());
  CHECK(fixture::status(f.admit(verb::get, "/api/v1/cases", later)) == 401);
}

TEST_CASE("cookies: parsed among others, set HttpOnly, SameSite=Strict, Path=/", "[http][auth]") {
  CHECK(cookie_value("a=1; reglament_session=xyz; b=2", "reglament_session") == "xyz");
  CHECK(cookie_value("reglament_sessionx=1", "reglament_session") == std::nullopt);
  auto c = session_cookie("SECRET", 3600s, false);
  CHECK(c == "reglament_session=SECRET; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict");
  CHECK(session_cookie("S", 60s, true).find("; Secure") != std::string::npos);
  CHECK(expired_session_cookie(false).find("Max-Age=0") != std::string::npos);
}

TEST_CASE("JSON depth is measured before parsing, strings skipped", "[http][limits]") {
  CHECK(json_depth(R"({"a": [1, {"b": 2}]})") == 3);
  CHECK(json_depth(R"({"a": "[[[[[[[[\"[["})") == 1);
  CHECK(json_depth(std::string(100000, '[')) == max_json_depth + 1);
  CHECK(json_depth("") == 0);
}
