#include "engine/auth.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace reglament;
using namespace std::chrono_literals;

namespace {
timestamp at(int seconds) { return from_millis(1'800'000'000'000LL + seconds * 1000LL); }
}  // namespace

TEST_CASE("passwords are stored as argon2id hashes that verify only the same password", "[auth]") {
  auto h = auth::hash_password("correct horse");
  CHECK(h.rfind("$argon2id$", 0) == 0);
  CHECK(h.find("correct horse") == std::string::npos);
  CHECK(auth::verify_password("correct horse", h));
  CHECK_FALSE(auth::verify_password("correct horsE", h));
  CHECK_FALSE(auth::verify_password("", h));
  // Salted: the same password twice gives two hashes.
  CHECK(auth::hash_password("correct horse") != h);
  CHECK_FALSE(auth::verify_password("correct horse", "not a hash"));
  CHECK_FALSE(auth::verify_password("correct horse", ""));
}

TEST_CASE("secrets are random, URL-safe, and stored as digests", "[auth]") {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto s = auth::random_secret("rgl_");
    CHECK(s.rfind("rgl_", 0) == 0);
    CHECK(s.size() == 4 + 43);  // 32 bytes in base64url without padding
    CHECK(s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 4) ==
          std::string::npos);
    seen.insert(s);
  }
  CHECK(seen.size() == 100);
  auto d = auth::secret_digest("abc");
  CHECK(d.size() == 64);
  CHECK(d == auth::secret_digest("abc"));
  CHECK(d != auth::secret_digest("abd"));
  CHECK(auth::equal_secrets("abc", "abc"));
  CHECK_FALSE(auth::equal_secrets("abc", "abd"));
  CHECK_FALSE(auth::equal_secrets("abc", "abcd"));
  CHECK_FALSE(auth::equal_secrets("", "a"));
}

TEST_CASE("roles: three for people, integration for programs", "[auth]") {
  for (auto r : {auth::role::manager, auth::role::director, auth::role::owner, auth::role::integration})
    CHECK(auth::role_from_string(auth::to_string(r)) == r);
  CHECK_FALSE(auth::role_from_string("admin"));
  CHECK(auth::is_staff(auth::role::director));
  CHECK_FALSE(auth::is_staff(auth::role::integration));
}

TEST_CASE("logins and passwords are checked before they are stored", "[auth]") {
  CHECK(auth::check_login("maria.ivanova").empty());
  CHECK_FALSE(auth::check_login("").empty());
  CHECK_FALSE(auth::check_login("мария").empty());
  CHECK_FALSE(auth::check_login("a b").empty());
  CHECK_FALSE(auth::check_login(std::string(65, 'a')).empty());
  CHECK(auth::check_password("пароль12").empty());  // 8 characters, 14 bytes
  CHECK_FALSE(auth::check_password("пароль1").empty());
  CHECK_FALSE(auth::check_password("        ").empty());
  CHECK_FALSE(auth::check_password(std::string(1025, 'a')).empty());
}

TEST_CASE("a session expires when idle too long or too long after login", "[auth]") {
  auth::session_policy p{.idle = 3600s, .absolute = 8 * 3600s};
  CHECK_FALSE(auth::session_expired(at(0), at(0), at(3599), p));
  CHECK(auth::session_expired(at(0), at(0), at(3600), p));  // idle exactly the limit
  // Kept busy, it still ends at the absolute limit.
  CHECK_FALSE(auth::session_expired(at(0), at(8 * 3600 - 60), at(8 * 3600 - 1), p));
  CHECK(auth::session_expired(at(0), at(8 * 3600 - 60), at(8 * 3600), p));
  CHECK(auth::session_ends(at(0), p) == at(8 * 3600));
}

TEST_CASE("failed logins: free ones, then a wait that doubles up to the cap", "[auth]") {
  auth::throttle_policy p;  // 5 free per login, 60 s first wait, 15 min cap
  CHECK_FALSE(auth::login_wait(4, 5, at(0), at(0), p));
  CHECK(auth::login_wait(5, 5, at(0), at(0), p) == 60s);
  CHECK(auth::login_wait(5, 5, at(0), at(30), p) == 30s);
  CHECK_FALSE(auth::login_wait(5, 5, at(0), at(60), p));  // waited enough
  CHECK(auth::login_wait(6, 5, at(0), at(0), p) == 120s);
  CHECK(auth::login_wait(7, 5, at(0), at(0), p) == 240s);
  CHECK(auth::login_wait(50, 5, at(0), at(0), p) == 900s);
  // Rounded up: never told to come back before the wait is over.
  CHECK(auth::login_wait(5, 5, at(0), at(0) + 59'500ms, p) == 1s);
}
