// What the staff app reads beyond the raw case rows: the inbox's summary of each case
// (who waits for whom, the current step's title, the nearest SLA due and the working time
// left to it, case or task) and the "what to do if…" playbooks a manager can start.
// Pure functions over a store and the playbook library; thread-safety is the caller's
// (a read_pool lease). Not a router: api.cpp routes to these.
#pragma once

#include "adapters/http/router/api.hpp"
#include "engine/store.hpp"
#include "engine/store/reports.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace reglament::http {

// A refusal from a staff-app handler: api::handle turns it into the JSON error.
struct api_refusal {
  int status;
  std::string code, message, field;
};

// "waiting_manager" → "manager"; "" for running and closed.
std::string waiting_for(const std::string& status);

// The cases as the inbox shows them: case_row fields plus waiting_for, kind ("case" or
// "task": a case no client message started), playbook_title, step_title, client_name,
// sla_kind, sla_due (ISO-8601 UTC of the nearest pending SLA timer) and
// sla_minutes_left (working minutes; negative once overdue; null without an SLA). With
// `by_urgency` the least time left comes first, cases without an SLA after, newest first.
nlohmann::json case_summaries(store& st, playbook_library& books, const client_directory* clients,
                              const api_options& opt, const std::vector<case_row>& rows, bool by_urgency);

// The playbooks a person can start by hand: {"id", "title", "description", "situation"}
// (situation: a "what to do if…" one, started from a case), by title.
nlohmann::json startable_playbooks(const playbook_library& books);

// The handler behind GET /api/v1/reports/NAME for api_options::report: "control-points"
// with ?from=YYYY-MM-DD&to=YYYY-MM-DD (firm-local, inclusive; default: this month).
// Serialises calls (the report owns one connection). Throws api_refusal.
std::function<nlohmann::json(const std::string&, const std::map<std::string, std::string>&)> report_handler(
    std::shared_ptr<control_report> report, const clock* now);

}  // namespace reglament::http
