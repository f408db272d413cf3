#include "daemon/config.hpp"

#include "engine/firm_file.hpp"
#include "engine/production_calendar.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <charconv>
#include <filesystem>
#include <set>
#include <string_view>

#ifndef REGLAMENT_SOURCE_DIR
#define REGLAMENT_SOURCE_DIR ""
#endif

namespace reglament::daemon {

namespace fs = std::filesystem;

namespace {

constexpr const char* defaults = R"(# reglamentd defaults; a config file overrides any of these.
[store]
path = "var/reglament.db"
synchronous = "full"        # full | normal (normal: a power cut may lose the last commits)

[playbooks]
# dir = "/usr/share/reglament/playbooks/bookkeeping"   # default: found next to the program

[firm]
# file = "<playbooks dir>/firm.yaml"

[calendar]
# file = "<playbooks dir>/../calendar/ru.yaml"  # the production calendar (holidays, transfers)
timezone = "+03:00"         # the firm's offset from UTC
monday = "09:00-18:00"      # working hours per weekday, "" for a day off
tuesday = "09:00-18:00"
wednesday = "09:00-18:00"
thursday = "09:00-18:00"
friday = "09:00-18:00"
saturday = ""
sunday = ""
lunch = "13:00-14:00"       # every working day; "" for none

[http]
listen = "127.0.0.1:8080"
threads = 2
body_limit = 65536
# A connection that sends nothing (or stalls mid-request) this long is closed.
read_timeout_seconds = 30

[web]
# dir = "/usr/share/reglament/web"   # the staff app's files; default: found next to the program

[spool]
dir = "var/spool"
channels = ["email", "telegram", "webchat", "api", "staff"]

[outbox]
# A delivery the channel failed (an SMTP 4xx, a server down, Telegram 5xx) is tried again
# after retry_first_seconds, the wait doubling up to retry_max_seconds; after max_attempts
# failures the message is a dead letter the staff see (and can send again).
retry_first_seconds = 30
retry_max_seconds = 3600
max_attempts = 8

[attachments]
dir = "var/attachments"     # files that came with messages, named by their sha256
max_bytes = 26214400        # 25 MiB; a larger file is refused with a clear error

[auth]
session_idle = "8h"         # a session unused this long ends (s, m, h, d)
session_max = "7d"          # every session ends this long after its login
secure_cookies = false      # true when users reach reglamentd over HTTPS (a TLS proxy)
public_metrics = false      # true: /metrics without a token (a scraper on a trusted network)
login_failures = 5          # failed logins per login before a wait
address_failures = 20       # failed logins per client address before a wait
login_wait = "1m"           # the first wait, doubled with each further failure
login_max_wait = "15m"
# bootstrap_token_file = "/etc/reglament/bootstrap-token"  # its line becomes an owner API token

# Channel adapters, each enabled and configured in its own table (docs/CHANNELS.md):
# [channels.email]
# imap_url = "imaps://imap.example.ru:993/INBOX"
# smtp_url = "smtp://smtp.example.ru:587"         # STARTTLS required
# username = "office@example.ru"
# password_file = "/etc/reglament/mail-password"  # or password_env = "REGLAMENT_MAIL_PASSWORD"
# from_address = "office@example.ru"
# from_name = "Бухгалтерия"
# poll_interval = 60
# [channels.webchat]                # the website chat: /chat/widget.js, /chat/demo, /chat/ws
# allowed_origins = ["https://balans-buh.ru"]     # pages that may open it; empty: any

[log]
level = "info"              # debug | info | warn | error
format = "text"             # text | json
)";

// Errors carry "key: problem"; load_config adds the file.
[[noreturn]] void bad(const std::string& key, const std::string& what) {
  throw config_error(fmt::format("{}: {}", key, what));
}

std::string get_string(const toml::node& n, const std::string& key) {
  auto v = n.value<std::string>();
  if (!n.is_string() || !v) bad(key, "expected a string");
  return *v;
}

std::int64_t get_int(const toml::node& n, const std::string& key) {
  if (!n.is_integer()) bad(key, "expected an integer");
  return *n.value<std::int64_t>();
}

void check_keys(const toml::table& t, const std::string& section, const std::set<std::string>& known) {
  for (const auto& [k, v] : t) {
    std::string key(k.str());
    if (!known.count(key)) {
      std::string list;
      for (const auto& n : known) list += (list.empty() ? "" : ", ") + n;
      bad(section + "." + key, fmt::format("unknown key (expected one of: {})", list));
    }
  }
}

const toml::table* section(const toml::table& root, const std::string& name) {
  const auto* node = root.get(name);
  if (!node) return nullptr;
  if (!node->is_table()) bad(name, "expected a [" + name + "] table");
  return node->as_table();
}

// "09:00" -> minutes since midnight; 24:00 is the end of the day.
std::optional<int> parse_clock(std::string_view t) {
  if (t.size() != 5 || t[2] != ':') return std::nullopt;
  int h = 0, m = 0;
  auto r1 = std::from_chars(t.data(), t.data() + 2, h);
  auto r2 = std::from_chars(t.data() + 3, t.data() + 5, m);
  if (r1.ec != std::errc() || r1.ptr != t.data() + 2 || r2.ec != std::errc() || r2.ptr != t.data() + 5) return std::nullopt;
  if (h > 24 || m > 59 || (h == 24 && m != 0)) return std::nullopt;
  return h * 60 + m;
}

// "09:00-18:00" -> {start, end}; "" -> {0, 0} (none).
std::pair<int, int> parse_hours(const toml::node& n, const std::string& key) {
  auto text = get_string(n, key);
  if (text.empty()) return {0, 0};
  auto dash = text.find('-');
  std::optional<int> a, b;
  if (dash != std::string::npos) {
    a = parse_clock(std::string_view(text).substr(0, dash));
    b = parse_clock(std::string_view(text).substr(dash + 1));
  }
  if (!a || !b) bad(key, fmt::format("expected \"HH:MM-HH:MM\" or \"\" (none), got '{}'", text));
  if (*a >= *b) bad(key, fmt::format("'{}' ends before it starts", text));
  return {*a, *b};
}

// "+03:00", "-05:30", "+3", "UTC+3", "UTC" -> minutes east of UTC.
std::optional<int> parse_utc_offset(std::string s) {
  if (s.rfind("UTC", 0) == 0) s = s.substr(3);
  if (s.empty()) return 0;
  if (s[0] != '+' && s[0] != '-') return std::nullopt;
  int sign = s[0] == '-' ? -1 : 1;
  std::string_view rest(s);
  rest.remove_prefix(1);
  auto colon = rest.find(':');
  int h = 0, m = 0;
  auto hv = rest.substr(0, colon);
  auto r = std::from_chars(hv.data(), hv.data() + hv.size(), h);
  if (hv.empty() || hv.size() > 2 || r.ec != std::errc() || r.ptr != hv.data() + hv.size()) return std::nullopt;
  if (colon != std::string_view::npos) {
    auto mv = rest.substr(colon + 1);
    auto r2 = std::from_chars(mv.data(), mv.data() + mv.size(), m);
    if (mv.size() != 2 || r2.ec != std::errc() || r2.ptr != mv.data() + 2 || m > 59) return std::nullopt;
  }
  int total = sign * (h * 60 + m);
  if (total < -12 * 60 || total > 14 * 60) return std::nullopt;
  return total;
}

void apply_calendar(daemon_config& c, const toml::table& t) {
  static const char* const weekdays[7] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
  std::set<std::string> known{"file", "timezone", "lunch"};
  for (auto d : weekdays) known.insert(d);
  check_keys(t, "calendar", known);
  if (const auto* n = t.get("file")) {
    c.calendar.file = get_string(*n, "calendar.file");
    if (c.calendar.file.empty()) bad("calendar.file", "must not be empty (leave it out for the shipped calendar)");
  }
  if (const auto* n = t.get("timezone")) {
    auto text = get_string(*n, "calendar.timezone");
    auto offset = parse_utc_offset(text);
    if (!offset) bad("calendar.timezone", fmt::format("expected an offset from UTC like \"+03:00\", got '{}'", text));
    c.calendar.timezone = text;
    c.calendar.utc_offset_minutes = *offset;
  }
  for (int i = 0; i < 7; ++i)
    if (const auto* n = t.get(weekdays[i])) {
      auto [a, b] = parse_hours(*n, std::string("calendar.") + weekdays[i]);
      c.calendar.week[i].start = a;
      c.calendar.week[i].end = b;
    }
  if (const auto* n = t.get("lunch")) {
    auto [a, b] = parse_hours(*n, "calendar.lunch");
    for (auto& s : c.calendar.week) {
      s.lunch_start = a;
      s.lunch_end = b;
    }
  }
  bool any = false;
  for (const auto& s : c.calendar.week) any = any || s.start < s.end;
  if (!any) bad("calendar", "no working hours on any weekday (set e.g. monday = \"09:00-18:00\")");
}

// "90s", "15m", "8h", "7d" or a number of seconds.
std::chrono::seconds get_seconds(const toml::node& n, const std::string& key) {
  std::int64_t count = 0;
  std::int64_t unit = 1;
  if (n.is_integer()) {
    count = *n.value<std::int64_t>();
  } else {
    auto text = get_string(n, key);
    auto digits = text.find_first_not_of("0123456789");
    if (digits == 0 || digits == std::string::npos || digits + 1 != text.size())
      bad(key, fmt::format("expected a duration like \"90s\", \"15m\", \"8h\" or \"7d\", got '{}'", text));
    switch (text.back()) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      default: bad(key, fmt::format("unknown unit '{}' in '{}' (s, m, h or d)", text.back(), text));
    }
    std::from_chars(text.data(), text.data() + digits, count);
  }
  if (count < 1 || count > 10'000'000 / unit) bad(key, "expected at least 1 second and at most 115 days");
  return std::chrono::seconds(count * unit);
}

