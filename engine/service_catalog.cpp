#include "engine/service_catalog.hpp"

#include "engine/text.hpp"

#include <libstemmer.h>

#include <algorithm>
#include <cmath>
#include <map>
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

std::string stem_word(const std::string& w) {
  if (w.find('-') == std::string::npos) return stem_part(w);
  std::string out;
  std::size_t start = 0;
  while (start <= w.size()) {
    auto dash = w.find('-', start);
    if (dash == std::string::npos) dash = w.size();
    if (!out.empty()) out += '-';
    out += stem_part(std::string_view(w).substr(start, dash - start));
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
// are the same when they are equal, or when dropping one о or е (at a letter boundary)
// from the longer gives the shorter and the shorter has 3+ Cyrillic letters. `f` gets
// each stem that `longer` gives so.
template <class F>
void each_vowel_dropped(const std::string& longer, F&& f) {
  if (longer.size() < 8) return;
  std::string shorter;
  for (std::size_t i = 0; i + 2 <= longer.size(); i += 2) {
    if (longer[i] != '\xD0' || (longer[i + 1] != '\xBE' && longer[i + 1] != '\xB5')) continue;  // о, е
    shorter.assign(longer, 0, i);
    shorter.append(longer, i + 2);
    f(shorter);
  }
}

bool has_id(const std::vector<int>& sorted, int id) { return std::binary_search(sorted.begin(), sorted.end(), id); }

// Where `phrase` occurs in `text` in order, with at most one other word between two of
// its words ("акт взаимной сверки" still has "акт сверки"). `text` holds, per word, the
// rule stems it matches.
bool occurs(const std::vector<std::vector<int>>& text, const std::vector<int>& phrase) {
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

}  // namespace

std::vector<std::string> stems(std::string_view text) {
  // Clients use the same few thousand words: stemming each once per thread saves most
  // of the stemmer's work. Bounded: cleared when it grows past a working vocabulary.
  thread_local std::unordered_map<std::string, std::string> cache;
  auto ws = words(text);
  for (auto& w : ws) {
    if (auto it = cache.find(w); it != cache.end()) {
      w = it->second;
      continue;
    }
    if (cache.size() >= 20000) cache.clear();
    auto stem = stem_word(w);
    cache.emplace(std::move(w), stem);
    w = std::move(stem);
  }
  return ws;
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

std::string service_catalog::add(const std::string& service_id, const std::vector<std::string>& phrases) {
  if (std::find(order_.begin(), order_.end(), service_id) == order_.end()) order_.push_back(service_id);
  for (const auto& p : phrases) {
    auto st = stems(p);
    if (st.empty()) return "the phrase «" + p + "» has no words to match";
    std::vector<int> ids;
    for (const auto& stem : st) ids.push_back(stem_id(stem));
    rules_.push_back({service_id, p, std::move(ids)});
  }
  return {};
}

int service_catalog::stem_id(const std::string& stem) {
  auto [it, added] = stem_ids_.emplace(stem, static_cast<int>(stem_ids_.size()));
  if (!added) return it->second;
  const int id = it->second;
  // Ids grow, so each list stays sorted.
  auto add_form = [&](const std::string& form) {
    auto& ids = by_form_[form];
    if (ids.empty() || ids.back() != id) ids.push_back(id);
  };
  add_form(stem);
  each_vowel_dropped(stem, add_form);
  return id;
}

std::vector<int> service_catalog::matching_ids(const std::string& text_stem) const {
  std::vector<int> out;
  if (auto it = by_form_.find(text_stem); it != by_form_.end()) out = it->second;
  std::size_t before = out.size();
  each_vowel_dropped(text_stem, [&](const std::string& shorter) {
    if (auto it = stem_ids_.find(shorter); it != stem_ids_.end()) out.push_back(it->second);
  });
  if (out.size() != before) {
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }
  return out;
}

service_guess service_catalog::classify(std::string_view text, std::span<const learned_service> learned,
                                        const std::vector<std::string>* text_stems) const {
  service_guess g;
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
      g.service_id = best->service_id;
      g.learned = true;
      g.matched.push_back("исправление менеджера: " + best->key);
      g.confidence = std::min(0.98, 0.7 + 0.2 * best_sim + 0.04 * std::min(best->count, 2));
      return g;
    }
  }

  std::vector<std::vector<int>> text_ids;
  std::vector<char> present(stem_ids_.size(), 0);
  std::vector<std::string> own;
  if (!text_stems) text_stems = &(own = stems(text));
  text_ids.reserve(text_stems->size());
  for (const auto& w : *text_stems) {
    text_ids.push_back(matching_ids(w));
    for (int id : text_ids.back()) present[static_cast<std::size_t>(id)] = 1;
  }
  std::map<std::string, double> score;
  std::map<std::string, std::vector<std::string>> hits;
  for (const auto& r : rules_) {
    if (!present[static_cast<std::size_t>(r.stems.front())] || !occurs(text_ids, r.stems)) continue;
    score[r.service_id] += static_cast<double>(r.stems.size());  // a longer phrase says more
    hits[r.service_id].push_back(r.phrase);
  }
  if (score.empty()) return g;
  std::vector<std::string> ranked;
  for (const auto& id : order_)
    if (score.count(id)) ranked.push_back(id);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [&](const std::string& a, const std::string& b) { return score[a] > score[b]; });
  double best = score[ranked[0]];
  double second = ranked.size() > 1 ? score[ranked[1]] : 0;
  g.service_id = ranked[0];
  g.matched = hits[ranked[0]];
  if (ranked.size() > 1) g.runner_up = ranked[1];
  // One one-word rule: 0.6; two: 0.84; three: 0.94. Another service matching too takes
  // its share away, so a tie is at most one half.
  g.confidence = (1 - std::pow(0.4, best)) * best / (best + second);
  return g;
}

}  // namespace reglament
