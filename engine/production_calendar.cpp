#include "engine/production_calendar.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#ifndef REGLAMENT_SOURCE_DIR
#define REGLAMENT_SOURCE_DIR ""
#endif

namespace reglament {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono;

source_pos pos_of(const YAML::Node& n, const std::string& file) {
  auto m = n.Mark();
  return {file, m.line + 1, m.column + 1};
}

void error(diagnostics& problems, const YAML::Node& n, const std::string& file, std::string message) {
  diagnostic d;
  d.pos = pos_of(n, file);
  d.message = std::move(message);
  problems.push_back(std::move(d));
}

std::optional<year_month_day> parse_date(const std::string& text) {
  int y = 0;
  unsigned m = 0, d = 0;
  char tail = 0;
  if (text.size() != 10 || std::sscanf(text.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3)
    return std::nullopt;
  year_month_day ymd{year(y), month(m), day(d)};
  if (!ymd.ok()) return std::nullopt;
  return ymd;
}

// A list of dates and ranges ("2026-01-01..2026-01-08") inside `y`.
std::vector<year_month_day> read_days(const YAML::Node& list, int y, const std::string& key,
                                      const std::string& file, diagnostics& problems) {
  std::vector<year_month_day> out;
  if (!list.IsSequence()) {
    error(problems, list, file, key + ": expected a list of dates like 2026-05-01 or 2026-01-01..2026-01-08");
    return out;
  }
  for (const auto& item : list) {
    std::string text = item.IsScalar() ? item.as<std::string>() : std::string{};
    auto dots = text.find("..");
    auto first = parse_date(text.substr(0, dots));
    auto last = dots == std::string::npos ? first : parse_date(text.substr(dots + 2));
    if (!first || !last) {
      error(problems, item, file,
            key + ": '" + text + "' is not a date (expected YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD)");
      continue;
    }
    if (static_cast<int>(first->year()) != y || static_cast<int>(last->year()) != y) {
      error(problems, item, file, key + ": '" + text + "' is not in " + std::to_string(y));
      continue;
    }
    if (sys_days(*last) < sys_days(*first)) {
      error(problems, item, file, key + ": '" + text + "' ends before it starts");
      continue;
    }
    for (sys_days d = sys_days(*first); d <= sys_days(*last); d += days(1)) out.emplace_back(d);
  }
  return out;
}

const std::set<std::string> year_keys{"source", "days_off", "working_days", "short_days"};

std::string list(const std::set<std::string>& keys) {
  std::string s;
  for (const auto& k : keys) s += (s.empty() ? "" : ", ") + k;
  return s;
}

}  // namespace

std::optional<production_calendar> production_calendar::load(const std::string& path, diagnostics& problems) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diagnostic d;
    d.pos.file = path;
    d.message = "cannot open the production calendar";
    problems.push_back(std::move(d));
    return std::nullopt;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  return parse(buf.str(), path, problems);
}

std::optional<production_calendar> production_calendar::parse(const std::string& yaml, const std::string& name,
                                                              diagnostics& problems) {
  auto errors_before = problems.size();
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    diagnostic d;
    d.pos = {name, e.mark.line + 1, e.mark.column + 1};
    d.message = e.msg;
    problems.push_back(std::move(d));
    return std::nullopt;
  }
  if (!root.IsMap() || !root["years"]) {
    error(problems, root, name, "expected `years:` with a section per year (2026: {source: ..., days_off: [...]})");
    return std::nullopt;
  }
  for (const auto& kv : root) {
    auto key = kv.first.as<std::string>();
    if (key != "years" && key != "country")
      error(problems, kv.first, name, "unknown key '" + key + "' (expected country, years)");
  }
  production_calendar cal;
  const auto& years = root["years"];
  if (!years.IsMap()) {
    error(problems, years, name, "years: expected a section per year (2026: {source: ..., days_off: [...]})");
    return std::nullopt;
  }
  for (const auto& kv : years) {
    auto key = kv.first.as<std::string>();
    int y = 0;
    if (std::sscanf(key.c_str(), "%d", &y) != 1 || std::to_string(y) != key || y < 1990 || y > 2200) {
      error(problems, kv.first, name, "'" + key + "' is not a year");
      continue;
    }
    const auto& section = kv.second;
    if (!section.IsMap()) {
      error(problems, section, name, key + ": expected source, days_off, working_days, short_days");
      continue;
    }
    production_year py;
    py.year = y;
    for (const auto& entry : section) {
      auto k = entry.first.as<std::string>();
      if (!year_keys.count(k))
        error(problems, entry.first, name, key + "." + k + ": unknown key (expected one of: " + list(year_keys) + ")");
    }
    // Every year says where its days come from, so the owner knows what to check.
    if (!section["source"] || !section["source"].IsScalar() || section["source"].as<std::string>().empty())
      error(problems, section, name, key + ": `source:` is required (the decree, or \"Labour Code only\")");
    else
      py.source = section["source"].as<std::string>();
    if (section["days_off"]) py.days_off = read_days(section["days_off"], y, key + ".days_off", name, problems);
    if (section["working_days"])
      py.working_days = read_days(section["working_days"], y, key + ".working_days", name, problems);
    if (section["short_days"])
      py.short_days = read_days(section["short_days"], y, key + ".short_days", name, problems);

    std::set<sys_days> off(py.days_off.begin(), py.days_off.end());
    auto conflict = [&](const char* list_key, const std::vector<year_month_day>& days, const char* what) {
      for (const auto& d : days)
        if (off.count(sys_days(d))) {
          char buf[16];
          std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()),
                        static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
          error(problems, section[list_key], name,
                key + "." + list_key + ": " + buf + " is also in days_off; " + what);
        }
    };
    conflict("working_days", py.working_days, "a day is either off or working");
    conflict("short_days", py.short_days, "a day off cannot be shortened");
    cal.years_.push_back(std::move(py));
  }
  for (auto i = errors_before; i < problems.size(); ++i)
    if (problems[i].level == severity::error) return std::nullopt;
  return cal;
}

void production_calendar::apply_to(weekly_calendar& cal) const {
  auto usual = cal.usual_shift();
  for (const auto& y : years_) {
    for (const auto& d : y.days_off) cal.add_holiday(d);
    for (const auto& d : y.working_days) cal.add_working_day(d, usual);
    for (const auto& d : y.short_days) cal.add_short_day(d, hours(1));
  }
}

std::string production_calendar::beside(const std::string& playbooks_dir) {
  std::error_code ec;
  for (auto p : {fs::path(playbooks_dir) / ".." / "calendar" / "ru.yaml", fs::path(playbooks_dir) / "calendar" / "ru.yaml"})
    if (fs::is_regular_file(p, ec)) return p.lexically_normal().string();
  return {};
}

const weekly_calendar& production_calendar::shipped() {
  static const weekly_calendar cal = [] {
    weekly_calendar c;
    std::error_code ec;
    for (auto p : {fs::path("playbooks") / "calendar" / "ru.yaml",
                   fs::path(REGLAMENT_SOURCE_DIR) / "playbooks" / "calendar" / "ru.yaml"}) {
      if (!fs::is_regular_file(p, ec)) continue;
      diagnostics problems;
      if (auto pc = load(p.string(), problems)) pc->apply_to(c);
      break;
    }
    return c;
  }();
  return cal;
}

}  // namespace reglament
