#include "engine/text.hpp"

#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace reglament {
namespace {

// ё and е are one letter for matching: clients rarely type ё.
void fold_yo(std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (static_cast<unsigned char>(s[i]) == 0xD1 && i + 1 < s.size() &&
        static_cast<unsigned char>(s[i + 1]) == 0x91) {  // ё
      out += "\xD0\xB5";                                    // е
      ++i;
    } else {
      out += s[i];
    }
  }
  s.swap(out);
}

// Clients write in Russian and English: text of ASCII and the basic Cyrillic block
// (U+0400..U+045F) is folded here byte by byte, exactly as ICU folds it (and ё as е);
// anything else goes through ICU. Returns false, with `out` unspecified, for other text.
bool fold_basic(std::string_view in, std::string& out) {
  // Every fold here keeps a character's length: written in place, no appends.
  const std::size_t n = in.size();
  out.resize(n);
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  for (std::size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      o[i++] = c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c + 32) : c;
      continue;
    }
    if (i + 1 >= n) return false;
    const unsigned char d = p[i + 1];
    unsigned char lead = 0xD0, trail = d;
    if (c == 0xD0 && d >= 0x80 && d <= 0xBF) {
      if (d == 0x81)
        trail = 0xB5;  // Ё -> е
      else if (d < 0x90)
        lead = 0xD1, trail = static_cast<unsigned char>(d + 0x10);  // Ѐ..Џ -> ѐ..џ
      else if (d < 0xA0)
        trail = static_cast<unsigned char>(d + 0x20);  // А..П -> а..п
      else if (d < 0xB0)
        lead = 0xD1, trail = static_cast<unsigned char>(d - 0x20);  // Р..Я -> р..я
    } else if (c == 0xD1 && d >= 0x80 && d <= 0x9F) {
      if (d == 0x91)
        trail = 0xB5;  // ё -> е
      else
        lead = 0xD1;
    } else {
      return false;
    }
    o[i] = lead;
    o[i + 1] = trail;
    i += 2;
  }
  return true;
}

}  // namespace

std::string fold_case(std::string_view utf8) {
  std::string out;
  if (fold_basic(utf8, out)) return out;
  out.clear();
  icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())))
      .foldCase()
      .toUTF8String(out);
  fold_yo(out);
  return out;
}

std::vector<std::string> words(std::string_view utf8) {
  const std::string folded = fold_case(utf8);
  std::vector<std::string> result;
  const auto* p = reinterpret_cast<const uint8_t*>(folded.data());
  const int32_t n = static_cast<int32_t>(folded.size());
  const auto word_char = [](UChar32 c) {
    return c < 0x80    ? (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == '-'
           : c < 0x400 ? u_isalnum(c) != 0
                       : c <= 0x45F || u_isalnum(c);  // the basic Cyrillic block is all letters
  };
  // A word is a run of word characters, cut out once (no per-character appends).
  int32_t i = 0, start = -1, end = 0;
  const auto take = [&] {
    // A hyphen at a word's edge is punctuation ("да -" or "-нет"), inside it is part of the word.
    while (start < end && folded[static_cast<std::size_t>(start)] == '-') ++start;
    while (end > start && folded[static_cast<std::size_t>(end - 1)] == '-') --end;
    if (start < end) result.emplace_back(folded, static_cast<std::size_t>(start), static_cast<std::size_t>(end - start));
    start = -1;
  };
  while (i < n) {
    const int32_t at = i;
    UChar32 c;
    U8_NEXT(p, i, n, c);
    if (word_char(c)) {
      if (start < 0) start = at;
      end = i;
    } else if (start >= 0) {
      take();
    }
  }
  if (start >= 0) take();
  return result;
}

bool contains_phrase(std::string_view text, std::string_view phrase) {
  auto needle = words(phrase);
  // A phrase with no letters or digits (an emoji like 👍) is looked for as it is written.
  if (needle.empty()) return !phrase.empty() && text.find(phrase) != std::string_view::npos;
  auto hay = words(text);
  if (needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    bool all = true;
    for (std::size_t k = 0; k < needle.size() && all; ++k) all = hay[i + k] == needle[k];
    if (all) return true;
  }
  return false;
}

bool valid_utf8(std::string_view bytes) {
  // The engine checks every inbound field on the writer thread (an email's original can
  // be long): ASCII runs are skipped 16 bytes at a time and two-byte characters
  // (Cyrillic) inline; the rest goes through ICU's decoder.
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  int32_t i = 0, n = static_cast<int32_t>(bytes.size());
  while (i < n) {
    const uint8_t c = p[i];
    if (c < 0x80) {
#ifdef __SSE2__
      if (i + 16 <= n && _mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i))) == 0) {
        i += 16;
        continue;
      }
#endif
      ++i;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF && i + 1 < n && (p[i + 1] & 0xC0) == 0x80) {
      i += 2;
      continue;
    }
    UChar32 cp;
    U8_NEXT(p, i, n, cp);
    if (cp < 0) return false;
  }
  return true;
}

}  // namespace reglament
