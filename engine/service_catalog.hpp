// The service catalog: which of the firm's services a client's request asks for. Rules
// are the owner's words and phrases as written ("выписка", "акт сверки"); they match
// after case folding, ё→е and Snowball Russian stemming, so "выписку", "выписками" and
// "актов сверки" hit. The manager's past corrections for the client come first.
// Immutable after building; classify() is safe from many threads (one stemmer per
// thread). It names a service and how sure it is; it is not the tariff check.
#pragma once

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
    std::string phrase;              // as written, for the manager
    std::vector<int> stems;          // matched in order, at most one word between; ids in stem_ids_
  };
  int stem_id(const std::string& stem);
  // The rule stems a text stem matches (exact, or but for a fleeting vowel), sorted.
  std::vector<int> matching_ids(const std::string& text_stem) const;

  std::vector<rule> rules_;
  std::vector<std::string> order_;   // service ids in the order added: ties go to the first
  // Rule stems are numbered, so that a request is matched by looking each of its words
  // up once instead of comparing every rule with every word.
  std::unordered_map<std::string, int> stem_ids_;
  // A text stem -> the rule stems it equals, or that are it with one fleeting vowel more.
  std::unordered_map<std::string, std::vector<int>> by_form_;
};

}  // namespace reglament
