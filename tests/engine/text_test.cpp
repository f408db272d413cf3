#include "engine/text.hpp"

#include <catch2/catch.hpp>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <cctype>
#include <random>
#include <set>

using namespace reglament;

TEST_CASE("Russian case folding, ё as е", "[text]") {
  CHECK(fold_case("ЁЛКА Ok") == "елка ok");
  CHECK(fold_case("ПРИВЕТ, Мир") == "привет, мир");
  CHECK(words("Да, СОГЛАСЕН!!! 3-НДФЛ") == std::vector<std::string>{"да", "согласен", "3-ндфл"});
}

namespace {

// What fold_case promises: ICU's case folding, then ё as е.
std::string icu_fold(const std::string& s) {
  std::string out;
  icu::UnicodeString::fromUTF8(s).foldCase().toUTF8String(out);
  for (std::size_t at; (at = out.find("ё")) != std::string::npos;) out.replace(at, 2, "е");
  return out;
}

std::string utf8(UChar32 c) {
  char buf[4];
  int32_t n = 0;
  U8_APPEND_UNSAFE(buf, n, c);
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace

TEST_CASE("case folding gives ICU's fold for every code point below U+0600 and mixed texts", "[text]") {
  // ASCII and the basic Cyrillic block are folded byte by byte, the rest by ICU: each
  // character alone, then random texts mixing both kinds (a Latin-1 letter among
  // Cyrillic ones sends the whole text to ICU).
  std::vector<std::string> chars;
  for (UChar32 c = 1; c < 0x600; ++c) {
    chars.push_back(utf8(c));
    INFO(c);
    CHECK(fold_case(chars.back()) == icu_fold(chars.back()));
  }
  std::mt19937 rng(1204);
  const std::string common = "АБВЁЖЯабвёжяQZqz09 ,.-";
  int differ = 0;
  for (int t = 0; t < 5000; ++t) {
    std::string s;
    for (unsigned k = rng() % 30; k > 0; --k)
      s += rng() % 8 ? utf8(0x400 + static_cast<UChar32>(rng() % 0x60)) : chars[rng() % chars.size()];
    if (fold_case(s) != icu_fold(s) && ++differ <= 3) CHECK(fold_case(s) == icu_fold(s));
  }
  CHECK(differ == 0);
  CHECK(fold_case(common) == icu_fold(common));
}

TEST_CASE("valid_utf8 agrees with ICU's decoder on random texts, long ASCII runs included", "[text]") {
  const std::vector<std::string> pieces{
      "a", "plain ascii text, 16+ bytes long", "\x7F", "\x01", "я", "ё", "«", "—", "😀", "\xC0\x80", "\xC1\xBF",
      "\xD0", "\x80", "\xE2\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xFF", "\xF0\x9F"};
  const auto reference = [](const std::string& s) {
    const auto* p = reinterpret_cast<const uint8_t*>(s.data());
    int32_t i = 0, n = static_cast<int32_t>(s.size());
    while (i < n) {
      UChar32 c;
      U8_NEXT(p, i, n, c);
      if (c < 0) return false;
    }
    return true;
  };
  std::mt19937 rng(4122026);
  int differ = 0, valid = 0;
  for (int t = 0; t < 20000; ++t) {
    std::string s;
    for (unsigned k = rng() % 12; k > 0; --k) s += pieces[rng() % (rng() % 4 ? 8 : pieces.size())];
    valid += reference(s);
    if (valid_utf8(s) != reference(s) && ++differ <= 3) CHECK(valid_utf8(s) == reference(s));
  }
  CHECK(differ == 0);
  CHECK(valid > 1000);  // both kinds of text were tried
  CHECK(valid < 19000);
}

TEST_CASE("words: runs of letters and digits, hyphens kept inside a word only", "[text]") {
  using v = std::vector<std::string>;
  CHECK(words("").empty());
  CHECK(words("  ,!? - -- ").empty());
  CHECK(words("да -  -нет- по-русски") == v{"да", "нет", "по-русски"});
  CHECK(words("a--b ---c---") == v{"a--b", "c"});
  CHECK(words("Акт\tсверки\nза 2025г.") == v{"акт", "сверки", "за", "2025г"});
  CHECK(words("Счёт👍ЁЖИК") == v{"счет", "ежик"});  // an emoji separates words
  CHECK(words("Café ÉTÉ naïve") == v{"café", "été", "naïve"});  // outside the fast path: ICU
  CHECK(words("конец") == v{"конец"});
  // A broken byte separates words and is never part of one.
  CHECK(words(std::string("при\xFFвет \xD0") ) == v{"при", "вет"});
  std::vector<std::string_view> written;
  CHECK_FALSE(written_words("при\xFFвет", written));  // left to fold_words
  CHECK_FALSE(written_words("при \xD0", written));
  CHECK_FALSE(written_words("Café", written));
  REQUIRE(written_words("Счёт-ФАКТУРА -- OK", written));
  CHECK(written == std::vector<std::string_view>{"Счёт-ФАКТУРА", "OK"});
}

TEST_CASE("words of ASCII and basic Cyrillic text split as ICU's path splits them", "[text]") {
  // Such text is folded and split byte by byte; a "€" (no word character) sends the same
  // text through ICU, which must give the same words. fold_words reuses its buffers;
  // written_words gives them unfolded.
  std::mt19937 rng(20261204);
  const std::vector<std::string> pieces{"а", "Я", "ё", "Ё", "ж", "Ѐ", "ѝ", "ў", "a", "Z", "7", "-", "--", " ",
                                        ",", ".", "!", "\t", "\n", "_", "'", "«", "»", "—", "👍"};
  std::string folded;
  std::vector<std::string_view> views;
  int tried = 0;
  for (int t = 0; t < 5000; ++t) {
    std::string s;
    for (unsigned k = rng() % 40; k > 0; --k) s += pieces[rng() % (rng() % 3 ? 13 : pieces.size())];
    const auto fast = words(s), icu = words(s + " €");
    INFO(s);
    REQUIRE(fast == icu);
    fold_words(s, folded, views);
    REQUIRE(std::vector<std::string>(views.begin(), views.end()) == fast);
    // Unfolded, the same words where the text is of ASCII and basic Cyrillic only.
    const bool basic = s.find("👍") == std::string::npos && s.find("—") == std::string::npos &&
                       s.find("«") == std::string::npos && s.find("»") == std::string::npos;
    REQUIRE(written_words(s, views) == basic);
    if (basic) {
      std::vector<std::string> refolded;
      for (auto w : views) refolded.push_back(fold_case(w));
      REQUIRE(refolded == fast);
    }
    tried += !fast.empty();
  }
  CHECK(tried > 3000);
}

namespace {

// written_words spelled out a character at a time: the words are runs of ASCII letters,
// digits and hyphens and of two-byte U+0400..U+045F, hyphens trimmed at their edges;
// false at any other byte.
bool written_words_oracle(std::string_view s, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t start = std::string_view::npos;
  auto close = [&](std::size_t end) {
    if (start == std::string_view::npos) return;
    while (start < end && s[start] == '-') ++start;
    while (end > start && s[end - 1] == '-') --end;
    if (start < end) out.push_back(s.substr(start, end - start));
    start = std::string_view::npos;
  };
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    if (std::isalnum(c) || c == '-') {
      len = 1;
    } else if (c >= 0x80) {
      if (i + 1 >= s.size()) return false;
      const auto t = static_cast<unsigned char>(s[i + 1]);
      const bool basic = (c == 0xD0 && t >= 0x80 && t <= 0xBF) || (c == 0xD1 && t >= 0x80 && t <= 0x9F);
      if (!basic) return false;
      len = 2;
    }
    if (len == 0) {
      close(i);
      ++i;
    } else {
      if (start == std::string_view::npos) start = i;
      i += len;
    }
  }
  close(s.size());
  return true;
}

}  // namespace

TEST_CASE("written_words takes exactly ASCII and basic Cyrillic, at any length and offset", "[text]") {
  // Texts long enough to cross several 16-byte blocks, with a bad byte now and then at
  // any place: a lone lead or trail byte, a letter past U+045F, a lead at the very end.
  std::mt19937 rng(20261205);
  const std::vector<std::string> pieces{"а",   "Я",  "ё",  "ж",  "Ѐ",        "ѝ",        "ў", "Q", "z",
                                        "7",   "-",  " ",  ",",  "\n",       "выписку ", "акт сверки, ",
                                        "ООО «", "ґ",  "Ѡ",  "\xD0", "\xD1\xA0", "\x80",    "\xFF"};
  std::vector<std::string_view> fast, slow;
  int accepted = 0, refused = 0;
  for (int t = 0; t < 20000; ++t) {
    std::string s;
    for (unsigned k = rng() % 70; k > 0; --k) s += pieces[rng() % (rng() % 16 ? 16 : pieces.size())];
    INFO(s);
    const bool ok = written_words_oracle(s, slow);
    REQUIRE(written_words(s, fast) == ok);
    if (ok) {
      REQUIRE(fast == slow);
      for (std::size_t i = 0; i < fast.size(); ++i) REQUIRE(fast[i].data() == slow[i].data());  // views into s
    }
    (ok ? accepted : refused)++;
  }
  CHECK(accepted > 5000);
  CHECK(refused > 5000);
}

TEST_CASE("text_hash depends on every byte of a key, at every length", "[text]") {
  // The hash reads eight bytes at a time and the last one to seven in overlapping loads:
  // a byte left out at some length would make such keys collide in every table.
  const text_hash h;
  std::mt19937 rng(7);
  for (std::size_t n = 1; n <= 40; ++n) {
    std::string key(n, 'a');
    for (auto& c : key) c = static_cast<char>('a' + rng() % 26);
    const auto base = h(key);
    CHECK(h(std::string_view(key)) == base);  // a view and a string of it agree
    for (std::size_t i = 0; i < n; ++i) {
      auto changed = key;
      changed[i] = static_cast<char>(changed[i] ^ 1);
      INFO("length " << n << ", byte " << i);
      CHECK(h(changed) != base);
    }
    CHECK(h(key + 'a') != base);  // the length counts too
  }
  // Words a stem cache holds spread over a table's buckets.
  std::set<std::size_t> buckets;
  for (std::string_view w : {"выписку", "выписка", "выписки", "акт", "акта", "сверки", "сверка", "справку", "справка",
                             "счёт", "счет", "счета", "договор", "договора", "оплата", "оплату", "налог", "налога"})
    buckets.insert(h(w) % 64);
  CHECK(buckets.size() >= 10);
}

TEST_CASE("phrases match whole words only", "[text]") {
  CHECK(contains_phrase("Нет, не надо!", "не надо"));
  CHECK(contains_phrase("ДА", "да"));
  CHECK_FALSE(contains_phrase("Дайте счёт", "да"));
  CHECK_FALSE(contains_phrase("надо", "не надо"));
}

TEST_CASE("a phrase of symbols only (an emoji) matches where the text holds it", "[text]") {
  CHECK(contains_phrase("👍", "👍"));
  CHECK(contains_phrase("Ок 👍👍", "👍"));
  CHECK_FALSE(contains_phrase("👎", "👍"));
  CHECK_FALSE(contains_phrase("да", ""));
}

TEST_CASE("UTF-8 validity", "[text]") {
  CHECK(valid_utf8("Привет"));
  CHECK_FALSE(valid_utf8(std::string("\xd0", 1)));
  CHECK_FALSE(valid_utf8(std::string("\xff\xfe", 2)));
}
