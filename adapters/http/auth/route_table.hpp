// The one table of who may call what: every HTTP route (method + path pattern) with the
// roles allowed. Default deny: a request no rule matches is refused before any handler
// runs, so an endpoint added without a rule is unreachable (403) until it gets one.
// Immutable and thread-safe. docs/API.md's matrix is generated from it (a test checks).
#pragma once

#include "engine/auth.hpp"

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace reglament::http {

// Who a rule lets in, as a bit set.
namespace allow {
inline constexpr unsigned anyone = 1u;  // no credentials needed (a public route)
inline constexpr unsigned manager = 2u;
inline constexpr unsigned director = 4u;
inline constexpr unsigned owner = 8u;
inline constexpr unsigned integration = 16u;  // API tokens with the integration role
inline constexpr unsigned staff = manager | director | owner;
inline constexpr unsigned directors = director | owner;
inline constexpr unsigned signed_in = staff | integration;
}  // namespace allow

unsigned allow_bit(auth::role r);

struct route_rule {
  std::string_view method;   // GET, POST, PUT, PATCH, DELETE
  std::string_view pattern;  // literal segments, "*" = one segment, a last "**" = any rest
  unsigned who;              // allow:: bits
  std::string_view what;     // one line for docs/API.md
  // True for /metrics: public when the daemon's config says so (auth.public_metrics).
  bool public_by_config = false;
};

std::span<const route_rule> route_rules();

// True when `path` (no query string) matches `pattern`.
bool path_matches(std::string_view pattern, std::string_view path);

struct route_match {
  const route_rule* rule = nullptr;  // null: no rule for this method and path
  std::string other_methods;         // when null: methods the path has rules for ("GET, POST")
};

// The rule for `method` and `path` (query stripped, one trailing '/' ignored).
route_match find_route(std::string_view method, std::string_view path);

// Why an API path is unusable before matching: ".." or "." segments, a NUL. Empty: fine.
std::string unsafe_path(std::string_view path);

}  // namespace reglament::http
