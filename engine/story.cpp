#include "engine/story.hpp"

#include "engine/firm_file.hpp"
#include "engine/sandbox.hpp"
#include "engine/scheduler.hpp"
#include "engine/playbook_loader.hpp"
#include "engine/text.hpp"
#include "engine/working_calendar.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <regex>

namespace reglament {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

source_pos pos_of(const YAML::Node& n, const std::string& file) {
  auto m = n.Mark();
  return {file, m.line + 1, m.column + 1};
}

// "2026-11-23 10:00" in the firm's local time.
std::optional<timestamp> parse_local(const std::string& text, std::chrono::minutes offset) {
  int y, mo, d, h = 0, mi = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%d %d:%d", &y, &mo, &d, &h, &mi) < 3) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(mo), std::chrono::day(d)};
  if (!ymd.ok()) return std::nullopt;
  auto local = std::chrono::sys_days(ymd) + std::chrono::hours(h) + std::chrono::minutes(mi);
  return std::chrono::time_point_cast<std::chrono::milliseconds>(local - offset);
}

std::string scalar_text(const YAML::Node& n) {
  return n && n.IsScalar() ? n.as<std::string>() : std::string{};
}

json yaml_to_json(const YAML::Node& n) {
  if (n.IsMap()) {
    json j = json::object();
    for (const auto& kv : n) j[kv.first.as<std::string>()] = yaml_to_json(kv.second);
    return j;
  }
  if (n.IsSequence()) {
    json j = json::array();
    for (const auto& v : n) j.push_back(yaml_to_json(v));
    return j;
  }
  if (!n.IsScalar()) return nullptr;
  auto s = n.as<std::string>();
  if (n.Tag() != "!") {  // unquoted: numbers and booleans read as such
    if (s == "true" || s == "да") return true;
    if (s == "false" || s == "нет") return false;
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end && *end == '\0') return std::floor(d) == d ? json(static_cast<long long>(d)) : json(d);
  }
  return s;
}

// One story being played.
class player {
 public:
  player(const std::string& file, const std::string& name, store& st, playbook_library& books,
         const firm_file* firm, timestamp start)
      : file_(file), name_(name), store_(st), books_(books), firm_(firm), box_(st, books, firm, start) {}

  std::vector<story_failure> failures;

  void line(const YAML::Node& n, const std::string& sender, const std::string& channel) {
    if (!n.IsMap() || n.size() != 1) {
      fail(n, "expected one instruction per line, like `client: \"текст\"` or `reply: \"текст\"`");
      return;
    }
    auto key = n.begin()->first.as<std::string>();
    const YAML::Node v = n.begin()->second;
    if (key != "refused" && !pending_refusal_.empty()) {
      fail(n, "the previous action was refused: " + pending_refusal_);
      pending_refusal_.clear();
    }
    if (key == "client") return client_says(n, scalar_text(v), sender, channel);
    if (key == "start") return start_case(n, v);
    if (key == "schedules") return expect_schedules(n, v);
    if (key == "manager" || key == "director") return staff_acts(n, key, v);
    if (key == "after") return time_passes(n, scalar_text(v));
    if (key == "reply") return expect_reply(n, v);
    if (key == "no_reply") return expect_no_reply(n);
    if (key == "notify") return expect_notify(n, v);
    if (key == "step") return expect_state(n, "step", scalar_text(v));
    if (key == "status") return expect_state(n, "status", scalar_text(v));
    if (key == "outcome") return expect_state(n, "outcome", scalar_text(v));
    if (key == "tariff") return expect_state(n, "tariff", scalar_text(v));
    if (key == "assignee") return expect_state(n, "assignee", scalar_text(v));
    if (key == "escalation") return expect_escalation(n, scalar_text(v));
    if (key == "var") return expect_vars(n, v);
    if (key == "refused") return expect_refused(n, scalar_text(v));
    fail(n, "unknown instruction '" + key +
                "' (expected client, start, schedules, manager, director, after, reply, no_reply, notify, step, "
                "status, outcome, tariff, assignee, escalation, var, refused)");
  }

  void finish(const YAML::Node& last) {
    if (!pending_refusal_.empty()) fail(last, "the last action was refused: " + pending_refusal_);
  }

  case_id current() const { return case_; }

 private:
  void fail(const YAML::Node& n, std::string msg) { failures.push_back({pos_of(n, file_), name_, std::move(msg)}); }