void apply_auth(daemon_config& c, const toml::table& t) {
  check_keys(t, "auth", {"session_idle", "session_max", "secure_cookies", "public_metrics", "login_failures",
                         "address_failures", "login_wait", "login_max_wait", "bootstrap_token_file"});
  auto& a = c.auth;
  if (const auto* n = t.get("session_idle")) a.session_idle = get_seconds(*n, "auth.session_idle");
  if (const auto* n = t.get("session_max")) a.session_max = get_seconds(*n, "auth.session_max");
  if (const auto* n = t.get("login_wait")) a.login_wait = get_seconds(*n, "auth.login_wait");
  if (const auto* n = t.get("login_max_wait")) a.login_max_wait = get_seconds(*n, "auth.login_max_wait");
  for (auto [key, flag] : {std::pair{"secure_cookies", &a.secure_cookies}, std::pair{"public_metrics", &a.public_metrics}})
    if (const auto* n = t.get(key)) {
      if (!n->is_boolean()) bad(std::string("auth.") + key, "expected true or false");
      *flag = *n->value<bool>();
    }
  for (auto [key, count] : {std::pair{"login_failures", &a.login_failures}, std::pair{"address_failures", &a.address_failures}})
    if (const auto* n = t.get(key)) {
      auto v = get_int(*n, std::string("auth.") + key);
      if (v < 1 || v > 1000) bad(std::string("auth.") + key, fmt::format("expected 1..1000, got {}", v));
      *count = static_cast<int>(v);
    }
  if (const auto* n = t.get("bootstrap_token_file")) a.bootstrap_token_file = get_string(*n, "auth.bootstrap_token_file");
  if (a.login_max_wait < a.login_wait) bad("auth.login_max_wait", "must not be shorter than auth.login_wait");
}

