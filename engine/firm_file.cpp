#include "engine/firm_file.hpp"

#include "engine/client_yaml.hpp"
#include "engine/duration.hpp"
#include "engine/inn.hpp"
#include "engine/text.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>

namespace reglament {
namespace {

source_pos pos_of(const YAML::Node& n, const std::string& file) {
  auto m = n.Mark();
  return {file, m.line + 1, m.column + 1};
}

// A value of the wrong shape (a scalar where a map is expected, `pricing: 5`) reads as
// absent here; the callers report it with its place (expect()).
std::string scalar(const YAML::Node& n, const char* key) {
  if (!n.IsMap()) return {};
  auto v = n[key];
  return v && v.IsScalar() ? v.Scalar() : std::string{};
}

// The text of a map key or list item; "" for a map or list in its place.
std::string text(const YAML::Node& n) { return n.IsScalar() ? n.Scalar() : std::string{}; }

using error_sink = std::function<void(const YAML::Node&, std::string)>;

// `parent[key]` when it is `shape` (absent or null reads as an empty node); otherwise an
// error at the value naming what was expected, and an empty node.
YAML::Node expect(const YAML::Node& parent, const char* key, YAML::NodeType::value shape, const std::string& where,
                  const char* example, const error_sink& err) {
  if (!parent.IsMap()) return YAML::Node();
  auto v = parent[key];
  if (!v || v.IsNull()) return YAML::Node();
  if (v.Type() == shape) return v;
  err(v, where + key + ": expected " + (shape == YAML::NodeType::Map ? "a map" : "a list") + " like " + example);
  return YAML::Node();
}

// "+03:00", "UTC+3", "+5" -> minutes east of UTC; nullopt if unreadable.
std::optional<int> parse_offset(std::string s) {
  if (s.rfind("UTC", 0) == 0) s = s.substr(3);
  if (s.empty()) return 0;
  int sign = 1;
  if (s[0] == '+' || s[0] == '-') {
    sign = s[0] == '-' ? -1 : 1;
    s = s.substr(1);
  }
  int h = 0, m = 0;
  char colon = 0;
  std::istringstream in(s);
  if (!(in >> h)) return std::nullopt;
  if (in >> colon && colon == ':') in >> m;
  if (h > 14 || m > 59) return std::nullopt;
  return sign * (h * 60 + m);
}

// "11-21" (MM-DD) -> {11, 21}; an invalid date when unreadable.
annual_date parse_annual_date(const std::string& s) {
  annual_date d;
  char dash = 0;
  std::istringstream in(s);
  if (!(in >> d.month >> dash >> d.day) || dash != '-' || !in.eof()) return {};
  return d;
}

// "50%" or "50 %" -> 50; false when not a whole percent in 1..1000.
bool parse_percent(const std::string& s, int& out) {
  std::istringstream in(s);
  int v = 0;
  char pct = 0;
  if (!(in >> v >> pct) || pct != '%' || v <= 0 || v > 1000) return false;
  in >> std::ws;
  if (!in.eof()) return false;
  out = v;
  return true;
}

// `sla: { first_reply: 30 рабочих минут, idle: 4 рабочих часа, deadline: 5 рабочих дней }`
sla_terms read_sla(const YAML::Node& n, const std::string& owner,
                   const std::function<void(const YAML::Node&, std::string)>& err) {
  sla_terms t;
  if (!n) return t;
  if (!n.IsMap()) {
    err(n, owner + ": sla: expected { first_reply: 30 рабочих минут, idle: ..., deadline: ... }");
    return t;
  }
  for (const auto& kv : n) {
    auto key = text(kv.first);
    std::optional<duration>* slot = key == "first_reply" ? &t.first_reply
                                    : key == "idle"      ? &t.idle
                                    : key == "deadline"  ? &t.deadline
                                                         : nullptr;
    if (!slot) {
      err(kv.first, owner + ": sla: unknown key '" + key + "' (expected first_reply, idle, deadline)");
      continue;
    }
    std::string why;
    *slot = kv.second.IsScalar() ? parse_duration(kv.second.Scalar(), &why) : std::nullopt;
    if (!*slot) err(kv.second, owner + ": sla: " + key + ": expected a duration like «30 рабочих минут»");
  }
  return t;
}

// The client's local date, "2026-12-01".
std::string local_date(timestamp at, int utc_offset_minutes) {
  auto local = std::chrono::floor<std::chrono::days>(at + std::chrono::minutes(utc_offset_minutes));
  std::chrono::year_month_day ymd{local};
  const int year = static_cast<int>(ymd.year());
  const auto month = static_cast<unsigned>(ymd.month()), day = static_cast<unsigned>(ymd.day());
  if (year < 0 || year > 9999) return fmt::format("{:04}-{:02}-{:02}", year, month, day);
  // Digit by digit: this runs for every tariff check, on the writer thread.
  const auto y = static_cast<unsigned>(year);
  const char text[10] = {static_cast<char>('0' + y / 1000),     static_cast<char>('0' + y / 100 % 10),
                         static_cast<char>('0' + y / 10 % 10),  static_cast<char>('0' + y % 10),
                         '-',
                         static_cast<char>('0' + month / 10),   static_cast<char>('0' + month % 10),
                         '-',
                         static_cast<char>('0' + day / 10),     static_cast<char>('0' + day % 10)};
  return std::string(text, sizeof text);
}

bool valid_local_date(const std::string& s) {
  int y = 0;
  unsigned m = 0, d = 0;
  char a = 0, b = 0;
  std::istringstream in(s);
  if (s.size() != 10 || !(in >> y >> a >> m >> b >> d) || a != '-' || b != '-') return false;
  return std::chrono::year_month_day{std::chrono::year(y), std::chrono::month(m), std::chrono::day(d)}.ok();
}

}  // namespace

client_def read_client(const YAML::Node& c, const std::function<void(const YAML::Node&, std::string)>& err) {
  client_def d;
  if (!c.IsMap()) {
    err(c, "client: expected a map with id, name, inn, tariff, contacts, ...");
    return d;
  }
  d.info.id = scalar(c, "id");
  d.info.name = scalar(c, "name");
  d.info.address_as = scalar(c, "address");
  d.info.tariff_id = scalar(c, "tariff");
  // tariffs: [{tariff: start}, {tariff: standard, from: 2026-12-01}] — a change from a date.
  const auto who = "client " + scalar(c, "id") + ": ";
  for (const auto& t : expect(c, "tariffs", YAML::NodeType::Sequence, who, "[{tariff: ID, from: YYYY-MM-DD}]", err)) {
    auto id = scalar(t, "tariff");
    auto from = scalar(t, "from");
    if (id.empty()) err(t, "client " + d.info.id + ": tariffs: expected {tariff: ID, from: YYYY-MM-DD}");
    if (d.info.tariff_id.empty() && from.empty()) {
      d.info.tariff_id = id;
    } else if (!valid_local_date(from)) {
      err(t, "client " + d.info.id + ": tariffs: tariff " + id + ": expected from: YYYY-MM-DD");
    } else if (!d.info.tariff_changes.empty() && from <= d.info.tariff_changes.back().first) {
      err(t, "client " + d.info.id + ": tariffs: changes must go in date order");
    } else {
      if (d.info.tariff_id.empty()) d.info.tariff_id = id;  // the first entry has a date: before it, the same
      d.info.tariff_changes.emplace_back(from, id);
    }
  }
  d.info.manager = scalar(c, "manager");
  d.info.accountant = scalar(c, "accountant");
  if (d.info.id.empty()) err(c, "client: expected an id");
  if (auto form = scalar(c, "form"); !form.empty()) {
    if (form != "Вы" && form != "ты") err(c["form"], "client " + d.info.id + ": form: expected Вы or ты");
    d.info.informal = form == "ты";
  }
  if (auto tz = scalar(c, "timezone"); !tz.empty()) {
    if (auto off = parse_offset(tz))
      d.info.utc_offset_minutes = *off;
    else
      err(c["timezone"], "client " + d.info.id + ": timezone: expected an offset like +03:00");
  }
  d.info.inn = scalar(c, "inn");
  if (!d.info.inn.empty())
    if (auto why = inn_problem(d.info.inn)) err(c["inn"], "client " + d.info.id + ": " + *why);
  if (auto lang = scalar(c, "language"); !lang.empty()) {
    if (lang == "ru" || lang == "en")
      d.info.language = lang;
    else
      err(c["language"], "client " + d.info.id + ": language: expected ru or en");
  }
  if (const auto& h = c["holiday"]; h && !h.IsNull()) {
    d.info.holiday_title = scalar(h, "title");
    d.info.holiday = parse_annual_date(scalar(h, "date"));
    if (!d.info.holiday.valid()) err(h, "client " + d.info.id + ": holiday: expected date: MM-DD");
  }
  d.info.sla = read_sla(c["sla"], "client " + d.info.id, err);
  for (const auto& b : expect(c, "birthdays", YAML::NodeType::Sequence, who, "[{name: ..., date: MM-DD}]", err)) {
    contact_birthday cb{scalar(b, "name"), parse_annual_date(scalar(b, "date"))};
    if (cb.name.empty() || !cb.date.valid())
      err(b, "client " + d.info.id + ": birthdays: expected {name: ..., date: MM-DD}");
    d.info.birthdays.push_back(std::move(cb));
  }
  for (const auto& ch : expect(c, "contacts", YAML::NodeType::Map, who, "{email: [a@b.ru]}", err)) {
    auto channel = text(ch.first);
    if (!ch.second.IsSequence()) {
      err(ch.second, "client " + d.info.id + ": contacts: " + channel + ": expected a list like [a@b.ru]");
      continue;
    }
    for (const auto& a : ch.second) {
      if (!a.IsScalar()) {
        err(a, "client " + d.info.id + ": contacts: " + channel + ": expected an address");
        continue;
      }
      auto address = a.Scalar();
      if (auto why = contact_problem(channel, address))
        err(a, "client " + d.info.id + ": contacts: " + *why);
      d.contacts.push_back({channel, normalize_contact(channel, address)});
    }
  }
  return d;
}

std::string tariff_on(const client_info& client, std::string_view local_date) {
  std::string id = client.tariff_id;
  for (const auto& [from, tariff] : client.tariff_changes)
    if (from <= local_date) id = tariff;
  return id;
}

const char* to_string(tariff_outcome o) {
  switch (o) {
    case tariff_outcome::in_tariff: return "in_tariff";
    case tariff_outcome::over_quota: return "over_quota";
    case tariff_outcome::not_included: return "not_included";
    case tariff_outcome::unknown: return "unknown";
  }
  return "unknown";
}

std::unique_ptr<firm_file> firm_file::load(const std::string& path, diagnostics& problems) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diagnostic d;  // built field by field: GCC 12 misreads the aggregate form at -O3
    d.pos.file = path;
    d.message = "cannot open the firm file";
    problems.push_back(std::move(d));
    return nullptr;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  return parse(buf.str(), path, problems);
}

