// The parts of reglament-bench that prepare work for others or time one thing alone: the
// workload exported for the Node peers, a store of many idle open cases for the restart
// measurement (made with bulk SQL in the store's schema; the daemon then opens it for
// real), and the validation of a generated long playbook. Not thread-safe; one call at a time.
#pragma once

#include "engine/case_event.hpp"
#include "engine/firm_file.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace reglament::bench {

// JSON for bench/peers/peers.mjs: services (id, title, keywords), tariffs (service ->
// monthly quota, -1 unlimited), clients (id, email, tariff, address, form, manager,
// accountant), the month the quotas count in, and the messages (sender, text, external_id).
void export_workload(const firm_file& firm, const std::vector<inbound_message>& msgs, const std::string& path);

// Creates `path` (the store's schema, migrated by sqlite_store) holding `cases` open
// intake cases, each waiting on a timer due within the next 30 days, with its journal
// (opened, step entered, timer set) and its `cases` and `timers` rows. Returns seconds taken.
double make_idle_store(const std::string& path, std::int64_t cases, const std::string& intake_file);

// YAML of one playbook with `steps` steps (say, form, if, choice, wait, in turn), valid.
std::string long_playbook_yaml(int steps);

struct validation_timing {
  double load_ms = 0;      // YAML text -> playbook model (parse and per-step checks)
  double validate_ms = 0;  // the graph checks of validate()
  std::size_t problems = 0;
};
validation_timing time_validation(const std::string& yaml);

}  // namespace reglament::bench
