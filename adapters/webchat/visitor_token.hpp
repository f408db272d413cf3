// Website chat identities: a visitor's secret token (256 random bits from libsodium,
// base64url without padding, 43 characters) and the public visitor id the engine sees as
// the sender. Only the token's SHA-256 is stored, so a copy of the database does not let
// anyone speak as a visitor. Pure functions; thread-safe once sodium_init() has run
// (init_crypto() does it and may be called many times).
#pragma once

#include <string>
#include <string_view>

namespace reglament::webchat {

// Initialises libsodium; throws std::runtime_error if it cannot.
void init_crypto();

std::string new_token();       // 43 characters of [A-Za-z0-9_-]
std::string new_visitor_id();  // "v-" and 24 hex digits (96 random bits); not a secret
// SHA-256 of the token, as 32 raw bytes.
std::string token_hash(std::string_view token);
// True when `token` has the shape new_token() gives (checked before any lookup).
bool well_formed_token(std::string_view token);

}  // namespace reglament::webchat
