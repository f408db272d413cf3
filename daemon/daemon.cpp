#include "daemon/daemon.hpp"

#include "daemon/channel_registry.hpp"
#include "daemon/inbound_gateway.hpp"
#include "adapters/http/event_hub.hpp"
#include "adapters/http/journal_feed.hpp"
#include "adapters/http/auth/gate.hpp"
#include "adapters/http/listener.hpp"
#include "adapters/http/router/staff_api.hpp"
#include "adapters/http/static_files.hpp"
#include "adapters/http/read_pool.hpp"
#include "adapters/http/router/accounts_api.hpp"
#include "adapters/http/router/api.hpp"
#include "adapters/http/router/studio.hpp"
#include "adapters/spool/config.hpp"
#include "adapters/staff/staff_channel.hpp"
#include "adapters/telegram/config.hpp"
#include "engine/case_engine.hpp"
#include "engine/channel_health.hpp"
#include "engine/interpreter.hpp"
#include "engine/live_firm.hpp"
#include "engine/firm_file.hpp"
#include "engine/metrics.hpp"
#include "engine/outbox_dispatcher.hpp"
#include "engine/playbook_library.hpp"
#include "engine/production_calendar.hpp"
#include "engine/scheduler.hpp"
#include "engine/store/channel_store.hpp"
#include "engine/store/account_store.hpp"
#include "engine/store/client_registry.hpp"
#include "engine/store/proposal_book.hpp"
#include "engine/store/journal_reader.hpp"
#include "engine/store/reports.hpp"
#include "engine/store/sqlite_store.hpp"
#include "engine/working_calendar.hpp"
#include "engine/writer.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>
#include <vector>