void apply(daemon_config& c, const toml::table& root) {
  check_keys(root, "(top level)",
             {"store", "playbooks", "firm", "calendar", "http", "spool", "outbox", "attachments", "channels", "web", "auth",
              "log"});
  if (const auto* t = section(root, "store")) {
    check_keys(*t, "store", {"path", "synchronous"});
    if (const auto* n = t->get("path")) c.store.path = get_string(*n, "store.path");
    if (const auto* n = t->get("synchronous")) {
      c.store.synchronous = get_string(*n, "store.synchronous");
      if (c.store.synchronous != "full" && c.store.synchronous != "normal")
        bad("store.synchronous", fmt::format("expected \"full\" or \"normal\", got '{}'", c.store.synchronous));
    }
    if (c.store.path.empty()) bad("store.path", "must not be empty");
  }
  if (const auto* t = section(root, "playbooks")) {
    check_keys(*t, "playbooks", {"dir"});
    if (const auto* n = t->get("dir")) c.playbooks.dir = get_string(*n, "playbooks.dir");
  }
  if (const auto* t = section(root, "firm")) {
    check_keys(*t, "firm", {"file"});
    if (const auto* n = t->get("file")) c.firm.file = get_string(*n, "firm.file");
  }
  if (const auto* t = section(root, "calendar")) apply_calendar(c, *t);
  if (const auto* t = section(root, "http")) {
    check_keys(*t, "http", {"listen", "threads", "body_limit", "read_timeout_seconds"});
    if (const auto* n = t->get("listen")) {
      auto text = get_string(*n, "http.listen");
      if (!parse_listen(text, c.http.host, c.http.port))
        bad("http.listen", fmt::format("expected HOST:PORT, got '{}'", text));
    }
    if (const auto* n = t->get("threads")) {
      auto v = get_int(*n, "http.threads");
      if (v < 1 || v > 64) bad("http.threads", fmt::format("expected 1..64, got {}", v));
      c.http.threads = static_cast<int>(v);
    }
    if (const auto* n = t->get("body_limit")) {
      auto v = get_int(*n, "http.body_limit");
      if (v < 1024 || v > 64 * 1024 * 1024)
        bad("http.body_limit", fmt::format("expected 1024..67108864 bytes, got {}", v));
      c.http.body_limit = static_cast<std::size_t>(v);
    }
    if (const auto* n = t->get("read_timeout_seconds")) {
      auto v = get_int(*n, "http.read_timeout_seconds");
      if (v < 1 || v > 3600) bad("http.read_timeout_seconds", fmt::format("expected 1..3600 seconds, got {}", v));
      c.http.read_timeout_seconds = static_cast<int>(v);
    }
  }
  if (const auto* t = section(root, "web")) {
    check_keys(*t, "web", {"dir"});
    if (const auto* n = t->get("dir")) c.web.dir = get_string(*n, "web.dir");
  }
  if (root.get("spool")) {
    try {
      c.spool = spool::read_config(section(root, "spool"));
    } catch (const config_error&) {
      throw;
    } catch (const std::runtime_error& e) {
      throw config_error(e.what());  // already "spool.key: problem"
    }
  }
  if (const auto* t = section(root, "outbox")) {
    check_keys(*t, "outbox", {"retry_first_seconds", "retry_max_seconds", "max_attempts"});
    auto read = [&](const char* key, int& out, int lo, int hi) {
      if (const auto* n = t->get(key)) {
        auto v = get_int(*n, std::string("outbox.") + key);
        if (v < lo || v > hi) bad(std::string("outbox.") + key, fmt::format("expected {}..{}, got {}", lo, hi, v));
        out = static_cast<int>(v);
      }
    };
    read("retry_first_seconds", c.outbox.retry_first_seconds, 1, 86400);
    read("retry_max_seconds", c.outbox.retry_max_seconds, 1, 7 * 86400);
    read("max_attempts", c.outbox.max_attempts, 1, 100);
    if (c.outbox.retry_max_seconds < c.outbox.retry_first_seconds)
      bad("outbox.retry_max_seconds", "must not be shorter than outbox.retry_first_seconds");
  }
  if (const auto* t = section(root, "attachments")) {
    check_keys(*t, "attachments", {"dir", "max_bytes"});
    if (const auto* n = t->get("dir")) c.attachments.dir = get_string(*n, "attachments.dir");
    if (c.attachments.dir.empty()) bad("attachments.dir", "must not be empty");
    if (const auto* n = t->get("max_bytes")) {
      auto v = get_int(*n, "attachments.max_bytes");
      if (v < 1024 || v > std::int64_t(1) << 32)
        bad("attachments.max_bytes", fmt::format("expected 1024..4294967296 bytes, got {}", v));
      c.attachments.max_bytes = static_cast<std::uint64_t>(v);
    }
  }
  if (const auto* t = section(root, "channels")) {
    for (const auto& [k, v] : *t) {
      std::string name(k.str());
      if (!v.is_table()) bad("channels." + name, fmt::format("expected a [channels.{}] table", name));
      c.channels[name] = *v.as_table();
    }
  }
  if (const auto* t = section(root, "auth")) apply_auth(c, *t);
  if (const auto* t = section(root, "log")) {
    check_keys(*t, "log", {"level", "format"});
    if (const auto* n = t->get("level")) {
      c.log.level = get_string(*n, "log.level");
      if (c.log.level != "debug" && c.log.level != "info" && c.log.level != "warn" && c.log.level != "error")
        bad("log.level", fmt::format("expected debug, info, warn or error, got '{}'", c.log.level));
    }
    if (const auto* n = t->get("format")) {
      c.log.format = get_string(*n, "log.format");
      if (c.log.format != "text" && c.log.format != "json")
        bad("log.format", fmt::format("expected \"text\" or \"json\", got '{}'", c.log.format));
    }
  }
}

