#include "adapters/http/router/studio.hpp"

#include "adapters/http/router/json_limits.hpp"

#include "adapters/http/router/request_parts.hpp"

#include "engine/duration.hpp"
#include "engine/firm_file.hpp"
#include "engine/interpreter.hpp"
#include "engine/playbook_graph.hpp"
#include "engine/playbook_loader.hpp"
#include "engine/sandbox.hpp"
#include "engine/story.hpp"
#include "engine/store/sqlite_store.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

namespace reglament::http {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* json_type = "application/json; charset=utf-8";

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

struct invalid {
  int status;
  std::string code, message, field;
  json extra = nullptr;  // merged into the body (diagnostics)
};

struct ctx {
  unsigned version = 11;
  bool keep_alive = true;
  boost::beast::http::verb method{};
  std::string path;
  std::map<std::string, std::string> query;
  std::string body;
  std::function<void(reply)> respond;
  bool answered = false;
  std::string actor;        // who decides: the person's login, or what a program's token names
  bool person = false;      // a person (session): acts only as themselves

  void finish(response res) {
    if (answered) return;
    answered = true;
    respond(reply{std::move(res), 0});
  }
  void send_typed(int status, const char* type, std::string body_text) {
    response res{static_cast<beast_http::status>(status), version};
    res.set(beast_http::field::content_type, type);
    res.keep_alive(keep_alive);
    res.body() = std::move(body_text);
    res.prepare_payload();
    finish(std::move(res));
  }
  void send(int status, const json& j) { send_typed(status, json_type, dump(j)); }
  void fail(const invalid& e) {
    json err = {{"code", e.code}, {"message", e.message}};
    if (!e.field.empty()) err["field"] = e.field;
    json b = {{"error", err}};
    if (e.extra.is_object())
      for (const auto& [k, v] : e.extra.items()) b[k] = v;
    send(e.status, b);
  }
};
using ctx_ptr = std::shared_ptr<ctx>;

std::vector<std::string> split_path(std::string_view p) {
  std::vector<std::string> out;
  while (!p.empty()) {
    auto slash = p.find('/');
    auto part = p.substr(0, slash);
    if (!part.empty()) out.push_back(percent_decode(part));
    if (slash == std::string_view::npos) break;
    p = p.substr(slash + 1);
  }
  return out;
}

json body_object(const std::string& body, const std::set<std::string>& allowed) {
  try {
    auto j = parse_json_object(body.empty() ? std::string("{}") : body);
    only_fields(j, allowed);
    return j;
  } catch (const invalid_request& e) {
    throw invalid{e.status, e.code, e.message, e.field};
  }
}

std::optional<std::string> text_field(const json& j, const std::string& name, bool required) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) {
    if (required) throw invalid{400, "missing_field", fmt::format("field '{}' is required", name), name};
    return std::nullopt;
  }
  if (!it->is_string()) throw invalid{400, "wrong_type", fmt::format("field '{}' must be a string", name), name};
  return it->get<std::string>();
}

std::optional<int> int_field(const json& j, const std::string& name) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer())
    throw invalid{400, "wrong_type", fmt::format("field '{}' must be a whole number", name), name};
  return it->get<int>();
}

json diagnostic_json(const diagnostic& d) {
  return {{"level", d.level == severity::error ? "error" : "warning"},
          {"file", d.pos.file},
          {"line", d.pos.line},
          {"column", d.pos.column},
          {"step", d.step},
          {"message", d.message},
          {"text", d.to_string()}};
}

json diagnostics_json(const diagnostics& ds) {
  json out = json::array();
  for (const auto& d : ds) out.push_back(diagnostic_json(d));
  return out;
}

int count_errors(const diagnostics& ds) {
  int n = 0;
  for (const auto& d : ds) n += d.level == severity::error;
  return n;
}

json trigger_json(const trigger& t) {
  return {{"channels", t.channels}, {"from", t.from},   {"schedule", t.schedule},
          {"manual", t.manual},     {"situation", t.situation}};
}

json playbook_json(const playbook& b) {
  return {{"id", b.id},
          {"title", b.title},
          {"description", b.description},
          {"version", b.version},
          {"file", fs::path(b.file).filename().string()},
          {"sha256", b.sha256},
          {"trigger", trigger_json(b.on)},
          {"steps", b.steps.size()},
          {"templates", b.templates.size()}};
}

json version_json(const stored_playbook_version& v) {
  return {{"version", v.version},
          {"sha256", v.sha256},
          {"file", fs::path(v.file).filename().string()},
          {"loaded_at", to_iso8601(v.loaded_at)}};
}

json graph_json(const playbook& b) {
  auto g = build_graph(b);
  json nodes = json::array(), edges = json::array();
  for (const auto& n : g.nodes)
    nodes.push_back({{"id", n.id}, {"title", n.title}, {"kind", n.kind}, {"kind_title", n.kind_title}, {"line", n.line}});
  for (const auto& e : g.edges) edges.push_back({{"from", e.from}, {"to", e.to}, {"label", e.label}});
  return {{"id", b.id}, {"title", b.title}, {"nodes", nodes}, {"edges", edges}};
}

// Writes `text` to `path` through a temporary file in the same folder, flushed to disk
// before the rename, so a crash leaves either the old file or the new one.
void write_file_durably(const std::string& path, const std::string& text, std::string* tmp_out = nullptr) {
  static std::atomic<int> counter{0};
  auto tmp = fmt::format("{}.tmp-{}-{}", path, ::getpid(), ++counter);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(fmt::format("{}: cannot create: {}", tmp, std::strerror(errno)));
  std::size_t done = 0;
  while (done < text.size()) {
    auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      auto err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw std::runtime_error(fmt::format("{}: cannot write: {}", tmp, std::strerror(err)));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw std::runtime_error(fmt::format("{}: cannot flush to disk: {}", tmp, std::strerror(errno)));
  }
  if (tmp_out) {  // the caller renames it later
    *tmp_out = tmp;
    return;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto err = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error(fmt::format("{}: cannot replace: {}", path, std::strerror(err)));
  }
}

