#include "engine/service_catalog.hpp"

#include "engine/text.hpp"

#include <libstemmer.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <set>
#include <stdexcept>
#include <unordered_map>

namespace reglament {
namespace {

struct stemmer_deleter {
  void operator()(sb_stemmer* s) const { sb_stemmer_delete(s); }
};

// sb_stemmer keeps its work buffers inside: one per thread, created on first use.
sb_stemmer& russian_stemmer() {
  thread_local std::unique_ptr<sb_stemmer, stemmer_deleter> s(sb_stemmer_new("russian", "UTF_8"));
  if (!s) throw std::runtime_error("libstemmer: the Russian stemmer is not available");
  return *s;
}

std::string stem_part(std::string_view w) {
  auto& s = russian_stemmer();
  const sb_symbol* out = sb_stemmer_stem(&s, reinterpret_cast<const sb_symbol*>(w.data()), static_cast<int>(w.size()));
  if (!out) return std::string(w);  // out of memory: the word as it is still matches itself
  return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(sb_stemmer_length(&s)));
}

std::string stem_word(std::string_view w) {
  if (w.find('-') == std::string_view::npos) return stem_part(w);
  std::string out;
  std::size_t start = 0;
  while (start <= w.size()) {
    auto dash = w.find('-', start);
    if (dash == std::string_view::npos) dash = w.size();
    if (!out.empty()) out += '-';
    out += stem_part(w.substr(start, dash - start));
    start = dash + 1;
  }
  return out;
}

// Words that say nothing about which service is asked for; stemmed at first use.
const std::set<std::string>& filler_stems() {
  static const std::set<std::string> filler = [] {
    std::set<std::string> out;
    for (const char* w :
         {"и", "в", "во", "на", "за", "по", "с", "со", "к", "ко", "о", "об", "от", "до", "из", "у", "для",
          "не", "а", "но", "же", "ли", "бы", "что", "чтобы", "как", "это", "этот", "тот", "там", "тут",
          "мы", "нам", "нас", "я", "мне", "меня", "вы", "вам", "вас", "ты", "тебе", "он", "она", "они",
          "наш", "ваш", "мой", "свой", "пожалуйста", "пжл", "здравствуйте", "добрый", "доброе", "день",
          "утро", "вечер", "привет", "спасибо", "заранее", "нужна", "нужен", "нужно", "надо", "прошу",
          "пришлите", "сделайте", "подготовьте", "можно", "можете", "сможете", "еще", "ещё", "срочно",
          "январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь",
          "ноябрь", "декабрь", "месяц", "год", "квартал", "текущий", "прошлый"})
      out.insert(stem_word(fold_case(w)));
    return out;
  }();
  return filler;
}

bool is_number(const std::string& w) {
  return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) { return (c >= '0' && c <= '9') || c == '-' || c == '.'; });
}

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < key.size()) {
    auto sp = key.find(' ', start);
    if (sp == std::string::npos) sp = key.size();
    if (sp > start) out.push_back(key.substr(start, sp - start));
    start = sp + 1;
  }
  return out;
}

// Stems equal but for a fleeting vowel, which Snowball keeps: "листок" and "листк"
// (листки), "отчет" and "отчт" do not matter, "конец" and "конц" (конца) do. Two stems
// are the same when they are equal, or when dropping one о or е (two bytes at an even
// byte offset) from the longer gives the shorter and the longer is 8 bytes or more (the
// shorter has 3+ Cyrillic letters). `f` gets each stem that `longer` gives so.
constexpr std::size_t min_longer = 8;
constexpr std::string_view fleeting[] = {"\xD0\xBE", "\xD0\xB5"};  // о, е

template <class F>
void each_vowel_dropped(const std::string& longer, F&& f) {
  if (longer.size() < min_longer) return;
  std::string shorter;
  for (std::size_t i = 0; i + 2 <= longer.size(); i += 2) {
    const auto two = std::string_view(longer).substr(i, 2);
    if (two != fleeting[0] && two != fleeting[1]) continue;
    shorter.assign(longer, 0, i);
    shorter.append(longer, i + 2);
    f(shorter);
  }
}

// The converse: each stem that gives `shorter` when one о or е is dropped from it.
template <class F>
void each_vowel_added(const std::string& shorter, F&& f) {
  if (shorter.size() + 2 < min_longer) return;
  std::string longer;
  for (std::size_t i = 0; i <= shorter.size(); i += 2)
    for (auto vowel : fleeting) {
      longer.assign(shorter, 0, i);
      longer += vowel;
      longer.append(shorter, i);
      f(longer);
    }
}

bool has_id(const std::vector<int>* sorted, int id) {
  return sorted && std::binary_search(sorted->begin(), sorted->end(), id);
}