namespace reglament::daemon {

namespace net = boost::asio;

namespace {

// Sets the flag a helper thread's loop waits on, wakes it and waits for it to finish.
void stop_and_join(std::mutex& m, std::condition_variable& cv, bool& stop, std::thread& t) {
  {
    std::lock_guard lock(m);
    stop = true;
  }
  cv.notify_all();
  if (t.joinable()) t.join();
}

}  // namespace

// Declared in the order they are built; destroyed in reverse, after run() has stopped
// the threads that use them.
struct reglamentd::parts {
  system_clock_source clock;
  channel_health health{clock};  // what the sources and the dispatcher last found; the staff app shows it
  weekly_calendar calendar;
  metric_registry metrics;
  std::unique_ptr<sqlite_store> store;  // the writer's connection
  playbook_library books;
  std::shared_ptr<const firm_file> firm;  // as loaded at start; `live` has the current one
  std::unique_ptr<live_firm> live;         // the studio swaps a deployed firm file in here
  std::unique_ptr<proposal_book> proposals;
  std::unique_ptr<client_registry> clients;  // the clients, in the store; the firm file seeds it
  std::set<std::string> tariff_ids;
  std::unique_ptr<case_engine> engine;
  std::unique_ptr<writer> writer_;
  std::unique_ptr<sqlite_store> dispatch_store;
  std::unique_ptr<outbox_dispatcher> dispatcher;
  std::vector<std::unique_ptr<spool::spool_channel>> spools;
  // Channel adapters: errors, cursors and attachments in the store; inbound through the gateway.
  std::unique_ptr<channel_store> channels_db;
  std::unique_ptr<inbound_gateway> gateway;
  std::vector<built_channel> channels;
  std::unique_ptr<staff::staff_channel> staff_notices;  // "staff" rows to each person's email / Telegram
  bool sources_started = false;
  std::unique_ptr<http::read_pool> reads;
  std::unique_ptr<http::studio> studio;
  // Live updates: the feed reads committed facts and publishes them to the open streams.
  std::shared_ptr<http::event_hub> events = std::make_shared<http::event_hub>();
  std::unique_ptr<http::journal_feed> feed;
  std::shared_ptr<control_report> report;  // the director's control points
  std::unique_ptr<account_store> accounts;  // staff accounts, sessions, API tokens
  std::unique_ptr<http::gate> gate;
  std::unique_ptr<http::accounts_api> accounts_api;
  std::unique_ptr<http::api> routes;
  std::unique_ptr<net::io_context> ioc;
  std::shared_ptr<http::listener> listener;
  std::unique_ptr<net::signal_set> signals;
  std::vector<std::thread> io_threads;
  // Checkpoints the WAL every second from its own connection, off the writer's commits.
  std::unique_ptr<sqlite_store> checkpoint_store;
  std::thread checkpointer;
  std::mutex checkpoint_mutex;
  std::condition_variable checkpoint_cv;
  bool checkpoint_stop = false;
  // Starts scheduled playbooks through the writer; sleeps until the next start is due.
  std::unique_ptr<scheduler> schedules;
  std::thread schedule_thread;
  std::mutex schedule_mutex;
  std::condition_variable schedule_cv;
  bool schedule_stop = false;
  unsigned short port = 0;
};

reglamentd::reglamentd(daemon_config cfg, logger& log) : cfg_(std::move(cfg)), log_(log) {}

reglamentd::~reglamentd() {
  // Only when run() did not shut down (start() failed half way, or run() was never called).
  if (!parts_) return;
  auto& p = *parts_;
  if (p.ioc) p.ioc->stop();
  for (auto& t : p.io_threads)
    if (t.joinable()) t.join();
  stop_sources();
  if (p.dispatcher) p.dispatcher->stop();
  stop_scheduler();
  if (p.writer_) p.writer_->stop();
  stop_checkpointer();
}

void reglamentd::stop_scheduler() {
  auto& p = *parts_;
  stop_and_join(p.schedule_mutex, p.schedule_cv, p.schedule_stop, p.schedule_thread);
}

// Each round runs on the writer thread, in its transaction: the cases and the record of
// what started commit together, so a crash neither loses nor repeats a start.
void reglamentd::start_scheduler() {
  auto& p = *parts_;
  p.schedules = std::make_unique<scheduler>(p.books, p.engine->context().clients, p.calendar);
  p.schedule_thread = std::thread([&p, this] {
    constexpr auto max_sleep = std::chrono::minutes(1);
    std::unique_lock lock(p.schedule_mutex);
    while (!p.schedule_stop) {
      lock.unlock();
      schedule_round round;
      auto r = p.writer_->run([&](case_engine& engine) {
        round = p.schedules->run_due(engine, *p.store, p.clock.now());
        return engine_result{};
      });
      if (!r.error.empty()) log_.warn("schedule round not committed; will retry", {{"error", r.error}});
      for (std::size_t i = 0; i < round.started.size() && r.error.empty(); ++i) {
        const auto& s = round.started[i];
        const auto& res = round.results[i];
        log_fields f{{"playbook", s.playbook}, {"due", to_iso8601(s.due)}};
        if (!s.key.empty()) f.emplace_back("for", s.key);
        if (res.error.empty()) {
          f.emplace_back("case", std::to_string(res.id));
          log_.info("scheduled playbook started", f);
        } else {
          f.emplace_back("error", res.error);
          log_.warn("scheduled playbook did not start; will retry", f);
        }
      }
      for (const auto& s : round.skipped)
        log_.warn("congratulation skipped: its day passed while reglamentd was down",
                  {{"playbook", s.playbook}, {"for", s.key}, {"due", to_iso8601(s.due)}});
      if (!round.started.empty()) p.dispatcher->notify();
      auto sleep = std::chrono::duration_cast<std::chrono::milliseconds>(max_sleep);
      if (round.next && r.error.empty())
        sleep = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(*round.next - p.clock.now()),
                           std::chrono::milliseconds(10), sleep);
      lock.lock();
      p.schedule_cv.wait_for(lock, sleep, [&p] { return p.schedule_stop; });
    }
  });
}

void reglamentd::stop_checkpointer() {
  auto& p = *parts_;
  stop_and_join(p.checkpoint_mutex, p.checkpoint_cv, p.checkpoint_stop, p.checkpointer);
}

unsigned short reglamentd::port() const { return parts_ ? parts_->port : 0; }