void rename_durably(const std::string& tmp, const std::string& path) {
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto err = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error(fmt::format("{}: cannot replace: {}", path, std::strerror(err)));
  }
  auto dir = fs::path(path).parent_path();
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw invalid{500, "internal", fmt::format("{}: cannot read", path), {}};
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// --- Firm file parts ------------------------------------------------------------------

// The top-level sections of a firm file a part editor shows. Each spans from its key's
// line to the line before the next top-level key, less the comments and blank lines
// that lead into the next key (they belong to it).
const std::set<std::string> firm_parts{"services", "tariffs", "pricing", "staff", "sla"};

struct firm_section {
  std::string name;
  std::size_t first = 0, end = 0;  // line indexes [first, end)
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::string line;
  std::istringstream in(text);
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

std::vector<firm_section> sections_of(const std::vector<std::string>& lines) {
  static const std::regex key(R"(^([A-Za-z_][A-Za-z0-9_]*)\s*:.*)");
  std::vector<firm_section> out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::smatch m;
    if (std::regex_match(lines[i], m, key)) {
      if (!out.empty()) out.back().end = i;
      out.push_back({m[1], i, lines.size()});
    }
  }
  for (auto& s : out) {
    while (s.end > s.first + 1) {
      const auto& l = lines[s.end - 1];
      auto nonblank = l.find_first_not_of(" \t\r");
      if (nonblank == std::string::npos || (l[nonblank] == '#' && nonblank == 0)) {
        --s.end;
        continue;
      }
      break;
    }
  }
  return out;
}

std::string join_lines(const std::vector<std::string>& lines, std::size_t from, std::size_t to) {
  std::string out;
  for (std::size_t i = from; i < to && i < lines.size(); ++i) out += lines[i] + "\n";
  return out;
}

// The firm file with part `name` replaced by `yaml`; `offset` is the part's first line
// (0-based) in the result, `part_lines` how many lines it has.
struct spliced {
  std::string text;
  std::size_t offset = 0, part_lines = 0;
};

spliced splice_part(const std::string& source, const std::string& name, const std::string& yaml) {
  auto lines = lines_of(source);
  auto secs = sections_of(lines);
  auto part = lines_of(yaml);
  while (!part.empty() && part.back().find_first_not_of(" \t\r") == std::string::npos) part.pop_back();
  spliced out;
  out.part_lines = part.size();
  for (const auto& s : secs)
    if (s.name == name) {
      out.offset = s.first;
      out.text = join_lines(lines, 0, s.first) + join_lines(part, 0, part.size()) + join_lines(lines, s.end, lines.size());
      return out;
    }
  // Not in the file yet: appended.
  out.text = source;
  if (!out.text.empty() && out.text.back() != '\n') out.text += '\n';
  out.offset = lines_of(out.text).size();
  out.text += join_lines(part, 0, part.size());
  return out;
}

// --- Rehearsals -------------------------------------------------------------------------

struct rehearsal {
  std::mutex mutex;
  std::string id;
  std::unique_ptr<sqlite_store> st;
  playbook_library books;
  std::shared_ptr<const firm_file> firm;
  std::unique_ptr<sandbox> box;
  std::string playbook_id, channel, sender, client_id, client_name;
  case_id case_no = 0;
  int external = 0;
  json log = json::array();  // what happened, in order: {at, who, text, buttons?}
  std::chrono::steady_clock::time_point used = std::chrono::steady_clock::now();

  std::string local(timestamp t) const {
    auto l = t + box->calendar().utc_offset();
    auto days = std::chrono::floor<std::chrono::days>(l);
    std::chrono::year_month_day ymd{days};
    std::chrono::hh_mm_ss hms{std::chrono::floor<std::chrono::minutes>(l - days)};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                       static_cast<unsigned>(ymd.day()), hms.hours().count(), hms.minutes().count());
  }
  void note(const std::string& who, const std::string& text, json extra = nullptr) {
    json e = {{"at", local(box->clock().now())}, {"who", who}, {"text", text}};
    if (extra.is_object())
      for (const auto& [k, v] : extra.items()) e[k] = v;
    log.push_back(e);
  }
  void collect_messages() {
    if (!case_no) return;
    for (bool staff : {false, true})
      for (const auto& m : box->unread(case_no, staff)) {
        box->mark_read(m);
        note(staff ? "staff" : "to_client", m.text, {{"to", m.to}, {"buttons", m.buttons}});
      }
  }
  json state_json() {
    json out = {{"id", id},
                {"playbook", playbook_id},
                {"clock", local(box->clock().now())},
                {"client", {{"id", client_id}, {"name", client_name}, {"sender", sender}, {"channel", channel}}},
                {"log", log},
                {"case", nullptr}};
    if (auto pb = books.latest(playbook_id)) out["version"] = pb->version;
    if (!case_no) return out;
    auto s = st->load_case(case_no);
    if (!s) return out;
    json step = nullptr;
    auto pb = books.version(s->playbook, s->version, st.get());
    if (const auto* stp = pb ? pb->find_step(s->step) : nullptr; stp && !s->closed()) {
      interpreter interp(box->engine().context());
      json choices = json::array();
      for (const auto& e : stp->exits)
        if (e.key != "timeout")
          choices.push_back({{"key", e.key}, {"label", e.label.empty() ? e.key : e.label}, {"target", e.target}});
      json fields = json::array();
      for (const auto& f : stp->fields) fields.push_back({{"variable", f.variable}, {"label", f.label}});
      step = {{"id", stp->id},
              {"title", stp->title.empty() ? stp->id : stp->title},
              {"kind", to_string(stp->kind)},
              {"line", stp->pos.line},
              {"prompt", interp.render_text(*s, *pb, stp->prompt)},
              {"instruction", interp.render_text(*s, *pb, stp->instruction)},
              {"choices", choices},
              {"fields", fields}};
    }
    json facts = json::array();
    for (const auto& e : st->journal(case_no))
      facts.push_back({{"seq", e.seq}, {"at", local(e.what.at)}, {"kind", to_string(e.what.kind)},
                       {"step", e.what.step}, {"data", e.what.data}});
    json timers = json::array();
    for (const auto& t : s->timers) timers.push_back({{"due", local(t.due)}, {"step", t.step}, {"purpose", t.purpose}});
    out["case"] = {{"id", case_no},          {"status", to_string(s->status)}, {"playbook", s->playbook},
                   {"version", s->version},  {"step", step},                   {"outcome", s->outcome},
                   {"error", s->error},      {"vars", s->vars},                {"closed", s->closed()},
                   {"timers", timers},       {"facts", facts}};
    return out;
  }
};

}  // namespace