  void client_says(const YAML::Node& n, const std::string& text, const std::string& sender, const std::string& channel) {
    inbound_message m{channel, fmt::format("story-{}", ++inbound_no_), sender, "", text};
    auto r = box_.inbound(m);
    if (!r.error.empty()) return fail(n, "the message was not accepted: " + r.error);
    // A message after the story's case closed opens the next case: the story follows it.
    if (case_ != 0 && r.id != case_) {
      auto previous = store_.load_case(case_);
      if (!previous || !previous->closed())
        return fail(n, fmt::format("the message went to case {}, not to the story's open case {}", r.id, case_));
    }
    case_ = r.id;
  }

  // `start: PLAYBOOK` or `start: {playbook: PLAYBOOK, client: CLIENT}`: a manager starts
  // a manual or situation playbook; the story follows the new case from here.
  void start_case(const YAML::Node& n, const YAML::Node& v) {
    std::string playbook = v.IsMap() ? scalar_text(v["playbook"]) : scalar_text(v);
    std::string client = v.IsMap() ? scalar_text(v["client"]) : std::string{};
    if (playbook.empty()) return fail(n, "expected `start: PLAYBOOK` or `start: {playbook: PLAYBOOK, client: CLIENT}`");
    if (case_ != 0) {
      auto previous = store_.load_case(case_);
      if (previous && !previous->closed())
        return fail(n, fmt::format("the story's case {} is still open (at step {})", case_, previous->step));
    }
    nlohmann::json vars;
    if (v.IsMap() && v["at"] && !scheduled(n, v, playbook, client, vars)) return;
    auto r = box_.start(playbook, client, vars);
    if (!r.error.empty()) return fail(n, "the playbook did not start: " + r.error);
    case_ = r.id;
  }