// The clients live in the store. The first start (no clients yet) takes the firm file's,
// so a fresh demo install has its ~20 clients; later the CLI and the API manage them.
void reglamentd::open_clients() {
  auto& p = *parts_;
  try {
    p.clients = std::make_unique<client_registry>(cfg_.store.path);
  } catch (const std::exception& e) {
    throw startup_error(fmt::format("store.path: cannot open the clients in '{}': {}", cfg_.store.path, e.what()), 1);
  }
  if (!p.clients->snapshot()->clients().empty()) {
    log_.info("clients loaded", {{"clients", std::to_string(p.clients->snapshot()->clients().size())}});
    return;
  }
  client_batch seed;
  seed.clients = p.firm->clients();
  seed.positions.assign(seed.clients.size(), source_pos{cfg_.firm.file, 0, 0});
  diagnostics problems;
  auto r = p.clients->import(seed, &p.tariff_ids, problems);
  for (const auto& d : problems) std::fprintf(stderr, "%s\n", d.to_string().c_str());
  if (!r)
    throw startup_error(fmt::format("firm.file: the clients of '{}' cannot be imported (see above)", cfg_.firm.file), 2);
  log_.info("clients imported from the firm file",
            {{"file", cfg_.firm.file}, {"clients", std::to_string(r->added)}, {"contacts", std::to_string(r->contacts_added)}});
}

void reglamentd::stop_sources() {
  auto& p = *parts_;
  if (!p.sources_started) return;
  p.sources_started = false;
  for (auto& c : p.channels)
    if (c.parts.inbound) {
      try {
        c.parts.inbound->stop();
      } catch (const std::exception& e) {
        log_.error("channel source did not stop cleanly", {{"channel", c.name}, {"error", e.what()}});
      }
    }
}

// The [channels.*] adapters: each built from its table; one that fails is logged and
// left out, the others run. Outbound ones replace the spool of the same name.
void reglamentd::start_channels() {
  auto& p = *parts_;
  try {
    p.channels_db = std::make_unique<channel_store>(cfg_.store.path);
  } catch (const std::exception& e) {
    throw startup_error(fmt::format("store.path: cannot open the channel tables in '{}': {}", cfg_.store.path, e.what()), 1);
  }
  inbound_gateway::options gopt;
  gopt.attachments_dir = cfg_.attachments.dir;
  gopt.max_attachment_bytes = cfg_.attachments.max_bytes;
  gopt.metrics = &p.metrics;
  gopt.health = &p.health;
  auto* disp = p.dispatcher.get();
  gopt.on_commit = [disp] { disp->notify(); };
  try {
    p.gateway = std::make_unique<inbound_gateway>(*p.writer_, *p.channels_db, p.clock, log_, gopt);
  } catch (const std::exception& e) {
    throw startup_error(e.what(), 1);
  }
  channel_registry registry;
  register_builtin_channels(registry);
  channel_env env;
  env.clk = &p.clock;
  env.log = &log_;
  env.data_dir = std::filesystem::path(cfg_.store.path).parent_path().string();
  env.firm = p.firm.get();
  env.clients = p.clients.get();
  env.registry = p.clients.get();
  env.store_path = cfg_.store.path;
  p.channels = registry.build(cfg_.channels, env, log_);
  for (const auto& c : p.channels) p.health.add(c.name, c.parts.inbound != nullptr, c.parts.outbound != nullptr);
  // What the dispatcher delivers each channel with: the spool, unless an adapter runs.
  std::map<std::string, channel*> outbound;
  for (auto& sp : p.spools)
    if (sp->name() != "staff") outbound[sp->name()] = sp.get();
  for (auto& c : p.channels)
    if (c.parts.outbound) {
      p.dispatcher->add_channel(c.name, c.parts.outbound.get());
      outbound[c.name] = c.parts.outbound.get();
    }

  // Staff notifications go through the same outbox: one "staff" row, fanned out to the
  // person's channels by the staff channel, the spool's "staff" file first when it has one.
  channel* in_app = nullptr;
  for (auto& sp : p.spools)
    if (sp->name() == "staff") in_app = sp.get();
  bool anyone_notified = false;
  for (const auto& person : p.firm->staff_list()) {
    anyone_notified = anyone_notified || !person.notify.empty();
    for (const auto& ch : person.notify)
      if (!outbound.count(ch))
        log_.warn("staff notifications: the channel is not running, they will wait in the outbox",
                  {{"person", person.login}, {"channel", ch}, {"key", "channels." + ch + ".enabled"}});
  }
  if (in_app || anyone_notified) {
    auto* db = p.channels_db.get();
    staff::progress progress{[db](const std::string& key) { return db->cursor("staff", key) == "sent"; },
                             [db, clk = &p.clock](const std::string& key) {
                               db->save_cursor("staff", key, "sent", clk->now());
                             }};
    p.staff_notices = std::make_unique<staff::staff_channel>(*p.firm, outbound, in_app, std::move(progress));
    p.dispatcher->add_channel("staff", p.staff_notices.get());
    p.health.add("staff", false, true);
  }
}

