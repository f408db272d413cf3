#include "adapters/http/auth/gate.hpp"

#include "adapters/http/auth/route_table.hpp"
#include "engine/store/account_store.hpp"

#include <fmt/format.h>

namespace reglament::http {

namespace {

// A session's last use is written at most this often (idle expiry is that coarse).
std::chrono::milliseconds touch_interval(const auth::session_policy& p) {
  auto quarter = std::chrono::duration_cast<std::chrono::milliseconds>(p.idle) / 4;
  return std::min<std::chrono::milliseconds>(quarter, std::chrono::seconds(60));
}

bool changes_state(beast_http::verb v) {
  using beast_http::verb;
  return v != verb::get && v != verb::head && v != verb::options;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    auto part = trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    auto eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    if (trim(part.substr(0, eq)) == name) return std::string(trim(part.substr(eq + 1)));
  }
  return std::nullopt;
}

std::string session_cookie(const std::string& secret, std::chrono::seconds max_age, bool secure) {
  return fmt::format("{}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{}", session_cookie_name, secret,
                     max_age.count(), secure ? "; Secure" : "");
}

std::string expired_session_cookie(bool secure) {
  return fmt::format("{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{}", session_cookie_name,
                     secure ? "; Secure" : "");
}

gate::gate(account_store& accounts, const clock& clk, gate_options opt)
    : accounts_(accounts), clock_(clk), opt_(std::move(opt)) {}

principal gate::identify(const request& req, bool& stale_cookie, bool& bad_token) {
  principal who;
  stale_cookie = bad_token = false;
  const auto now = clock_.now();
  if (auto it = req.find(beast_http::field::authorization); it != req.end()) {
    std::string_view value(it->value().data(), it->value().size());
    constexpr std::string_view scheme = "Bearer ";
    if (value.size() <= scheme.size() || value.substr(0, scheme.size()) != scheme) {
      bad_token = true;
      return who;
    }
    auto t = accounts_.token(auth::secret_digest(trim(value.substr(scheme.size()))));
    if (!t) {
      bad_token = true;
      return who;
    }
    if (!t->last_used_at || now - *t->last_used_at >= std::chrono::seconds(60)) accounts_.touch_token(t->id, now);
    who.how = principal::via::token;
    who.role = t->role;
    who.token_id = t->id;
    who.token_name = t->name;
    return who;
  }
  auto it = req.find(beast_http::field::cookie);
  if (it == req.end()) return who;
  auto secret = cookie_value(std::string_view(it->value().data(), it->value().size()), session_cookie_name);
  if (!secret || secret->empty()) return who;
  auto s = accounts_.session(auth::secret_digest(*secret));
  if (!s || s->user.disabled || now >= s->expires_at ||
      auth::session_expired(s->created_at, s->last_seen_at, now, opt_.sessions)) {
    if (s) {
      try {
        accounts_.end_session(s->digest);  // tidy up; refused either way
      } catch (const std::exception&) {
      }
    }
    stale_cookie = true;
    return who;
  }
  if (now - s->last_seen_at >= touch_interval(opt_.sessions)) accounts_.touch_session(s->digest, now);
  who.how = principal::via::session;
  who.role = s->user.role;
  who.user_id = s->user.id;
  who.login = s->user.login;
  who.name = s->user.name;
  who.language = s->user.language;
  who.session_digest = s->digest;
  who.csrf = s->csrf;
  return who;
}

gate::verdict gate::admit(const request& req, const std::string& address) {
  verdict v;
  v.who.address = address;
  const unsigned version = req.version();
  const bool keep_alive = req.keep_alive();
  auto refuse = [&](beast_http::status status, const std::string& code, const std::string& message) {
    v.refusal = json_error(version, keep_alive, status, code, message);
    return v;  // a copy: callers may still add headers to v.refusal
  };
  std::string_view target(req.target().data(), req.target().size());
  std::string_view path = target.substr(0, target.find('?'));
  if (auto why = unsafe_path(path); !why.empty()) return refuse(beast_http::status::bad_request, "bad_path", why);

  bool stale = false, bad_token = false;
  v.who = identify(req, stale, bad_token);
  v.who.address = address;
  if (bad_token) {
    refuse(beast_http::status::unauthorized, "bad_token",
           "the API token is unknown or revoked (send 'Authorization: Bearer <token>')");
    v.refusal->set(beast_http::field::www_authenticate, "Bearer");
    return v;
  }

  const std::string method(req.method_string());
  auto m = find_route(method, path);
  if (!m.rule) {
    if (!m.other_methods.empty()) {
      refuse(beast_http::status::method_not_allowed, "method_not_allowed",
             fmt::format("{} takes {}, not {}", path, m.other_methods, method));
      v.refusal->set(beast_http::field::allow, m.other_methods);
      return v;
    }
    if (!v.who.signed_in())
      return refuse(beast_http::status::unauthorized, "unauthenticated", "log in or send an API token");
    return refuse(beast_http::status::forbidden, "no_route_rule",
                  fmt::format("no access rule for {} {} (adapters/http/auth/route_table.cpp): refused by default",
                              method, path));
  }
  const auto& rule = *m.rule;
  if ((rule.who & allow::anyone) || (rule.public_by_config && opt_.public_metrics)) return v;
  if (!v.who.signed_in()) {
    refuse(beast_http::status::unauthorized, stale ? "session_expired" : "unauthenticated",
           stale ? "the session has expired or ended; log in again" : "log in or send an API token");
    if (stale) v.refusal->set(beast_http::field::set_cookie, expired_session_cookie(opt_.secure_cookies));
    return v;
  }
  if (!(rule.who & allow_bit(v.who.role)))
    return refuse(beast_http::status::forbidden, "forbidden",
                  fmt::format("{} {} is not allowed for the role {}", method, path, auth::to_string(v.who.role)));
  if (v.who.how == principal::via::session && changes_state(req.method())) {
    auto it = req.find(csrf_header_name);
    std::string_view sent = it == req.end() ? std::string_view{} : std::string_view(it->value().data(), it->value().size());
    if (sent.empty())
      return refuse(beast_http::status::forbidden, "csrf",
                    fmt::format("a {} with a session cookie needs the {} header (from login or /api/v1/auth/me)",
                                method, csrf_header_name));
    if (!auth::equal_secrets(sent, v.who.csrf))
      return refuse(beast_http::status::forbidden, "csrf",
                    fmt::format("the {} header does not match this session", csrf_header_name));
  }
  return v;
}

}  // namespace reglament::http