json proposal_json(const proposal& p);

struct studio::impl {
  writer& w;
  store& wstore;
  read_pool& reads;
  playbook_library& books;
  studio_options opt;
  std::mutex firm_mutex;     // one firm deploy at a time
  std::mutex stories_mutex;  // one story run at a time (run_stories is not reentrant)
  std::mutex rehearsals_mutex;
  std::map<std::string, std::shared_ptr<rehearsal>> rehearsals;

  impl(writer& wr, store& ws, read_pool& r, playbook_library& b, studio_options o)
      : w(wr), wstore(ws), reads(r), books(b), opt(std::move(o)) {}

  timestamp now() const { return opt.now->now(); }

  void route(const ctx_ptr& c);
  // Playbooks
  void list_playbooks(const ctx_ptr& c);
  playbook_ptr need_latest(const std::string& id);
  draft_check check_body_draft(const std::string& id, const json& j, const std::string& field = "yaml");
  void validate(const ctx_ptr& c, const std::string& id);
  void graph(const ctx_ptr& c, const std::string& id);
  void run_tests(const ctx_ptr& c, const std::string& id);
  void deploy(const ctx_ptr& c, const std::string& id);
  // Rehearsals
  std::shared_ptr<rehearsal> find_rehearsal(const std::string& rid);
  void start_rehearsal(const ctx_ptr& c);
  void rehearsal_route(const ctx_ptr& c, const std::vector<std::string>& parts);
  // Firm
  const firm_file& need_firm();
  void firm_get(const ctx_ptr& c);
  void firm_part(const ctx_ptr& c, const std::string& part, bool deploy);
  // Proposals
  proposal_book& need_proposals();
  void list_proposals(const ctx_ptr& c);
  void decide_proposal(const ctx_ptr& c, std::int64_t id, const std::string& what);
};

studio::studio(writer& w, store& writer_store, read_pool& reads, playbook_library& books, studio_options opt)
    : impl_(std::make_unique<impl>(w, writer_store, reads, books, std::move(opt))) {}

studio::~studio() = default;

bool studio::owns(std::string_view p) {
  for (std::string_view prefix : {"/api/v1/playbooks", "/api/v1/firm", "/api/v1/proposals", "/api/v1/rehearsals"})
    if (p.rfind(prefix, 0) == 0 && (p.size() == prefix.size() || p[prefix.size()] == '/')) return true;
  return false;
}

void studio::handle(request&& req, const principal& who, std::function<void(reply)> respond) {
  auto c = std::make_shared<ctx>();
  c->actor = who.signed_in() ? who.actor() : "owner";
  c->person = who.how == principal::via::session;
  c->version = req.version();
  c->keep_alive = req.keep_alive();
  c->method = req.method();
  std::string_view target(req.target().data(), req.target().size());
  auto q = target.find('?');
  c->path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) c->query = parse_query(target.substr(q + 1));
  c->body = std::move(req.body());
  c->respond = std::move(respond);
  try {
    impl_->route(c);
  } catch (const invalid& e) {
    c->fail(e);
  } catch (const std::exception& e) {
    c->fail({500, "internal", e.what(), {}});
  }
}

namespace {

using verb = boost::beast::http::verb;

void need(const ctx_ptr& c, verb v) {
  if (c->method != v) throw invalid{405, "method_not_allowed", fmt::format("use {}", std::string(to_string(v))), {}};
}

}  // namespace

