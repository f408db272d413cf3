// Pieces of a request target the routers share: percent-decoding, the query string as a
// map, whole numbers in paths and queries. Pure functions; thread-safe.
#pragma once

#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace reglament::http {

// "%D0%B0+b" -> "а b" ('+' is a space, as forms send it in a query; in a path segment
// pass plus_is_space = false); a broken escape stays as it is.
inline std::string percent_decode(std::string_view s, bool plus_is_space = true) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc() && p == s.data() + i + 3) {
        out += static_cast<char>(v);
        i += 2;
        continue;
      }
    }
    out += s[i] == '+' && plus_is_space ? ' ' : s[i];
  }
  return out;
}

// "a=1&b=x%20y" -> {a: "1", b: "x y"}; a key without '=' maps to "".
inline std::map<std::string, std::string> parse_query(std::string_view q) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    auto amp = q.find('&');
    auto part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    out[percent_decode(part.substr(0, eq))] =
        eq == std::string_view::npos ? std::string{} : percent_decode(part.substr(eq + 1));
  }
  return out;
}

// The whole of `s` as a number, or nothing.
inline std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace reglament::http
