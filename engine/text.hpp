// Russian-aware text helpers for matching what clients write: lower-casing of Cyrillic
// and Latin (including Ё→ё folded to е), splitting into words, and phrase matching on
// whole words. UTF-8 in, UTF-8 out; invalid bytes are kept as they are. Pure functions.
// This is not stemming or classification: the service catalog (tariffs issue) does that.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace reglament {

std::string fold_case(std::string_view utf8);           // "ЁЛКА Ok" -> "елка ok"
std::vector<std::string> words(std::string_view utf8);  // folded words, punctuation dropped
// words() without a string per word: `folded` receives the folded text and `out` the
// words as views into it (both reused from call to call by a caller that matches many
// texts: the service catalog).
void fold_words(std::string_view utf8, std::string& folded, std::vector<std::string_view>& out);
// The words of a text of ASCII and basic Cyrillic (U+0400..U+045F) as written, unfolded:
// views into `utf8`. Folding such text keeps every length and word boundary, so these
// are fold_words' words before folding. False, `out` unspecified, for any other text.
bool written_words(std::string_view utf8, std::vector<std::string_view>& out);

// True when every word of `phrase` appears in `text` as consecutive whole words
// ("не надо" matches "Нет, не надо!"), after folding both. A phrase of symbols only
// ("👍") matches where the text contains it.
bool contains_phrase(std::string_view text, std::string_view phrase);

// For maps keyed by std::string that are looked up by a string_view without a copy:
// std::unordered_map<std::string, V, text_hash, std::equal_to<>>.
// Hashes eight bytes per step, inline: the keys are words (a Russian one is 8 to 30
// bytes), looked up a dozen times per message, where std::hash's out-of-line byte loop
// and its tail switch cost more than the table's probe. Deliberately not noexcept:
// libstdc++ then keeps each key's hash in its node, so a probe compares hashes before
// bytes and never hashes a neighbour's key to find the bucket's end (measured: fewer
// instructions per message than the noexcept form).
struct text_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const {
    const char* p = s.data();
    std::size_t n = s.size();
    std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
    for (; n >= 8; p += 8, n -= 8) h = mix(h ^ load<std::uint64_t>(p));
    // The last 1 to 7 bytes in at most two loads that overlap (every byte is covered).
    if (n >= 4)
      h = mix(h ^ (load<std::uint32_t>(p) | std::uint64_t{load<std::uint32_t>(p + n - 4)} << 32));
    else if (n > 0)
      h = mix(h ^ (std::uint64_t{static_cast<unsigned char>(p[0])} | std::uint64_t{static_cast<unsigned char>(p[n / 2])} << 8 |
                   std::uint64_t{static_cast<unsigned char>(p[n - 1])} << 16));
    return static_cast<std::size_t>(h ^ (h >> 32));
  }

 private:
  template <class T>
  static T load(const char* p) noexcept {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  static std::uint64_t mix(std::uint64_t x) noexcept {  // splitmix64's finaliser
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  }
};

// True when the text is valid UTF-8.
bool valid_utf8(std::string_view bytes);

}  // namespace reglament