void studio::impl::route(const ctx_ptr& c) {
  auto parts = split_path(c->path);  // api, v1, area, ...
  const auto n = parts.size();
  const std::string& area = parts[2];
  if (area == "playbooks") {
    if (n == 3) return need(c, verb::get), list_playbooks(c);
    const std::string& id = parts[3];
    if (n == 4) {
      need(c, verb::get);
      auto pb = need_latest(id);
      auto j = playbook_json(*pb);
      j["source"] = pb->source;
      return c->send(200, {{"playbook", j}});
    }
    const std::string& what = parts[4];
    if (what == "versions" && n == 5) {
      need(c, verb::get);
      need_latest(id);
      json out = json::array();
      auto latest = books.latest(id)->version;
      {
        auto st = reads.acquire();
        for (const auto& v : st->playbook_versions(id)) {
          auto j = version_json(v);
          j["deployed"] = v.version == latest;
          out.push_back(j);
        }
      }
      return c->send(200, {{"playbook", id}, {"deployed", latest}, {"versions", out}});
    }
    if (what == "versions" && n == 6) {
      need(c, verb::get);
      auto v = parse_int(parts[5]);
      std::optional<stored_playbook_version> row;
      if (v) {
        auto st = reads.acquire();
        row = st->playbook_version(id, static_cast<int>(*v));
      }
      if (!row) throw invalid{404, "not_found", fmt::format("playbook '{}' has no version '{}'", id, parts[5]), {}};
      auto j = version_json(*row);
      j["playbook"] = id;
      j["source"] = row->source;
      return c->send(200, {{"version", j}});
    }
    if (n == 5 && what == "validate") return need(c, verb::post), validate(c, id);
    if (n == 5 && what == "graph") return graph(c, id);
    if (n == 5 && what == "tests") return need(c, verb::post), run_tests(c, id);
    if (n == 5 && what == "deploy") return need(c, verb::post), deploy(c, id);
  } else if (area == "rehearsals") {
    if (n == 3) return need(c, verb::post), start_rehearsal(c);
    return rehearsal_route(c, parts);
  } else if (area == "firm") {
    if (n == 3) return need(c, verb::get), firm_get(c);
    if (n == 5 && firm_parts.count(parts[3]) && (parts[4] == "validate" || parts[4] == "deploy"))
      return need(c, verb::post), firm_part(c, parts[3], parts[4] == "deploy");
    if (n >= 4 && !firm_parts.count(parts[3]))
      throw invalid{404, "not_found",
                    fmt::format("no firm file part '{}' (services, tariffs, pricing, staff, sla)", parts[3]), {}};
  } else if (area == "proposals") {
    if (n == 3) return need(c, verb::get), list_proposals(c);
    auto id = parse_int(parts[3]);
    if (!id) throw invalid{404, "not_found", fmt::format("no proposal '{}'", parts[3]), {}};
    if (n == 4) {
      need(c, verb::get);
      auto p = need_proposals().get(*id);
      if (!p) throw invalid{404, "not_found", fmt::format("no proposal {}", *id), {}};
      return c->send(200, {{"proposal", proposal_json(*p)}});
    }
    if (n == 5 && (parts[4] == "dismiss" || parts[4] == "branch"))
      return need(c, verb::post), decide_proposal(c, *id, parts[4]);
  }
  throw invalid{404, "not_found", fmt::format("no such endpoint: {}", c->path), {}};
}

// --- Playbooks ---------------------------------------------------------------------------

playbook_ptr studio::impl::need_latest(const std::string& id) {
  auto pb = books.latest(id);
  if (!pb) throw invalid{404, "not_found", fmt::format("no playbook '{}'", id), {}};
  return pb;
}

void studio::impl::list_playbooks(const ctx_ptr& c) {
  json out = json::array();
  auto all = books.latest_all();
  auto st = reads.acquire();
  for (const auto& b : all) {
    auto j = playbook_json(*b);
    j["versions"] = st->playbook_versions(b->id).size();
    out.push_back(j);
  }
  c->send(200, {{"playbooks", out}});
}

// The draft in field `yaml`, checked as `reglament validate` would check the folder with
// it in place. A new playbook (no such id yet) is allowed; a draft whose id differs from
// the URL's is an error at its `id:`.
draft_check studio::impl::check_body_draft(const std::string& id, const json& j, const std::string& field) {
  auto yaml = *text_field(j, field, true);
  auto latest = books.latest(id);
  auto file = latest ? fs::path(latest->file).filename().string() : id + ".yaml";
  auto r = books.check_draft(yaml, file);
  if (r.book && r.book->id != id)
    r.problems.push_back({severity::error, r.book->pos.line ? r.book->pos : source_pos{file, 1, 1}, "",
                          fmt::format("this is playbook '{}'; the studio opened '{}' (a playbook keeps its id)",
                                      r.book->id, id)});
  std::stable_sort(r.problems.begin(), r.problems.end(), [](const diagnostic& a, const diagnostic& b) {
    return std::tie(a.pos.line, a.pos.column) < std::tie(b.pos.line, b.pos.column);
  });
  return r;
}

void studio::impl::validate(const ctx_ptr& c, const std::string& id) {
  auto j = body_object(c->body, {"yaml"});
  auto r = check_body_draft(id, j);
  int errors = count_errors(r.problems);
  c->send(200, {{"ok", errors == 0},
                {"errors", errors},
                {"warnings", static_cast<int>(r.problems.size()) - errors},
                {"diagnostics", diagnostics_json(r.problems)}});
}

// GET ?version=N&format=json|svg|dot|mermaid (the deployed version by default), or POST
// {yaml, format} for a draft (drawn even with errors, as `reglament graph` does).
void studio::impl::graph(const ctx_ptr& c, const std::string& id) {
  std::string format = "json";
  playbook_ptr book;
  json problems = json::array();
  if (c->method == verb::get) {
    for (const auto& [k, v] : c->query) {
      if (k == "format") {
        format = v;
      } else if (k == "version") {
        auto n = parse_int(v);
        if (!n) throw invalid{400, "bad_query", "version must be a number", "version"};
        auto st = reads.acquire();
        book = books.version(id, static_cast<int>(*n), nullptr);
        if (!book) {
          auto row = st->playbook_version(id, static_cast<int>(*n));
          if (!row) throw invalid{404, "not_found", fmt::format("playbook '{}' has no version {}", id, *n), {}};
          auto r = load_playbook_text(row->source, row->file);
          if (!r.book) throw invalid{500, "internal", "stored version does not parse", {}};
          r.book->version = row->version;
          book = std::make_shared<const playbook>(std::move(*r.book));
        }
      } else {
        throw invalid{400, "unknown_field", fmt::format("unknown query parameter '{}'", k), k};
      }
    }
    if (!book) book = need_latest(id);
  } else if (c->method == verb::post) {
    auto j = body_object(c->body, {"yaml", "format"});
    format = text_field(j, "format", false).value_or("json");
    auto r = check_body_draft(id, j);
    problems = diagnostics_json(r.problems);
    if (!r.book)
      throw invalid{422, "invalid", "the draft cannot be read as YAML; fix the errors first", {},
                    {{"diagnostics", problems}}};
    book = std::make_shared<const playbook>(std::move(*r.book));
  } else {
    throw invalid{405, "method_not_allowed", "use GET or POST", {}};
  }
  if (format == "svg") return c->send_typed(200, "image/svg+xml; charset=utf-8", render_graph(*book, graph_format::svg));
  if (format == "dot") return c->send_typed(200, "text/vnd.graphviz; charset=utf-8", render_graph(*book, graph_format::dot));
  if (format == "mermaid") return c->send_typed(200, "text/plain; charset=utf-8", render_graph(*book, graph_format::mermaid));
  if (format != "json") throw invalid{400, "bad_query", "format must be json, svg, dot or mermaid", "format"};
  auto g = graph_json(*book);
  g["version"] = book->version;
  g["svg"] = render_graph(*book, graph_format::svg);
  g["diagnostics"] = problems;
  c->send(200, {{"graph", g}});
}

