// Russian-aware text helpers for matching what clients write: lower-casing of Cyrillic
// and Latin (including Ё→ё folded to е), splitting into words, and phrase matching on
// whole words. UTF-8 in, UTF-8 out; invalid bytes are kept as they are. Pure functions.
// This is not stemming or classification: the service catalog (tariffs issue) does that.
#pragma once

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
struct text_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// True when the text is valid UTF-8.
bool valid_utf8(std::string_view bytes);

}  // namespace reglament
