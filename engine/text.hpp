// Russian-aware text helpers for matching what clients write: lower-casing of Cyrillic
// and Latin (including Ё→ё folded to е), splitting into words, and phrase matching on
// whole words. UTF-8 in, UTF-8 out; invalid bytes are kept as they are. Pure functions.
// This is not stemming or classification: the service catalog (tariffs issue) does that.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace reglament {

std::string fold_case(std::string_view utf8);           // "ЁЛКА Ok" -> "елка ok"
std::vector<std::string> words(std::string_view utf8);  // folded words, punctuation dropped

// True when every word of `phrase` appears in `text` as consecutive whole words
// ("не надо" matches "Нет, не надо!"), after folding both. A phrase of symbols only
// ("👍") matches where the text contains it.
bool contains_phrase(std::string_view text, std::string_view phrase);

// True when the text is valid UTF-8.
bool valid_utf8(std::string_view bytes);

}  // namespace reglament
