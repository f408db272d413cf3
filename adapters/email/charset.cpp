#include "adapters/email/charset.hpp"

#include <fmt/format.h>
#include <iconv.h>

#include <cerrno>
#include <optional>
#include <string>

namespace reglament::email {
namespace {

std::string lower(std::string_view s) {
  std::string r(s);
  for (auto& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

// Strict conversion: nullopt on an unknown charset or any invalid sequence.
std::optional<std::string> convert(std::string_view bytes, const std::string& from) {
  iconv_t cd = ::iconv_open("UTF-8", from.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  std::string out;
  out.resize(bytes.size() * 4 + 16);
  char* in = const_cast<char*>(bytes.data());
  std::size_t in_left = bytes.size();
  char* o = out.data();
  std::size_t out_left = out.size();
  const auto r = ::iconv(cd, &in, &in_left, &o, &out_left);
  const bool ok = r != static_cast<std::size_t>(-1) && in_left == 0;
  ::iconv_close(cd);
  if (!ok) return std::nullopt;
  out.resize(out.size() - out_left);
  // iconv's "UTF-8" may let through what RFC 3629 forbids (a UTF-8 or CESU-8 source).
  if (!is_valid_utf8(out)) return std::nullopt;
  return out;
}

// Mostly-lowercase Cyrillic text: in windows-1251 lower case is 0xE0-0xFF, in KOI8-R it
// is 0xC0-0xDF.
std::string guess_cyrillic(std::string_view bytes) {
  std::size_t c0 = 0, e0 = 0;
  for (unsigned char c : bytes) {
    if (c >= 0xE0) ++e0;
    else if (c >= 0xC0) ++c0;
  }
  return c0 > e0 ? "KOI8-R" : "WINDOWS-1251";
}

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0 if there is none. Strict, as the engine is:
// text it would refuse must never pass as UTF-8 here.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const auto c = at(0);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size() || at(1) < lo || at(1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if ((at(k) & 0xC0) != 0x80) return 0;
  return n;
}

std::string replace_invalid(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (const auto n = utf8_sequence(s, i)) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode_q(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_') {
      out += ' ';
    } else if (text[i] == '=' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string decode_b(std::string_view text) {
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    const auto v = alphabet.find(c);
    if (v == std::string::npos) continue;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

// Unencoded text in a header: UTF-8 if it is, else a Cyrillic guess.
std::string plain_header_text(std::string_view bytes) {
  if (is_valid_utf8(bytes)) return std::string(bytes);
  return to_utf8(bytes, "utf-8").text;
}

}  // namespace

std::string decode_header_text(std::string_view raw) {
  // Unfold: CRLF followed by white space is a single space.
  std::string text;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\r' || raw[i] == '\n') {
      if (raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') ++i;
      continue;
    }
    text += raw[i];
  }
  std::string out, pending_bytes, pending_charset, between;
  const auto flush = [&] {
    if (!pending_bytes.empty()) out += to_utf8(pending_bytes, pending_charset).text;
    pending_bytes.clear();
    pending_charset.clear();
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const auto start = text.find("=?", i);
    if (start == std::string::npos) break;
    const auto q1 = text.find('?', start + 2);
    const auto q2 = q1 == std::string::npos ? q1 : text.find('?', q1 + 1);
    const auto end = q2 == std::string::npos ? q2 : text.find("?=", q2 + 1);
    if (end == std::string::npos || q2 != q1 + 2) {
      // Not an encoded word: keep the text up to and including "=?".
      flush();
      out += plain_header_text(std::string_view(text).substr(i, start + 2 - i));
      i = start + 2;
      continue;
    }
    const auto gap = std::string_view(text).substr(i, start - i);
    const bool only_space = gap.find_first_not_of(" \t") == std::string_view::npos;
    auto charset = lower(std::string_view(text).substr(start + 2, q1 - start - 2));
    if (auto star = charset.find('*'); star != std::string::npos) charset.resize(star);  // RFC 2231 language
    const char enc = static_cast<char>(std::toupper(static_cast<unsigned char>(text[q1 + 1])));
    const auto payload = std::string_view(text).substr(q2 + 1, end - q2 - 1);
    const auto bytes = enc == 'B' ? decode_b(payload) : decode_q(payload);
    if (!only_space || pending_bytes.empty()) {  // else: space between adjacent words is dropped
      flush();
      out += plain_header_text(gap);
    }
    if (!pending_bytes.empty() && charset != pending_charset) flush();
    pending_charset = charset;
    pending_bytes += bytes;
    i = end + 2;
  }
  flush();
  out += plain_header_text(std::string_view(text).substr(std::min(i, text.size())));
  return out;
}

bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto n = utf8_sequence(s, i);
    if (!n) return false;
    i += n;
  }
  return true;
}

decoded_text to_utf8(std::string_view bytes, std::string_view declared_charset) {
  auto declared = lower(declared_charset);
  if (declared.empty() || declared == "us-ascii" || declared == "ascii" || declared == "utf8") declared = "utf-8";
  if (declared == "utf-8") {
    if (is_valid_utf8(bytes)) return {std::string(bytes), "UTF-8", {}};
  } else if (auto text = convert(bytes, declared)) {
    return {*std::move(text), declared, {}};
  } else if (is_valid_utf8(bytes)) {
    return {std::string(bytes), "UTF-8",
            fmt::format("declared charset \"{}\" did not fit the text; read as UTF-8", declared_charset)};
  }
  const auto guess = guess_cyrillic(bytes);
  if (auto text = convert(bytes, guess))
    return {*std::move(text), guess,
            fmt::format("declared charset \"{}\" did not fit the text; read as {}",
                        declared_charset.empty() ? "us-ascii" : declared_charset, guess)};
  return {replace_invalid(bytes), "UTF-8",
          fmt::format("text in declared charset \"{}\" could not be read; unreadable bytes replaced", declared_charset)};
}

}  // namespace reglament::email