toml::table parse_toml(const std::string& text, const std::string& name) {
  try {
    return toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    throw config_error(fmt::format("line {} column {}: {}", where.line, where.column, e.description()));
  }
}

bool is_playbook_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

// ./playbooks/bookkeeping (a checkout or a working directory with its own set), then
// next to an installed program, then the source tree the program was built from.
std::string find_default_playbooks(const std::string& executable_path) {
  std::vector<fs::path> candidates{fs::path("playbooks") / "bookkeeping"};
  if (!executable_path.empty()) {
    std::error_code ec;
    auto exe = fs::weakly_canonical(fs::path(executable_path), ec);
    if (!ec) candidates.push_back(exe.parent_path().parent_path() / "share" / "reglament" / "playbooks" / "bookkeeping");
  }
  if (*REGLAMENT_SOURCE_DIR) candidates.push_back(fs::path(REGLAMENT_SOURCE_DIR) / "playbooks" / "bookkeeping");
  for (const auto& c : candidates)
    if (is_playbook_dir(c)) return c.string();
  return candidates.front().string();  // reported as missing at start-up
}

// ./web (a checkout), then next to an installed program, then the source tree.
std::string find_default_web(const std::string& executable_path) {
  std::vector<fs::path> candidates{fs::path("web")};
  if (!executable_path.empty()) {
    std::error_code ec;
    auto exe = fs::weakly_canonical(fs::path(executable_path), ec);
    if (!ec) candidates.push_back(exe.parent_path().parent_path() / "share" / "reglament" / "web");
  }
  if (*REGLAMENT_SOURCE_DIR) candidates.push_back(fs::path(REGLAMENT_SOURCE_DIR) / "web");
  std::error_code ec;
  for (const auto& c : candidates)
    if (fs::is_regular_file(c / "index.html", ec)) return c.string();
  return candidates.front().string();  // the daemon warns that the app is missing
}

