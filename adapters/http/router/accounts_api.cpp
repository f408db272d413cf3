#include "adapters/http/router/accounts_api.hpp"

#include "adapters/http/router/json_limits.hpp"
#include "adapters/http/router/request_parts.hpp"
#include "engine/store/account_store.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <set>

namespace reglament::http {

using nlohmann::json;

namespace {

constexpr const char* json_type = "application/json; charset=utf-8";

using refusal = invalid_request;
json parse_object(const std::string& body) { return parse_json_object(body); }

std::optional<std::string> text_field(const json& j, const std::string& name, bool required,
                                      std::size_t max_bytes) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) {
    if (required) throw refusal{400, "missing_field", fmt::format("field '{}' is required", name), name};
    return std::nullopt;
  }
  if (!it->is_string()) throw refusal{400, "wrong_type", fmt::format("field '{}' must be a string", name), name};
  auto v = it->get<std::string>();
  if (required && v.empty())
    throw refusal{400, "missing_field", fmt::format("field '{}' must not be empty", name), name};
  if (v.size() > max_bytes)
    throw refusal{413, "too_large", fmt::format("field '{}' is longer than {} bytes", name, max_bytes), name};
  return v;
}

auth::role staff_role(const std::string& text, const std::string& field, bool token) {
  auto r = auth::role_from_string(text);
  if (!r || (!token && !auth::is_staff(*r)))
    throw refusal{422, "bad_role",
                  token ? fmt::format("unknown role '{}' (expected integration, manager, director or owner)", text)
                        : fmt::format("unknown role '{}' (expected manager, director or owner)", text),
                  field};
  return *r;
}

std::string language_field(const std::string& text) {
  if (text != "ru" && text != "en")
    throw refusal{422, "bad_language", fmt::format("language '{}': expected ru or en", text), "language"};
  return text;
}

json user_json(const user_record& u) {
  return {{"login", u.login},           {"name", u.name},         {"role", auth::to_string(u.role)},
          {"language", u.language},     {"disabled", u.disabled}, {"created_at", to_iso8601(u.created_at)}};
}

json token_json(const token_record& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"role", auth::to_string(t.role)},
          {"created_at", to_iso8601(t.created_at)},
          {"created_by", t.created_by},
          {"last_used_at", t.last_used_at ? json(to_iso8601(*t.last_used_at)) : json()},
          {"revoked_at", t.revoked_at ? json(to_iso8601(*t.revoked_at)) : json()}};
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

accounts_api::accounts_api(gate& g, account_event on_event) : gate_(g), on_event_(std::move(on_event)) {}

