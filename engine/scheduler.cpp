#include "engine/scheduler.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace reglament {
namespace {

// More missed runs than this are not walked one by one (a daily rule after years down).
constexpr int max_catch_up_steps = 5000;

std::string date_text(annual_date d) {
  static const char* months[] = {"января", "февраля", "марта", "апреля", "мая", "июня",
                                 "июля", "августа", "сентября", "октября", "ноября", "декабря"};
  return fmt::format("{} {}", d.day, months[(d.month - 1) % 12]);
}

}  // namespace

scheduler::scheduler(const playbook_library& books, const client_directory* clients,
                     const working_calendar& calendar, options opt)
    : books_(books), clients_(clients), calendar_(calendar), opt_(opt) {}

std::vector<scheduler::target> scheduler::targets_of(const schedule_rule& rule) const {
  std::vector<target> out;
  if (!rule.per_client()) {
    out.push_back({"", "", calendar_.utc_offset(), {}, nlohmann::json::object()});
    return out;
  }
  if (!clients_) return out;
  for (const auto& c : clients_->all()) {
    auto offset = std::chrono::minutes(c.utc_offset_minutes);
    if (rule.what == schedule_rule::repeat::client_holiday) {
      if (!c.holiday.valid()) continue;
      out.push_back({c.id, c.id, offset, c.holiday,
                     {{"contact_name", c.address_as},
                      {"occasion", c.holiday_title.empty() ? "профессиональный праздник" : c.holiday_title},
                      {"occasion_date", date_text(c.holiday)}}});
    } else {
      for (const auto& b : c.birthdays) {
        if (!b.date.valid()) continue;
        out.push_back({c.id + "/" + b.name, c.id, offset, b.date,
                       {{"contact_name", b.name}, {"occasion", "день рождения"}, {"occasion_date", date_text(b.date)}}});
      }
    }
  }
  return out;
}

std::vector<scheduled_start> scheduler::occurrences(const playbook& book, timestamp from, timestamp to) const {
  std::vector<scheduled_start> out;
  auto rule = parse_schedule(book.on.schedule, nullptr);
  if (!rule) return out;
  for (const auto& t : targets_of(*rule)) {
    auto at = rule->next_after(from, t.offset, &calendar_, t.occasion);
    for (int i = 0; at && *at <= to && i < max_catch_up_steps; ++i) {
      out.push_back({book.id, t.key, t.client_id, *at, t.vars});
      at = rule->next_after(*at, t.offset, &calendar_, t.occasion);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.due < b.due; });
  return out;
}

schedule_round scheduler::run_due(case_engine& engine, store& st, timestamp now) const {
  schedule_round round;
  auto consider_next = [&](std::optional<timestamp> t) {
    if (t && (!round.next || *t < *round.next)) round.next = t;
  };
  for (const auto& book : books_.latest_all()) {
    if (book->on.schedule.empty()) continue;
    auto rule = parse_schedule(book->on.schedule, nullptr);
    if (!rule) continue;  // the validator refuses such a playbook before it gets here
    const std::string& text = book->on.schedule;
    for (const auto& t : targets_of(*rule)) {
      auto last = st.schedule_last_run(book->id, t.key);
      // First sight, or the owner changed the rule: count from now, owe nothing before.
      if (!last || last->rule != text) {
        st.record_schedule_run(book->id, t.key, {text, now, 0, now});
        consider_next(rule->next_after(now, t.offset, &calendar_, t.occasion));
        continue;
      }
      // The latest start owed: every missed one before it collapses into this one.
      std::optional<timestamp> owed;
      auto at = rule->next_after(last->due, t.offset, &calendar_, t.occasion);
      for (int i = 0; at && *at <= now && i < max_catch_up_steps; ++i) {
        owed = at;
        at = rule->next_after(*at, t.offset, &calendar_, t.occasion);
      }
      consider_next(at);
      if (!owed) continue;
      scheduled_start s{book->id, t.key, t.client_id, *owed, t.vars};
      if (rule->per_client() && now - *owed > opt_.congratulation_grace) {
        st.record_schedule_run(book->id, t.key, {text, *owed, 0, now});
        round.skipped.push_back(std::move(s));
        continue;
      }
      st.savepoint();
      engine_result r;
      try {
        r = engine.start(book->id, t.client_id, "schedule", s.vars);
        if (r.error.empty()) st.record_schedule_run(book->id, t.key, {text, *owed, r.id, now});
      } catch (const std::exception& e) {
        r = engine_result{};
        r.error = fmt::format("schedule of {} ({}): {}", book->id, t.key.empty() ? "firm" : t.key, e.what());
        r.http_status = 500;
      }
      if (!r.error.empty()) st.rollback_to_savepoint();
      st.release_savepoint();
      round.started.push_back(std::move(s));
      round.results.push_back(std::move(r));
    }
  }
  return round;
}

}  // namespace reglament