// Staff accounts live in the store; the gate checks every request against them and the
// route table. A bootstrap token file (tests, provisioning) grants an owner token.
void reglamentd::open_accounts() {
  auto& p = *parts_;
  try {
    p.accounts = std::make_unique<account_store>(cfg_.store.path);
  } catch (const std::exception& e) {
    throw startup_error(fmt::format("store.path: cannot open the accounts in '{}': {}", cfg_.store.path, e.what()), 1);
  }
  const auto& a = cfg_.auth;
  if (!a.bootstrap_token_file.empty()) {
    std::ifstream in(a.bootstrap_token_file);
    std::string secret;
    if (!in || !std::getline(in, secret))
      throw startup_error(fmt::format("auth.bootstrap_token_file: cannot read '{}'", a.bootstrap_token_file), 1);
    while (!secret.empty() && (secret.back() == '\r' || secret.back() == ' ')) secret.pop_back();
    if (secret.size() < 32)
      throw startup_error(fmt::format("auth.bootstrap_token_file: the token in '{}' is shorter than 32 characters",
                                      a.bootstrap_token_file),
                          1);
    auto t = p.accounts->ensure_token("bootstrap", auth::role::owner, auth::secret_digest(secret), p.clock.now());
    if (t.revoked_at)
      log_.warn("bootstrap token is revoked; it stays revoked", {{"token", std::to_string(t.id)}});
    else
      log_.info("bootstrap token granted", {{"token", std::to_string(t.id)}, {"role", "owner"}});
  }
  if (p.accounts->users().empty())
    log_.warn("no staff accounts yet: add the first owner with `reglament users add --db " + cfg_.store.path +
              " --login LOGIN --role owner`");
  http::gate_options g;
  g.sessions.idle = a.session_idle;
  g.sessions.absolute = a.session_max;
  g.logins.free_failures_per_login = a.login_failures;
  g.logins.free_failures_per_ip = a.address_failures;
  g.logins.first_wait = a.login_wait;
  g.logins.max_wait = a.login_max_wait;
  g.secure_cookies = a.secure_cookies;
  g.public_metrics = a.public_metrics;
  p.gate = std::make_unique<http::gate>(*p.accounts, p.clock, g);
  auto* log = &log_;
  p.accounts_api = std::make_unique<http::accounts_api>(
      *p.gate, [log](bool warning, const std::string& what, const std::vector<std::pair<std::string, std::string>>& f) {
        log->write(warning ? log_level::warn : log_level::info, what, f);
      });
}