// Plays the conversation tests that mention the playbook (or all with {"all": true})
// against the draft in place of the deployed version, in a scratch copy of the folder:
// the playbooks, the firm file as firm/NAME, and the stories.
void studio::impl::run_tests(const ctx_ptr& c, const std::string& id) {
  auto j = body_object(c->body, {"yaml", "all"});
  bool all = j.value("all", false);
  auto latest = books.latest(id);
  std::string yaml;
  if (j.contains("yaml") && !j["yaml"].is_null()) {
    yaml = *text_field(j, "yaml", true);
  } else {
    if (!latest) throw invalid{404, "not_found", fmt::format("no playbook '{}'", id), {}};
    yaml = latest->source;
  }
  auto file = latest ? fs::path(latest->file).filename().string() : id + ".yaml";
  fs::path stories_dir = fs::path(opt.playbooks_dir) / "stories";
  std::vector<fs::path> stories;
  std::error_code ec;
  static const std::regex word_chars("[A-Za-z0-9_]");
  if (fs::is_directory(stories_dir, ec))
    for (const auto& e : fs::recursive_directory_iterator(stories_dir, ec)) {
      auto name = e.path().filename().string();
      if (!e.is_regular_file() || !name.ends_with(".story.yaml")) continue;
      if (!all) {  // mentions the id as a whole word
        auto text = read_file(e.path().string());
        bool found = false;
        for (auto pos = text.find(id); pos != std::string::npos && !found; pos = text.find(id, pos + 1)) {
          auto before = pos == 0 ? ' ' : text[pos - 1];
          auto after = pos + id.size() < text.size() ? text[pos + id.size()] : ' ';
          found = !std::regex_match(std::string(1, before), word_chars) && !std::regex_match(std::string(1, after), word_chars);
        }
        if (!found) continue;
      }
      stories.push_back(e.path());
    }
  std::sort(stories.begin(), stories.end());

  std::lock_guard lock(stories_mutex);
  char tmpl[] = "/tmp/reglament-studio-XXXXXX";
  if (!::mkdtemp(tmpl)) throw invalid{500, "internal", "cannot create a scratch folder for the stories", {}};
  fs::path scratch(tmpl);
  struct cleanup {
    fs::path p;
    ~cleanup() {
      std::error_code e;
      fs::remove_all(p, e);
    }
  } guard{scratch};
  for (const auto& e : fs::directory_iterator(opt.playbooks_dir, ec)) {
    auto name = e.path().filename().string();
    if (e.is_regular_file() && e.path().extension() == ".yaml" && !name.ends_with(".story.yaml") && name != file)
      fs::copy_file(e.path(), scratch / name);
  }
  {
    std::ofstream out(scratch / file, std::ios::binary);
    out << yaml;
  }
  if (!opt.firm_path.empty()) {
    fs::create_directories(scratch / "firm");
    fs::copy_file(opt.firm_path, scratch / "firm" / fs::path(opt.firm_path).filename());
  }
  fs::create_directories(scratch / "stories");
  for (const auto& s : stories) fs::copy_file(s, scratch / "stories" / s.filename(), fs::copy_options::overwrite_existing);

  json results = json::array();
  story_options so;
  so.make_store = [] { return std::make_unique<sqlite_store>(":memory:"); };
  so.on_story = [&](const std::string& name, bool passed) { results.push_back({{"story", name}, {"passed", passed}}); };
  story_report report;
  if (!stories.empty()) report = run_stories((scratch / "stories").string(), so);
  for (auto& r : results) {
    json failures = json::array();
    for (const auto& f : report.failures)
      if (f.story == r["story"])
        failures.push_back({{"file", fs::path(f.pos.file).filename().string()}, {"line", f.pos.line}, {"message", f.message}});
    r["failures"] = failures;
  }
  json coverage = json::array();
  for (const auto& cv : report.coverage)
    if (cv.playbook == id) coverage.push_back({{"playbook", cv.playbook}, {"total", cv.total}, {"missed", cv.missed}});
  json files = json::array();
  for (const auto& s : stories) files.push_back(s.filename().string());
  c->send(200, {{"ok", report.ok() && !stories.empty()},
                {"files", files},
                {"stories", report.stories},
                {"passed", report.passed},
                {"failed", report.stories - report.passed},
                {"results", results},
                {"problems", diagnostics_json(report.problems)},
                {"coverage", coverage}});
}

