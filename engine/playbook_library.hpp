// The playbooks the engine knows: every version of every playbook, with the newest
// used for new cases. Loading a folder validates everything in it together (calls
// between playbooks are checked) and registers changed content as new versions in the
// store. Lookups are thread-safe; reload() replaces the set atomically.
#pragma once

#include "engine/clock.hpp"
#include "engine/diagnostic.hpp"
#include "engine/playbook.hpp"

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace reglament {

class store;

// A playbook's text checked as the daemon would load it (the studio's validate, graph,
// rehearse and deploy): `book` is set when the text parsed, even with errors.
struct draft_check {
  std::optional<playbook> book;
  diagnostics problems;
};

class playbook_library {
 public:
  // Loads every *.yaml under `dir` (not *.story.yaml), validates the set, and on
  // success registers versions in `st` (may be null: versions start at 1 in memory).
  // On validation errors nothing changes and the diagnostics are returned.
  diagnostics load_directory(const std::string& dir, store* st, timestamp now);

  // Parses `yaml` (named `file` in diagnostics) and validates it together with the latest
  // version of every other playbook, so calls between them are checked too. Warnings
  // about the other playbooks are left out; their errors that the draft causes are kept.
  draft_check check_draft(std::string_view yaml, const std::string& file) const;

  // Adds one already-validated playbook (tests, the studio).
  void add(playbook_ptr pb);

  // Makes an old version available again (a case running on it after a restart).
  // Returns nullptr if the store does not have it.
  playbook_ptr version(const std::string& id, int version, store* st = nullptr);

  playbook_ptr latest(const std::string& id) const;
  std::vector<playbook_ptr> latest_all() const;

  // The playbook a new inbound message on `channel` starts: the first (by id) whose
  // trigger lists the channel and is for this kind of sender (`from: client` when the
  // sender is a known contact, `from: unknown` otherwise); if none is, the first that
  // lists the channel at all.
  playbook_ptr for_channel(const std::string& channel, bool known_sender = true) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::map<int, playbook_ptr>> versions_;
};

}  // namespace reglament
