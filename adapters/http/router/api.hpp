// The JSON API the staff app and tests use: health, metrics, inbound messages, cases,
// actions on a case's current step, the outbox, invoices and payments against them. Reads go to the read_pool; writes go
// through the group-commit writer and are answered only after they are committed.
// Thread-safe: handle() may be called from any IO thread at once. It knows nothing of
// sockets: the http_session owns the connection and sends what handle() produces.
#pragma once

#include "adapters/http/event_hub.hpp"
#include "adapters/http/auth/principal.hpp"
#include "adapters/http/read_pool.hpp"
#include "adapters/http/static_files.hpp"
#include "engine/channel_health.hpp"
#include "engine/firm.hpp"
#include "engine/metrics.hpp"
#include "engine/playbook_library.hpp"
#include "engine/writer.hpp"

#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace reglament {
class client_registry;
class channel_store;
}

namespace reglament::http {

class studio;
class gate;
class accounts_api;

namespace beast_http = boost::beast::http;
using request = beast_http::request<beast_http::string_body>;
using response = beast_http::response<beast_http::string_body>;

// What the session needs to send and log: the response and the case it concerned.
struct reply {
  response res;
  case_id id = 0;  // 0: no case
  // Set for GET /api/v1/events: the session hands its connection to an event_session
  // streaming this hub's frames instead of writing `res` (which carries only the version).
  std::shared_ptr<event_hub> events;
};

struct request_log {
  std::string method, path;  // path: the target with secret-looking query values masked
  std::string who;           // principal::actor(), empty for nobody
  int status = 0;
  double ms = 0;
  case_id id = 0;
};

struct api_options {
  std::size_t max_text_bytes = 64 * 1024;  // inbound text
  // Called after a write committed (new outbox rows may be waiting): wakes the dispatcher.
  std::function<void()> on_commit;
  // Called before /metrics renders, to refresh gauges the API does not own.
  std::function<void(metric_registry&)> on_scrape;
  // Fills a step's instruction or prompt with the case's variables; null: shown as written.
  std::function<std::string(const case_state&, const playbook&, const std::string&)> render_text;
  // The clients behind /api/v1/clients (list, show, create or update, link a contact);
  // null: those routes answer 503. `tariffs`: the tariff ids a client may have; empty:
  // not checked.
  client_registry* clients = nullptr;
  std::set<std::string> tariffs;
  // The owner's studio (playbooks, firm file, proposals, rehearsals): the paths
  // studio::owns() names go to it. Null: those paths are 404.
  studio* studio_routes = nullptr;
  // Channel errors (list, resolve) and attachment downloads; null / empty: those routes
  // answer 503.
  channel_store* channels = nullptr;
  std::string attachments_dir;
  // What each channel's servers are doing (GET /api/v1/channels); null: that route answers 503.
  const channel_health* health = nullptr;
  const clock* clk = nullptr;  // when a channel error is resolved; null: the system clock
  // The clock the inbox counts time left by, and working minutes between two moments
  // (the firm's calendar); null: the system clock and plain minutes.
  const clock* now = nullptr;
  std::function<std::int64_t(timestamp from, timestamp to)> working_minutes;
  // The director's reports (GET /api/v1/reports/NAME?from=&to=): the report as JSON, or
  // throws api_refusal (unknown name 404, bad period 400). Null: those routes answer 503.
  std::function<nlohmann::json(const std::string& name, const std::map<std::string, std::string>& query)> report;
  // Live updates behind GET /api/v1/events; null: that route answers 503.
  std::shared_ptr<event_hub> events;
  // The staff web app's files, served at every path outside /api/; null: 404 there.
  std::shared_ptr<const static_files> web;
  // Telegram linking (POST /api/v1/clients/{id}/telegram-code): the deep link for a code
  // ("https://t.me/<bot>?start=CODE", "" while the bot's username is unknown); null:
  // Telegram is not configured and the route answers 409. Codes live `link_code_ttl`;
  // `now` (null: the system clock) dates them.
  std::function<std::string(const std::string& code)> telegram_link;
  std::chrono::minutes link_code_ttl{72 * 60};
  // Who may call what (auth/gate.hpp); null: every request is refused with 503.
  gate* access_gate = nullptr;
  // /api/v1/auth, /api/v1/users, /api/v1/tokens; null: those routes answer 404.
  accounts_api* accounts = nullptr;
};

// One channel's health as GET /api/v1/channels and the `channel` live event show it.
nlohmann::json channel_health_json(const channel_health::entry& e);

// Builds a JSON error response: {"error": {"code", "message", "field"?}}.
response json_error(unsigned version, bool keep_alive, beast_http::status status,
                    const std::string& code, const std::string& message,
                    const std::string& field = {});

class api {
 public:
  // REQUIRES: all references outlive the api. `clients` may be null.
  api(writer& w, read_pool& reads, playbook_library& books, const client_directory* clients,
      metric_registry& metrics, api_options opt);

  // The gate's verdict on `req` from `address` (auth/gate.hpp): who sent it, or the
  // refusal to send instead of calling handle(). Every request goes through it first.
  struct admission {
    principal who;
    std::optional<response> refusal;
  };
  admission admit(const request& req, const std::string& address);

  // Produces the response for `req`, admitted for `who`, and passes it to `respond`
  // exactly once, perhaps on the writer's thread (for writes, after the commit).
  void handle(request&& req, const principal& who, std::function<void(reply)> respond);

  metric_registry& metrics() { return metrics_; }

 private:
  struct context;
  using ctx_ptr = std::shared_ptr<context>;
  void healthz(const ctx_ptr& c);
  void metrics_text(const ctx_ptr& c);
  void inbound(const ctx_ptr& c);
  void list_cases(const ctx_ptr& c);
  void get_case(const ctx_ptr& c, case_id id);
  void act(const ctx_ptr& c, case_id id);
  void list_outbox(const ctx_ptr& c);
  void retry_outbox(const ctx_ptr& c, case_id id, int n);
  void list_channel_errors(const ctx_ptr& c);
  void list_channels(const ctx_ptr& c);
  void get_channel_error(const ctx_ptr& c, std::int64_t id);
  void resolve_channel_error(const ctx_ptr& c, std::int64_t id);
  void get_attachment(const ctx_ptr& c, const std::string& sha256);
  void list_invoices(const ctx_ptr& c);
  void get_invoice(const ctx_ptr& c, const std::string& number);
  void pay_invoice(const ctx_ptr& c, const std::string& number);
  void list_clients(const ctx_ptr& c);
  void get_client(const ctx_ptr& c, const std::string& id);
  void put_client(const ctx_ptr& c);
  void link_contact(const ctx_ptr& c, const std::string& id);
  void events(const ctx_ptr& c);
  void list_situations(const ctx_ptr& c);
  void start_situation(const ctx_ptr& c);
  void report(const ctx_ptr& c, const std::string& name);
  void telegram_code(const ctx_ptr& c, const std::string& id);
  void submit(const ctx_ptr& c, writer::work w, std::function<void(context&, const engine_result&)> ok);

  writer& writer_;
  read_pool& reads_;
  playbook_library& books_;
  const client_directory* clients_;
  metric_registry& metrics_;
  api_options opt_;
  histogram& step_seconds_;
};

}  // namespace reglament::http