void studio::impl::deploy(const ctx_ptr& c, const std::string& id) {
  auto j = body_object(c->body, {"yaml", "base_version", "actor"});
  auto base = int_field(j, "base_version");
  auto r = check_body_draft(id, j);
  if (count_errors(r.problems) > 0 || !r.book)
    throw invalid{422, "invalid",
                  fmt::format("the draft has {} errors; nothing was deployed", std::max(1, count_errors(r.problems))), {},
                  {{"diagnostics", diagnostics_json(r.problems)}}};
  auto latest = books.latest(id);
  if (base && latest && latest->version != *base)
    throw invalid{409, "conflict",
                  fmt::format("playbook '{}' is at version {} now, the draft was made from version {}; "
                              "reload it and apply your changes again",
                              id, latest->version, *base),
                  "base_version"};
  {
    auto st = reads.acquire();
    for (const auto& v : st->playbook_versions(id))
      if (v.sha256 == r.book->sha256)
        throw invalid{409, "conflict",
                      latest && v.version == latest->version
                          ? fmt::format("nothing to deploy: the draft is the deployed version {}", v.version)
                          : fmt::format("the draft is the text of version {} exactly; change it to deploy it as a new "
                                        "version",
                                        v.version),
                      "yaml"};
  }
  auto name = latest ? fs::path(latest->file).filename().string() : id + ".yaml";
  auto path = (fs::path(opt.playbooks_dir) / name).string();
  auto book = std::make_shared<playbook>(std::move(*r.book));
  book->file = path;
  std::string tmp;
  write_file_durably(path, book->source, &tmp);
  auto version = std::make_shared<int>(0);
  auto at = now();
  auto* st = &wstore;
  w.submit(
      [book, version, st, at](case_engine&) {
        *version = st->register_playbook(*book, at);
        return engine_result{};
      },
      [this, c, book, version, tmp, path](const engine_result& res) {
        if (!res.error.empty()) {
          ::unlink(tmp.c_str());
          return c->fail({503, "unavailable", fmt::format("the new version was not stored: {}", res.error), {}});
        }
        book->version = *version;
        books.add(book);  // new cases start on it from now on
        std::string file_error;
        try {
          rename_durably(tmp, path);
        } catch (const std::exception& e) {
          file_error = e.what();
        }
        auto out = playbook_json(*book);
        if (!file_error.empty())
          return c->fail({500, "internal",
                          fmt::format("version {} is deployed but its file was not written ({}); a restart would load "
                                      "the old file",
                                      *version, file_error),
                          {}});
        c->send(201, {{"playbook", out}, {"version", *version}, {"file", path}});
      });
}

// --- Rehearsals ----------------------------------------------------------------------------

std::shared_ptr<rehearsal> studio::impl::find_rehearsal(const std::string& rid) {
  std::lock_guard lock(rehearsals_mutex);
  auto it = rehearsals.find(rid);
  if (it == rehearsals.end())
    throw invalid{404, "not_found", fmt::format("no rehearsal '{}' (it may have been closed or replaced)", rid), {}};
  return it->second;
}

void studio::impl::start_rehearsal(const ctx_ptr& c) {
  auto j = body_object(c->body, {"playbook", "yaml", "client", "channel", "start"});
  auto id = *text_field(j, "playbook", true);
  auto r = std::make_shared<rehearsal>();
  r->playbook_id = id;
  r->channel = text_field(j, "channel", false).value_or("email");
  playbook_ptr draft;
  if (j.contains("yaml") && !j["yaml"].is_null()) {
    auto chk = check_body_draft(id, j);
    if (count_errors(chk.problems) > 0 || !chk.book)
      throw invalid{422, "invalid", "the draft has errors; fix them to rehearse it", {},
                    {{"diagnostics", diagnostics_json(chk.problems)}}};
    draft = std::make_shared<const playbook>(std::move(*chk.book));
  } else {
    draft = need_latest(id);
  }
  // The daemon's playbooks with the draft in place, registered in a scratch store.
  r->st = std::make_unique<sqlite_store>(":memory:");
  auto register_one = [&](const playbook& b) {
    auto copy = std::make_shared<playbook>(b);
    copy->version = r->st->register_playbook(*copy, timestamp{});
    r->books.add(copy);
  };
  for (const auto& b : books.latest_all())
    if (b->id != id) register_one(*b);
  register_one(*draft);

  if (opt.firm) r->firm = opt.firm->get();
  // Monday 10:00 firm time by default: a working morning, as `reglament rehearse` starts.
  std::string start = text_field(j, "start", false).value_or("2026-11-23T10:00");
  int y, mo, d, h, mi;
  if (std::sscanf(start.c_str(), "%d-%d-%dT%d:%d", &y, &mo, &d, &h, &mi) != 5)
    throw invalid{400, "bad_query", "start: expected YYYY-MM-DDTHH:MM (firm time)", "start"};
  weekly_calendar cal;
  auto t0 = std::chrono::time_point_cast<std::chrono::milliseconds>(
      std::chrono::sys_days(std::chrono::year_month_day{std::chrono::year(y), std::chrono::month(mo), std::chrono::day(d)}) +
      std::chrono::hours(h) + std::chrono::minutes(mi) - cal.utc_offset());
  r->box = std::make_unique<sandbox>(*r->st, r->books, r->firm.get(), t0);

  auto want = text_field(j, "client", false).value_or("");
  r->sender = "client@example.org";
  r->client_name = "неизвестный отправитель";
  if (r->firm) {
    const client_def* found = nullptr;
    for (const auto& x : r->firm->clients())
      if (x.info.id == want || (want.empty() && !found)) found = &x;
    if (!want.empty() && !found) throw invalid{422, "invalid", fmt::format("no client '{}' in the firm file", want), "client"};
    if (found) {
      r->client_id = found->info.id;
      r->client_name = found->info.name;
      for (const auto& k : found->contacts)
        if (k.channel == r->channel) {
          r->sender = k.address;
          break;
        }
    }
  }
  // A playbook a client message does not start (situations, manual, scheduled) starts now.
  auto pb = r->books.latest(id);
  auto by_message = r->books.for_channel(r->channel, !r->client_id.empty());
  if (!by_message || by_message->id != id) {
    auto res = r->box->start(id, r->client_id);
    if (!res.error.empty()) throw invalid{422, "invalid", fmt::format("the playbook did not start: {}", res.error), {}};
    r->case_no = res.id;
    r->note("system", fmt::format("Регламент «{}» запущен вручную", pb->title));
    r->collect_messages();
  }
  std::random_device rd;
  r->id = fmt::format("{:08x}{:08x}", rd(), rd());
  json state = r->state_json();
  {
    std::lock_guard lock(rehearsals_mutex);
    while (rehearsals.size() >= opt.max_rehearsals) {  // the least recently used goes
      auto oldest = rehearsals.begin();
      for (auto it = rehearsals.begin(); it != rehearsals.end(); ++it)
        if (it->second->used < oldest->second->used) oldest = it;
      rehearsals.erase(oldest);
    }
    rehearsals[r->id] = r;
  }
  c->send(201, {{"rehearsal", state}});
}

