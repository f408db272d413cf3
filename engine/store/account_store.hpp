// Staff accounts in the SQLite database (tables users, sessions, api_tokens,
// login_attempts): who may use the staff app and the API. It stores and finds; the rules
// (hashing, expiry, throttling) are engine/auth.hpp's and the callers'. Secrets are never
// stored: sessions and tokens by digest only, passwords as argon2id hashes. Thread-safe:
// one connection of its own behind a mutex, so the daemon's IO threads may share it and
// the CLI's changes beside a running daemon are seen at once (every lookup reads SQLite).
#pragma once

#include "engine/auth.hpp"
#include "engine/clock.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace reglament {

struct user_record {
  std::int64_t id = 0;
  std::string login, name;
  auth::role role = auth::role::manager;
  std::string language = "ru";  // ru | en: the staff app's language for this person
  bool disabled = false;
  timestamp created_at{};
};

struct session_record {
  std::string digest;  // auth::secret_digest of the cookie's value
  user_record user;
  std::string csrf;    // the synchronizer token the session's writes must carry
  timestamp created_at{}, last_seen_at{}, expires_at{};
  std::string address;  // where the login came from
};

struct token_record {
  std::int64_t id = 0;
  std::string name;
  auth::role role = auth::role::integration;
  timestamp created_at{};
  std::string created_by;
  std::optional<timestamp> last_used_at, revoked_at;
};

struct user_change {
  std::optional<auth::role> role;
  std::optional<bool> disabled;
  std::optional<std::string> name, language;
  std::optional<std::string> password_hash;  // a new hash (auth::hash_password)
};

class account_store {
 public:
  struct options {
    bool read_only = false;
    int busy_timeout_ms = 5000;
  };

  // Opens `path`, migrating it unless read-only. Throws store_error; needs a file.
  explicit account_store(const std::string& path, options opt);
  explicit account_store(const std::string& path) : account_store(path, options{}) {}
  ~account_store();
  account_store(const account_store&) = delete;
  account_store& operator=(const account_store&) = delete;

  // Users. add_user returns nullopt when the login is taken (case-insensitively).
  std::optional<user_record> add_user(const user_record& u, const std::string& password_hash, timestamp now);
  std::vector<user_record> users();
  std::optional<user_record> user(std::string_view login);
  // The user and their password hash, for a login.
  std::optional<std::pair<user_record, std::string>> credentials(std::string_view login);
  // Applies `c`; a new password or disabling also ends the user's sessions. nullopt: no
  // such user.
  std::optional<user_record> update_user(std::string_view login, const user_change& c, timestamp now);
  int enabled_owners();

  // Sessions. session() returns the row with its user, expired or not; the caller decides.
  void add_session(const session_record& s);
  std::optional<session_record> session(std::string_view digest);
  // Notes a session's use; false when the database could not take it at once (locked,
  // full): the caller goes on, the session just looks idle a little longer.
  bool touch_session(std::string_view digest, timestamp now);
  bool end_session(std::string_view digest);
  int end_sessions_of(std::int64_t user_id);
  int end_sessions_before(timestamp expires_before, timestamp idle_before);

  // API tokens. token() finds a token that is not revoked.
  token_record add_token(const std::string& name, auth::role role, const std::string& digest,
                         const std::string& created_by, timestamp now);
  // Adds the token unless one with this digest exists (the daemon's bootstrap token).
  token_record ensure_token(const std::string& name, auth::role role, const std::string& digest, timestamp now);
  std::vector<token_record> tokens();
  std::optional<token_record> token(std::string_view digest);
  bool revoke_token(std::int64_t id, timestamp now);
  bool touch_token(std::int64_t id, timestamp now);  // like touch_session

  // Failed logins under `key` ('login:<login>', 'address:<ip>').
  void record_failure(const std::string& key, timestamp now);
  struct failure_count {
    int count = 0;
    timestamp last{};
  };
  failure_count failures(const std::string& key, timestamp since);
  void clear_failures(const std::string& key);
  void forget_failures_before(timestamp before);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace reglament