std::unique_ptr<firm_file> firm_file::parse(const std::string& yaml, const std::string& name,
                                            diagnostics& problems) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    problems.push_back({severity::error, {name, e.mark.line + 1, e.mark.column + 1}, "", e.msg});
    return nullptr;
  }
  auto firm = std::make_unique<firm_file>();
  auto err = [&](const YAML::Node& n, std::string msg) {
    problems.push_back({severity::error, pos_of(n, name), "", std::move(msg)});
  };
  if (!root.IsMap()) {
    err(root, "expected a map with firm, services, tariffs and clients");
    return nullptr;
  }
  // Every value of the wrong shape is reported by the checks below; the catch turns a shape
  // they did not foresee into an error at its place too, never a throw.
  auto read = [&] {
    firm->firm_name = scalar(root, "firm");
    firm->firm_name_en_ = scalar(root, "firm_en");
    const auto pricing = expect(root, "pricing", YAML::NodeType::Map, "",
                                "{ manager_discount_limit: 15%, payment_due: 5 рабочих дней }", err);
    if (const auto& p = pricing; p) {
      // Payment terms override the playbook's defaults: durations as in a playbook.
      for (auto [key, slot] : {std::pair{"payment_due", &firm->payment_due_},
                               std::pair{"payment_reminder_after", &firm->payment_reminder_after_},
                               std::pair{"unpaid_close_after", &firm->unpaid_close_after_}}) {
        *slot = scalar(p, key);
        if (!slot->empty() && !parse_duration(*slot))
          err(p[key], std::string("pricing: ") + key + ": expected a duration like «5 рабочих дней»");
      }
    }
    if (const auto& p = pricing; p && p["manager_discount_limit"]) {
      // "15%" of the list price, or a whole number of rubles the manager may take off.
      auto limit = scalar(p, "manager_discount_limit");
      std::istringstream in(limit);
      long v = -1;
      std::string rest;
      in >> v >> std::ws;
      std::getline(in, rest);
      if (rest == "%" && v >= 0 && v <= 100)
        firm->discount_percent_ = static_cast<int>(v);
      else if ((rest.empty() || rest == "руб." || rest == "руб" || rest == "₽") && v >= 0)
        firm->discount_rubles_ = v;
      else
        err(p["manager_discount_limit"] ? p["manager_discount_limit"] : p,
            "pricing: manager_discount_limit: expected a percent of the list price like 15% or a sum in rubles "
            "like 3000");
    }
    for (const auto& m : expect(root, "staff", YAML::NodeType::Sequence, "", "[{ login: ..., name: ..., role: ... }]", err)) {
      if (!m.IsMap()) {
        err(m, "staff: expected { login: ..., name: ..., role: ... }");
        continue;
      }
      staff_member p{scalar(m, "login"), scalar(m, "name"), scalar(m, "name_en"), scalar(m, "role")};
      if (p.login.empty() || p.name.empty()) err(m, "staff: expected { login: ..., name: ..., role: ... }");
      if (p.role != "manager" && p.role != "accountant" && p.role != "director")
        err(m, "staff " + p.login + ": role: expected manager, accountant or director");
      p.email = scalar(m, "email");
      p.telegram = scalar(m, "telegram");
      if (const auto& n = m["notify"]; n && !n.IsNull()) {
        if (!n.IsSequence()) err(n, "staff " + p.login + ": notify: expected a list like [email, telegram]");
        for (const auto& c : n) {
          auto ch = c.IsScalar() ? c.as<std::string>() : std::string{};
          if (ch != "email" && ch != "telegram")
            err(c, "staff " + p.login + ": notify: expected email or telegram, got '" + ch + "'");
          else if ((ch == "email" ? p.email : p.telegram).empty())
            err(c, "staff " + p.login + ": notify: " + ch + " needs the person's " + ch + ": address");
          else
            p.notify.push_back(ch);
        }
      }
      firm->staff_.push_back(std::move(p));
    }

    for (const auto& s : expect(root, "services", YAML::NodeType::Sequence, "", "[{ id: ..., title: ..., keywords: [...] }]", err)) {
      if (!s.IsMap()) {
        err(s, "service: expected { id: ..., title: ..., price: ..., keywords: [...] }");
        continue;
      }
      service_def d;
      d.id = scalar(s, "id");
      d.title = scalar(s, "title");
      d.unit = scalar(s, "unit");
      if (d.id.empty()) err(s, "service: expected an id");
      if (auto p = s["price"]; p && p.IsScalar()) {
        try {
          d.price = p.as<long>();
        } catch (const YAML::Exception&) {
          err(p, "service " + d.id + ": price: expected a whole number of rubles");
        }
      }
      if (const auto& u = s["urgent"]; u && !u.IsNull()) {
        auto surcharge = scalar(u, "surcharge");
        if (!parse_percent(surcharge, d.urgent_surcharge))
          err(u, "service " + d.id + ": urgent: surcharge: expected a percent like 50%");
        d.urgent_within = scalar(u, "within");
        if (d.urgent_within.empty() || !parse_duration(d.urgent_within))
          err(u, "service " + d.id + ": urgent: within: expected a duration like «1 рабочий день»");
      }
      for (const auto& k : expect(s, "keywords", YAML::NodeType::Sequence, "service " + d.id + ": ", "[выписка, акт сверки]", err)) {
        if (k.IsScalar()) d.keywords.push_back(k.Scalar());
        else err(k, "service " + d.id + ": keywords: expected a word or phrase");
      }
      if (d.keywords.empty()) err(s, "service " + d.id + ": expected keywords to recognise it");
      if (auto why = firm->catalog_.add(d.id, d.keywords); !why.empty())
        err(s["keywords"], "service " + d.id + ": keywords: " + why);
      firm->services_.push_back(std::move(d));
    }
    auto service_known = [&](const std::string& id) {
      for (const auto& s : firm->services_)
        if (s.id == id) return true;
      return false;
  };

  auto read_includes = [&](const YAML::Node& parent, const std::string& where, std::map<std::string, int>& quotas) {
    for (const auto& q : expect(parent, "includes", YAML::NodeType::Map, where + ": ", "{ statement: 4, reconciliation: unlimited }", err)) {
      auto sid = text(q.first);
      if (!service_known(sid)) err(q.first, where + ": unknown service '" + sid + "'");
      auto v = text(q.second);
      if (v == "unlimited" || v == "без ограничений") {
        quotas[sid] = -1;
      } else {
        try {
          quotas[sid] = q.second.as<int>();
        } catch (const YAML::Exception&) {
          err(q.second, where + ": " + sid + ": expected a number per month or 'unlimited'");
        }
      }
    }
  };
  for (const auto& t : expect(root, "tariffs", YAML::NodeType::Sequence, "", "[{ id: ..., title: ..., includes: {...} }]", err)) {
    if (!t.IsMap()) {
      err(t, "tariff: expected { id: ..., title: ..., includes: {...} }");
      continue;
    }
    tariff_def d;
    d.id = scalar(t, "id");
    d.title = scalar(t, "title");
    d.sla = read_sla(t["sla"], "tariff " + d.id, err);
    read_includes(t, "tariff " + d.id, d.quotas);
    // versions: [{from: 2026-12-01, includes: {...}, prices: {service: rubles}}]
    for (const auto& v : expect(t, "versions", YAML::NodeType::Sequence, "tariff " + d.id + ": ", "[{from: 2026-12-01, includes: {...}}]", err)) {
      if (!v.IsMap()) {
        err(v, "tariff " + d.id + ": versions: expected {from: YYYY-MM-DD, includes: {...}, prices: {...}}");
        continue;
      }
      tariff_version tv;
      tv.from = scalar(v, "from");
      auto where = "tariff " + d.id + " from " + tv.from;
      if (!valid_local_date(tv.from))
        err(v, "tariff " + d.id + ": versions: expected from: YYYY-MM-DD");
      else if (!d.later.empty() && tv.from <= d.later.back().from)
        err(v, where + ": versions must go in date order, each from a later date");
      if (!v["includes"]) err(v, where + ": expected includes: (the whole list of included services)");
      read_includes(v, where, tv.quotas);
      for (const auto& pr : expect(v, "prices", YAML::NodeType::Map, where + ": ", "{ statement: 500 }", err)) {
        auto sid = text(pr.first);
        if (!service_known(sid)) err(pr.first, where + ": prices: unknown service '" + sid + "'");
        try {
          tv.prices[sid] = pr.second.as<long>();
        } catch (const YAML::Exception&) {
          err(pr.second, where + ": prices: " + sid + ": expected a whole number of rubles");
        }
      }
      d.later.push_back(std::move(tv));
    }
    firm->tariffs_[d.id] = std::move(d);
  }

  std::vector<client_def> clients;
  for (const auto& c : expect(root, "clients", YAML::NodeType::Sequence, "", "[{ id: ..., name: ..., tariff: ... }]", err)) {
    if (!c.IsMap()) {
      err(c, "client: expected a map with id, name, inn, tariff, contacts, ...");
      continue;
    }
    auto d = read_client(c, err);
    if (!firm->tariffs_.count(d.info.tariff_id))
      err(c, "client " + d.info.id + ": unknown tariff '" + d.info.tariff_id + "'");
    for (const auto& [from, id] : d.info.tariff_changes)
      if (!firm->tariffs_.count(id)) err(c["tariffs"], "client " + d.info.id + ": tariffs: unknown tariff '" + id + "'");
    clients.push_back(std::move(d));
  }
  // Names in signatures come from `staff:`; a login missing there would sign as the default.
  if (!firm->staff_.empty())
    for (const auto& c : clients)
      for (const auto& login : {c.info.manager, c.info.accountant})
        if (!login.empty() && !firm->staff(login))
          problems.push_back({severity::warning, pos_of(root["clients"], name), "",
                              "client " + c.info.id + ": '" + login + "' is not in staff: (no name for signatures)"});
  if (!has_errors(problems)) firm->clients_ = client_index(std::move(clients));
  };
  try {
    read();
  } catch (const YAML::Exception& e) {
    problems.push_back({severity::error, {name, e.mark.line + 1, e.mark.column + 1}, "", "unexpected structure: " + e.msg});
  }
  if (has_errors(problems)) return nullptr;
  return firm;
}