std::string find_default_firm(const std::string& playbooks_dir) {
  fs::path dir(playbooks_dir);
  std::error_code ec;
  if (fs::is_regular_file(dir / "firm.yaml", ec)) return (dir / "firm.yaml").string();
  // The shipped set keeps its demo firm in firm/.
  auto beside = firm_file::beside(playbooks_dir);
  return beside.empty() ? (dir / "firm.yaml").string() : beside;
}

// Beside the playbooks (a checkout's playbooks/calendar), then where the playbooks are
// searched for: the working directory, next to an installed program, the source tree.
std::string find_default_calendar(const std::string& playbooks_dir, const std::string& executable_path) {
  if (auto beside = production_calendar::beside(playbooks_dir); !beside.empty()) return beside;
  std::vector<fs::path> candidates{fs::path("playbooks") / "calendar" / "ru.yaml"};
  if (!executable_path.empty()) {
    std::error_code ec;
    auto exe = fs::weakly_canonical(fs::path(executable_path), ec);
    if (!ec) candidates.push_back(exe.parent_path().parent_path() / "share" / "reglament" / "playbooks" / "calendar" / "ru.yaml");
  }
  if (*REGLAMENT_SOURCE_DIR) candidates.push_back(fs::path(REGLAMENT_SOURCE_DIR) / "playbooks" / "calendar" / "ru.yaml");
  std::error_code ec;
  for (const auto& c : candidates)
    if (fs::is_regular_file(c, ec)) return c.string();
  return candidates.front().string();  // reported as missing at start-up
}

}  // namespace