// Where `phrase` occurs in `text` in order, with at most one other word between two of
// its words ("акт взаимной сверки" still has "акт сверки"). `text` holds, per word, the
// rule stems it matches (null: none).
bool occurs(std::span<const std::vector<int>* const> text, const std::vector<int>& phrase) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!has_id(text[i], phrase.front())) continue;
    std::size_t at = i, k = 1;
    for (; k < phrase.size(); ++k) {
      if (at + 1 < text.size() && has_id(text[at + 1], phrase[k]))
        at += 1;
      else if (at + 2 < text.size() && has_id(text[at + 2], phrase[k]))
        at += 2;
      else
        break;
    }
    if (k == phrase.size()) return true;
  }
  return false;
}

// A word as a client wrote it, stemmed; and the rule stems it matches in the catalog that
// looked it up last (by that catalog's serial), so that a word costs one lookup.
struct stemmed_word {
  std::string stem;
  std::uint64_t catalog = 0;
  const std::vector<int>* ids = nullptr;
};

// Calls f(stemmed_word&) for each word of `text`. Clients use the same few thousand words:
// each is stemmed once per thread and kept, keyed by the word as written ("Выписку" and
// "выписку" are two entries of one stem), so that most text is neither folded nor copied.
// The cache is bounded: emptied, before a text, once it has grown past a working
// vocabulary. `f` must not stem another text: the words it gets live in the cache.
template <class F>
void each_stem(std::string_view text, F&& f) {
  thread_local std::unordered_map<std::string, stemmed_word, text_hash, std::equal_to<>> cache;
  thread_local std::string folded;
  thread_local std::vector<std::string_view> ws;
  thread_local stemmed_word latin;
  if (cache.size() >= 20000) cache.clear();
  // Text outside ASCII and basic Cyrillic is folded first (by ICU); its folded words are
  // keys as good as any: folding them again changes nothing.
  if (!written_words(text, ws)) fold_words(text, folded, ws);
  for (const auto w : ws) {
    // Snowball's Russian stemmer leaves a word without a letter past ASCII as it is: such
    // words (numbers, mail hosts, Latin names, often seen once) are lower-cased here and
    // skip the cache, which keeps it to the Russian words clients repeat (small enough to
    // stay in the CPU's cache).
    if (std::all_of(w.begin(), w.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
      latin.stem.assign(w);
      for (char& c : latin.stem)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
      latin.catalog = 0;
      f(latin);
      continue;
    }
    auto it = cache.find(w);
    if (it == cache.end()) it = cache.emplace(std::string(w), stemmed_word{stem_word(fold_case(w))}).first;
    f(it->second);
  }
}

}  // namespace

std::vector<std::string> stems(std::string_view text) {
  std::vector<std::string> out;
  each_stem(text, [&](const stemmed_word& w) { out.push_back(w.stem); });
  return out;
}

std::string request_key(std::string_view text) {
  std::set<std::string> content;
  const auto& filler = filler_stems();
  for (auto& s : stems(text))
    if (!filler.count(s) && !is_number(s)) content.insert(std::move(s));
  std::string key;
  for (const auto& s : content) {
    if (!key.empty()) key += ' ';
    key += s;
  }
  return key;
}

service_catalog::serial::serial() : value(next()) {}

std::uint64_t service_catalog::serial::next() {
  static std::atomic<std::uint64_t> last{0};
  return ++last;
}

std::string service_catalog::add(const std::string& service_id, const std::vector<std::string>& phrases) {
  serial_ = serial();  // words looked up before may match now
  auto at = std::find(order_.begin(), order_.end(), service_id);
  const int service = static_cast<int>(at - order_.begin());
  if (at == order_.end()) order_.push_back(service_id);
  for (const auto& p : phrases) {
    auto st = stems(p);
    if (st.empty()) return "the phrase «" + p + "» has no words to match";
    std::vector<int> ids;
    for (const auto& stem : st) ids.push_back(stem_id(stem));
    rules_by_first_[static_cast<std::size_t>(ids.front())].push_back(static_cast<int>(rules_.size()));
    rules_.push_back({service_id, service, p, std::move(ids)});
  }
  return {};
}

int service_catalog::stem_id(const std::string& stem) {
  auto [it, added] = stem_ids_.emplace(stem, static_cast<int>(stem_ids_.size()));
  if (!added) return it->second;
  const int id = it->second;
  rules_by_first_.emplace_back();
  // Ids grow, so each list stays sorted.
  auto add_form = [&](const std::string& form) {
    auto& ids = by_form_[form];
    if (ids.empty() || ids.back() != id) ids.push_back(id);
  };
  add_form(stem);
  each_vowel_dropped(stem, add_form);  // the text's stem lacks a vowel the rule's has
  each_vowel_added(stem, add_form);    // the text's stem has a vowel the rule's lacks
  return id;
}