  std::string local_text(timestamp t) const {
    auto local = std::chrono::floor<std::chrono::minutes>(t + box_.calendar().utc_offset());
    auto day = std::chrono::floor<std::chrono::days>(local);
    std::chrono::year_month_day ymd{day};
    auto minutes = (local - day).count();
    return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                       static_cast<unsigned>(ymd.day()), minutes / 60, minutes % 60);
  }

  // `start: {playbook: P, at: "YYYY-MM-DD HH:MM"[, client: C][, contact: NAME]}`: the clock
  // moves to `at` (timers on the way fire) and the playbook starts as its schedule would
  // start it then, with the schedule's variables. Fails when the schedule does not start
  // it at that moment (for that client or contact).
  bool scheduled(const YAML::Node& n, const YAML::Node& v, const std::string& playbook, std::string& client,
                 nlohmann::json& vars) {
    auto at = parse_local(scalar_text(v["at"]), box_.calendar().utc_offset());
    if (!at) return fail(v["at"], "at: expected \"YYYY-MM-DD HH:MM\" (the firm's local time)"), false;
    if (*at < box_.clock().now())
      return fail(v["at"], "at: the story's clock is already at " + local_text(box_.clock().now())), false;
    auto book = books_.latest(playbook);
    if (!book) return fail(n, "playbook '" + playbook + "' is not loaded"), false;
    if (book->on.schedule.empty())
      return fail(n, "playbook '" + playbook + "' has no trigger schedule: (start it without at:)"), false;
    box_.advance_to(*at);
    const std::string contact = scalar_text(v["contact"]);
    auto matching = [&](std::vector<scheduled_start> list) {
      std::erase_if(list, [&](const scheduled_start& s) {
        return (!client.empty() && s.client_id != client) ||
               (!contact.empty() && !s.key.ends_with("/" + contact));
      });
      return list;
    };
    scheduler sched(books_, firm_, box_.calendar());
    auto starts = matching(sched.occurrences(*book, *at - std::chrono::milliseconds(1), *at));
    if (starts.empty()) {
      auto later = matching(sched.occurrences(*book, *at, *at + std::chrono::days(800)));
      return fail(n, fmt::format("the schedule «{}» does not start {}{} at {}{}", book->on.schedule, playbook,
                                 client.empty() ? "" : " for " + client + (contact.empty() ? "" : " (" + contact + ")"),
                                 local_text(*at),
                                 later.empty() ? "" : "; its next start is " + local_text(later.front().due))),
             false;
    }
    if (starts.size() > 1)
      return fail(n, fmt::format("{} starts {} times at {}: name the one with client: (and contact: for a birthday)",
                                 playbook, starts.size(), local_text(*at))),
             false;
    client = starts.front().client_id;
    vars = starts.front().vars;
    return true;
  }

  // `schedules: {from: A, to: B, expect: ["PLAYBOOK YYYY-MM-DD HH:MM [KEY]", ...]}`: every
  // scheduled start in (A, B], in time order, for the firm and each client.
  void expect_schedules(const YAML::Node& n, const YAML::Node& v) {
    auto offset = box_.calendar().utc_offset();
    auto from = parse_local(scalar_text(v["from"]), offset);
    auto to = parse_local(scalar_text(v["to"]), offset);
    if (!v.IsMap() || !from || !to || !v["expect"] || !v["expect"].IsSequence())
      return fail(n, "expected `schedules: {from: \"YYYY-MM-DD HH:MM\", to: \"...\", expect: [\"PLAYBOOK YYYY-MM-DD HH:MM\", ...]}`");
    scheduler sched(books_, firm_, box_.calendar());
    std::vector<scheduled_start> all;
    for (const auto& book : books_.latest_all()) {
      auto some = sched.occurrences(*book, *from, *to);
      all.insert(all.end(), some.begin(), some.end());
    }
    std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.due < b.due; });
    std::vector<std::string> actual, expected;
    for (const auto& s : all)
      actual.push_back(fmt::format("{} {}{}", s.playbook, local_text(s.due), s.key.empty() ? "" : " " + s.key));
    for (const auto& e : v["expect"]) expected.push_back(scalar_text(e));
    if (actual == expected) return;
    std::string shown;
    for (const auto& a : actual) shown += "\n      " + a;
    fail(n, "the scheduled starts differ; they are:" + (shown.empty() ? std::string(" none") : shown));
  }

  void staff_acts(const YAML::Node& n, const std::string& who, const YAML::Node& v) {
    if (case_ == 0) return fail(n, "there is no case yet: the client has to write first (or `start:` one)");
    auto state = store_.load_case(case_);
    staff_action a;
    a.actor = who == "director" ? "director" : "manager";
    a.step = state->step;
    std::string verb;
    YAML::Node arg;
    if (v.IsScalar()) {
      verb = v.as<std::string>();
    } else if (v.IsMap() && v.size() == 1) {
      verb = v.begin()->first.as<std::string>();
      arg = v.begin()->second;
    } else {
      return fail(n, "expected e.g. `manager: {choose: \"Готово\"}`, `manager: done` or `director: {decide: \"Дать скидку\"}`");
    }
    auto kind = staff_action_kind_from_string(verb);
    if (!kind) return fail(n, "unknown action '" + verb + "' (choose, submit, done, skip, decide, paid, note, correct, send)");
    a.what = *kind;
    if (arg) {
      if (a.what == staff_action::kind::submit) {
        a.values = yaml_to_json(arg);
      } else if (a.what == staff_action::kind::paid) {
        a.values["amount"] = yaml_to_json(arg);
      } else if (a.what == staff_action::kind::skip || a.what == staff_action::kind::note) {
        a.reason = scalar_text(arg);
      } else if (a.what == staff_action::kind::send) {
        if (!arg.IsNull()) a.values["text"] = scalar_text(arg);  // `manager: send` alone: as prepared
      } else {
        a.option = scalar_text(arg);
      }
    }
    auto r = box_.act(case_, a);
    if (!r.error.empty()) pending_refusal_ = r.error;
  }

  void time_passes(const YAML::Node& n, const std::string& text) {
    std::string err;
    auto d = parse_duration(text, &err);
    if (!d) return fail(n, "after: " + err);
    box_.advance(*d);
  }

  static bool text_matches(const std::string& actual, const YAML::Node& want, std::string& shown) {
    if (want.IsMap() && want["exact"]) {
      shown = "exactly «" + want["exact"].as<std::string>() + "»";
      return actual == want["exact"].as<std::string>();
    }
    if (want.IsMap() && want["pattern"]) {
      shown = "matching /" + want["pattern"].as<std::string>() + "/";
      return std::regex_search(actual, std::regex(want["pattern"].as<std::string>()));
    }
    shown = "containing «" + scalar_text(want) + "»";
    return fold_case(actual).find(fold_case(scalar_text(want))) != std::string::npos;
  }

  // The first unread reply that matches; it and every reply before it count as read.
  void expect_reply(const YAML::Node& n, const YAML::Node& want) {
    auto msgs = box_.unread(case_, false);
    if (msgs.empty()) return fail(n, "expected a reply to the client, but none was sent");
    std::string shown, seen;
    for (const auto& m : msgs) {
      bool match = text_matches(m.text, want, shown);
      seen += "\n      «" + m.text + "»";
      if (match) {
        for (const auto& r : msgs) {
          box_.mark_read(r);
          if (r.n == m.n) break;
        }
        return;
      }
    }
    fail(n, fmt::format("expected a reply {}; the replies were:{}", shown, seen));
  }

  void expect_no_reply(const YAML::Node& n) {
    auto msgs = box_.unread(case_, false);
    if (!msgs.empty()) fail(n, fmt::format("expected no reply, got «{}»", msgs.front().text));
  }

  // The first unread notification that matches, and those before it, are read: an
  // escalation's own notice to the director comes before the reminders a story expects.
  void expect_notify(const YAML::Node& n, const YAML::Node& want) {
    auto msgs = box_.unread(case_, true);
    if (msgs.empty()) return fail(n, "expected a staff notification, none was sent");
    std::string shown, seen;
    for (const auto& m : msgs) {
      seen += fmt::format("\n      to {}: «{}»", m.to, m.text);
      const bool to_ok = !(want.IsMap() && want["to"]) || m.to == want["to"].as<std::string>();
      const bool text_ok = !(want.IsMap() && want["text"]) || text_matches(m.text, want["text"], shown);
      if (to_ok && text_ok) {
        for (const auto& r : msgs) {
          box_.mark_read(r);
          if (r.n == m.n) break;
        }
        return;
      }
    }
    const std::string to = want.IsMap() && want["to"] ? " to " + want["to"].as<std::string>() : "";
    fail(n, fmt::format("expected a notification{} {}; the unread notifications were:{}", to, shown, seen));
  }

  void expect_state(const YAML::Node& n, const std::string& what, const std::string& want) {
    if (case_ == 0) return fail(n, "there is no case yet");
    auto s = store_.load_case(case_);
    std::string actual = what == "step"       ? s->step
                         : what == "status"   ? to_string(s->status)
                         : what == "outcome"  ? (s->closed() ? s->outcome : "(open: " + std::string(to_string(s->status)) + " at " + s->step + ")")
                         : what == "assignee" ? s->assignee
                                              : s->vars.value("tariff_outcome", "");
    if (actual != want) {
      std::string extra = s->error.empty() ? "" : " (run error: " + s->error + ")";
      fail(n, fmt::format("expected {} {}, got {}{}", what, want, actual, extra));
    }
  }

  void expect_escalation(const YAML::Node& n, const std::string& want) {
    for (const auto& e : store_.journal(case_)) {
      if (e.what.kind == fact_kind::escalated && fold_case(e.what.data.value("reason", "")).find(fold_case(want)) != std::string::npos) {
        return;
      }
    }
    fail(n, "expected an escalation to the director «" + want + "», there was none");
  }

  void expect_vars(const YAML::Node& n, const YAML::Node& want) {
    auto s = store_.load_case(case_);
    for (const auto& kv : want) {
      auto name = kv.first.as<std::string>();
      auto expected = yaml_to_json(kv.second);
      auto actual = s->vars.value(name, json());
      bool same = expected == actual ||
                  (expected.is_number() && actual.is_number() && expected.get<double>() == actual.get<double>()) ||
                  (actual.is_string() && !expected.is_string() && actual.get<std::string>() == expected.dump());
      if (!same) fail(kv.first, fmt::format("expected {} = {}, got {}", name, expected.dump(), actual.dump()));
    }
  }

  void expect_refused(const YAML::Node& n, const std::string& want) {
    if (pending_refusal_.empty()) return fail(n, "expected the previous action to be refused, it was accepted");
    if (fold_case(pending_refusal_).find(fold_case(want)) == std::string::npos)
      fail(n, "the refusal was «" + pending_refusal_ + "», expected it to mention «" + want + "»");
    pending_refusal_.clear();
  }

  std::string file_, name_;
  store& store_;
  playbook_library& books_;
  const firm_file* firm_;
  sandbox box_;
  case_id case_ = 0;
  int inbound_no_ = 0;
  std::string pending_refusal_;
};

