#include "engine/text.hpp"

#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <array>
#include <cstring>

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

// Adds text[from, end) as a word: a hyphen at a word's edge is punctuation ("да -" or
// "-нет"), inside it is part of the word.
inline void add_word(const char* text, std::size_t from, std::size_t end, std::vector<std::string_view>& out) {
  while (from < end && text[from] == '-') ++from;
  while (end > from && text[end - 1] == '-') --end;
  if (from < end) out.emplace_back(text + from, end - from);
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

void fold_words(std::string_view utf8, std::string& folded, std::vector<std::string_view>& out) {
  // Folded by fold_basic, the text is ASCII and basic Cyrillic still: split as written.
  if (fold_basic(utf8, folded) && written_words(folded, out)) return;
  out.clear();
  folded.clear();
  icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())))
      .foldCase()
      .toUTF8String(folded);
  fold_yo(folded);
  const auto* p = reinterpret_cast<const uint8_t*>(folded.data());
  const int32_t n = static_cast<int32_t>(folded.size());
  const auto word_char = [](UChar32 c) {
    return c < 0x80    ? (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == '-'
           : c < 0x400 ? u_isalnum(c) != 0
                       : c <= 0x45F || u_isalnum(c);  // the basic Cyrillic block is all letters
  };
  int32_t start = -1, end = 0;
  const auto take = [&] {
    add_word(folded.data(), static_cast<std::size_t>(start), static_cast<std::size_t>(end), out);
    start = -1;
  };
  for (int32_t i = 0; i < n;) {
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
}

#ifdef __SSE2__
// Sixteen bytes at a time: what would be a branch per byte (letter? lead byte? separator?)
// is a few vector compares giving bit masks, and the words are found from the separators'
// mask a bit scan at a time. A client's request is mostly two-byte Cyrillic letters,
// and the byte loop mispredicted at every change of kind.
bool written_words(std::string_view utf8, std::vector<std::string_view>& out) {
  out.clear();
  const char* text = utf8.data();
  const std::size_t n = utf8.size();
  const __m128i lower_a = _mm_set1_epi8('a' - 1), after_z = _mm_set1_epi8('z' + 1), to_lower = _mm_set1_epi8(0x20);
  const __m128i before_0 = _mm_set1_epi8('0' - 1), after_9 = _mm_set1_epi8('9' + 1), dash = _mm_set1_epi8('-');
  const __m128i d0 = _mm_set1_epi8(static_cast<char>(0xD0)), d1 = _mm_set1_epi8(static_cast<char>(0xD1));
  // As signed bytes 0x80..0xBF (continuation) are below -64, and 0xA0..0xBF above -97.
  const __m128i below_c0 = _mm_set1_epi8(-64), above_9f = _mm_set1_epi8(-97);
  unsigned lead_carry = 0, d1_carry = 0;  // the previous block ended on a lead byte (D1)
  bool in_word = false;
  std::size_t start = 0;
  char tail[16];
  for (std::size_t base = 0; base < n; base += 16) {
    const char* block = text + base;
    if (n - base < 16) {  // padded with spaces: separators, and no lead byte's trail
      std::memset(tail, ' ', sizeof tail);
      std::memcpy(tail, block, n - base);
      block = tail;
    }
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block));
    const __m128i l = _mm_or_si128(v, to_lower);
    const __m128i word_ascii = _mm_or_si128(
        _mm_or_si128(_mm_and_si128(_mm_cmpgt_epi8(l, lower_a), _mm_cmplt_epi8(l, after_z)),
                     _mm_and_si128(_mm_cmpgt_epi8(v, before_0), _mm_cmplt_epi8(v, after_9))),
        _mm_cmpeq_epi8(v, dash));
    const unsigned high = static_cast<unsigned>(_mm_movemask_epi8(v));
    const unsigned lead_d1 = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, d1)));
    const unsigned lead = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, d0))) | lead_d1;
    const __m128i cont_bytes = _mm_cmplt_epi8(v, below_c0);
    const unsigned cont = static_cast<unsigned>(_mm_movemask_epi8(cont_bytes));
    const unsigned past_9f = static_cast<unsigned>(_mm_movemask_epi8(_mm_and_si128(cont_bytes, _mm_cmpgt_epi8(v, above_9f))));
    // Basic Cyrillic only: every byte past ASCII is a D0/D1 lead or the trail right after
    // one, each lead has its trail, and D1's trail stops at 9F (U+045F).
    const unsigned trail = ((lead << 1) | lead_carry) & 0xFFFF;
    if ((high & ~(lead | cont)) != 0 || cont != trail || (past_9f & ((lead_d1 << 1) | d1_carry)) != 0) return false;
    lead_carry = lead >> 15;
    d1_carry = lead_d1 >> 15;
    const unsigned sep = ~(high | static_cast<unsigned>(_mm_movemask_epi8(word_ascii))) & 0xFFFF;
    // Each change between separator and word, in order.
    for (unsigned at = 0;;) {
      const unsigned next = (in_word ? sep : ~sep & 0xFFFF) >> at;
      if (next == 0) break;
      at += static_cast<unsigned>(__builtin_ctz(next));
      if (in_word)
        add_word(text, start, base + at, out);
      else
        start = base + at;
      in_word = !in_word;
    }
  }
  if (lead_carry) return false;  // the text ends on a lead byte
  if (in_word) add_word(text, start, n, out);
  return true;
}
#else
namespace {

// What a byte is to written_words: ASCII that is or is not part of a word, the lead byte
// of a basic Cyrillic letter (U+0400..U+043F after D0, U+0440..U+045F after D1), or
// anything else (the text is then not ASCII and basic Cyrillic).
enum byte_kind : unsigned char { separator, ascii_letter, lead_d0, lead_d1, other };

constexpr std::array<byte_kind, 256> byte_kinds = [] {
  std::array<byte_kind, 256> k{};
  for (int c = 0; c < 256; ++c)
    k[static_cast<std::size_t>(c)] = c >= 0x80                                          ? other
                                     : (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                               (c >= '0' && c <= '9') || c == '-' ? ascii_letter
                                                                                  : separator;
  k[0xD0] = lead_d0;
  k[0xD1] = lead_d1;
  return k;
}();

}  // namespace

bool written_words(std::string_view utf8, std::vector<std::string_view>& out) {
  out.clear();
  const auto* p = reinterpret_cast<const unsigned char*>(utf8.data());
  const std::size_t n = utf8.size();
  std::size_t i = 0;
  while (i < n) {
    while (i < n && byte_kinds[p[i]] == separator) ++i;
    const std::size_t start = i;
    while (i < n) {  // one word: letters until a separator or the end
      const byte_kind k = byte_kinds[p[i]];
      if (k == ascii_letter) {
        ++i;
      } else if (k == lead_d0 || k == lead_d1) {
        // What fold_basic takes: two bytes of U+0400..U+045F, all of them letters.
        if (i + 1 == n || p[i + 1] < 0x80 || p[i + 1] > (k == lead_d0 ? 0xBF : 0x9F)) return false;
        i += 2;
      } else if (k == separator) {
        break;
      } else {
        return false;
      }
    }
    add_word(utf8.data(), start, i, out);
  }
  return true;
}
#endif

std::vector<std::string> words(std::string_view utf8) {
  std::string folded;
  std::vector<std::string_view> views;
  fold_words(utf8, folded, views);
  return {views.begin(), views.end()};
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
