#include "adapters/webchat/visitor_token.hpp"

#include <sodium.h>

#include <stdexcept>

namespace reglament::webchat {

namespace {
constexpr std::size_t token_bytes = 32;
constexpr std::size_t token_chars = 43;  // base64url of 32 bytes, no padding
}  // namespace

void init_crypto() {
  if (sodium_init() < 0) throw std::runtime_error("webchat: libsodium cannot be initialised");
}

std::string new_token() {
  unsigned char raw[token_bytes];
  randombytes_buf(raw, sizeof raw);
  char out[sodium_base64_ENCODED_LEN(token_bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw, sizeof raw);
  return out;
}

std::string new_visitor_id() {
  unsigned char raw[12];
  randombytes_buf(raw, sizeof raw);
  char hex[sizeof raw * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  return std::string("v-") + hex;
}

std::string token_hash(std::string_view token) {
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  return std::string(reinterpret_cast<const char*>(h), sizeof h);
}

bool well_formed_token(std::string_view token) {
  if (token.size() != token_chars) return false;
  for (char c : token)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  return true;
}

}  // namespace reglament::webchat