void studio::impl::rehearsal_route(const ctx_ptr& c, const std::vector<std::string>& parts) {
  const auto n = parts.size();
  auto r = find_rehearsal(parts[3]);
  if (n == 4 && c->method == verb::delete_) {
    std::lock_guard lock(rehearsals_mutex);
    rehearsals.erase(parts[3]);
    return c->send(200, {{"closed", parts[3]}});
  }
  std::lock_guard lock(r->mutex);
  r->used = std::chrono::steady_clock::now();
  if (n == 4) return need(c, verb::get), c->send(200, {{"rehearsal", r->state_json()}});
  if (n != 5) throw invalid{404, "not_found", fmt::format("no such endpoint: {}", c->path), {}};
  need(c, verb::post);
  const auto& what = parts[4];
  std::string refused;
  if (what == "messages") {
    auto j = body_object(c->body, {"text"});
    auto text = *text_field(j, "text", true);
    if (text.empty()) throw invalid{422, "invalid", "the client's message is empty", "text"};
    r->note("client", text);
    auto res = r->box->inbound({r->channel, fmt::format("rehearsal-{}", ++r->external), r->sender, "", text});
    if (!res.error.empty()) refused = res.error;
    if (!r->case_no && res.id) r->case_no = res.id;
  } else if (what == "actions") {
    if (!r->case_no) throw invalid{409, "conflict", "no case yet: the client writes first", {}};
    auto j = body_object(c->body, {"action", "step", "option", "values", "reason"});
    auto action = *text_field(j, "action", true);
    auto kind = staff_action_kind_from_string(action);
    if (!kind) throw invalid{400, "bad_action", fmt::format("unknown action '{}'", action), "action"};
    staff_action a;
    a.what = *kind;
    auto s = r->st->load_case(r->case_no);
    a.step = text_field(j, "step", false).value_or(s ? s->step : "");
    a.option = text_field(j, "option", false).value_or("");
    a.reason = text_field(j, "reason", false).value_or("");
    a.actor = a.what == staff_action::kind::decide ? "director" : "manager";
    if (auto it = j.find("values"); it != j.end() && it->is_object()) a.values = *it;
    std::string said = a.option.empty() ? action : action + ": " + a.option;
    if (!a.values.empty()) said += " " + a.values.dump();
    if (!a.reason.empty()) said += " (" + a.reason + ")";
    r->note(a.actor, said);
    auto res = r->box->act(r->case_no, a);
    if (!res.error.empty()) refused = res.error;
  } else if (what == "advance") {
    auto j = body_object(c->body, {"by", "to"});
    auto before = r->box->clock().now();
    if (auto by = text_field(j, "by", false)) {
      std::string err;
      auto d = parse_duration(*by, &err);
      if (!d) throw invalid{422, "invalid", fmt::format("by: {}", err.empty() ? "not a duration" : err), "by"};
      r->box->advance(*d);
    } else {
      if (!r->box->advance_to_next_timer()) refused = "no timers are set: nothing to wait for";
    }
    if (refused.empty()) r->note("clock", fmt::format("{} → {}", r->local(before), r->local(r->box->clock().now())));
  } else {
    throw invalid{404, "not_found", fmt::format("no such endpoint: {}", c->path), {}};
  }
  if (!refused.empty()) r->note("refused", refused);
  r->collect_messages();
  auto state = r->state_json();
  state["refused"] = refused;
  c->send(200, {{"rehearsal", state}});
}

// --- Firm file ----------------------------------------------------------------------------

const firm_file& studio::impl::need_firm() {
  if (!opt.firm || opt.firm_path.empty()) throw invalid{503, "unavailable", "this server has no firm file", {}};
  return *opt.firm->get();
}

void studio::impl::firm_get(const ctx_ptr& c) {
  need_firm();
  auto source = read_file(opt.firm_path);
  auto lines = lines_of(source);
  json parts = json::object();
  for (const auto& s : sections_of(lines))
    if (firm_parts.count(s.name)) parts[s.name] = {{"yaml", join_lines(lines, s.first, s.end)}, {"line", s.first + 1}};
  auto f = opt.firm->get();
  json tariffs = json::array();
  for (const auto& [id, t] : f->tariffs()) tariffs.push_back({{"id", id}, {"title", t.title}});
  json services = json::array();
  for (const auto& s : f->services()) services.push_back({{"id", s.id}, {"title", s.title}, {"price", s.price}});
  c->send(200, {{"firm", {{"file", fs::path(opt.firm_path).filename().string()},
                          {"name", f->firm_name},
                          {"parts", parts},
                          {"tariffs", tariffs},
                          {"services", services}}}});
}

