#include "adapters/http/router/staff_api.hpp"

#include "engine/case_state.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <mutex>

namespace reglament::http {

using nlohmann::json;

std::string waiting_for(const std::string& status) {
  constexpr std::string_view prefix = "waiting_";
  return status.rfind(prefix, 0) == 0 ? status.substr(prefix.size()) : std::string{};
}

namespace {

// "2026-11-23T15:30+03:00" (how the engine writes sla_*_due) → the moment.
std::optional<timestamp> parse_local_time(const std::string& text) {
  int y, mo, d, h, mi, oh, om;
  char sign;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d%c%2d:%2d", &y, &mo, &d, &h, &mi, &sign, &oh, &om) != 8 ||
      (sign != '+' && sign != '-'))
    return std::nullopt;
  using namespace std::chrono;
  const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return std::nullopt;
  const auto offset = minutes((oh * 60 + om) * (sign == '-' ? -1 : 1));
  return timestamp(time_point_cast<timestamp::duration>(sys_days(ymd) + hours(h) + minutes(mi) - offset));
}

std::int64_t minutes_between(const api_options& opt, timestamp from, timestamp to) {
  if (to < from) return -minutes_between(opt, to, from);
  if (opt.working_minutes) return opt.working_minutes(from, to);
  return std::chrono::duration_cast<std::chrono::minutes>(to - from).count();
}

}  // namespace

json case_summaries(store& st, playbook_library& books, const client_directory* clients, const api_options& opt,
                    const std::vector<case_row>& rows, bool by_urgency) {
  const timestamp now = opt.now ? opt.now->now() : std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  struct item {
    json j;
    std::optional<std::int64_t> left;
    std::int64_t id;
  };
  std::vector<item> items;
  items.reserve(rows.size());
  for (const auto& r : rows) {
    json j = {{"id", r.id},           {"playbook", r.playbook},   {"version", r.version},
              {"status", r.status},   {"step", r.step},           {"channel", r.channel},
              {"sender", r.sender},   {"client", r.client_id},    {"assignee", r.assignee},
              {"outcome", r.outcome}, {"opened_at", to_iso8601(r.opened_at)},
              {"updated_at", to_iso8601(r.updated_at)}, {"waiting_for", waiting_for(r.status)}};
    auto book = books.version(r.playbook, r.version, &st);
    j["playbook_title"] = book && !book->title.empty() ? book->title : r.playbook;
    const step* s = book && !r.step.empty() ? book->find_step(r.step) : nullptr;
    j["step_title"] = s && !s->title.empty() ? s->title : r.step;
    j["kind"] = (book && !book->on.schedule.empty()) || (r.sender.empty() && r.channel.empty()) ? "task" : "case";
    j["client_name"] = nullptr;
    if (clients && !r.client_id.empty())
      if (auto c = clients->find(r.client_id)) j["client_name"] = c->name;
    j["sla_kind"] = nullptr;
    j["sla_due"] = nullptr;
    j["sla_minutes_left"] = nullptr;
    std::optional<std::int64_t> left;
    if (r.status != "closed") {
      if (auto state = st.load_case(r.id)) {
        // Each SLA kind the case tracks and has not met: its due, even once breached.
        std::optional<timestamp> nearest;
        std::string nearest_kind;
        for (const char* kind : {"first_reply", "idle", "deadline"}) {
          const std::string k = std::string("sla_") + kind;
          const auto status = state->vars.value(k, std::string{});
          if (status.empty() || status == "met") continue;
          auto due = parse_local_time(state->vars.value(k + "_due", std::string{}));
          if (due && (!nearest || *due < *nearest)) {
            nearest = due;
            nearest_kind = kind;
          }
        }
        if (nearest) {
          left = minutes_between(opt, now, *nearest);
          j["sla_kind"] = nearest_kind;
          j["sla_due"] = to_iso8601(*nearest);
          j["sla_minutes_left"] = *left;
        }
      }
    }
    items.push_back({std::move(j), left, r.id});
  }
  if (by_urgency)
    std::stable_sort(items.begin(), items.end(), [](const item& a, const item& b) {
      if (a.left.has_value() != b.left.has_value()) return a.left.has_value();
      if (a.left && *a.left != *b.left) return *a.left < *b.left;
      return a.id > b.id;
    });
  json out = json::array();
  for (auto& i : items) out.push_back(std::move(i.j));
  return out;
}

json startable_playbooks(const playbook_library& books) {
  json out = json::array();
  auto all = books.latest_all();
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a->title < b->title; });
  for (const auto& b : all) {
    if (!b->on.manual && !b->on.situation) continue;
    out.push_back({{"id", b->id},
                   {"title", b->title.empty() ? b->id : b->title},
                   {"description", b->description},
                   {"situation", b->on.situation},
                   {"version", b->version}});
  }
  return out;
}

std::function<json(const std::string&, const std::map<std::string, std::string>&)> report_handler(
    std::shared_ptr<control_report> report, const clock* now) {
  auto mutex = std::make_shared<std::mutex>();
  return [report, now, mutex](const std::string& name, const std::map<std::string, std::string>& query) -> json {
    if (name != "control-points")
      throw api_refusal{404, "not_found", "no such report: " + name + " (there is control-points)", {}};
    const timestamp at = now ? now->now() : std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    auto period = report->this_month(at);
    for (const auto& [k, v] : query) {
      if (k == "from") period.from = v;
      else if (k == "to") period.to = v;
      else throw api_refusal{400, "unknown_field", "unknown query parameter '" + k + "'", k};
    }
    std::lock_guard lock(*mutex);
    try {
      return report->build(period, at);
    } catch (const std::invalid_argument& e) {
      throw api_refusal{400, "bad_query", e.what(), "from"};
    }
  };
}

}  // namespace reglament::http
