// The HTTP/JSON API in-process, as reglamentd wires it (store, playbooks, firm file,
// clients, writer, gate, accounts, studio, staff app files), without sockets. An input is
// a request written as HTTP without the version: "METHOD /target", header lines, a blank
// line, the body. Unless the input brings its own Authorization, the request carries the
// owner's bootstrap token, so it reaches the handlers rather than only the gate.
// Every request is answered exactly once and in time; no input makes a handler fail with
// 500 (an unexpected exception); a JSON answer is valid JSON, an error names its code.
#include "adapters/http/auth/gate.hpp"
#include "adapters/http/event_hub.hpp"
#include "adapters/http/read_pool.hpp"
#include "adapters/http/router/accounts_api.hpp"
#include "adapters/http/router/api.hpp"
#include "adapters/http/router/staff_api.hpp"
#include "adapters/http/router/studio.hpp"
#include "adapters/http/static_files.hpp"
#include "engine/case_engine.hpp"
#include "engine/client_import.hpp"
#include "engine/clock.hpp"
#include "engine/firm_file.hpp"
#include "engine/interpreter.hpp"
#include "engine/live_firm.hpp"
#include "engine/metrics.hpp"
#include "engine/playbook_library.hpp"
#include "engine/store/account_store.hpp"
#include "engine/store/channel_store.hpp"
#include "engine/store/client_registry.hpp"
#include "engine/store/journal_reader.hpp"
#include "engine/store/proposal_book.hpp"
#include "engine/store/reports.hpp"
#include "engine/store/sqlite_store.hpp"
#include "engine/working_calendar.hpp"
#include "engine/writer.hpp"
#include "fuzz/fuzz_check.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include <unistd.h>

namespace {

using namespace reglament;
namespace fs = std::filesystem;
namespace bh = boost::beast::http;

constexpr const char* owner_token = "fuzz-owner-token-0123456789abcdef0123456789";

// The daemon's parts, built once per process and never destroyed (the writer's thread is
// stopped at exit).
struct stack {
  std::string dir;
  manual_clock clock{from_millis(1'796'000'000'000LL)};  // a fixed moment: timers never come due
  weekly_calendar calendar;
  metric_registry metrics;
  std::unique_ptr<sqlite_store> store;
  playbook_library books;
  std::shared_ptr<const firm_file> firm;
  std::unique_ptr<live_firm> live;
  std::unique_ptr<client_registry> clients;
  std::set<std::string> tariff_ids;
  std::unique_ptr<case_engine> engine;
  std::unique_ptr<writer> writes;
  std::unique_ptr<http::read_pool> reads;
  std::unique_ptr<channel_store> channels;
  std::unique_ptr<account_store> accounts;
  std::unique_ptr<http::gate> gate;
  std::unique_ptr<http::accounts_api> accounts_api;
  std::unique_ptr<proposal_book> proposals;
  std::unique_ptr<http::studio> studio;
  std::unique_ptr<http::api> routes;