std::vector<std::string> story_files(const std::string& path) {
  std::vector<std::string> out;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const auto& e : fs::recursive_directory_iterator(path, ec))
      if (e.is_regular_file() && e.path().filename().string().ends_with(".story.yaml")) out.push_back(e.path().string());
  } else {
    out.push_back(path);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Every exit of every playbook, and the ones the stories took.
struct coverage_tracker {
  std::map<std::string, std::set<std::pair<std::string, std::string>>> taken;  // playbook -> (step, exit)
  std::map<std::string, playbook_ptr> books;

  void record(store& st, case_id id) {
    std::vector<std::string> stack;
    std::string current;
    for (const auto& e : st.journal(id)) {
      const auto& d = e.what.data;
      if (e.what.kind == fact_kind::case_opened) current = d.value("playbook", "");
      if (e.what.kind == fact_kind::playbook_called) {
        stack.push_back(current);
        current = d.value("playbook", "");
      }
      if (e.what.kind == fact_kind::playbook_returned && !stack.empty()) {
        current = stack.back();
        stack.pop_back();
      }
      if (e.what.kind == fact_kind::step_left) taken[current].insert({e.what.step, d.value("exit", "")});
    }
  }

  std::vector<branch_coverage> report() const {
    std::vector<branch_coverage> out;
    for (const auto& [id, pb] : books) {
      branch_coverage c{id, 0, {}};
      auto it = taken.find(id);
      for (const auto& st : pb->steps)
        for (const auto& ex : st.exits) {
          if (ex.target.empty()) continue;
          ++c.total;
          if (it == taken.end() || !it->second.count({st.id, ex.key}))
            c.missed.push_back(st.id + " → " + ex.label);
        }
      out.push_back(std::move(c));
    }
    return out;
  }
};

}  // namespace

