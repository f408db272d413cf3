#include "engine/json_text.hpp"

#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace reglament {

namespace {

#ifdef __SSE2__
// How many of the 16 bytes at `p` (16, or 15 when the last one starts a character the
// window cuts) can be copied as they are: no byte JSON escapes (control bytes, '"',
// '\\') and only whole, valid one- and two-byte UTF-8 characters (ASCII, Cyrillic, «»).
// 0: something else is there (a three-byte character, an escape, bad UTF-8), for the
// byte loop. Most of a Russian text passes 16 bytes per test.
int plain16(const std::uint8_t* p) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const int high = _mm_movemask_epi8(v);  // bytes >= 0x80
  // Signed: bytes below 0x20 and bytes >= 0x80 compare less than 0x20.
  const int low_or_high = _mm_movemask_epi8(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
  const int quote = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                                   _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
  if (((low_or_high & ~high) | quote) != 0) return 0;
  if (high == 0) return 16;
  const auto byte = [](int b) { return _mm_set1_epi8(static_cast<char>(b)); };
  const int lead = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(v, byte(0xE0)), byte(0xC0)));
  const int cont = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(v, byte(0xC0)), byte(0x80)));
  const int overlong = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(v, byte(0xFE)), byte(0xC0)));  // C0, C1
  // Every high byte a lead or a continuation, each lead followed by exactly its one
  // continuation inside the window (a lead in the last byte is left for the next).
  if ((lead | cont) != high || ((lead << 1) & 0xFFFF) != cont || overlong != 0) return 0;
  return lead & 0x8000 ? 15 : 16;
}
#endif

// The ASCII bytes JSON escapes: control bytes, '"' and '\\'.
constexpr std::array<bool, 128> escaped = [] {
  std::array<bool, 128> t{};
  for (int c = 0; c < 0x20; ++c) t[static_cast<std::size_t>(c)] = true;
  t['"'] = t['\\'] = true;
  return t;
}();

// True if no byte of `w` is JSON-escaped or non-ASCII: all in 0x20..0x7F, none '"' or
// '\\'. Word-at-a-time tests ("has a byte below n", "has a zero byte"): exact as yes/no.
template <class Word>
bool plain_word(Word w) {
  constexpr Word ones = static_cast<Word>(~Word{0}) / 0xFF, highs = ones * 0x80;
  const auto below = [&](Word x, Word b) { return (x - ones * b) & ~x & highs; };
  const auto has = [&](Word b) { const Word x = w ^ (ones * b); return (x - ones) & ~x & highs; };
  return ((w & highs) | below(w, 0x20) | has('"') | has('\\')) == 0;
}

template <class Word>
Word load(const std::uint8_t* p) {
  Word w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// Keys, ids, codes, dates: shorter than a window and ASCII. Two overlapping words cover
// 4 to 15 bytes; no per-byte loop and no UTF-8 decoding.
bool plain_short_ascii(const std::uint8_t* p, std::size_t n) {
  if (n >= 8) return plain_word(load<std::uint64_t>(p)) && plain_word(load<std::uint64_t>(p + n - 8));
  if (n >= 4) return plain_word(load<std::uint32_t>(p)) && plain_word(load<std::uint32_t>(p + n - 4));
  for (std::size_t i = 0; i < n; ++i)
    if (p[i] >= 0x80 || escaped[p[i]]) return false;
  return true;
}

// How many bytes at the start of `p` are copied as they are: the first byte to escape or
// the first invalid UTF-8 sequence stops it. Usually the whole text.
std::int32_t plain_prefix(const std::uint8_t* p, std::int32_t n) {
  std::int32_t i = 0;
  while (i < n) {
#ifdef __SSE2__
    while (i + 16 <= n) {
      const int k = plain16(p + i);
      if (k == 0) break;
      i += k;
    }
#endif
    // Byte by byte to the next window: what the window could not take, short texts.
    const std::int32_t stop = std::min(n, i + 16);
    while (i < stop) {
      const auto c = p[i];
      if (c < 0x80) {
        if (escaped[c]) return i;
        ++i;
        continue;
      }
      const std::int32_t at = i;
      UChar32 cp;
      U8_NEXT(p, i, n, cp);
      if (cp < 0) return at;
    }
  }
  return n;
}

}  // namespace

void append_json_string(std::string& out, std::string_view v) {
  const std::size_t start = out.size();
  const auto* p = reinterpret_cast<const std::uint8_t*>(v.data());
  if (v.size() < 16 && plain_short_ascii(p, v.size())) {  // most keys and many values
    out += '"';
    out.append(v);
    out += '"';
    return;
  }
  const auto n = static_cast<std::int32_t>(v.size());
  // Most strings need no escape: grown once, copied in one piece.
  std::int32_t i = plain_prefix(p, n);
  out.append(static_cast<std::size_t>(i) + 2, '"');
  std::memcpy(out.data() + start + 1, v.data(), static_cast<std::size_t>(i));
  if (i == n) return;
  out.pop_back();  // the closing quote goes after the rest
  std::int32_t run = i;  // bytes from here to `i` are copied as they are
  while (i < n) {
    const auto c = p[i];
    if (c >= 0x80) {  // checked as UTF-8 on the way: one pass over the text
      UChar32 cp;
      U8_NEXT(p, i, n, cp);
      if (cp < 0) {  // rare: nlohmann's own replacement rules
        out.resize(start);
        out += nlohmann::json(std::string(v)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        return;
      }
      continue;
    }
    ++i;
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(v.data() + run, static_cast<std::size_t>(i - 1 - run));
    run = i;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        static constexpr char hex[] = "0123456789abcdef";
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 15];
      }
    }
  }
  out.append(v.data() + run, static_cast<std::size_t>(n - run));
  out += '"';
}

void append_json_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_json(std::string& out, const nlohmann::json& j) {
  using t = nlohmann::json::value_t;
  switch (j.type()) {
    case t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, value] : j.get_ref<const nlohmann::json::object_t&>()) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, key);
        out += ':';
        append_json(out, value);
      }
      out += '}';
      return;
    }
    case t::array: {
      out += '[';
      bool first = true;
      for (const auto& value : j.get_ref<const nlohmann::json::array_t&>()) {
        if (!first) out += ',';
        first = false;
        append_json(out, value);
      }
      out += ']';
      return;
    }
    case t::string: append_json_string(out, j.get_ref<const std::string&>()); return;
    case t::boolean: out += j.get<bool>() ? "true" : "false"; return;
    case t::null: out += "null"; return;
    case t::number_integer: append_json_int(out, j.get<std::int64_t>()); return;
    case t::number_unsigned: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, j.get<std::uint64_t>());
      out.append(buf, r.ptr);
      return;
    }
    default:  // floats (nlohmann's shortest round-trip spelling), binary, discarded
      out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      return;
  }
}

std::string json_text(const nlohmann::json& j) {
  std::string out;
  out.reserve(256);
  append_json(out, j);
  return out;
}

}  // namespace reglament
