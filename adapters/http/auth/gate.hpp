// The gate every HTTP request passes before any handler: it finds who sent it (an API
// token in "Authorization: Bearer", else the session cookie), checks the route table
// (default deny), and for a session's state-changing request the CSRF token. It answers
// refusals itself: 401 for nobody, 403 for a wrong role, a missing rule or a bad CSRF
// token, 405, 400 for a path with '..'. Thread-safe (the account store is). Not the login
// endpoint: router/accounts_api does that.
#pragma once

#include "adapters/http/auth/principal.hpp"
#include "adapters/http/router/api.hpp"
#include "engine/auth.hpp"
#include "engine/clock.hpp"

#include <optional>
#include <string>

namespace reglament {
class account_store;
}

namespace reglament::http {

inline constexpr const char* session_cookie_name = "reglament_session";
inline constexpr const char* csrf_header_name = "X-CSRF-Token";

struct gate_options {
  auth::session_policy sessions;
  auth::throttle_policy logins;
  bool secure_cookies = false;  // add Secure: the daemon is reached over HTTPS (a proxy)
  bool public_metrics = false;  // /metrics without credentials
};

// The value of the cookie `name` in a Cookie header, or nullopt.
std::optional<std::string> cookie_value(std::string_view header, std::string_view name);
// Set-Cookie values: the session for `max_age`, and the one that removes it.
std::string session_cookie(const std::string& secret, std::chrono::seconds max_age, bool secure);
std::string expired_session_cookie(bool secure);

class gate {
 public:
  // REQUIRES: `accounts` and `clk` outlive the gate.
  gate(account_store& accounts, const clock& clk, gate_options opt);

  struct verdict {
    principal who;
    std::optional<response> refusal;  // set: send it, call no handler
  };
  // `address`: the peer's IP address, kept in the principal.
  verdict admit(const request& req, const std::string& address);

  // Who the request's credentials name, without the route check (the login endpoint
  // uses it to end a session presented with the login). Touches a live session.
  principal identify(const request& req, bool& stale_cookie, bool& bad_token);

  account_store& accounts() { return accounts_; }
  const clock& time() const { return clock_; }
  const gate_options& options() const { return opt_; }

 private:
  account_store& accounts_;
  const clock& clock_;
  gate_options opt_;
};

}  // namespace reglament::http