std::optional<response> accounts_api::handle(const request& req, const principal& who) {
  std::string_view target(req.target().data(), req.target().size());
  std::string path(target.substr(0, target.find('?')));
  if (path.size() > 1 && path.back() == '/') path.pop_back();
  const bool mine = path.rfind("/api/v1/auth/", 0) == 0 || path == "/api/v1/users" ||
                    path.rfind("/api/v1/users/", 0) == 0 || path == "/api/v1/tokens" ||
                    path.rfind("/api/v1/tokens/", 0) == 0;
  if (!mine) return std::nullopt;

  const unsigned version = req.version();
  const bool keep_alive = req.keep_alive();
  auto send = [&](int status, const json& body) {
    response res{static_cast<beast_http::status>(status), version};
    res.set(beast_http::field::content_type, json_type);
    res.set(beast_http::field::cache_control, "no-store");
    res.keep_alive(keep_alive);
    res.body() = body.dump(-1, ' ', false, json::error_handler_t::replace);
    res.prepare_payload();
    return res;
  };
  auto event = [&](bool warning, const std::string& what, std::vector<std::pair<std::string, std::string>> f) {
    if (on_event_) on_event_(warning, what, f);
  };
  auto& accounts = gate_.accounts();
  const auto now = gate_.time().now();
  const auto& opt = gate_.options();
  using beast_http::verb;
  const auto method = req.method();
  const auto since = now - opt.logins.window;
  auto login_key = [](const std::string& login) { return "login:" + lower(login); };
  const std::string address_key = "address:" + who.address;
  // 429 with Retry-After while failed logins for `login` or this address must wait.
  auto throttled = [&](const std::string& login) -> std::optional<response> {
    auto by_login = accounts.failures(login_key(login), since);
    auto by_address = accounts.failures(address_key, since);
    const auto zero = std::chrono::seconds(0);
    auto wait = std::max(
        auth::login_wait(by_login.count, opt.logins.free_failures_per_login, by_login.last, now, opt.logins).value_or(zero),
        auth::login_wait(by_address.count, opt.logins.free_failures_per_ip, by_address.last, now, opt.logins)
            .value_or(zero));
    if (wait == zero) return std::nullopt;
    event(true, "login refused: too many failures",
          {{"login", login}, {"address", who.address}, {"retry_after", std::to_string(wait.count())}});
    auto res = json_error(version, keep_alive, beast_http::status::too_many_requests, "too_many_attempts",
                          fmt::format("too many failed logins; try again in {} s", wait.count()));
    res.set(beast_http::field::retry_after, std::to_string(wait.count()));
    return res;
  };
  auto failed = [&](const std::string& login) {
    accounts.forget_failures_before(since);
    accounts.record_failure(login_key(login), now);
    accounts.record_failure(address_key, now);
    event(true, "login failed", {{"login", login}, {"address", who.address}});
  };
  // A new session for `user`: the cookie, the CSRF token. Sweeps expired sessions.
  auto new_session = [&](const user_record& user) {
    accounts.end_sessions_before(now, now - opt.sessions.idle);
    const auto secret = auth::random_secret();
    session_record s;
    s.digest = auth::secret_digest(secret);
    s.user = user;
    s.csrf = auth::random_secret();
    s.created_at = s.last_seen_at = now;
    s.expires_at = auth::session_ends(now, opt.sessions);
    s.address = who.address;
    accounts.add_session(s);
    auto res = send(200, {{"user", user_json(user)},
                          {"csrf_token", s.csrf},
                          {"expires_at", to_iso8601(s.expires_at)},
                          {"idle_timeout_seconds", opt.sessions.idle.count()}});
    res.set(beast_http::field::set_cookie, session_cookie(secret, opt.sessions.absolute, opt.secure_cookies));
    return res;
  };

  try {
    if (path == "/api/v1/auth/login" && method == verb::post) {
      auto j = parse_object(req.body());
      only_fields(j, {"login", "password"});
      auto login = *text_field(j, "login", true, auth::max_login_bytes);
      auto password = *text_field(j, "password", true, auth::max_password_bytes);
      if (auto wait = throttled(login)) return *wait;
      auto cred = accounts.credentials(login);
      const bool ok = cred ? auth::verify_password(password, cred->second)
                           : (auth::waste_password_check(password), false);
      if (!ok) {
        failed(login);
        return json_error(version, keep_alive, beast_http::status::unauthorized, "wrong_credentials",
                          "wrong login or password");
      }
      const auto& user = cred->first;
      if (user.disabled) {
        event(true, "login refused: account disabled", {{"login", user.login}, {"address", who.address}});
        return json_error(version, keep_alive, beast_http::status::forbidden, "account_disabled",
                          "this account is disabled; ask the owner");
      }
      accounts.clear_failures(login_key(login));
      // A new session every time; a session presented with the login ends (no fixation).
      if (who.how == principal::via::session) accounts.end_session(who.session_digest);
      event(false, "login", {{"login", user.login}, {"role", std::string(auth::to_string(user.role))},
                             {"address", who.address}});
      return new_session(user);
    }
    if (path == "/api/v1/auth/password" && method == verb::post) {
      if (who.how != principal::via::session)
        throw refusal{400, "not_a_session", "only a signed-in person changes their own password", {}};
      auto j = parse_object(req.body());
      only_fields(j, {"current", "new"});
      auto current = *text_field(j, "current", true, auth::max_password_bytes);
      auto next = *text_field(j, "new", true, auth::max_password_bytes);
      if (auto wait = throttled(who.login)) return *wait;
      auto cred = accounts.credentials(who.login);
      if (!cred || !auth::verify_password(current, cred->second)) {
        failed(who.login);
        throw refusal{403, "wrong_password", "the current password is wrong", "current"};
      }
      if (auto why = auth::check_password(next); !why.empty()) throw refusal{422, "weak_password", why, "new"};
      user_change c;
      c.password_hash = auth::hash_password(next);
      auto u = accounts.update_user(who.login, c, now);  // ends every session of the user
      if (!u) throw refusal{401, "unauthenticated", "the account no longer exists", {}};
      event(false, "password changed", {{"login", u->login}, {"address", who.address}});
      return new_session(*u);
    }
    if (path == "/api/v1/auth/logout" && method == verb::post) {
      if (who.how != principal::via::session)
        throw refusal{400, "not_a_session",
                      "an API token is not a session: the owner revokes it with DELETE /api/v1/tokens/{id}", {}};
      accounts.end_session(who.session_digest);
      event(false, "logout", {{"login", who.login}, {"address", who.address}});
      auto res = send(200, {{"logged_out", true}});
      res.set(beast_http::field::set_cookie, expired_session_cookie(opt.secure_cookies));
      return res;
    }
    if (path == "/api/v1/auth/me" && method == verb::get) {
      if (who.how == principal::via::token)
        return send(200, {{"user", nullptr},
                          {"token", {{"id", who.token_id}, {"name", who.token_name}, {"role", auth::to_string(who.role)}}}});
      auto u = accounts.user(who.login);
      if (!u) throw refusal{401, "unauthenticated", "the account no longer exists", {}};
      auto s = accounts.session(who.session_digest);
      return send(200, {{"user", user_json(*u)},
                        {"token", nullptr},
                        {"csrf_token", who.csrf},
                        {"expires_at", s ? json(to_iso8601(s->expires_at)) : json()},
                        {"idle_timeout_seconds", opt.sessions.idle.count()}});
    }

    if (path == "/api/v1/users" && method == verb::get) {
      json out = json::array();
      for (const auto& u : accounts.users()) out.push_back(user_json(u));
      return send(200, {{"users", out}});
    }
    if (path == "/api/v1/users" && method == verb::post) {
      auto j = parse_object(req.body());
      only_fields(j, {"login", "name", "role", "password", "language"});
      user_record u;
      u.login = *text_field(j, "login", true, auth::max_login_bytes);
      if (auto why = auth::check_login(u.login); !why.empty()) throw refusal{422, "bad_login", why, "login"};
      u.name = text_field(j, "name", false, auth::max_name_bytes).value_or(u.login);
      u.role = staff_role(*text_field(j, "role", true, 32), "role", false);
      u.language = language_field(text_field(j, "language", false, 8).value_or("ru"));
      auto password = *text_field(j, "password", true, auth::max_password_bytes);
      if (auto why = auth::check_password(password); !why.empty()) throw refusal{422, "weak_password", why, "password"};
      auto added = accounts.add_user(u, auth::hash_password(password), now);
      if (!added) throw refusal{409, "conflict", fmt::format("the login '{}' is taken", u.login), "login"};
      event(false, "user added", {{"login", added->login}, {"role", std::string(auth::to_string(added->role))},
                                  {"by", who.actor()}});
      return send(201, {{"user", user_json(*added)}});
    }
    constexpr std::string_view users_prefix = "/api/v1/users/";
    if (path.rfind(users_prefix, 0) == 0 && path.find('/', users_prefix.size()) == std::string::npos) {
      auto login = percent_decode(std::string_view(path).substr(users_prefix.size()), false);
      if (method == verb::get) {
        auto u = accounts.user(login);
        if (!u) throw refusal{404, "not_found", fmt::format("no user '{}'", login), {}};
        return send(200, {{"user", user_json(*u)}});
      }
      if (method == verb::patch) {
        auto j = parse_object(req.body());
        only_fields(j, {"name", "role", "disabled", "password", "language"});
        auto current = accounts.user(login);
        if (!current) throw refusal{404, "not_found", fmt::format("no user '{}'", login), {}};
        user_change c;
        c.name = text_field(j, "name", false, auth::max_name_bytes);
        if (auto r = text_field(j, "role", false, 32)) c.role = staff_role(*r, "role", false);
        if (auto l = text_field(j, "language", false, 8)) c.language = language_field(*l);
        if (auto it = j.find("disabled"); it != j.end() && !it->is_null()) {
          if (!it->is_boolean()) throw refusal{400, "wrong_type", "field 'disabled' must be true or false", "disabled"};
          c.disabled = it->get<bool>();
        }
        if (auto p = text_field(j, "password", false, auth::max_password_bytes)) {
          if (auto why = auth::check_password(*p); !why.empty()) throw refusal{422, "weak_password", why, "password"};
          c.password_hash = auth::hash_password(*p);
        }
        const bool stops_owning = current->role == auth::role::owner && !current->disabled &&
                                  ((c.role && *c.role != auth::role::owner) || (c.disabled && *c.disabled));
        if (stops_owning && accounts.enabled_owners() <= 1)
          throw refusal{409, "last_owner",
                        fmt::format("'{}' is the only owner left: make someone else owner first", current->login),
                        c.role ? "role" : "disabled"};
        auto u = accounts.update_user(login, c, now);
        if (!u) throw refusal{404, "not_found", fmt::format("no user '{}'", login), {}};
        std::vector<std::pair<std::string, std::string>> f{{"login", u->login}, {"by", who.actor()}};
        if (c.role) f.emplace_back("role", std::string(auth::to_string(*c.role)));
        if (c.disabled) f.emplace_back("disabled", *c.disabled ? "true" : "false");
        if (c.password_hash) f.emplace_back("password", "reset");
        event(false, "user changed", f);
        return send(200, {{"user", user_json(*u)}});
      }
    }

    if (path == "/api/v1/tokens" && method == verb::get) {
      json out = json::array();
      for (const auto& t : accounts.tokens()) out.push_back(token_json(t));
      return send(200, {{"tokens", out}});
    }
    if (path == "/api/v1/tokens" && method == verb::post) {
      auto j = parse_object(req.body());
      only_fields(j, {"name", "role"});
      auto name = *text_field(j, "name", true, auth::max_name_bytes);
      auto role = staff_role(text_field(j, "role", false, 32).value_or("integration"), "role", true);
      auto secret = auth::random_secret("rgl_");
      auto t = accounts.add_token(name, role, auth::secret_digest(secret), who.actor(), now);
      event(false, "API token issued", {{"token", std::to_string(t.id)}, {"name", t.name},
                                        {"role", std::string(auth::to_string(t.role))}, {"by", who.actor()}});
      return send(201, {{"token", token_json(t)}, {"secret", secret}});
    }
    constexpr std::string_view tokens_prefix = "/api/v1/tokens/";
    if (path.rfind(tokens_prefix, 0) == 0 && method == verb::delete_) {
      auto rest = std::string_view(path).substr(tokens_prefix.size());
      std::int64_t id = 0;
      auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), id);
      if (ec != std::errc() || p != rest.data() + rest.size() || id <= 0)
        throw refusal{404, "not_found", fmt::format("no token '{}'", rest), {}};
      if (!accounts.revoke_token(id, now)) {
        for (const auto& t : accounts.tokens())
          if (t.id == id) return send(200, {{"token", token_json(t)}, {"revoked", false}});
        throw refusal{404, "not_found", fmt::format("no token {}", id), {}};
      }
      event(false, "API token revoked", {{"token", std::to_string(id)}, {"by", who.actor()}});
      for (const auto& t : accounts.tokens())
        if (t.id == id) return send(200, {{"token", token_json(t)}, {"revoked", true}});
    }
    throw refusal{404, "not_found", fmt::format("no such endpoint: {} {}", std::string(req.method_string()), path), {}};
  } catch (const refusal& r) {
    return json_error(version, keep_alive, static_cast<beast_http::status>(r.status), r.code, r.message, r.field);
  }
}

}  // namespace reglament::http
