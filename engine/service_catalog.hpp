// The service catalog: which of the firm's services a client's request asks for. Rules
// are the owner's words and phrases as written ("выписка", "акт сверки"); they match
// after case folding, ё→е and Snowball Russian stemming, so "выписку", "выписками" and
// "актов сверки" hit. The manager's past corrections for the client come first.
// Immutable after building; classify() is safe from many threads (one stemmer per
// thread). It names a service and how sure it is; it is not the tariff check.
#pragma once

#include "engine/text.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace reglament {

// The text's words, folded and stemmed: "Актов СВЕРКИ" -> {"акт", "сверк"}. Hyphenated
// words are stemmed part by part ("счетов-фактур" -> "счет-фактур").
std::vector<std::string> stems(std::string_view text);

// What a correction is remembered under: the request's content stems (no function words,
// numbers or month names), sorted and unique, joined by spaces.
std::string request_key(std::string_view text);

// A manager's correction as the store keeps it: for this client, requests with this key
// are this service, confirmed `count` times.
struct learned_service {
  std::string key;
  std::string service_id;
  int count = 0;
};

struct service_guess {
  std::string service_id;            // empty: nothing matched
  double confidence = 0;             // 0..1
  std::vector<std::string> matched;  // the rule phrases that hit, as written
  std::string runner_up;             // another service that matched too, if any
  bool learned = false;              // from the manager's corrections, not the rules
};

class service_catalog {
 public:
  // Adds a service's rules. Returns "" or what is wrong with a phrase.
  std::string add(const std::string& service_id, const std::vector<std::string>& phrases);

  // `learned` are the client's past corrections (any order). `text_stems`: stems(text),
  // when the caller has them already.
  service_guess classify(std::string_view text, std::span<const learned_service> learned = {},
                         const std::vector<std::string>* text_stems = nullptr) const;

 private:
  struct rule {
    std::string service_id;
    int service = 0;                 // its index in order_
    std::string phrase;              // as written, for the manager
    std::vector<int> stems;          // matched in order, at most one word between; ids in stem_ids_
  };
  int stem_id(const std::string& stem);
  // The rule stems a text stem matches (exact, or but for a fleeting vowel), sorted; null: none.
  const std::vector<int>* matching_ids(std::string_view text_stem) const;
  service_guess rank(std::span<const std::vector<int>* const> text_ids) const;

  std::vector<rule> rules_;
  std::vector<std::string> order_;   // service ids in the order added: ties go to the first
  // Rule stems are numbered, so that a request is matched by looking each of its words
  // up once instead of comparing every rule with every word.
  std::unordered_map<std::string, int> stem_ids_;
  // Every text stem that matches some rule stem -> those rule stems: the rule stem itself,
  // it with one fleeting vowel less, and it with one more (built when a rule is added, so
  // a text's word costs one lookup).
  std::unordered_map<std::string, std::vector<int>, text_hash, std::equal_to<>> by_form_;
  std::vector<std::vector<int>> rules_by_first_;  // rule stem id -> the rules it starts
  // Names this catalog's lookups in the stem cache (which keeps, per word, the ids the
  // last catalog found): new for a copy and after add(), so a stale entry never matches.
  struct serial {
    std::uint64_t value;
    serial();
    serial(const serial&) : serial() {}
    serial& operator=(const serial&) {
      value = next();
      return *this;
    }
    static std::uint64_t next();
  } serial_;
};

}  // namespace reglament
