#include "engine/store/account_store.hpp"
#include "engine/store/sqlite_store.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

#include <unistd.h>

using namespace reglament;
using namespace std::chrono_literals;

namespace {

timestamp at(int seconds) { return from_millis(1'800'000'000'000LL + seconds * 1000LL); }

std::string fresh_db(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("reglament-accounts-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return (dir / "reglament.db").string();
}

user_record person(const std::string& login, auth::role r) {
  user_record u;
  u.login = login;
  u.name = login;
  u.role = r;
  return u;
}

}  // namespace

TEST_CASE("users: added once per login (any case), changed, listed", "[store][auth]") {
  account_store a(fresh_db("users"));
  auto u = a.add_user(person("maria", auth::role::manager), "hash-1", at(0));
  REQUIRE(u);
  CHECK(u->id > 0);
  CHECK(u->created_at == at(0));
  CHECK_FALSE(a.add_user(person("Maria", auth::role::owner), "hash-2", at(1)));
  auto cred = a.credentials("MARIA");
  REQUIRE(cred);
  CHECK(cred->first.login == "maria");
  CHECK(cred->second == "hash-1");

  a.add_user(person("olga", auth::role::owner), "hash-3", at(2));
  CHECK(a.enabled_owners() == 1);
  user_change c;
  c.role = auth::role::director;
  c.language = "en";
  auto changed = a.update_user("maria", c, at(3));
  REQUIRE(changed);
  CHECK(changed->role == auth::role::director);
  CHECK(changed->language == "en");
  CHECK_FALSE(a.update_user("nobody", c, at(3)));
  auto all = a.users();
  REQUIRE(all.size() == 2);
  CHECK(all[0].login == "maria");
  CHECK(all[1].login == "olga");
}

TEST_CASE("sessions: found by digest with their user, a new password or disabling ends them", "[store][auth]") {
  account_store a(fresh_db("sessions"));
  auto u = *a.add_user(person("maria", auth::role::manager), "hash", at(0));
  auto make = [&](const std::string& digest) {
    session_record s;
    s.digest = digest;
    s.user = u;
    s.csrf = "csrf-" + digest;
    s.created_at = s.last_seen_at = at(10);
    s.expires_at = at(1000);
    s.address = "127.0.0.1";
    a.add_session(s);
  };
  make("d1");
  make("d2");
  auto s = a.session("d1");
  REQUIRE(s);
  CHECK(s->user.login == "maria");
  CHECK(s->csrf == "csrf-d1");
  a.touch_session("d1", at(20));
  CHECK(a.session("d1")->last_seen_at == at(20));
  CHECK(a.end_session("d1"));
  CHECK_FALSE(a.session("d1"));
  CHECK_FALSE(a.end_session("d1"));

  user_change pw;
  pw.password_hash = "new-hash";
  a.update_user("maria", pw, at(30));
  CHECK_FALSE(a.session("d2"));
  CHECK(a.credentials("maria")->second == "new-hash");

  make("d3");
  user_change off;
  off.disabled = true;
  a.update_user("maria", off, at(40));
  CHECK_FALSE(a.session("d3"));
  CHECK(a.user("maria")->disabled);

  // Expired ones are swept: past the absolute limit, or idle since before the cut.
  user_change on;
  on.disabled = false;
  a.update_user("maria", on, at(50));
  make("old");
  make("fresh");
  a.touch_session("fresh", at(500));
  CHECK(a.end_sessions_before(at(900), at(100)) == 1);
  CHECK_FALSE(a.session("old"));
  CHECK(a.session("fresh"));
}

TEST_CASE("API tokens: stored by digest, revoked for good, the bootstrap one added once", "[store][auth]") {
  account_store a(fresh_db("tokens"));
  auto t = a.add_token("bank", auth::role::integration, "digest-1", "olga", at(0));
  CHECK(t.id > 0);
  CHECK(t.created_by == "olga");
  REQUIRE(a.token("digest-1"));
  CHECK(a.token("digest-1")->role == auth::role::integration);
  CHECK_FALSE(a.token("digest-2"));
  CHECK(a.revoke_token(t.id, at(5)));
  CHECK_FALSE(a.token("digest-1"));
  CHECK_FALSE(a.revoke_token(t.id, at(6)));
  REQUIRE(a.tokens().size() == 1);
  CHECK(a.tokens()[0].revoked_at == at(5));

  auto b1 = a.ensure_token("bootstrap", auth::role::owner, "boot", at(10));
  auto b2 = a.ensure_token("bootstrap", auth::role::owner, "boot", at(20));
  CHECK(b1.id == b2.id);
  CHECK(a.tokens().size() == 2);
}

TEST_CASE("failed logins are counted per key within the window", "[store][auth]") {
  account_store a(fresh_db("attempts"));
  for (int i = 0; i < 3; ++i) a.record_failure("login:maria", at(i * 10));
  a.record_failure("address:10.0.0.1", at(30));
  auto f = a.failures("login:maria", at(0));
  CHECK(f.count == 3);
  CHECK(f.last == at(20));
  CHECK(a.failures("login:maria", at(15)).count == 1);
  a.forget_failures_before(at(15));
  CHECK(a.failures("login:maria", at(0)).count == 1);
  a.clear_failures("login:maria");
  CHECK(a.failures("login:maria", at(0)).count == 0);
  CHECK(a.failures("address:10.0.0.1", at(0)).count == 1);
}

TEST_CASE("the account store refuses an in-memory database", "[store][auth]") {
  CHECK_THROWS_AS(account_store(":memory:"), store_error);
}