const char* default_config_text() { return defaults; }

bool parse_listen(const std::string& text, std::string& host, unsigned short& port) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= text.size()) return false;
  std::string h = text.substr(0, colon);
  if (h.front() == '[') {
    if (h.back() != ']' || h.size() < 3) return false;
    h = h.substr(1, h.size() - 2);
  }
  unsigned v = 0;
  const char* b = text.data() + colon + 1;
  const char* e = text.data() + text.size();
  auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e || v > 65535) return false;
  host = h;
  port = static_cast<unsigned short>(v);
  return true;
}

daemon_config load_config(const std::optional<std::string>& file, const overrides& o,
                          const std::string& executable_path) {
  daemon_config c;
  try {
    apply(c, parse_toml(defaults, "(defaults)"));
  } catch (const config_error& e) {
    throw config_error(fmt::format("config (defaults): {}", e.what()));  // a bug: defaults must parse
  }
  if (file) {
    c.source = *file;
    try {
      std::error_code ec;
      if (!fs::is_regular_file(*file, ec)) throw config_error("no such file");
      auto table = [&] {
        try {
          return toml::parse_file(*file);
        } catch (const toml::parse_error& e) {
          const auto& where = e.source().begin;
          throw config_error(fmt::format("line {} column {}: {}", where.line, where.column, e.description()));
        }
      }();
      apply(c, table);
    } catch (const config_error& e) {
      throw config_error(fmt::format("config {}: {}", *file, e.what()));
    }
  }
  if (o.listen && !parse_listen(*o.listen, c.http.host, c.http.port))
    throw config_error(fmt::format("--listen: expected HOST:PORT, got '{}'", *o.listen));
  if (o.data_dir) {
    if (o.data_dir->empty()) throw config_error("--data-dir: must not be empty");
    c.store.path = (fs::path(*o.data_dir) / "reglament.db").string();
    c.spool.dir = (fs::path(*o.data_dir) / "spool").string();
    c.attachments.dir = (fs::path(*o.data_dir) / "attachments").string();
  }
  if (o.playbooks) c.playbooks.dir = *o.playbooks;
  if (o.bootstrap_token_file) c.auth.bootstrap_token_file = *o.bootstrap_token_file;
  if (c.playbooks.dir.empty()) c.playbooks.dir = find_default_playbooks(executable_path);
  if (c.firm.file.empty()) c.firm.file = find_default_firm(c.playbooks.dir);
  if (c.calendar.file.empty()) c.calendar.file = find_default_calendar(c.playbooks.dir, executable_path);
  if (c.web.dir.empty()) c.web.dir = find_default_web(executable_path);
  return c;
}

}  // namespace reglament::daemon