story_report run_stories(const std::string& path, const story_options& options) {
  story_report report;
  coverage_tracker coverage;
  std::map<std::string, std::unique_ptr<firm_file>> firms;

  for (const auto& file : story_files(path)) {
    YAML::Node root;
    try {
      root = YAML::LoadFile(file);
    } catch (const YAML::Exception& e) {
      report.problems.push_back({severity::error, {file, e.mark.line + 1, e.mark.column + 1}, "", e.msg});
      continue;
    }
    auto base = fs::path(file).parent_path();
    fs::path playbooks = root["playbooks"] ? base / scalar_text(root["playbooks"]) : base.parent_path();
    std::string firm_path = root["firm"] ? (base / scalar_text(root["firm"])).string() : firm_file::beside(playbooks.string());
    const firm_file* firm = nullptr;
    if (!firm_path.empty()) {
      auto& slot = firms[firm_path];
      if (!slot) {
        diagnostics probs;
        slot = firm_file::load(firm_path, probs);
        report.problems.insert(report.problems.end(), probs.begin(), probs.end());
      }
      firm = slot.get();
    }
    if (!root["stories"] || !root["stories"].IsSequence()) {
      report.problems.push_back({severity::error, pos_of(root, file), "", "expected `stories:` with a list of stories"});
      continue;
    }
    for (const auto& story : root["stories"]) {
      ++report.stories;
      std::string name = scalar_text(story["name"]);
      if (name.empty()) name = fmt::format("{}:{}", file, story.Mark().line + 1);
      auto st = options.make_store();
      playbook_library books;
      weekly_calendar cal;
      auto problems = books.load_directory(playbooks.string(), st.get(), timestamp{});
      if (has_errors(problems)) {
        report.problems.insert(report.problems.end(), problems.begin(), problems.end());
        return report;  // the playbooks themselves are broken: every story would fail alike
      }
      for (const auto& pb : books.latest_all()) coverage.books[pb->id] = pb;
      auto start = parse_local(story["start"] ? scalar_text(story["start"]) : "2026-11-23 10:00", cal.utc_offset());
      if (!start) {
        report.failures.push_back({pos_of(story["start"], file), name, "start: expected \"YYYY-MM-DD HH:MM\""});
        continue;
      }
      std::string channel = story["channel"] ? scalar_text(story["channel"]) : "email";
      std::string sender = scalar_text(story["sender"]);
      if (sender.empty() && story["from"] && firm) {
        auto id = scalar_text(story["from"]);
        for (const auto& c : firm->clients())
          if (c.info.id == id)
            for (const auto& k : c.contacts)
              if (k.channel == channel && sender.empty()) sender = k.address;
        if (sender.empty()) {
          report.failures.push_back({pos_of(story["from"], file), name,
                                     "from: no client '" + id + "' with a " + channel + " contact in " + firm_path});
          continue;
        }
      }
      if (sender.empty()) sender = "unknown@example.org";
      player p(file, name, *st, books, firm, *start);
      try {
        for (const auto& line : story["dialogue"]) p.line(line, sender, channel);
        p.finish(story["dialogue"]);
      } catch (const std::exception& e) {
        p.failures.push_back({pos_of(story, file), name, std::string("error: ") + e.what()});
      }
      case_filter every;
      every.limit = 1 << 20;
      for (const auto& c : st->cases(every)) coverage.record(*st, c.id);
      bool passed = p.failures.empty();
      if (passed) ++report.passed;
      report.failures.insert(report.failures.end(), p.failures.begin(), p.failures.end());
      if (options.on_story) options.on_story(name, passed);
    }
  }
  report.coverage = coverage.report();
  return report;
}

}  // namespace reglament