void reglamentd::start() {
  parts_ = std::make_unique<parts>();
  auto& p = *parts_;

  // Store: the writer's connection runs the migrations; readers open after it.
  sqlite_store::options wopt;
  wopt.synchronous = cfg_.store.synchronous == "normal" ? sqlite_store::options::sync_mode::normal
                                                        : sqlite_store::options::sync_mode::full;
  wopt.auto_checkpoint = false;
  try {
    p.store = std::make_unique<sqlite_store>(cfg_.store.path, wopt);
    sqlite_store::options copt = wopt;
    p.checkpoint_store = std::make_unique<sqlite_store>(cfg_.store.path, copt);
  } catch (const std::exception& e) {
    throw startup_error(fmt::format("store.path: cannot open '{}': {}", cfg_.store.path, e.what()), 1);
  }
  log_.info("store open", {{"path", cfg_.store.path}, {"synchronous", cfg_.store.synchronous}});

  // Playbooks: every problem is printed, then the daemon refuses to start.
  diagnostics problems;
  try {
    problems = p.books.load_directory(cfg_.playbooks.dir, p.store.get(), p.clock.now());
  } catch (const std::exception& e) {
    throw startup_error(fmt::format("playbooks.dir: loading '{}' failed: {}", cfg_.playbooks.dir, e.what()), 2);
  }
  for (const auto& d : problems)
    (d.level == severity::error ? std::fprintf(stderr, "%s\n", d.to_string().c_str())
                                : (log_.warn("playbook", {{"diagnostic", d.to_string()}}), 0));
  if (has_errors(problems))
    throw startup_error(fmt::format("playbooks in '{}' do not validate (see above)", cfg_.playbooks.dir), 2);
  auto books = p.books.latest_all();
  if (books.empty())
    throw startup_error(fmt::format("playbooks.dir: no playbooks in '{}'", cfg_.playbooks.dir), 2);
  for (const auto& b : books)
    log_.info("playbook loaded", {{"playbook", b->id}, {"version", std::to_string(b->version)}});

  diagnostics firm_problems;
  p.firm = std::shared_ptr<const firm_file>(firm_file::load(cfg_.firm.file, firm_problems));
  for (const auto& d : firm_problems) std::fprintf(stderr, "%s\n", d.to_string().c_str());
  if (!p.firm || has_errors(firm_problems))
    throw startup_error(fmt::format("firm.file: '{}' cannot be used (see above)", cfg_.firm.file), 2);
  for (const auto& [id, t] : p.firm->tariffs()) p.tariff_ids.insert(id);
  p.live = std::make_unique<live_firm>(p.firm);
  open_clients();

  // Working time: the firm's hours from [calendar], with the production calendar's days.
  diagnostics calendar_problems;
  auto production = production_calendar::load(cfg_.calendar.file, calendar_problems);
  for (const auto& d : calendar_problems) std::fprintf(stderr, "%s\n", d.to_string().c_str());
  if (!production)
    throw startup_error(fmt::format("calendar.file: '{}' cannot be used (see above)", cfg_.calendar.file), 2);
  p.calendar = weekly_calendar(cfg_.calendar.week, std::chrono::minutes(cfg_.calendar.utc_offset_minutes));
  production->apply_to(p.calendar);
  std::string years;
  for (const auto& y : production->years()) years += (years.empty() ? "" : ",") + std::to_string(y.year);
  log_.info("calendar loaded", {{"file", cfg_.calendar.file}, {"years", years}, {"timezone", cfg_.calendar.timezone}});

  run_context ctx;
  auto* st = p.store.get();
  auto* lib = &p.books;
  ctx.playbook_version = [lib, st](const std::string& id, int v) { return lib->version(id, v, st); };
  ctx.playbook_latest = [lib](const std::string& id) { return lib->latest(id); };
  ctx.now = &p.clock;
  ctx.calendar = &p.calendar;
  ctx.clients = p.clients.get();
  ctx.tariffs = p.live.get();
  ctx.firm = p.live.get();
  // Runs on the writer thread, inside its transaction: sees this batch's own writes.
  ctx.quota_used = [st](std::string_view c, std::string_view s, std::string_view period) {
    return st->quota_used(c, s, period);
  };
  ctx.learned_services = [st](std::string_view c) { return st->learned_services(c); };
  p.engine = std::make_unique<case_engine>(*p.store, p.books, std::move(ctx));
  p.writer_ = std::make_unique<writer>(*p.store, *p.engine, p.clock, writer::options{});

  sqlite_store::options ropt;
  ropt.read_only = true;
  try {
    p.dispatch_store = std::make_unique<sqlite_store>(cfg_.store.path, ropt);
    std::vector<std::unique_ptr<store>> readers;
    for (int i = 0; i < cfg_.http.threads + 1; ++i)
      readers.push_back(std::make_unique<sqlite_store>(cfg_.store.path, ropt));
    p.reads = std::make_unique<http::read_pool>(std::move(readers));
    p.feed = std::make_unique<http::journal_feed>(std::make_unique<journal_reader>(cfg_.store.path), p.events);
  } catch (const std::exception& e) {
    throw startup_error(fmt::format("store.path: cannot open '{}' for reading: {}", cfg_.store.path, e.what()), 1);
  }

  auto& step_seconds = p.metrics.get_histogram(
      "reglament_step_seconds", "Time the engine spent on one event, in seconds",
      {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1});
  outbox_dispatcher::options dopt;
  dopt.retry_base = std::chrono::seconds(cfg_.outbox.retry_first_seconds);
  dopt.retry_cap = std::chrono::seconds(cfg_.outbox.retry_max_seconds);
  dopt.max_attempts = cfg_.outbox.max_attempts;
  p.dispatcher = std::make_unique<outbox_dispatcher>(
      *p.dispatch_store, p.clock, outbox_dispatcher::through(*p.writer_, &step_seconds), dopt);
  p.dispatcher->set_metrics(&p.metrics);
  // Every delivery's result is the channel's health the staff app shows.
  p.dispatcher->on_result([health = &p.health](const std::string& channel, const delivery_status& st,
                                               const delivery_result& r) {
    if (st.ok)
      health->delivered(channel);
    else
      health->delivery_failed(channel, r.error, st.permanent, r.dead ? std::nullopt : std::optional<timestamp>(r.retry_at));
  });
  try {
    p.spools = spool::register_channels(cfg_.spool, *p.dispatcher, &p.clock);
  } catch (const std::exception& e) {
    throw startup_error(fmt::format("spool.dir: {}", e.what()), 1);
  }

  start_channels();
  open_accounts();

  http::api_options aopt;
  aopt.access_gate = p.gate.get();
  aopt.accounts = p.accounts_api.get();
  auto* disp = p.dispatcher.get();
  aopt.on_commit = [disp] { disp->notify(); };
  aopt.on_scrape = [disp](metric_registry& m) {
    m.get_gauge("reglament_outbox_unroutable", "Due outbound messages with no channel adapter")
        .set(static_cast<double>(disp->stats().unroutable.load()));
  };
  aopt.max_text_bytes = 64 * 1024;
  // Rendering reads only the clock, the calendar and the firm: safe from the IO threads.
  aopt.render_text = [engine = p.engine.get()](const case_state& s, const playbook& b, const std::string& t) {
    return interpreter(engine->context()).render_text(s, b, t);
  };
  aopt.clients = p.clients.get();
  aopt.channels = p.channels_db.get();
  aopt.attachments_dir = cfg_.attachments.dir;
  aopt.clk = &p.clock;
  aopt.tariffs = p.tariff_ids;
  // Telegram link codes (POST /api/v1/clients/{id}/telegram-code) once the bot runs.
  for (const auto& c : p.channels)
    if (c.name == "telegram") {
      const auto& t = cfg_.channels.at("telegram");
      const auto bot = t["bot_username"].value_or(std::string{});
      aopt.telegram_link = [bot](const std::string& code) { return telegram::deep_link(bot, code); };
      aopt.link_code_ttl = std::chrono::hours(t["link_code_ttl_hours"].value_or(std::int64_t{72}));
    }
  try {
    p.proposals = std::make_unique<proposal_book>(cfg_.store.path);
  } catch (const std::exception& e) {
    throw startup_error(fmt::format("store.path: cannot open the proposals in '{}': {}", cfg_.store.path, e.what()), 1);
  }
  http::studio_options stopt;
  stopt.playbooks_dir = cfg_.playbooks.dir;
  stopt.firm_path = cfg_.firm.file;
  stopt.firm = p.live.get();
  stopt.proposals = p.proposals.get();
  stopt.now = &p.clock;
  // A firm file that drops a tariff some client is on would break that client's checks.
  stopt.check_firm = [clients = p.clients.get()](const firm_file& f) {
    std::vector<std::string> out;
    std::set<std::string> reported;
    for (const auto& d : clients->snapshot()->clients()) {
      std::vector<std::string> used{d.info.tariff_id};
      for (const auto& [from, t] : d.info.tariff_changes) used.push_back(t);
      for (const auto& t : used)
        if (!t.empty() && !f.tariffs().count(t) && reported.insert(d.info.id + "/" + t).second)
          out.push_back(fmt::format("client {} is on tariff '{}', which this firm file no longer has", d.info.id, t));
    }
    return out;
  };
  p.studio = std::make_unique<http::studio>(*p.writer_, *p.store, *p.reads, p.books, stopt);
  aopt.studio_routes = p.studio.get();
  aopt.events = p.events;
  aopt.health = &p.health;
  // A channel that starts or stops failing is news for every open staff app.
  p.health.on_change([events = p.events](const channel_health::entry& e) {
    events->publish("channel", http::channel_health_json(e));
  });
  aopt.now = &p.clock;
  // Working minutes from `from` to `to`: the largest m with add(from, m working minutes) <= to.
  aopt.working_minutes = [cal = &p.calendar](timestamp from, timestamp to) -> std::int64_t {
    std::int64_t lo = 0, hi = std::chrono::duration_cast<std::chrono::minutes>(to - from).count();
    while (lo < hi) {
      const auto mid = lo + (hi - lo + 1) / 2;
      duration d;
      d.count = static_cast<long>(mid);
      d.in = duration::unit::minute;
      d.working = true;
      if (cal->add(from, d) <= to) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  p.report = std::make_shared<control_report>(std::make_unique<journal_reader>(cfg_.store.path),
                                              p.calendar.utc_offset(), aopt.working_minutes);
  aopt.report = http::report_handler(p.report, &p.clock);
  aopt.web = std::make_shared<http::static_files>(cfg_.web.dir);
  {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(std::filesystem::path(cfg_.web.dir) / "index.html", ec))
      log_.warn("web.dir has no index.html: the staff app is not served", {{"dir", cfg_.web.dir}});
  }
  p.feed->on_error = [this](const std::string& e) { log_.warn("live-update feed cannot read the journal; will retry", {{"error", e}}); };
  p.writer_->on_committed([feed = p.feed.get()] { feed->notify(); });
  p.routes = std::make_unique<http::api>(*p.writer_, *p.reads, p.books, p.clients.get(), p.metrics, aopt);

  http::session_options sopt;
  sopt.body_limit = cfg_.http.body_limit;
  sopt.read_timeout = std::chrono::seconds(cfg_.http.read_timeout_seconds);
  auto* log = &log_;
  sopt.on_request = [log](const http::request_log& r) {
    log_fields f{{"method", r.method}, {"path", r.path}, {"status", std::to_string(r.status)},
                 {"ms", fmt::format("{:.2f}", r.ms)}};
    if (r.id) f.emplace_back("case", std::to_string(r.id));
    if (!r.who.empty()) f.emplace_back("who", r.who);
    log->write(r.status >= 500 ? log_level::error : log_level::info, "request", f);
  };

  sopt.on_error = [log](const char* what, const std::string& message) {
    log->warn("connection error", {{"op", what}, {"error", message}});
  };
  for (const auto& c : p.channels)
    if (c.parts.web) sopt.web.push_back(c.parts.web);  // the website chat's pages and socket

  p.ioc = std::make_unique<net::io_context>(cfg_.http.threads);
  boost::system::error_code ec;
  auto address = net::ip::make_address(cfg_.http.host, ec);
  if (ec)
    throw startup_error(fmt::format("http.listen: '{}' is not an IP address", cfg_.http.host), 1);
  try {
    p.listener = std::make_shared<http::listener>(*p.ioc, net::ip::tcp::endpoint{address, cfg_.http.port},
                                                  *p.routes, sopt);
  } catch (const std::exception& e) {
    throw startup_error(fmt::format("http.listen: {}", e.what()), 1);
  }
  p.port = p.listener->local_endpoint().port();

  p.writer_->start();
  p.feed->start();
  p.dispatcher->start();
  for (auto& c : p.channels)
    if (c.parts.inbound) c.parts.inbound->start(*p.gateway);
  p.sources_started = true;
  start_scheduler();
  p.checkpointer = std::thread([&p, this] {
    std::unique_lock lock(p.checkpoint_mutex);
    while (!p.checkpoint_cv.wait_for(lock, std::chrono::seconds(1), [&p] { return p.checkpoint_stop; })) {
      try {
        // A `reglament clients import` beside the running daemon is seen within a second.
        if (p.clients->refresh()) log_.info("clients reloaded", {{"clients", std::to_string(p.clients->snapshot()->clients().size())}});
        p.checkpoint_store->checkpoint_passive();
      } catch (const std::exception& e) {
        log_.warn("WAL checkpoint failed; will retry", {{"error", e.what()}});
      }
    }
  });
  p.listener->run();
  p.signals = std::make_unique<net::signal_set>(*p.ioc, SIGINT, SIGTERM);
  p.signals->async_wait([this](const boost::system::error_code& e, int sig) {
    if (e == net::error::operation_aborted) return;
    log_.info("signal received, stopping", {{"signal", std::to_string(sig)}});
    stop();
  });
  for (int i = 0; i < cfg_.http.threads; ++i) p.io_threads.emplace_back([ioc = p.ioc.get()] { ioc->run(); });

  log_.info(fmt::format("reglamentd listening on http://{}:{}", cfg_.http.host, p.port),
            {{"threads", std::to_string(cfg_.http.threads)}, {"playbooks", cfg_.playbooks.dir},
             {"spool", cfg_.spool.dir}, {"web", cfg_.web.dir}});
}

void reglamentd::stop() {
  if (!parts_ || !parts_->ioc) return;
  std::lock_guard lock(stop_mutex_);
  stop_requested_ = true;
  stop_cv_.notify_all();
}

int reglamentd::run() {
  auto& p = *parts_;
  {
    std::unique_lock lock(stop_mutex_);
    stop_cv_.wait(lock, [this] { return stop_requested_; });
  }
  // 1. No new connections, and no new signal handling.
  p.listener->stop();
  net::post(*p.ioc, [sig = p.signals.get()] {
    boost::system::error_code ec;
    sig->cancel(ec);
  });
  // 2. No new messages from the channels (a source returns once it makes no more calls),
  //    no new deliveries; the one in progress finishes.
  stop_sources();
  p.dispatcher->stop();
  stop_scheduler();
  // 3. Requests already read are committed and answered (replies are posted to the
  //    sessions' strands, which still run).
  p.writer_->stop();
  p.feed->stop();
  stop_checkpointer();
  // Give the sessions a moment to write the replies the drain produced.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  p.ioc->stop();
  for (auto& t : p.io_threads)
    if (t.joinable()) t.join();
  p.io_threads.clear();
  const auto& ws = p.writer_->stats();
  log_.info("reglamentd stopped", {{"batches", std::to_string(ws.batches.load())},
                                   {"events", std::to_string(ws.items.load())},
                                   {"timers_fired", std::to_string(ws.timers_fired.load())},
                                   {"failed_commits", std::to_string(ws.failed_commits.load())},
                                   {"batches_redone", std::to_string(ws.batches_redone.load())}});
  // 4. Close in reverse order of opening.
  p.listener.reset();
  p.signals.reset();
  p.ioc.reset();
  p.routes.reset();
  p.studio.reset();
  p.accounts_api.reset();
  p.gate.reset();
  p.accounts.reset();
  p.reads.reset();
  p.dispatcher.reset();
  p.staff_notices.reset();
  p.channels.clear();
  p.gateway.reset();
  p.channels_db.reset();
  p.spools.clear();
  p.dispatch_store.reset();
  p.checkpoint_store.reset();
  p.writer_.reset();
  p.engine.reset();
  p.store.reset();
  return 0;
}

}  // namespace reglament::daemon
