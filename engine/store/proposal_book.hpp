// Managers' proposals to extend the instruction: every form_submitted fact with a
// `proposal` value (the not_covered playbook's form, or any form that asks for one),
// listed with its case, and the owner's decision on each (dismissed, or turned into a
// branch of a playbook version), kept in proposal_states. Own connection to the
// daemon's database, like client_registry. Thread-safe: calls are serialised.
#pragma once

#include "engine/clock.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace reglament {

struct proposal {
  std::int64_t id = 0;         // the journal seq of the form_submitted fact
  std::int64_t case_id = 0;
  timestamp at{};              // when the manager submitted it
  std::string step;            // the form's step
  nlohmann::json values;       // the form's values: situation, actions, result, proposal, ...
  std::string author;          // the form's actor
  std::string case_playbook;   // the case's playbook and version
  int case_version = 0;
  std::string client_id, channel, sender, case_status;
  std::string state = "new";   // new, dismissed, branched
  std::string playbook;        // branched: the playbook it became a branch of
  std::optional<int> version;  // branched: that playbook's version
  std::string note;            // the owner's note (why dismissed, what was added)
  std::string decided_by;
  std::optional<timestamp> decided_at;
};

struct proposal_filter {
  std::string state;  // empty: any; new, dismissed, branched
  int limit = 100;
};

class proposal_book {
 public:
  // Opens `path` (the daemon's database, already migrated). Throws store_error.
  explicit proposal_book(const std::string& path);
  ~proposal_book();
  proposal_book(const proposal_book&) = delete;
  proposal_book& operator=(const proposal_book&) = delete;

  std::vector<proposal> list(const proposal_filter& f);  // newest first
  std::optional<proposal> get(std::int64_t id);
  // Records the owner's decision (a later one replaces an earlier one). REQUIRES: `id` is
  // a proposal (get() found it); `state` is dismissed or branched.
  void decide(std::int64_t id, const std::string& state, const std::string& playbook,
              std::optional<int> version, const std::string& note, const std::string& actor, timestamp at);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace reglament
