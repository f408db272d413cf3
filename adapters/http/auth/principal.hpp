// Who sent a request, as the gate established it: nobody, a person through a session
// cookie, or another program through an API token. A plain value handed to the api with
// each request; it is not a credential (it holds digests, never secrets).
#pragma once

#include "engine/auth.hpp"

#include <cstdint>
#include <string>

namespace reglament::http {

struct principal {
  enum class via { nobody, session, token };
  via how = via::nobody;
  auth::role role = auth::role::manager;  // meaningless for nobody
  // A person (session):
  std::int64_t user_id = 0;
  std::string login, name, language;
  std::string session_digest, csrf;
  // A program (token):
  std::int64_t token_id = 0;
  std::string token_name;
  // Where the request came from (the peer's IP address), for throttling and logs.
  std::string address;

  bool signed_in() const { return how != via::nobody; }
  // For journals and logs: the login, "token:<name>", or "" for nobody.
  std::string actor() const {
    if (how == via::session) return login;
    if (how == via::token) return "token:" + token_name;
    return {};
  }
};

}  // namespace reglament::http
