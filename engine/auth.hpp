// Staff accounts' rules without I/O: roles, argon2id password hashes and random secrets
// (libsodium), when a session has expired, and how long a login waits after failures.
// Every function is thread-safe (libsodium is initialised once, on first use). It stores
// nothing: engine/store/account_store keeps users, sessions, tokens and attempts.
#pragma once

#include "engine/clock.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace reglament::auth {

// manager ⊂ director ⊂ owner: each can do what the one before can. `integration` is for
// API tokens only (another program: a bank feed, a monitor), outside that chain.
enum class role { manager, director, owner, integration };
std::string_view to_string(role r);
std::optional<role> role_from_string(std::string_view s);
// True for the three roles a person may have.
bool is_staff(role r);

// An argon2id hash in libsodium's string form ($argon2id$v=19$m=...), interactive limits.
// Throws std::runtime_error if the machine runs out of memory for it.
std::string hash_password(std::string_view password);
// Constant-time with respect to the password; false for a malformed hash.
bool verify_password(std::string_view password, const std::string& hash);
// Verifies against a fixed hash: spends the same time when the login does not exist.
void waste_password_check(std::string_view password);

// A new random secret: 32 bytes as URL-safe base64 without padding, with `prefix`.
std::string random_secret(std::string_view prefix = {});
// What the store keeps instead of a session id or API token: BLAKE2b-256, hex. Secrets
// are 256-bit random, so a fast hash is enough; the store never holds a usable secret.
std::string secret_digest(std::string_view secret);
// Compares two strings in time that depends only on their lengths.
bool equal_secrets(std::string_view a, std::string_view b);

// Limits of accepted input, checked by the API and the CLI alike.
inline constexpr std::size_t max_login_bytes = 64;
inline constexpr std::size_t max_name_bytes = 200;
inline constexpr std::size_t min_password_chars = 8;
inline constexpr std::size_t max_password_bytes = 1024;
// Empty when `login` is acceptable (letters, digits, . _ -; 1..64 bytes), else why not.
std::string check_login(std::string_view login);
// Empty when `password` is acceptable (8..1024, not all spaces), else why not.
std::string check_password(std::string_view password);

struct session_policy {
  std::chrono::seconds idle{8 * 3600};          // unused this long: expired
  std::chrono::seconds absolute{7 * 24 * 3600};  // this long after login: expired
};

// Expired when `now` is at or past either limit.
bool session_expired(timestamp created, timestamp last_seen, timestamp now, const session_policy& p);
// When the session ends if it keeps being used (the absolute limit) — for Max-Age.
timestamp session_ends(timestamp created, const session_policy& p);

struct throttle_policy {
  int free_failures_per_login = 5;    // failures allowed before the first wait
  int free_failures_per_ip = 20;      // one office behind one address has several people
  std::chrono::seconds first_wait{60};  // doubled with each failure after the free ones
  std::chrono::seconds max_wait{15 * 60};
  std::chrono::seconds window{3600};  // failures older than this are forgotten
};

// How long to wait after `failures` recent failures, the last at `last`; nullopt: no wait.
// `free_failures` is the policy's allowance for this key (login or address).
std::optional<std::chrono::seconds> login_wait(int failures, int free_failures, timestamp last, timestamp now,
                                               const throttle_policy& p);

}  // namespace reglament::auth
