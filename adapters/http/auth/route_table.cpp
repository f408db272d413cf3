#include "adapters/http/auth/route_table.hpp"

#include <array>
#include <set>

namespace reglament::http {

namespace {

using namespace allow;

// Every route of the daemon. Add a row with each new endpoint (docs/API.md's matrix
// comes from here: run the route_table test and paste what it prints when it differs).
// Roles: manager ⊂ director ⊂ owner; integration is for API tokens of other programs.
constexpr std::array rules{
    // Public: health, the staff app's files, the website chat (its own visitor tokens), login.
    route_rule{"GET", "/healthz", anyone, "liveness"},
    route_rule{"GET", "/", anyone, "the staff app"},
    route_rule{"GET", "/index.html", anyone, "the staff app"},
    route_rule{"GET", "/app", anyone, "the staff app"},
    route_rule{"GET", "/app/**", anyone, "the staff app's pages"},
    route_rule{"GET", "/assets/**", anyone, "the staff app's scripts, styles, images"},
    route_rule{"GET", "/favicon.ico", anyone, "icon"},
    route_rule{"GET", "/chat/**", anyone, "website chat (visitor token)"},
    route_rule{"POST", "/chat/**", anyone, "website chat (visitor token)"},
    route_rule{"POST", "/api/v1/auth/login", anyone, "log in: session cookie + CSRF token"},
    // Monitoring.
    route_rule{"GET", "/metrics", owner | integration, "Prometheus metrics", true},
    // Any signed-in person or program.
    route_rule{"GET", "/api/v1/auth/me", signed_in, "who am I"},
    route_rule{"POST", "/api/v1/auth/logout", signed_in, "end this session"},
    route_rule{"POST", "/api/v1/auth/password", staff, "change my own password (a new session)"},
    // Client messages and the work on cases.
    route_rule{"POST", "/api/v1/inbound", staff | integration, "a client message arrives"},
    route_rule{"GET", "/api/v1/cases", staff, "list cases"},
    route_rule{"GET", "/api/v1/cases/*", staff, "a case with its journal"},
    route_rule{"POST", "/api/v1/cases/*/actions", staff, "act on a case's step (decide: director, owner)"},
    route_rule{"GET", "/api/v1/outbox", staff, "outbound messages"},
    route_rule{"POST", "/api/v1/outbox/*/*/retry", staff, "send a dead letter again"},
    route_rule{"GET", "/api/v1/events", staff, "live updates (server-sent events)"},
    route_rule{"GET", "/api/v1/situations", staff, "the 'what to do if…' playbooks"},
    route_rule{"POST", "/api/v1/situations", staff, "start a 'what to do if…' playbook"},
    // Channels: their health, what could not be read, and files that came with messages.
    route_rule{"GET", "/api/v1/channels", staff, "each channel's health: failing since when, last error, next retry"},
    route_rule{"GET", "/api/v1/channel-errors", staff, "channel errors with their raw form"},
    route_rule{"GET", "/api/v1/channel-errors/*", staff, "one channel error"},
    route_rule{"POST", "/api/v1/channel-errors/*/resolve", staff, "mark a channel error handled"},
    route_rule{"GET", "/api/v1/attachments/*", staff, "download an attachment"},
    // The director's control points.
    route_rule{"GET", "/api/v1/reports/*", directors, "control-point reports"},
    // Money.
    route_rule{"GET", "/api/v1/invoices", staff | integration, "list invoices"},
    route_rule{"GET", "/api/v1/invoices/*", staff | integration, "one invoice"},
    route_rule{"POST", "/api/v1/invoices/*/payments", staff | integration, "record a payment"},
    // Clients.
    route_rule{"GET", "/api/v1/clients", staff, "list clients"},
    route_rule{"POST", "/api/v1/clients", directors, "create or update a client"},
    route_rule{"GET", "/api/v1/clients/*", staff, "one client"},
    route_rule{"POST", "/api/v1/clients/*/contacts", staff, "link a sender to a client"},
    route_rule{"POST", "/api/v1/clients/*/telegram-code", staff, "a one-time code that links a client's Telegram"},
    // The owner's studio: playbooks, the firm file's parts, rehearsals, proposals.
    route_rule{"GET", "/api/v1/playbooks", owner, "playbooks with their versions"},
    route_rule{"GET", "/api/v1/playbooks/**", owner, "a playbook, its versions, its graph"},
    route_rule{"POST", "/api/v1/playbooks/*/validate", owner, "validate a draft"},
    route_rule{"POST", "/api/v1/playbooks/*/graph", owner, "draw a draft"},
    route_rule{"POST", "/api/v1/playbooks/*/tests", owner, "run a draft's stories"},
    route_rule{"POST", "/api/v1/playbooks/*/deploy", owner, "deploy a new version"},
    route_rule{"GET", "/api/v1/firm", owner, "the firm file's parts"},
    route_rule{"POST", "/api/v1/firm/*/validate", owner, "validate a firm part"},
    route_rule{"POST", "/api/v1/firm/*/deploy", owner, "deploy a firm part"},
    route_rule{"POST", "/api/v1/rehearsals", owner, "start a rehearsal"},
    route_rule{"GET", "/api/v1/rehearsals/*", owner, "a rehearsal's state"},
    route_rule{"DELETE", "/api/v1/rehearsals/*", owner, "end a rehearsal"},
    route_rule{"POST", "/api/v1/rehearsals/*/*", owner, "a simulated message, action or clock step"},
    route_rule{"GET", "/api/v1/proposals", owner, "managers' not-covered notes"},
    route_rule{"GET", "/api/v1/proposals/*", owner, "one proposal with its case"},
    route_rule{"POST", "/api/v1/proposals/*/dismiss", owner, "dismiss a proposal"},
    route_rule{"POST", "/api/v1/proposals/*/branch", owner, "mark a proposal as turned into a branch"},
    // People and programs (the owner).
    route_rule{"GET", "/api/v1/users", owner, "list staff accounts"},
    route_rule{"POST", "/api/v1/users", owner, "add a staff account"},
    route_rule{"GET", "/api/v1/users/*", owner, "one staff account"},
    route_rule{"PATCH", "/api/v1/users/*", owner, "change role, disable, reset password"},
    route_rule{"GET", "/api/v1/tokens", owner, "list API tokens"},
    route_rule{"POST", "/api/v1/tokens", owner, "issue an API token"},
    route_rule{"DELETE", "/api/v1/tokens/*", owner, "revoke an API token"},
};

std::string_view next_segment(std::string_view& rest) {
  auto slash = rest.find('/');
  auto seg = rest.substr(0, slash);
  rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
  return seg;
}

}  // namespace

unsigned allow_bit(auth::role r) {
  switch (r) {
    case auth::role::manager: return allow::manager;
    case auth::role::director: return allow::director;
    case auth::role::owner: return allow::owner;
    case auth::role::integration: return allow::integration;
  }
  return 0;
}

std::span<const route_rule> route_rules() { return rules; }

bool path_matches(std::string_view pattern, std::string_view path) {
  if (pattern.empty() || path.empty() || pattern[0] != '/' || path[0] != '/') return false;
  if (pattern == "/") return path == "/";
  pattern.remove_prefix(1);
  path.remove_prefix(1);
  bool path_done = false;
  while (!pattern.empty()) {
    auto p = next_segment(pattern);
    if (p == "**") return pattern.empty();  // the rest, however long (also none)
    if (path_done) return false;
    const bool last = path.find('/') == std::string_view::npos;
    auto s = next_segment(path);
    if (p == "*") {
      if (s.empty()) return false;
    } else if (p != s) {
      return false;
    }
    if (last) path_done = true;
  }
  return path_done;
}

route_match find_route(std::string_view method, std::string_view path) {
  if (method == "HEAD") method = "GET";  // HEAD is GET without the body, for every GET route
  path = path.substr(0, path.find('?'));
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  route_match m;
  std::set<std::string_view> others;
  for (const auto& r : rules) {
    if (!path_matches(r.pattern, path)) continue;
    if (r.method == method) {
      m.rule = &r;
      return m;
    }
    others.insert(r.method);
  }
  for (auto o : others) m.other_methods += (m.other_methods.empty() ? "" : ", ") + std::string(o);
  return m;
}

std::string unsafe_path(std::string_view path) {
  if (path.find('\0') != std::string_view::npos) return "a path must not contain NUL";
  std::string_view rest = path.substr(0, path.find('?'));
  if (!rest.empty() && rest[0] == '/') rest.remove_prefix(1);
  while (!rest.empty()) {
    auto s = next_segment(rest);
    if (s == "." || s == ".." || s == "%2e" || s == "%2E" || s == "%2e%2e" || s == "%2E%2E" || s == ".%2e" ||
        s == "%2e.")
      return "a path must not contain '.' or '..' segments";
  }
  return {};
}

}  // namespace reglament::http