  stack() {
    // A copy of the shipped playbooks and firm file: the studio may deploy into it.
    const fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    dir = (base / ("reglament-fuzz-http-" + std::to_string(::getpid()))).string();
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path playbooks = fs::path(dir) / "playbooks";
    fs::copy(fs::path(REGLAMENT_SOURCE_DIR) / "playbooks" / "bookkeeping", playbooks, fs::copy_options::recursive);
    const std::string db = (fs::path(dir) / "reglament.db").string();

    sqlite_store::options wopt;
    wopt.synchronous = sqlite_store::options::sync_mode::normal;
    store = std::make_unique<sqlite_store>(db, wopt);
    auto problems = books.load_directory(playbooks.string(), store.get(), clock.now());
    FUZZ_CHECK(!has_errors(problems), "the shipped playbooks do not load");
    diagnostics firm_problems;
    const auto firm_path = firm_file::beside(playbooks.string());
    firm = std::shared_ptr<const firm_file>(firm_file::load(firm_path, firm_problems));
    FUZZ_CHECK(firm != nullptr, "the shipped firm file does not load");
    for (const auto& [id, t] : firm->tariffs()) tariff_ids.insert(id);
    live = std::make_unique<live_firm>(firm);
    clients = std::make_unique<client_registry>(db);
    client_batch seed;
    seed.clients = firm->clients();
    seed.positions.assign(seed.clients.size(), source_pos{firm_path, 0, 0});
    diagnostics import_problems;
    FUZZ_CHECK(clients->import(seed, &tariff_ids, import_problems).has_value(), "the shipped clients do not import");

    run_context ctx;
    auto* st = store.get();
    auto* lib = &books;
    ctx.playbook_version = [lib, st](const std::string& id, int v) { return lib->version(id, v, st); };
    ctx.playbook_latest = [lib](const std::string& id) { return lib->latest(id); };
    ctx.now = &clock;
    ctx.calendar = &calendar;
    ctx.clients = clients.get();
    ctx.tariffs = live.get();
    ctx.firm = live.get();
    ctx.quota_used = [st](std::string_view c, std::string_view s, std::string_view period) {
      return st->quota_used(c, s, period);
    };
    ctx.learned_services = [st](std::string_view c) { return st->learned_services(c); };
    engine = std::make_unique<case_engine>(*store, books, std::move(ctx));
    writes = std::make_unique<writer>(*store, *engine, clock, writer::options{});

    sqlite_store::options ropt;
    ropt.read_only = true;
    std::vector<std::unique_ptr<reglament::store>> readers;
    for (int i = 0; i < 2; ++i) readers.push_back(std::make_unique<sqlite_store>(db, ropt));
    reads = std::make_unique<http::read_pool>(std::move(readers));
    channels = std::make_unique<channel_store>(db);

    accounts = std::make_unique<account_store>(db);
    accounts->ensure_token("bootstrap", auth::role::owner, auth::secret_digest(owner_token), clock.now());
    gate = std::make_unique<http::gate>(*accounts, clock, http::gate_options{});
    accounts_api = std::make_unique<http::accounts_api>(*gate, [](bool, const std::string&, const auto&) {});
    proposals = std::make_unique<proposal_book>(db);

    http::studio_options so;
    so.playbooks_dir = playbooks.string();
    so.firm_path = firm_path;
    so.firm = live.get();
    so.proposals = proposals.get();
    so.now = &clock;
    studio = std::make_unique<http::studio>(*writes, *store, *reads, books, so);

    http::api_options ao;
    ao.access_gate = gate.get();
    ao.accounts = accounts_api.get();
    ao.render_text = [e = engine.get()](const case_state& s, const playbook& b, const std::string& t) {
      return interpreter(e->context()).render_text(s, b, t);
    };
    ao.clients = clients.get();
    ao.tariffs = tariff_ids;
    ao.studio_routes = studio.get();
    ao.channels = channels.get();
    ao.attachments_dir = (fs::path(dir) / "attachments").string();
    ao.clk = &clock;
    ao.now = &clock;
    ao.telegram_link = [](const std::string& code) { return "https://t.me/fuzz_bot?start=" + code; };
    auto report = std::make_shared<control_report>(std::make_unique<journal_reader>(db), std::chrono::minutes(180), nullptr);
    ao.report = http::report_handler(report, &clock);
    ao.events = std::make_shared<http::event_hub>();
    ao.web = std::make_shared<http::static_files>(fs::path(REGLAMENT_SOURCE_DIR) / "web");
    routes = std::make_unique<http::api>(*writes, *reads, books, clients.get(), metrics, ao);
    writes->start();
  }
};

stack* the_stack = nullptr;

void stop_writer() {
  if (the_stack) the_stack->writes->stop();
}

// "METHOD /target\r?\nName: value\n...\n\nbody" -> a request; nullopt when the first line
// is not a method and a target.
std::optional<http::request> request_of(std::string_view in) {
  auto line_end = [&](std::size_t from) {
    auto nl = in.find('\n', from);
    return nl == std::string_view::npos ? in.size() : nl;
  };
  auto strip_cr = [](std::string_view s) { return !s.empty() && s.back() == '\r' ? s.substr(0, s.size() - 1) : s; };
  std::size_t end = line_end(0);
  const auto first = strip_cr(in.substr(0, end));
  const auto space = first.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto verb = bh::string_to_verb(boost::beast::string_view(first.data(), space));
  const auto target = first.substr(space + 1);
  if (verb == bh::verb::unknown || target.empty() || target.find_first_of(" \r\0", 0, 3) != std::string_view::npos)
    return std::nullopt;
  http::request req{verb, std::string(target), 11};
  std::size_t at = end + 1;
  while (at < in.size()) {
    end = line_end(at);
    const auto line = strip_cr(in.substr(at, end - at));
    at = end + 1;
    if (line.empty()) break;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    auto value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (value.find_first_of("\r\n\0", 0, 3) != std::string_view::npos) return std::nullopt;
    req.insert(boost::beast::string_view(line.data(), colon), std::string(value));
  }
  if (at < in.size()) req.body() = std::string(in.substr(at));
  if (req.find(bh::field::authorization) == req.end())
    req.set(bh::field::authorization, std::string("Bearer ") + owner_token);
  if (req.find(bh::field::content_type) == req.end()) req.set(bh::field::content_type, "application/json");
  if (req.method() == bh::verb::trace && !req.body().empty())
    // Beast's prepare_payload() throws on a TRACE body; the daemon's parser reads one by
    // its length, so the request is sent as it would arrive.
    req.set(bh::field::content_length, std::to_string(req.body().size()));
  else
    req.prepare_payload();
  return req;
}

void check_reply(const http::response& res, const std::string& what) {
  const auto status = res.result_int();
  FUZZ_CHECK(status >= 100 && status < 600, what + ": status " + std::to_string(status));
  FUZZ_CHECK(status != 500, what + ": 500 " + res.body());
  const auto type = res[bh::field::content_type];
  if (type.starts_with("application/json") && !res.body().empty()) {
    const auto j = nlohmann::json::parse(res.body(), nullptr, false);
    FUZZ_CHECK(!j.is_discarded(), what + ": the JSON answer does not parse: " + res.body());
    if (status >= 400)
      FUZZ_CHECK(j.contains("error") && j["error"].contains("code") && j["error"]["code"].is_string(),
                 what + ": an error without a code: " + res.body());
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  the_stack = new stack;
  std::atexit(stop_writer);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto req = request_of(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!req) return 0;
  const std::string what = std::string(req->method_string()) + " " + std::string(req->target());
  auto& s = *the_stack;
  auto admitted = s.routes->admit(*req, "127.0.0.1");
  if (admitted.refusal) {
    check_reply(*admitted.refusal, what);
    return 0;
  }
  auto answered = std::make_shared<std::promise<http::reply>>();
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto done = answered->get_future();
  s.routes->handle(std::move(*req), admitted.who, [answered, calls, what](http::reply r) {
    FUZZ_CHECK(calls->fetch_add(1) == 0, what + ": answered twice");
    answered->set_value(std::move(r));
  });
  FUZZ_CHECK(done.wait_for(std::chrono::seconds(30)) == std::future_status::ready, what + ": no answer in 30 s");
  check_reply(done.get().res, what);
  return 0;
}