const std::vector<int>* service_catalog::matching_ids(std::string_view text_stem) const {
  auto it = by_form_.find(text_stem);
  return it == by_form_.end() ? nullptr : &it->second;
}

service_guess service_catalog::classify(std::string_view text, std::span<const learned_service> learned,
                                        const std::vector<std::string>* text_stems) const {
  if (!learned.empty()) {
    // The closest past correction by shared content words; an exact repeat is surest.
    auto key = split_key(request_key(text));
    std::set<std::string> mine(key.begin(), key.end());
    double best_sim = 0;
    const learned_service* best = nullptr;
    for (const auto& l : learned) {
      auto theirs = split_key(l.key);
      if (theirs.empty() || mine.empty()) continue;
      std::size_t common = 0;
      for (const auto& w : theirs) common += mine.count(w);
      double sim = static_cast<double>(common) / static_cast<double>(mine.size() + theirs.size() - common);
      if (sim > best_sim || (sim == best_sim && best && l.count > best->count)) {
        best_sim = sim;
        best = &l;
      }
    }
    if (best && best_sim > 0.5) {  // more than half the words in common
      service_guess g;
      g.service_id = best->service_id;
      g.learned = true;
      g.matched.push_back("исправление менеджера: " + best->key);
      g.confidence = std::min(0.98, 0.7 + 0.2 * best_sim + 0.04 * std::min(best->count, 2));
      return g;
    }
  }
  // Per word of the text, the rule stems it matches. Reused: the writer classifies every
  // message, and a message's words are looked up straight from the stem cache.
  thread_local std::vector<const std::vector<int>*> text_ids;
  text_ids.clear();
  if (text_stems)
    for (const auto& w : *text_stems) text_ids.push_back(matching_ids(w));
  else
    each_stem(text, [&](stemmed_word& w) {
      if (w.catalog != serial_.value) {
        w.catalog = serial_.value;
        w.ids = matching_ids(w.stem);
      }
      text_ids.push_back(w.ids);
    });
  return rank(text_ids);
}

service_guess service_catalog::rank(std::span<const std::vector<int>* const> text_ids) const {
  service_guess g;
  // The rules worth trying start with a stem the text has, taken in the order added
  // (the phrases that hit are listed so).
  thread_local std::vector<int> tried;
  tried.clear();
  for (const auto* ids : text_ids)
    if (ids)
      for (int id : *ids) {
        const auto& starting = rules_by_first_[static_cast<std::size_t>(id)];
        tried.insert(tried.end(), starting.begin(), starting.end());
      }
  if (tried.empty()) return g;
  std::sort(tried.begin(), tried.end());
  tried.erase(std::unique(tried.begin(), tried.end()), tried.end());

  thread_local std::vector<double> score;
  score.assign(order_.size(), 0);
  std::size_t hit = 0;  // the rules that occur are moved to the front of `tried`
  for (int r : tried) {
    const auto& rl = rules_[static_cast<std::size_t>(r)];
    if (!occurs(text_ids, rl.stems)) continue;
    score[static_cast<std::size_t>(rl.service)] += static_cast<double>(rl.stems.size());  // a longer phrase says more
    tried[hit++] = r;
  }
  if (hit == 0) return g;
  // The best score wins, the first added on a tie; the next best is the runner-up.
  int first = -1, second = -1;
  for (int s = 0; s < static_cast<int>(score.size()); ++s) {
    const double v = score[static_cast<std::size_t>(s)];
    if (v <= 0) continue;
    if (first < 0 || v > score[static_cast<std::size_t>(first)]) {
      second = first;
      first = s;
    } else if (second < 0 || v > score[static_cast<std::size_t>(second)]) {
      second = s;
    }
  }
  const double best = score[static_cast<std::size_t>(first)];
  const double runner = second < 0 ? 0 : score[static_cast<std::size_t>(second)];
  g.service_id = order_[static_cast<std::size_t>(first)];
  for (std::size_t i = 0; i < hit; ++i)
    if (const auto& rl = rules_[static_cast<std::size_t>(tried[i])]; rl.service == first) g.matched.push_back(rl.phrase);
  if (second >= 0) g.runner_up = order_[static_cast<std::size_t>(second)];
  // One one-word rule: 0.6; two: 0.84; three: 0.94. Another service matching too takes
  // its share away, so a tie is at most one half.
  g.confidence = (1 - std::pow(0.4, best)) * best / (best + runner);
  return g;
}

}  // namespace reglament