std::vector<client_def> firm_file::parse_clients(const std::string& yaml, const std::string& name,
                                                 diagnostics& problems, std::vector<source_pos>* positions) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    problems.push_back({severity::error, {name, e.mark.line + 1, e.mark.column + 1}, "", e.msg});
    return {};
  }
  auto err = [&](const YAML::Node& n, std::string msg) {
    problems.push_back({severity::error, pos_of(n, name), "", std::move(msg)});
  };
  if (!root.IsMap() || !root["clients"] || !root["clients"].IsSequence()) {
    err(root, "expected a map with a `clients:` list");
    return {};
  }
  std::vector<client_def> clients;
  for (const auto& c : root["clients"]) {
    if (!c.IsMap()) {
      err(c, "client: expected a map with id, name, inn, tariff, contacts, ...");
      continue;
    }
    try {
      auto d = read_client(c, err);
      clients.push_back(std::move(d));
      if (positions) positions->push_back(pos_of(c, name));
    } catch (const YAML::Exception& e) {
      problems.push_back({severity::error, {name, e.mark.line + 1, e.mark.column + 1}, "", "unexpected structure: " + e.msg});
    }
  }
  return clients;
}

std::string firm_file::beside(const std::string& playbooks_dir) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(playbooks_dir) / "firm", ec))
    if (e.path().extension() == ".yaml") found.push_back(e.path().string());
  std::sort(found.begin(), found.end());
  return found.empty() ? std::string{} : found.front();
}

