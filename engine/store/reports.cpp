#include "engine/store/reports.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>

namespace reglament {

using nlohmann::json;

namespace {

json rubles(std::int64_t kopecks) {
  return kopecks % 100 == 0 ? json(kopecks / 100) : json(static_cast<double>(kopecks) / 100);
}

json rate(std::int64_t hit, std::int64_t total) {
  return total ? json(static_cast<double>(hit) / static_cast<double>(total)) : json();
}

// One row of the per-manager or per-client table.
struct tally {
  std::string name;
  std::int64_t cases = 0, replied = 0, reply_minutes = 0;
  std::int64_t first_met = 0, first_missed = 0, deadline_met = 0, deadline_missed = 0;

  json to_json(const std::string& key) const {
    return {{"key", key},
            {"name", name.empty() ? key : name},
            {"cases", cases},
            {"replied", replied},
            {"avg_first_reply_minutes", replied ? json(reply_minutes / replied) : json()},
            {"first_reply_met", first_met},
            {"first_reply_missed", first_missed},
            {"first_reply_hit_rate", rate(first_met, first_met + first_missed)},
            {"deadline_met", deadline_met},
            {"deadline_missed", deadline_missed},
            {"deadline_hit_rate", rate(deadline_met, deadline_met + deadline_missed)}};
  }
};

json table(const std::map<std::string, tally>& rows) {
  json out = json::array();
  for (const auto& [k, v] : rows) out.push_back(v.to_json(k));
  return out;
}

// The last value a case's journal set for variable `name` (SQL fragment).
std::string last_var(const char* name) {
  return fmt::format(
      "(SELECT json_extract(j.data, '$.value') FROM journal j WHERE j.case_id = c.id AND j.kind = 'variable_set' "
      "AND json_extract(j.data, '$.name') = '{}' ORDER BY j.seq DESC LIMIT 1)",
      name);
}

}  // namespace

std::optional<timestamp> local_midnight(const std::string& date, std::chrono::minutes utc_offset) {
  int y = 0, m = 0, d = 0;
  char tail = 0;
  if (date.size() != 10 || std::sscanf(date.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3) return std::nullopt;
  using namespace std::chrono;
  year_month_day ymd{year(y), month(static_cast<unsigned>(m)), day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return std::nullopt;
  return timestamp(time_point_cast<milliseconds>(sys_days(ymd) - utc_offset));
}

control_report::control_report(std::unique_ptr<journal_reader> reader, std::chrono::minutes utc_offset,
                               std::function<std::int64_t(timestamp, timestamp)> working_minutes)
    : reader_(std::move(reader)), offset_(utc_offset), working_minutes_(std::move(working_minutes)) {}

std::int64_t control_report::minutes(timestamp from, timestamp to) const {
  if (to <= from) return 0;
  if (working_minutes_) return working_minutes_(from, to);
  return std::chrono::duration_cast<std::chrono::minutes>(to - from).count();
}

report_period control_report::this_month(timestamp now) const {
  using namespace std::chrono;
  const auto local = floor<days>(now + offset_);
  const year_month_day ymd{local};
  const year_month_day_last last{ymd.year(), month_day_last{ymd.month()}};
  return {fmt::format("{:04}-{:02}-01", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month())),
          fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                      static_cast<unsigned>(last.day()))};
}

json control_report::build(const report_period& period, timestamp now) {
  const auto from = local_midnight(period.from, offset_);
  const auto to_day = local_midnight(period.to, offset_);
  if (!from || !to_day) throw std::invalid_argument("the period's dates must be YYYY-MM-DD");
  const auto to = *to_day + std::chrono::hours(24);  // the last day is included
  if (to <= *from) throw std::invalid_argument("the period ends before it starts");
  const std::int64_t a = to_millis(*from), b = to_millis(to), n = to_millis(now);
  using arg = journal_reader::arg;

  // Cases opened in the period: first reply (the first message queued to the client) and
  // the final state of their first-reply and deadline SLAs.
  std::map<std::string, tally> managers, clients;
  const std::string cases_sql = fmt::format(
      "SELECT c.id, c.client_id, coalesce(cl.name, ''), c.assignee, c.opened_at, "
      "(SELECT min(j.at) FROM journal j WHERE j.case_id = c.id AND j.kind = 'message_queued'), {}, {} "
      "FROM cases c LEFT JOIN clients cl ON cl.id = c.client_id "
      "WHERE c.opened_at >= ?1 AND c.opened_at < ?2 ORDER BY c.id",
      last_var("sla_first_reply"), last_var("sla_deadline"));
  std::int64_t total_cases = 0;
  reader_->query("report cases", cases_sql, {arg{a}, arg{b}}, [&](const journal_reader::row& r) {
    ++total_cases;
    const auto client = r.text(1);
    const auto client_name = r.text(2);
    const auto manager = r.text(3).empty() ? std::string("—") : r.text(3);
    std::optional<std::int64_t> reply;
    if (!r.null(5)) reply = minutes(from_millis(r.int64(4)), from_millis(r.int64(5)));
    const auto first = r.null(6) ? std::string{} : r.text(6);
    const auto deadline = r.null(7) ? std::string{} : r.text(7);
    auto add = [&](tally& t) {
      ++t.cases;
      if (reply) {
        ++t.replied;
        t.reply_minutes += *reply;
      }
      if (first == "met") ++t.first_met;
      if (first == "breached" || first == "escalated") ++t.first_missed;
      if (deadline == "met") ++t.deadline_met;
      if (deadline == "breached" || deadline == "escalated") ++t.deadline_missed;
    };
    add(managers[manager]);
    if (!client.empty()) {
      auto& t = clients[client];
      t.name = client_name;
      add(t);
    }
  });

  // Steps followed vs skipped, with the reasons given.
  struct step_tally {
    std::int64_t done = 0, skipped = 0;
    std::map<std::string, std::int64_t> reasons;
  };
  std::map<std::string, step_tally> steps;
  std::int64_t done_total = 0, skipped_total = 0;
  reader_->query("report steps",
                 "SELECT step, kind, coalesce(json_extract(data, '$.reason'), '') FROM journal "
                 "WHERE kind IN ('task_done', 'task_skipped') AND at >= ?1 AND at < ?2",
                 {arg{a}, arg{b}}, [&](const journal_reader::row& r) {
                   auto& s = steps[r.text(0)];
                   if (r.text(1) == "task_done") {
                     ++s.done;
                     ++done_total;
                   } else {
                     ++s.skipped;
                     ++skipped_total;
                     ++s.reasons[r.text(2)];
                   }
                 });
  json step_rows = json::array();
  for (const auto& [id, s] : steps) {
    json reasons = json::array();
    for (const auto& [reason, count] : s.reasons) reasons.push_back({{"reason", reason}, {"count", count}});
    step_rows.push_back({{"step", id}, {"done", s.done}, {"skipped", s.skipped}, {"reasons", reasons}});
  }

  // Escalations by reason.
  json escalations = json::array();
  reader_->query("report escalations",
                 "SELECT coalesce(json_extract(data, '$.reason'), ''), count(*) FROM journal "
                 "WHERE kind = 'escalated' AND at >= ?1 AND at < ?2 GROUP BY 1 ORDER BY 2 DESC, 1",
                 {arg{a}, arg{b}}, [&](const journal_reader::row& r) {
                   escalations.push_back({{"reason", r.text(0)}, {"count", r.int64(1)}});
                 });

  // Paid extra work: invoices issued in the period (not cancelled), and what is unpaid now.
  json paid = {{"invoices", 0}, {"amount", 0}, {"paid", 0}};
  reader_->query("report paid work",
                 "SELECT count(*), coalesce(sum(amount_kopecks), 0), coalesce(sum(paid_kopecks), 0) FROM invoices "
                 "WHERE status <> 'cancelled' AND issued_at >= ?1 AND issued_at < ?2",
                 {arg{a}, arg{b}}, [&](const journal_reader::row& r) {
                   paid = {{"invoices", r.int64(0)}, {"amount", rubles(r.int64(1))}, {"paid", rubles(r.int64(2))}};
                 });
  json unpaid = json::array();
  std::int64_t unpaid_sum = 0;
  reader_->query("report unpaid invoices",
                 "SELECT i.number, i.case_id, i.client_id, coalesce(cl.name, ''), i.amount_kopecks, i.paid_kopecks, "
                 "i.due_date, i.due_at FROM invoices i LEFT JOIN clients cl ON cl.id = i.client_id "
                 "WHERE i.status = 'issued' ORDER BY i.due_at, i.number",
                 {}, [&](const journal_reader::row& r) {
                   unpaid_sum += r.int64(4) - r.int64(5);
                   unpaid.push_back({{"number", r.text(0)},
                                     {"case", r.int64(1)},
                                     {"client", r.text(2)},
                                     {"client_name", r.text(3)},
                                     {"amount", rubles(r.int64(4))},
                                     {"paid", rubles(r.int64(5))},
                                     {"due_date", r.text(6)},
                                     {"overdue", r.int64(7) < n}});
                 });

  // Open cases that have not moved for the longest time.
  json stuck = json::array();
  reader_->query("report stuck cases",
                 "SELECT c.id, c.client_id, coalesce(cl.name, ''), c.assignee, c.status, c.step, c.playbook, c.updated_at "
                 "FROM cases c LEFT JOIN clients cl ON cl.id = c.client_id WHERE c.status <> 'closed' "
                 "ORDER BY c.updated_at, c.id LIMIT 10",
                 {}, [&](const journal_reader::row& r) {
                   stuck.push_back({{"case", r.int64(0)},
                                    {"client", r.text(1)},
                                    {"client_name", r.text(2)},
                                    {"assignee", r.text(3)},
                                    {"status", r.text(4)},
                                    {"step", r.text(5)},
                                    {"playbook", r.text(6)},
                                    {"updated_at", to_iso8601(from_millis(r.int64(7)))},
                                    {"idle_minutes", minutes(from_millis(r.int64(7)), now)}});
                 });

  return {{"period", {{"from", period.from}, {"to", period.to}}},
          {"cases", total_cases},
          {"by_manager", table(managers)},
          {"by_client", table(clients)},
          {"steps", {{"done", done_total}, {"skipped", skipped_total}, {"by_step", step_rows}}},
          {"escalations", escalations},
          {"paid", paid},
          {"unpaid", {{"count", unpaid.size()}, {"amount", rubles(unpaid_sum)}, {"invoices", unpaid}}},
          {"stuck", stuck}};
}

}  // namespace reglament