// Validates (and on deploy writes and swaps in) the firm file with one part replaced.
// Positions are given in the part (`line`) and in the whole file (`file_line`).
void studio::impl::firm_part(const ctx_ptr& c, const std::string& part, bool deploy) {
  need_firm();
  auto j = body_object(c->body, {"yaml", "actor"});
  auto yaml = *text_field(j, "yaml", true);
  std::unique_lock lock(firm_mutex, std::defer_lock);
  if (deploy) lock.lock();
  auto source = read_file(opt.firm_path);
  auto whole = splice_part(source, part, yaml);
  diagnostics problems;
  auto name = fs::path(opt.firm_path).filename().string();
  {
    auto part_lines = lines_of(yaml);
    bool own_key = false;
    for (const auto& s : sections_of(part_lines)) {
      if (s.name == part && s.first == 0) own_key = true;
      else problems.push_back({severity::error, {name, static_cast<int>(whole.offset + s.first + 1), 1}, "",
                               fmt::format("only the '{}:' part can be edited here; '{}:' belongs to another part",
                                           part, s.name)});
    }
    if (!own_key)
      problems.push_back({severity::error, {name, static_cast<int>(whole.offset + 1), 1}, "",
                          fmt::format("the part must start with '{}:' at the first column", part)});
  }
  std::unique_ptr<firm_file> parsed = firm_file::parse(whole.text, name, problems);
  if (parsed && opt.check_firm)
    for (const auto& m : opt.check_firm(*parsed)) problems.push_back({severity::error, {name, 0, 0}, "", m});
  json diags = json::array();
  int errors = 0;
  for (const auto& d : problems) {
    auto dj = diagnostic_json(d);
    dj["file_line"] = d.pos.line;
    int rel = d.pos.line - static_cast<int>(whole.offset);
    dj["line"] = rel >= 1 && rel <= static_cast<int>(whole.part_lines) ? rel : 0;
    diags.push_back(dj);
    errors += d.level == severity::error;
  }
  if (!parsed) errors = std::max(errors, 1);
  if (!deploy) return c->send(200, {{"ok", errors == 0}, {"errors", errors}, {"diagnostics", diags}});
  if (errors)
    throw invalid{422, "invalid", fmt::format("the firm file would have {} errors; nothing was deployed", errors), {},
                  {{"diagnostics", diags}}};
  write_file_durably(opt.firm_path, whole.text);
  std::shared_ptr<const firm_file> next(std::move(parsed));
  opt.firm->swap(next);
  if (opt.on_firm_deployed) opt.on_firm_deployed(*next);
  c->send(200, {{"ok", true}, {"part", part}, {"file", fs::path(opt.firm_path).filename().string()}, {"diagnostics", diags}});
}

// --- Proposals ----------------------------------------------------------------------------

proposal_book& studio::impl::need_proposals() {
  if (!opt.proposals) throw invalid{503, "unavailable", "proposals are not kept by this server", {}};
  return *opt.proposals;
}

json proposal_json(const proposal& p) {
  return {{"id", p.id},
          {"case", p.case_id},
          {"at", to_iso8601(p.at)},
          {"step", p.step},
          {"values", p.values},
          {"proposal", p.values.value("proposal", "")},
          {"situation", p.values.value("situation", "")},
          {"author", p.author},
          {"case_playbook", p.case_playbook},
          {"case_version", p.case_version},
          {"client", p.client_id},
          {"channel", p.channel},
          {"sender", p.sender},
          {"case_status", p.case_status},
          {"state", p.state},
          {"playbook", p.playbook.empty() ? json() : json(p.playbook)},
          {"version", p.version ? json(*p.version) : json()},
          {"note", p.note},
          {"decided_by", p.decided_by},
          {"decided_at", p.decided_at ? json(to_iso8601(*p.decided_at)) : json()}};
}

void studio::impl::list_proposals(const ctx_ptr& c) {
  auto& book = need_proposals();
  proposal_filter f;
  for (const auto& [k, v] : c->query) {
    if (k == "state") {
      if (!v.empty() && v != "new" && v != "dismissed" && v != "branched")
        throw invalid{400, "bad_query", "state must be new, dismissed or branched", "state"};
      f.state = v;
    } else if (k == "limit") {
      auto n = parse_int(v);
      if (!n || *n < 1 || *n > 1000) throw invalid{400, "bad_query", "limit must be 1..1000", "limit"};
      f.limit = static_cast<int>(*n);
    } else {
      throw invalid{400, "unknown_field", fmt::format("unknown query parameter '{}'", k), k};
    }
  }
  json out = json::array();
  for (const auto& p : book.list(f)) out.push_back(proposal_json(p));
  c->send(200, {{"proposals", out}});
}

void studio::impl::decide_proposal(const ctx_ptr& c, std::int64_t id, const std::string& what) {
  auto& book = need_proposals();
  auto j = body_object(c->body, {"note", "playbook", "version", "actor"});
  if (!book.get(id)) throw invalid{404, "not_found", fmt::format("no proposal {}", id), {}};
  auto note = text_field(j, "note", false).value_or("");
  // A person decides as themselves; a program's token may name whom it acts for.
  auto actor = c->person ? c->actor : text_field(j, "actor", false).value_or(c->actor);
  std::string playbook;
  std::optional<int> version;
  if (what == "branch") {
    playbook = *text_field(j, "playbook", true);
    version = int_field(j, "version");
    if (!version) throw invalid{400, "missing_field", "field 'version' is required", "version"};
    std::optional<stored_playbook_version> row;
    {
      auto st = reads.acquire();
      row = st->playbook_version(playbook, *version);
    }
    if (!row)
      throw invalid{422, "invalid", fmt::format("playbook '{}' has no version {}", playbook, *version), "version"};
  }
  book.decide(id, what == "branch" ? "branched" : "dismissed", playbook, version, note, actor, now());
  c->send(200, {{"proposal", proposal_json(*book.get(id))}});
}

}  // namespace reglament::http
