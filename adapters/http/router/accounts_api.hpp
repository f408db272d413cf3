// The API of staff accounts: log in and out, who am I (/api/v1/auth/*), people
// (/api/v1/users) and API tokens (/api/v1/tokens). The gate has already checked the role
// and CSRF; this checks input, throttles failed logins, and never echoes or logs a
// password or a secret (a new token's secret is in its creation response only).
// Thread-safe: it keeps no state of its own beyond the account store's.
#pragma once

#include "adapters/http/auth/gate.hpp"
#include "adapters/http/auth/principal.hpp"
#include "adapters/http/router/api.hpp"

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace reglament::http {

// An event worth a log line ("login failed", {{"login", "anna"}, {"address", "10.0.0.2"}}).
using account_event = std::function<void(bool warning, const std::string& what,
                                         const std::vector<std::pair<std::string, std::string>>& fields)>;

class accounts_api {
 public:
  // REQUIRES: `g` outlives this.
  accounts_api(gate& g, account_event on_event);

  // The response for a route under /api/v1/auth, /api/v1/users or /api/v1/tokens;
  // nullopt for any other path.
  std::optional<response> handle(const request& req, const principal& who);

 private:
  gate& gate_;
  account_event on_event_;
};

}  // namespace reglament::http