client_ptr firm_file::find(std::string_view client_id) const {
  return clients_.find(client_id);
}

client_ptr firm_file::find_by_contact(std::string_view channel, std::string_view sender) const {
  return clients_.find_by_contact(channel, sender);
}

std::optional<client_contact> firm_file::preferred_contact(std::string_view client_id) const {
  return clients_.preferred_contact(client_id);
}

std::vector<client_info> firm_file::all() const { return clients_.all(); }

tariff_check firm_file::check(const client_info& client, const tariff_request& request,
                              const tariff_lookups& store) const {
  tariff_check r;
  r.payment_due = payment_due_;
  r.payment_reminder_after = payment_reminder_after_;
  r.unpaid_close_after = unpaid_close_after_;
  auto today = local_date(request.at, client.utc_offset_minutes);
  r.tariff_id = tariff_on(client, today);
  r.period = today.substr(0, 7);
  const service_def* best = nullptr;
  if (!request.service_id.empty()) {
    // The manager said which service it is: no guessing, full confidence.
    auto it = std::find_if(services_.begin(), services_.end(), [&](const service_def& s) { return s.id == request.service_id; });
    if (it == services_.end()) return r;
    best = &*it;
    r.confidence = 1;
    r.matched = "выбор менеджера";
  } else {
    std::vector<learned_service> learned;
    if (store.learned && !client.id.empty()) learned = store.learned(client.id);
    auto g = catalog_.classify(request.text, learned, request.stems);
    if (g.service_id.empty()) return r;
    r.confidence = g.confidence;
    r.learned = g.learned;
    r.alternative = g.runner_up;
    for (const auto& m : g.matched) r.matched.append(r.matched.empty() ? "" : ", ").append(m);
    // Two services matching equally: the manager decides rather than a coin toss.
    if (r.confidence < 0.5) {
      r.alternative = g.service_id + (g.runner_up.empty() ? "" : ", " + g.runner_up);
      return r;
    }
    best = &*std::find_if(services_.begin(), services_.end(), [&](const service_def& s) { return s.id == g.service_id; });
  }
  r.service_id = best->id;
  r.service_title = best->title;
  r.unit = best->unit;
  r.urgent_surcharge = best->urgent_surcharge;
  r.urgent_within = best->urgent_within;

  // The terms in force on the client's local date: the tariff's latest version from then.
  auto t = tariffs_.find(r.tariff_id);
  const std::map<std::string, int>* quotas = nullptr;
  const std::map<std::string, long>* prices = nullptr;
  if (t != tariffs_.end()) {
    quotas = &t->second.quotas;
    for (const auto& v : t->second.later)
      if (v.from <= today) {
        quotas = &v.quotas;
        prices = &v.prices;
        r.tariff_from = v.from;
      }
  }
  r.price = best->price;
  if (prices)
    if (auto p = prices->find(best->id); p != prices->end()) r.price = p->second;
  r.urgent_price = best->urgent_surcharge ? (r.price * (100 + best->urgent_surcharge) + 50) / 100 : r.price;
  // Rounded up: a 15% limit on 1500 allows 1275, never a kopeck below.
  r.min_price = std::max(0L, discount_rubles_ > 0 ? r.price - discount_rubles_
                                                  : r.price - r.price * discount_percent_ / 100);
  const auto quota = quotas ? quotas->find(best->id) : decltype(quotas->end()){};
  if (!quotas || quota == quotas->end()) {
    r.outcome = tariff_outcome::not_included;
    return r;
  }
  r.quota_limit = quota->second;
  r.quota_used = store.quota_used ? store.quota_used(client.id, best->id, r.period) : 0;
  r.outcome = r.quota_limit < 0 || r.quota_used < r.quota_limit ? tariff_outcome::in_tariff
                                                                 : tariff_outcome::over_quota;
  return r;
}

bool firm_file::has_service(std::string_view service_id) const {
  return std::any_of(services_.begin(), services_.end(), [&](const service_def& s) { return s.id == service_id; });
}

std::string firm_file::name(std::string_view language) const {
  return language == "en" && !firm_name_en_.empty() ? firm_name_en_ : firm_name;
}

std::optional<staff_member> firm_file::staff(std::string_view login) const {
  for (const auto& m : staff_)
    if (m.login == login) return m;
  return std::nullopt;
}

std::optional<staff_member> firm_file::staff_with_role(std::string_view role) const {
  for (const auto& m : staff_)
    if (m.role == role) return m;
  return std::nullopt;
}

sla_terms firm_file::sla(const client_info& client) const {
  sla_terms t;
  if (auto it = tariffs_.find(client.tariff_id); it != tariffs_.end()) t = it->second.sla;
  if (client.sla.first_reply) t.first_reply = client.sla.first_reply;
  if (client.sla.idle) t.idle = client.sla.idle;
  if (client.sla.deadline) t.deadline = client.sla.deadline;
  return t;
}

}  // namespace reglament
