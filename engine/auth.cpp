#include "engine/auth.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <mutex>
#include <stdexcept>

namespace reglament::auth {

namespace {

void init_sodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
  });
}

}  // namespace

std::string_view to_string(role r) {
  switch (r) {
    case role::manager: return "manager";
    case role::director: return "director";
    case role::owner: return "owner";
    case role::integration: return "integration";
  }
  return "manager";
}

std::optional<role> role_from_string(std::string_view s) {
  for (auto r : {role::manager, role::director, role::owner, role::integration})
    if (to_string(r) == s) return r;
  return std::nullopt;
}

bool is_staff(role r) { return r != role::integration; }

std::string hash_password(std::string_view password) {
  init_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("hashing a password ran out of memory (argon2id needs 64 MiB)");
  return out;
}

bool verify_password(std::string_view password, const std::string& hash) {
  init_sodium();
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

void waste_password_check(std::string_view password) {
  static const std::string dummy = hash_password("reglament: no such user");
  (void)verify_password(password, dummy);
}

std::string random_secret(std::string_view prefix) {
  init_sodium();
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char text[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(text, sizeof text, bytes, sizeof bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return std::string(prefix) + text;
}

std::string secret_digest(std::string_view secret) {
  init_sodium();
  unsigned char out[32];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
                     nullptr, 0);
  char hex[2 * sizeof out + 1];
  sodium_bin2hex(hex, sizeof hex, out, sizeof out);
  return hex;
}

bool equal_secrets(std::string_view a, std::string_view b) {
  init_sodium();
  if (a.size() != b.size()) return false;
  return a.empty() || sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string check_login(std::string_view login) {
  if (login.empty()) return "a login must not be empty";
  if (login.size() > max_login_bytes) return fmt::format("a login is at most {} characters", max_login_bytes);
  for (char ch : login) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                    ch == '.' || ch == '_' || ch == '-';
    if (!ok) return fmt::format("a login takes Latin letters, digits, '.', '_' and '-' only, not '{}'", ch);
  }
  return {};
}

std::string check_password(std::string_view password) {
  if (password.size() > max_password_bytes)
    return fmt::format("a password is at most {} bytes", max_password_bytes);
  std::size_t chars = 0;
  for (unsigned char ch : password)
    if ((ch & 0xC0) != 0x80) ++chars;  // count UTF-8 code points, not bytes
  if (chars < min_password_chars) return fmt::format("a password needs at least {} characters", min_password_chars);
  if (std::all_of(password.begin(), password.end(), [](char ch) { return ch == ' '; }))
    return "a password must not be only spaces";
  return {};
}

bool session_expired(timestamp created, timestamp last_seen, timestamp now, const session_policy& p) {
  return now >= last_seen + p.idle || now >= created + p.absolute;
}

timestamp session_ends(timestamp created, const session_policy& p) { return created + p.absolute; }

std::optional<std::chrono::seconds> login_wait(int failures, int free_failures, timestamp last, timestamp now,
                                               const throttle_policy& p) {
  if (failures < free_failures) return std::nullopt;
  // The free failures, then first_wait, doubled with each further one, capped.
  auto wait = p.first_wait;
  for (int i = free_failures; i < failures && wait < p.max_wait; ++i) wait *= 2;
  wait = std::min(wait, p.max_wait);
  const auto until = last + wait;
  if (now >= until) return std::nullopt;
  // Round up: a client told "1 s" must not come back early.
  return std::chrono::ceil<std::chrono::seconds>(until - now);
}

}  // namespace reglament::auth
