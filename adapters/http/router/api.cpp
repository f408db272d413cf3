#include "adapters/http/router/api.hpp"

#include "adapters/http/router/request_parts.hpp"
#include "adapters/http/router/studio.hpp"
#include "adapters/http/router/staff_api.hpp"
#include "adapters/http/auth/gate.hpp"
#include "adapters/http/router/accounts_api.hpp"
#include "adapters/http/router/json_limits.hpp"
#include "engine/case_state.hpp"
#include "engine/store/channel_store.hpp"
#include "engine/store/client_registry.hpp"
#include "engine/text.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <charconv>
#include <chrono>
#include <fstream>
#include <sstream>
#include <map>
#include <memory>
#include <optional>
#include <set>

namespace reglament::http {

using nlohmann::json;

namespace {

constexpr const char* json_type = "application/json; charset=utf-8";

const char* code_for(int status) {
  switch (status) {
    case 400: return "bad_request";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 409: return "conflict";
    case 413: return "too_large";
    case 422: return "unprocessable";
    case 503: return "unavailable";
    default: return status >= 500 ? "internal" : "error";
  }
}

using invalid = invalid_request;
json parse_body(const std::string& body) { return parse_json_object(body); }

std::optional<std::string> string_field(const json& j, const std::string& name, bool required) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) {
    if (required) throw invalid{400, "missing_field", fmt::format("field '{}' is required", name), name};
    return std::nullopt;
  }
  if (!it->is_string())
    throw invalid{400, "wrong_type", fmt::format("field '{}' must be a string", name), name};
  auto v = it->get<std::string>();
  if (required && v.empty())
    throw invalid{400, "missing_field", fmt::format("field '{}' must not be empty", name), name};
  return v;
}

json fact_json(std::int64_t seq, const fact& f) {
  return {{"seq", seq}, {"at", to_iso8601(f.at)}, {"kind", to_string(f.kind)},
          {"step", f.step}, {"data", f.data}};
}

json outbox_json(const outbox_row& r) {
  return {{"case", r.id},
          {"n", r.n},
          {"key", r.idempotency_key()},
          {"channel", r.channel},
          {"to", r.to},
          {"text", r.text},
          {"state", r.state},
          {"attempts", r.attempts},
          {"last_error", r.last_error},
          {"created_at", to_iso8601(r.created_at)},
          {"next_attempt_at", to_iso8601(r.next_attempt_at)},
          {"buttons", r.buttons}};
}

json rubles_json(std::int64_t kopecks) {
  return kopecks % 100 == 0 ? json(kopecks / 100) : json(static_cast<double>(kopecks) / 100);
}

json invoice_json(const invoice_row& r) {
  return {{"number", r.number},
          {"case", r.id},
          {"client", r.client_id},
          {"amount", rubles_json(r.amount_kopecks)},
          {"paid", rubles_json(r.paid_kopecks)},
          {"currency", r.currency},
          {"purpose", r.purpose},
          {"status", r.status},
          {"issued_at", to_iso8601(r.issued_at)},
          {"due_date", r.due_date},
          {"due_at", to_iso8601(r.due_at)},
          {"paid_at", r.paid_at ? json(to_iso8601(*r.paid_at)) : json()},
          {"cancelled_at", r.cancelled_at ? json(to_iso8601(*r.cancelled_at)) : json()}};
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

response json_error(unsigned version, bool keep_alive, beast_http::status status,
                    const std::string& code, const std::string& message, const std::string& field) {
  json err = {{"code", code}, {"message", message}};
  if (!field.empty()) err["field"] = field;
  response res{status, version};
  res.set(beast_http::field::content_type, json_type);
  res.keep_alive(keep_alive);
  res.body() = dump(json{{"error", err}});
  res.prepare_payload();
  return res;
}

struct api::context {
  unsigned version = 11;
  bool keep_alive = true;
  beast_http::verb method{};
  std::string path;
  std::map<std::string, std::string> query;
  std::string body;
  std::function<void(reply)> respond;
  case_id id = 0;
  bool answered = false;
  std::shared_ptr<event_hub> stream;  // set by events(): the reply starts an event stream
  principal who;

  void send(int status, const json& body) {
    response res{static_cast<beast_http::status>(status), version};
    res.set(beast_http::field::content_type, json_type);
    res.keep_alive(keep_alive);
    res.body() = dump(body);
    res.prepare_payload();
    finish(std::move(res));
  }
  void fail(int status, const std::string& code, const std::string& message,
            const std::string& field = {}) {
    finish(json_error(version, keep_alive, static_cast<beast_http::status>(status), code, message, field));
  }
  void finish(response res) {
    if (answered) return;
    answered = true;
    respond(reply{std::move(res), id, std::move(stream)});
  }
};

api::api(writer& w, read_pool& reads, playbook_library& books, const client_directory* clients,
         metric_registry& metrics, api_options opt)
    : writer_(w),
      reads_(reads),
      books_(books),
      clients_(clients),
      metrics_(metrics),
      opt_(std::move(opt)),
      step_seconds_(metrics.get_histogram(
          "reglament_step_seconds", "Time the engine spent on one event, in seconds",
          {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1})) {}

api::admission api::admit(const request& req, const std::string& address) {
  admission a;
  if (!opt_.access_gate) {
    a.refusal = json_error(req.version(), req.keep_alive(), beast_http::status::service_unavailable, "unavailable",
                           "no access control is configured: every request is refused");
    return a;
  }
  try {
    auto v = opt_.access_gate->admit(req, address);
    a.who = std::move(v.who);
    a.refusal = std::move(v.refusal);
  } catch (const std::exception& e) {
    // The accounts could not be read (disk, lock): refuse now, the client may retry.
    a.refusal = json_error(req.version(), req.keep_alive(), beast_http::status::service_unavailable, "unavailable",
                           fmt::format("cannot check credentials right now: {}", e.what()));
  }
  return a;
}

void api::handle(request&& req, const principal& who, std::function<void(reply)> respond) {
  if (opt_.accounts) {
    std::optional<response> res;
    try {
      res = opt_.accounts->handle(req, who);
    } catch (const std::exception& e) {
      res = json_error(req.version(), req.keep_alive(), beast_http::status::service_unavailable, "unavailable",
                       fmt::format("the accounts cannot be changed right now: {}", e.what()));
    }
    if (res) return respond(reply{std::move(*res), 0});
  }
  if (opt_.studio_routes) {
    std::string_view t(req.target().data(), req.target().size());
    if (studio::owns(t.substr(0, t.find('?')))) return opt_.studio_routes->handle(std::move(req), who, std::move(respond));
  }
  auto c = std::make_shared<context>();
  c->who = who;
  c->version = req.version();
  c->keep_alive = req.keep_alive();
  c->method = req.method();
  std::string_view target(req.target().data(), req.target().size());
  auto q = target.find('?');
  c->path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) c->query = parse_query(target.substr(q + 1));
  c->body = std::move(req.body());
  c->respond = std::move(respond);

  using beast_http::verb;
  const auto& p = c->path;
  try {
    if (p == "/healthz") {
      if (c->method != verb::get) return c->fail(405, "method_not_allowed", "use GET");
      return healthz(c);
    }
    if (p == "/metrics") {
      if (c->method != verb::get) return c->fail(405, "method_not_allowed", "use GET");
      return metrics_text(c);
    }
    if (p == "/api/v1/inbound") {
      if (c->method != verb::post) return c->fail(405, "method_not_allowed", "use POST");
      return inbound(c);
    }
    if (p == "/api/v1/cases" || p == "/api/v1/cases/") {
      if (c->method != verb::get) return c->fail(405, "method_not_allowed", "use GET");
      return list_cases(c);
    }
    if (p == "/api/v1/outbox") {
      if (c->method != verb::get) return c->fail(405, "method_not_allowed", "use GET");
      return list_outbox(c);
    }
    constexpr std::string_view outbox_prefix = "/api/v1/outbox/";
    if (p.rfind(outbox_prefix, 0) == 0) {
      // /api/v1/outbox/{case}/{n}/retry
      std::string_view rest = std::string_view(p).substr(outbox_prefix.size());
      auto s1 = rest.find('/');
      auto s2 = s1 == std::string_view::npos ? s1 : rest.find('/', s1 + 1);
      if (s2 != std::string_view::npos && rest.substr(s2) == "/retry") {
        auto id = parse_int(rest.substr(0, s1));
        auto n = parse_int(rest.substr(s1 + 1, s2 - s1 - 1));
        if (!id || !n || *id <= 0 || *n <= 0)
          return c->fail(404, "not_found", fmt::format("no outbound message '{}'", rest.substr(0, s2)));
        if (c->method != verb::post) return c->fail(405, "method_not_allowed", "use POST");
        c->id = *id;
        return retry_outbox(c, *id, static_cast<int>(*n));
      }
    }
    if (p == "/api/v1/channels") {
      if (c->method != verb::get) return c->fail(405, "method_not_allowed", "use GET");
      return list_channels(c);
    }
    if (p == "/api/v1/channel-errors" || p == "/api/v1/channel-errors/") {
      if (c->method != verb::get) return c->fail(405, "method_not_allowed", "use GET");
      return list_channel_errors(c);
    }
    constexpr std::string_view errors_prefix = "/api/v1/channel-errors/";
    if (p.rfind(errors_prefix, 0) == 0) {
      std::string_view rest = std::string_view(p).substr(errors_prefix.size());
      auto slash = rest.find('/');
      auto id = parse_int(rest.substr(0, slash));
      if (!id || *id <= 0) return c->fail(404, "not_found", fmt::format("no channel error '{}'", rest.substr(0, slash)));
      if (slash == std::string_view::npos) {
        if (c->method != verb::get) return c->fail(405, "method_not_allowed", "use GET");
        return get_channel_error(c, *id);
      }
      if (rest.substr(slash) == "/resolve") {
        if (c->method != verb::post) return c->fail(405, "method_not_allowed", "use POST");
        return resolve_channel_error(c, *id);
      }
    }
    constexpr std::string_view attachments_prefix = "/api/v1/attachments/";
    if (p.rfind(attachments_prefix, 0) == 0) {
      if (c->method != verb::get) return c->fail(405, "method_not_allowed", "use GET");
      return get_attachment(c, p.substr(attachments_prefix.size()));
    }
    if (p == "/api/v1/invoices" || p == "/api/v1/invoices/") {
      if (c->method != verb::get) return c->fail(405, "method_not_allowed", "use GET");
      return list_invoices(c);
    }
    constexpr std::string_view invoices_prefix = "/api/v1/invoices/";
    if (p.rfind(invoices_prefix, 0) == 0) {
      std::string_view rest = std::string_view(p).substr(invoices_prefix.size());
      auto slash = rest.find('/');
      std::string number(rest.substr(0, slash));
      if (slash == std::string_view::npos) {
        if (c->method != verb::get) return c->fail(405, "method_not_allowed", "use GET");
        return get_invoice(c, number);
      }
      if (rest.substr(slash) == "/payments") {
        if (c->method != verb::post) return c->fail(405, "method_not_allowed", "use POST");
        return pay_invoice(c, number);
      }
    }
    if (p == "/api/v1/clients" || p == "/api/v1/clients/") {
      if (c->method == verb::get) return list_clients(c);
      if (c->method == verb::post) return put_client(c);
      return c->fail(405, "method_not_allowed", "use GET or POST");
    }
    constexpr std::string_view clients_prefix = "/api/v1/clients/";
    if (p.rfind(clients_prefix, 0) == 0) {
      auto rest = percent_decode(std::string_view(p).substr(clients_prefix.size()));
      auto slash = rest.find('/');
      auto id = rest.substr(0, slash);
      if (slash == std::string::npos) {
        if (c->method != verb::get) return c->fail(405, "method_not_allowed", "use GET");
        return get_client(c, id);
      }
      if (rest.substr(slash) == "/contacts") {
        if (c->method != verb::post) return c->fail(405, "method_not_allowed", "use POST");
        return link_contact(c, id);
      }
      if (rest.substr(slash) == "/telegram-code") {
        if (c->method != verb::post) return c->fail(405, "method_not_allowed", "use POST");
        return telegram_code(c, id);
      }
    }
    constexpr std::string_view cases_prefix = "/api/v1/cases/";
    if (p.rfind(cases_prefix, 0) == 0) {
      std::string_view rest = std::string_view(p).substr(cases_prefix.size());
      auto slash = rest.find('/');
      auto id = parse_int(rest.substr(0, slash));
      if (!id || *id <= 0) return c->fail(404, "not_found", fmt::format("no case '{}'", rest.substr(0, slash)));
      c->id = *id;
      if (slash == std::string_view::npos) {
        if (c->method != verb::get) return c->fail(405, "method_not_allowed", "use GET");
        return get_case(c, *id);
      }
      if (rest.substr(slash) == "/actions") {
        if (c->method != verb::post) return c->fail(405, "method_not_allowed", "use POST");
        return act(c, *id);
      }
    }
    if (p == "/api/v1/situations") {
      if (c->method == verb::get) return list_situations(c);
      if (c->method == verb::post) return start_situation(c);
      return c->fail(405, "method_not_allowed", "use GET or POST");
    }
    constexpr std::string_view reports_prefix = "/api/v1/reports/";
    if (p.rfind(reports_prefix, 0) == 0) {
      if (c->method != verb::get) return c->fail(405, "method_not_allowed", "use GET");
      return report(c, p.substr(reports_prefix.size()));
    }
    if (p == "/api/v1/events") {
      if (c->method != verb::get) return c->fail(405, "method_not_allowed", "use GET");
      return events(c);
    }
    if (opt_.web && static_files::wants(p) && (c->method == verb::get || c->method == verb::head))
      return c->finish(opt_.web->serve(req, percent_decode(p)));
    c->fail(404, "not_found", fmt::format("no such endpoint: {}", p));
  } catch (const invalid& e) {
    c->fail(e.status, e.code, e.message, e.field);
  } catch (const api_refusal& e) {
    c->fail(e.status, e.code, e.message, e.field);
  } catch (const std::exception& e) {
    c->fail(500, "internal", e.what());
  }
  // Async paths keep `c` alive through their callbacks.
}

void api::list_situations(const ctx_ptr& c) {
  if (!c->query.empty()) throw invalid{400, "unknown_field", fmt::format("unknown query parameter '{}'", c->query.begin()->first), c->query.begin()->first};
  c->send(200, {{"playbooks", startable_playbooks(books_)}});
}

// Starts a manual or "what to do if…" playbook for a client, or from a case (for its
// client; the case gets a note saying which case the situation opened).
void api::start_situation(const ctx_ptr& c) {
  auto j = parse_body(c->body);
  only_fields(j, {"playbook", "case", "client", "actor"});
  auto id = *string_field(j, "playbook", true);
  auto client = string_field(j, "client", false).value_or("");
  auto actor = string_field(j, "actor", false).value_or("");
  case_id from = 0;
  if (auto it = j.find("case"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<std::int64_t>() <= 0)
      throw invalid{400, "wrong_type", "field 'case' must be a case id", "case"};
    from = it->get<std::int64_t>();
  }
  auto book = books_.latest(id);
  if (!book) throw invalid{404, "not_found", fmt::format("no playbook '{}'", id), "playbook"};
  if (!book->on.manual && !book->on.situation)
    throw invalid{422, "invalid", fmt::format("playbook '{}' is not started by hand (trigger: manual or situation)", id), "playbook"};
  if (from) {
    auto st = reads_.acquire();
    auto state = st->load_case(from);
    if (!state) throw invalid{404, "not_found", fmt::format("no case {}", from), "case"};
    if (client.empty()) client = state->client_id;
  }
  const std::string title = book->title.empty() ? book->id : book->title;
  submit(c,
         [id, client, actor, from, title](case_engine& e) {
           auto r = e.start(id, client, actor);
           if (r.error.empty() && from) {
             staff_action note;
             note.what = staff_action::kind::note;
             note.reason = fmt::format("Начата ситуация «{}»: заявка №{}", title, r.id);
             note.actor = actor;
             e.action(from, note);  // the note is a courtesy: the new case stands without it
           }
           return r;
         },
         [from](context& k, const engine_result& r) {
           k.send(201, {{"case", r.id}, {"from_case", from ? json(from) : json()}});
         });
}

void api::report(const ctx_ptr& c, const std::string& name) {
  if (!opt_.report) return c->fail(503, "unavailable", "reports are not enabled on this server");
  c->send(200, opt_.report(name, c->query));
}

void api::events(const ctx_ptr& c) {
  if (!opt_.events) return c->fail(503, "unavailable", "live updates are not enabled on this server");
  c->stream = opt_.events;
  response res{beast_http::status::ok, c->version};
  c->finish(std::move(res));
}

void api::healthz(const std::shared_ptr<context>& c) {
  try {
    auto st = reads_.acquire();
    st->count_cases_by_status(to_string(case_status::running));
  } catch (const std::exception& e) {
    return c->fail(503, "unavailable", fmt::format("store cannot be read: {}", e.what()));
  }
  c->send(200, {{"status", "ok"}});
}

void api::metrics_text(const std::shared_ptr<context>& c) {
  {
    auto st = reads_.acquire();
    for (auto s : {case_status::running, case_status::waiting_manager, case_status::waiting_client,
                   case_status::waiting_payment, case_status::waiting_director,
                   case_status::waiting_timer, case_status::closed}) {
      metrics_.get_gauge("reglament_cases", "Cases by lifecycle status", {{"status", to_string(s)}})
          .set(static_cast<double>(st->count_cases_by_status(to_string(s))));
    }
    metrics_.get_gauge("reglament_outbox_backlog", "Outbound messages queued and not yet delivered")
        .set(static_cast<double>(st->count_outbox("queued") + st->count_outbox("failed")));
    metrics_.get_gauge("reglament_timers_pending", "Timers set and not yet fired")
        .set(static_cast<double>(st->count_timers()));
  }
  const auto& ws = writer_.stats();
  auto& batches = metrics_.get_histogram("reglament_commit_batch_size",
                                         "Events per group commit", {1, 4, 16, 64, 256, 1024, 4096});
  for (std::size_t i = 0; i < 8; ++i)
    batches.set_bucket_count(i, ws.batch_size_buckets[i].load(), static_cast<double>(ws.items.load()));
  metrics_.get_gauge("reglament_writer_queue_depth", "Events waiting for the writer")
      .set(static_cast<double>(writer_.queue_depth()));
  metrics_.get_gauge("reglament_writer_failed_commits", "Group commits that failed since start")
      .set(static_cast<double>(ws.failed_commits.load()));
  metrics_.get_gauge("reglament_writer_batches_redone",
                     "Group commits run again with a savepoint per event because one event failed")
      .set(static_cast<double>(ws.batches_redone.load()));
  metrics_.get_gauge("reglament_timers_fired", "Timers fired since start")
      .set(static_cast<double>(ws.timers_fired.load()));
  if (opt_.on_scrape) opt_.on_scrape(metrics_);

  response res{beast_http::status::ok, c->version};
  res.set(beast_http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  res.keep_alive(c->keep_alive);
  res.body() = metrics_.render();
  res.prepare_payload();
  c->finish(std::move(res));
}

void api::submit(const ctx_ptr& c, writer::work w,
                 std::function<void(context&, const engine_result&)> ok) {
  auto& hist = step_seconds_;
  auto timed = [w = std::move(w), &hist](case_engine& e) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = w(e);
    hist.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    return r;
  };
  writer_.submit(std::move(timed), [this, c, ok = std::move(ok)](const engine_result& r) {
    if (r.error.empty() && opt_.on_commit) opt_.on_commit();
    if (r.id) c->id = r.id;
    if (!r.error.empty()) {
      int status = r.http_status >= 400 ? r.http_status : 422;
      return c->fail(status, code_for(status), r.error);
    }
    try {
      ok(*c, r);
    } catch (const std::exception& e) {
      c->fail(500, "internal", e.what());
    }
  });
}

void api::inbound(const std::shared_ptr<context>& c) {
  auto j = parse_body(c->body);
  only_fields(j, {"channel", "external_id", "sender", "text", "thread"});
  inbound_message m;
  m.channel = *string_field(j, "channel", true);
  m.external_id = *string_field(j, "external_id", true);
  m.sender = *string_field(j, "sender", true);
  m.text = *string_field(j, "text", true);
  m.thread = string_field(j, "thread", false).value_or("");
  if (!valid_utf8(m.text)) throw invalid{400, "bad_text", "field 'text' is not valid UTF-8", "text"};
  if (m.text.size() > opt_.max_text_bytes)
    throw invalid{413, "too_large",
                  fmt::format("field 'text' is {} bytes; the limit is {}", m.text.size(), opt_.max_text_bytes),
                  "text"};
  auto channel = m.channel;
  analyse(m);  // on this connection's thread, not on the writer's
  submit(c, [m = std::move(m)](case_engine& e) { return e.inbound(m); },
         [this, channel](context& k, const engine_result& r) {
           if (!r.duplicate)
             metrics_.get_counter("reglament_messages_in_total", "Inbound client messages accepted",
                                  {{"channel", channel}})
                 .inc();
           k.send(r.duplicate ? 200 : 201, {{"case", r.id}, {"duplicate", r.duplicate}});
         });
}

void api::list_cases(const std::shared_ptr<context>& c) {
  case_filter f;
  bool by_urgency = false;
  for (const auto& [k, v] : c->query) {
    if (k == "status") {
      if (!v.empty() && !case_status_from_string(v))
        throw invalid{400, "bad_query", fmt::format("unknown status '{}'", v), "status"};
      f.status = v;
    } else if (k == "open") {
      if (v != "0" && v != "1" && v != "true" && v != "false")
        throw invalid{400, "bad_query", "open must be 1 or 0", "open"};
      f.open_only = v == "1" || v == "true";
    } else if (k == "assignee") {
      f.assignee = v;
    } else if (k == "limit") {
      auto n = parse_int(v);
      if (!n || *n < 1 || *n > 1000) throw invalid{400, "bad_query", "limit must be 1..1000", "limit"};
      f.limit = static_cast<int>(*n);
    } else if (k == "after") {
      auto n = parse_int(v);
      if (!n || *n < 0) throw invalid{400, "bad_query", "after must be a case id", "after"};
      f.after = *n;
    } else if (k == "order") {
      if (v != "urgency" && v != "newest" && !v.empty())
        throw invalid{400, "bad_query", "order must be urgency or newest", "order"};
      by_urgency = v == "urgency";
    } else {
      throw invalid{400, "unknown_field", fmt::format("unknown query parameter '{}'", k), k};
    }
  }
  json out;
  {
    auto st = reads_.acquire();
    out = case_summaries(*st, books_, clients_, opt_, st->cases(f), by_urgency);
  }
  c->send(200, {{"cases", out}});
}

void api::get_case(const std::shared_ptr<context>& c, case_id id) {
  json body;
  {
    auto st = reads_.acquire();
    auto state = st->load_case(id);
    if (!state) return c->fail(404, "not_found", fmt::format("no case {}", id));
    json step = nullptr;
    if (!state->step.empty() && !state->playbook.empty()) {
      auto book = books_.version(state->playbook, state->version, &*st);
      if (const auto* s = book ? book->find_step(state->step) : nullptr) {
        json choices = json::array();
        for (const auto& e : s->exits)
          choices.push_back({{"key", e.key}, {"label", e.label.empty() ? e.key : e.label}, {"target", e.target}});
        json fields = json::array();
        for (const auto& f : s->fields) fields.push_back({{"variable", f.variable}, {"label", f.label}});
        auto show = [&](const std::string& text) {
          return opt_.render_text ? opt_.render_text(*state, *book, text) : text;
        };
        step = {{"id", s->id},
                {"title", s->title.empty() ? s->id : s->title},
                {"instruction", show(s->instruction)},
                {"kind", to_string(s->kind)},
                {"prompt", show(s->prompt)},
                {"choices", choices},
                {"fields", fields}};
        // An editable say waiting for the manager: the reply as prepared, to edit and send.
        if (s->kind == step_kind::say && s->editable && state->status == case_status::waiting_manager) {
          step["editable"] = true;
          step["prepared"] = state->vars.value("prepared_reply", "");
          step["buttons"] = s->buttons;
        }
      } else {
        step = {{"id", state->step}};
      }
    }
    json client = nullptr;
    if (!state->client_id.empty()) {
      client = {{"id", state->client_id}};
      if (clients_)
        if (auto info = clients_->find(state->client_id)) {
          client["name"] = info->name;
          client["address_as"] = info->address_as;
          client["tariff"] = info->tariff_id;
          client["manager"] = info->manager;
        }
    }
    json timers = json::array();
    for (const auto& t : state->timers)
      timers.push_back({{"n", t.n}, {"due", to_iso8601(t.due)}, {"step", t.step}, {"purpose", t.purpose}});
    json journal = json::array();
    json attachments = json::array();  // every file that came with the case's messages
    for (const auto& e : st->journal(id)) {
      journal.push_back(fact_json(e.seq, e.what));
      if (e.what.kind != fact_kind::message_received || !e.what.data.contains("attachments")) continue;
      for (const auto& a : e.what.data["attachments"]) {
        json item = a;
        item["message"] = e.what.data.value("external_id", "");
        item["url"] = "/api/v1/attachments/" + a.value("sha256", "");
        attachments.push_back(std::move(item));
      }
    }
    body = {{"case",
             {{"id", id},
              {"status", to_string(state->status)},
              {"playbook", state->playbook},
              {"version", state->version},
              {"step", step},
              {"vars", state->vars},
              {"assignee", state->assignee},
              {"client", client},
              {"channel", state->channel},
              {"sender", state->sender},
              {"outcome", state->outcome},
              {"error", state->error},
              {"timers", timers},
              {"attachments", attachments},
              {"opened_at", to_iso8601(state->opened_at)},
              {"updated_at", to_iso8601(state->updated_at)}}},
            {"journal", journal}};
  }
  c->send(200, body);
}

void api::act(const std::shared_ptr<context>& c, case_id id) {
  auto j = parse_body(c->body);
  only_fields(j, {"action", "step", "option", "values", "reason", "actor"});
  auto action = *string_field(j, "action", true);
  auto kind = staff_action_kind_from_string(action);
  if (!kind)
    throw invalid{400, "bad_action",
                  fmt::format("unknown action '{}' (expected choose, submit, done, skip, decide, paid, note, correct, call, visit, send)", action),
                  "action"};
  staff_action a;
  a.what = *kind;
  a.step = string_field(j, "step", !staff_action::any_time(*kind)).value_or("");
  a.option = string_field(j, "option", false).value_or("");
  a.reason = string_field(j, "reason", false).value_or("");
  // A person acts as themselves; a program's token may name whom it acts for.
  a.actor = c->who.how == principal::via::session ? c->who.login
                                                  : string_field(j, "actor", false).value_or(c->who.actor());
  if (auto it = j.find("values"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) throw invalid{400, "wrong_type", "field 'values' must be an object", "values"};
    a.values = *it;
  }
  using k = staff_action::kind;
  // Decisions on escalations are the director's (the route table lets managers act).
  if (a.what == k::decide && c->who.role != auth::role::director && c->who.role != auth::role::owner)
    throw invalid{403, "forbidden", "deciding an escalation is for the director or the owner", "action"};
  if ((a.what == k::skip || a.what == k::note) && a.reason.empty())
    throw invalid{422, "missing_reason",
                  a.what == k::skip ? "a skipped task needs a reason" : "a note needs its text in 'reason'",
                  "reason"};
  if ((a.what == k::choose || a.what == k::decide) && a.option.empty())
    throw invalid{422, "missing_option", fmt::format("'{}' needs an option", action), "option"};
  if (a.what == k::correct && a.option.empty() && !a.values.contains("service"))
    throw invalid{422, "missing_service", "'correct' needs the service id in values.service", "values"};
  if ((a.what == k::call || a.what == k::visit) && a.reason.empty())
    throw invalid{422, "missing_reason", fmt::format("a {} needs its summary in 'reason'", action), "reason"};
  if ((a.what == k::call || a.what == k::visit) && !a.values.contains("who"))
    throw invalid{422, "missing_values", fmt::format("a {} needs values.who (whom the manager spoke with)", action), "values"};
  if (a.what == k::submit && !j.contains("values"))
    throw invalid{422, "missing_values", "'submit' needs the form's values", "values"};

  submit(c, [id, a = std::move(a)](case_engine& e) { return e.action(id, a); },
         [](context& k, const engine_result& r) {
           json facts = json::array();
           for (const auto& f : r.facts) facts.push_back(fact_json(0, f));
           k.send(200, {{"case", r.id}, {"facts", facts}});
         });
}

void api::list_outbox(const std::shared_ptr<context>& c) {
  std::string state;
  int limit = 100;
  for (const auto& [k, v] : c->query) {
    if (k == "state") {
      if (!v.empty() && v != "queued" && v != "sent" && v != "failed" && v != "dead")
        throw invalid{400, "bad_query", "state must be queued, sent, failed or dead", "state"};
      state = v;
    } else if (k == "limit") {
      auto n = parse_int(v);
      if (!n || *n < 1 || *n > 10000) throw invalid{400, "bad_query", "limit must be 1..10000", "limit"};
      limit = static_cast<int>(*n);
    } else {
      throw invalid{400, "unknown_field", fmt::format("unknown query parameter '{}'", k), k};
    }
  }
  json rows = json::array();
  {
    auto st = reads_.acquire();
    for (const auto& r : st->outbox(state, limit)) rows.push_back(outbox_json(r));
  }
  c->send(200, {{"outbox", rows}});
}

void api::retry_outbox(const ctx_ptr& c, case_id id, int n) {
  json j = c->body.empty() ? json::object() : parse_body(c->body);
  only_fields(j, {"actor"});
  auto actor = string_field(j, "actor", false).value_or("api");
  submit(c, [id, n, actor](case_engine& e) { return e.retry_message(id, n, actor); },
         [id, n](context& k, const engine_result&) {
           k.send(200, {{"case", id}, {"n", n}, {"key", fmt::format("c{}-m{}", id, n)}, {"state", "queued"}});
         });
}

namespace {

json channel_error_json(const channel_error_row& r) {
  return {{"id", r.id},
          {"channel", r.error.channel},
          {"external_id", r.error.external_id},
          {"reason", r.error.reason},
          {"raw", r.error.raw},
          {"raw_size", r.raw_size},
          {"raw_truncated", r.raw_size > r.error.raw.size()},
          {"received_at", to_iso8601(r.received_at)},
          {"resolved", r.resolved},
          {"resolved_at", r.resolved_at ? json(to_iso8601(*r.resolved_at)) : json()},
          {"resolved_by", r.resolved_by}};
}

channel_store& channels_of(channel_store* s) {
  if (!s) throw invalid{503, "unavailable", "channel errors are not kept by this server", {}};
  return *s;
}

// Types a browser may be told; anything else (HTML, SVG, scripts) is served as bytes.
std::string safe_content_type(const std::string& declared) {
  static const std::set<std::string> allowed{
      "application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "text/plain", "text/csv",
      "application/zip", "application/msword", "application/vnd.ms-excel",
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
      "application/xml", "text/xml"};
  std::string t = declared.substr(0, declared.find(';'));
  while (!t.empty() && t.back() == ' ') t.pop_back();
  for (auto& ch : t) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
  return allowed.count(t) ? t : "application/octet-stream";
}

// attachment; filename="ascii fallback"; filename*=UTF-8''percent-encoded (RFC 6266).
std::string content_disposition(const std::string& name) {
  std::string ascii, encoded;
  for (unsigned char ch : name) {
    ascii += (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') ? static_cast<char>(ch) : '_';
    if (std::isalnum(ch) || ch == '.' || ch == '-' || ch == '_')
      encoded += static_cast<char>(ch);
    else
      encoded += fmt::format("%{:02X}", ch);
  }
  if (ascii.empty()) ascii = encoded = "attachment";
  return fmt::format("attachment; filename=\"{}\"; filename*=UTF-8''{}", ascii, encoded);
}

}  // namespace

json channel_health_json(const channel_health::entry& e) {
  auto when = [](const std::optional<timestamp>& t) { return t ? json(to_iso8601(*t)) : json(nullptr); };
  auto side = [&](const channel_health::side& s, bool outbound) {
    if (!s.present) return json(nullptr);
    json j{{"state", to_string(s.now)},
           {"since", when(s.since)},
           {"error", s.error.empty() ? json(nullptr) : json(s.error)},
           {"last_ok", when(s.last_ok)},
           {"last_failure", when(s.last_failure)},
           {"next_retry", when(s.next_retry)},
           {"successes", s.successes},
           {"failures", s.failures},
           {"consecutive_failures", s.consecutive_failures}};
    if (outbound) {
      j["dead"] = s.dead;
      j["last_dead_error"] = s.last_dead_error.empty() ? json(nullptr) : json(s.last_dead_error);
    }
    return j;
  };
  return {{"name", e.name}, {"state", to_string(e.overall())}, {"inbound", side(e.inbound, false)},
          {"outbound", side(e.outbound, true)}};
}

void api::list_channels(const ctx_ptr& c) {
  if (!c->query.empty())
    throw invalid{400, "unknown_field", fmt::format("unknown query parameter '{}'", c->query.begin()->first),
                  c->query.begin()->first};
  if (!opt_.health) return c->fail(503, "unavailable", "channel status is not kept by this server");
  json rows = json::array();
  bool failing = false;
  for (const auto& e : opt_.health->snapshot()) {
    rows.push_back(channel_health_json(e));
    failing = failing || e.overall() == channel_health::state::failing;
  }
  json outbox = json::object();
  {
    auto st = reads_.acquire();
    for (const char* state : {"queued", "failed", "dead"}) outbox[state] = st->count_outbox(state);
  }
  c->send(200, {{"channels", rows}, {"failing", failing}, {"outbox", outbox}});
}

void api::list_channel_errors(const ctx_ptr& c) {
  auto& store = channels_of(opt_.channels);
  bool all = false;
  int limit = 100;
  for (const auto& [k, v] : c->query) {
    if (k == "all") {
      if (v != "0" && v != "1" && v != "true" && v != "false")
        throw invalid{400, "bad_query", "all must be 1 or 0", "all"};
      all = v == "1" || v == "true";
    } else if (k == "limit") {
      auto n = parse_int(v);
      if (!n || *n < 1 || *n > 1000) throw invalid{400, "bad_query", "limit must be 1..1000", "limit"};
      limit = static_cast<int>(*n);
    } else {
      throw invalid{400, "unknown_field", fmt::format("unknown query parameter '{}'", k), k};
    }
  }
  json rows = json::array();
  for (const auto& r : store.errors(all, limit)) rows.push_back(channel_error_json(r));
  c->send(200, {{"channel_errors", rows}, {"open", store.count_open_errors()}});
}

void api::get_channel_error(const ctx_ptr& c, std::int64_t id) {
  auto row = channels_of(opt_.channels).error(id);
  if (!row) return c->fail(404, "not_found", fmt::format("no channel error {}", id));
  c->send(200, {{"channel_error", channel_error_json(*row)}});
}

void api::resolve_channel_error(const ctx_ptr& c, std::int64_t id) {
  auto& store = channels_of(opt_.channels);
  json j = c->body.empty() ? json::object() : parse_body(c->body);
  only_fields(j, {"actor"});
  auto actor = string_field(j, "actor", false).value_or("api");
  const auto now = opt_.clk ? opt_.clk->now() : system_clock_source().now();
  if (!store.resolve_error(id, actor, now)) return c->fail(404, "not_found", fmt::format("no channel error {}", id));
  c->send(200, {{"channel_error", channel_error_json(*store.error(id))}});
}

void api::get_attachment(const ctx_ptr& c, const std::string& sha256) {
  auto& store = channels_of(opt_.channels);
  if (opt_.attachments_dir.empty()) throw invalid{503, "unavailable", "attachments are not kept by this server", {}};
  bool hex = sha256.size() == 64;
  for (char ch : sha256) hex = hex && ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'));
  if (!hex) return c->fail(404, "not_found", "an attachment is named by its sha256: 64 lower-case hex digits");
  auto info = store.attachment_info(sha256);
  std::ifstream in(opt_.attachments_dir + "/" + sha256, std::ios::binary);
  if (!info || !in) return c->fail(404, "not_found", fmt::format("no attachment {}", sha256));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  response res{beast_http::status::ok, c->version};
  res.set(beast_http::field::content_type, safe_content_type(info->content_type));
  res.set(beast_http::field::content_disposition, content_disposition(info->name));
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Content-Security-Policy", "default-src 'none'; sandbox");
  res.set(beast_http::field::cache_control, "private, max-age=31536000, immutable");
  res.keep_alive(c->keep_alive);
  res.body() = bytes.str();
  res.prepare_payload();
  c->finish(std::move(res));
}

void api::list_invoices(const ctx_ptr& c) {
  invoice_filter f;
  for (const auto& [k, v] : c->query) {
    if (k == "status") {
      if (!v.empty() && v != "issued" && v != "paid" && v != "cancelled")
        throw invalid{400, "bad_query", "status must be issued, paid or cancelled", "status"};
      f.status = v;
    } else if (k == "client") {
      f.client_id = v;
    } else if (k == "limit") {
      auto n = parse_int(v);
      if (!n || *n < 1 || *n > 1000) throw invalid{400, "bad_query", "limit must be 1..1000", "limit"};
      f.limit = static_cast<int>(*n);
    } else {
      throw invalid{400, "unknown_field", fmt::format("unknown query parameter '{}'", k), k};
    }
  }
  json rows = json::array();
  {
    auto st = reads_.acquire();
    for (const auto& r : st->invoices(f)) rows.push_back(invoice_json(r));
  }
  c->send(200, {{"invoices", rows}});
}

void api::get_invoice(const ctx_ptr& c, const std::string& number) {
  std::optional<invoice_row> row;
  {
    auto st = reads_.acquire();
    row = st->invoice(number);
  }
  if (!row) return c->fail(404, "not_found", fmt::format("no invoice '{}'", number));
  c->id = row->id;
  c->send(200, {{"invoice", invoice_json(*row)}});
}

void api::pay_invoice(const ctx_ptr& c, const std::string& number) {
  auto j = parse_body(c->body);
  only_fields(j, {"amount", "actor"});
  json amount = j.value("amount", json());
  if (!amount.is_null() && !amount.is_number())
    throw invalid{400, "wrong_type", "field 'amount' must be a number of rubles", "amount"};
  auto actor = c->who.how == principal::via::session ? c->who.login
                                                     : string_field(j, "actor", false).value_or(c->who.actor());
  submit(c, [number, amount, actor](case_engine& e) { return e.pay_invoice(number, amount, actor); },
         [this, number](context& k, const engine_result& r) {
           json facts = json::array();
           for (const auto& f : r.facts) facts.push_back(fact_json(0, f));
           std::optional<invoice_row> row;
           {
             auto st = reads_.acquire();
             row = st->invoice(number);
           }
           k.send(200, {{"case", r.id}, {"invoice", row ? invoice_json(*row) : json()}, {"facts", facts}});
         });
}

namespace {

std::string annual_text(const annual_date& d) { return fmt::format("{:02}-{:02}", d.month, d.day); }

// The client in the shape POST /api/v1/clients takes: what GET gives can be sent back.
json client_json(const client_def& d) {
  const auto& c = d.info;
  const int a = c.utc_offset_minutes < 0 ? -c.utc_offset_minutes : c.utc_offset_minutes;
  json birthdays = json::array();
  for (const auto& b : c.birthdays) birthdays.push_back({{"name", b.name}, {"date", annual_text(b.date)}});
  json contacts = json::object();
  for (const auto& k : d.contacts) contacts[k.channel].push_back(k.address);
  json sla = json::object();
  if (c.sla.first_reply) sla["first_reply"] = c.sla.first_reply->text;
  if (c.sla.idle) sla["idle"] = c.sla.idle->text;
  if (c.sla.deadline) sla["deadline"] = c.sla.deadline->text;
  json tariff_changes = json::array();  // dated switches, in the shape POST reads back
  for (const auto& [from, tariff] : c.tariff_changes) tariff_changes.push_back({{"tariff", tariff}, {"from", from}});
  return {{"id", c.id},
          {"name", c.name},
          {"inn", c.inn},
          {"address", c.address_as},
          {"form", c.informal ? "ты" : "Вы"},
          {"tariff", c.tariff_id},
          {"tariffs", tariff_changes},
          {"manager", c.manager},
          {"accountant", c.accountant},
          {"timezone", fmt::format("{}{:02}:{:02}", c.utc_offset_minutes < 0 ? '-' : '+', a / 60, a % 60)},
          {"language", c.language},
          {"holiday", c.holiday.valid() ? json{{"title", c.holiday_title}, {"date", annual_text(c.holiday)}} : json()},
          {"birthdays", birthdays},
          {"sla", sla},
          {"contacts", contacts}};
}

client_registry& registry_of(client_registry* r) {
  if (!r) throw invalid{503, "unavailable", "clients are not managed by this server", {}};
  return *r;
}

}  // namespace

void api::list_clients(const ctx_ptr& c) {
  auto& reg = registry_of(opt_.clients);
  std::string tariff, manager;
  for (const auto& [k, v] : c->query) {
    if (k == "tariff")
      tariff = v;
    else if (k == "manager")
      manager = v;
    else
      throw invalid{400, "unknown_field", fmt::format("unknown query parameter '{}'", k), k};
  }
  auto snap = reg.snapshot();
  json out = json::array();
  for (const auto& d : snap->clients()) {  // in id order
    if ((!tariff.empty() && d.info.tariff_id != tariff) || (!manager.empty() && d.info.manager != manager)) continue;
    out.push_back(client_json(d));
  }
  c->send(200, {{"clients", out}});
}

void api::get_client(const ctx_ptr& c, const std::string& id) {
  auto& reg = registry_of(opt_.clients);
  auto snap = reg.snapshot();
  const auto* d = snap->get(id);
  if (!d) return c->fail(404, "not_found", fmt::format("no client '{}'", id));
  auto body = client_json(*d);
  body["open_cases"] = reg.open_cases(id);
  c->send(200, {{"client", body}});
}

void api::put_client(const ctx_ptr& c) {
  auto& reg = registry_of(opt_.clients);
  only_fields(parse_body(c->body), {"id", "name", "inn", "address", "form", "tariff", "manager", "accountant",
                                    "timezone", "language", "holiday", "birthdays", "sla", "contacts"});
  diagnostics problems;
  auto batch = parse_client_document(c->body, "body", problems);
  auto fail_with = [&](int status) {
    std::string all;
    for (const auto& d : problems) all += (all.empty() ? "" : "; ") + d.to_string();
    c->fail(status, code_for(status), all);
  };
  if (!problems.empty()) return fail_with(422);
  const auto& d = batch.clients.front();
  auto snap = reg.snapshot();
  for (const auto& k : d.contacts)
    if (auto owner = snap->owner_of(k.channel, k.address); !owner.empty() && owner != d.info.id)
      return c->fail(409, "conflict",
                     fmt::format("{} {} is a contact of client {}", k.channel, k.address, owner), "contacts");
  auto r = reg.import(batch, opt_.tariffs.empty() ? nullptr : &opt_.tariffs, problems);
  if (!r) return fail_with(422);
  c->send(r->added ? 201 : 200, {{"client", client_json(*reg.snapshot()->get(d.info.id))},
                                 {"created", r->added > 0},
                                 {"contacts_added", r->contacts_added}});
}

void api::link_contact(const ctx_ptr& c, const std::string& id) {
  auto& reg = registry_of(opt_.clients);
  auto j = parse_body(c->body);
  only_fields(j, {"channel", "address"});
  auto channel = *string_field(j, "channel", true);
  auto address = *string_field(j, "address", true);
  auto r = reg.link_contact(channel, address, id);
  switch (r.status) {
    case link_status::linked:
    case link_status::already_linked:
      return c->send(r.status == link_status::linked ? 201 : 200,
                     {{"client", client_json(*reg.snapshot()->get(id))}, {"message", r.message}});
    case link_status::unknown_client: return c->fail(404, "not_found", r.message);
    case link_status::taken: return c->fail(409, "conflict", r.message, "address");
    case link_status::invalid: return c->fail(422, "unprocessable", r.message, "address");
  }
}

void api::telegram_code(const ctx_ptr& c, const std::string& id) {
  auto& reg = registry_of(opt_.clients);
  if (!opt_.telegram_link)
    return c->fail(409, "conflict", "Telegram is not configured: add [channels.telegram] to the daemon's config");
  auto j = c->body.empty() ? json::object() : parse_body(c->body);
  only_fields(j, {"actor"});
  // A person acts as themselves; a program's token may name whom it acts for.
  const auto actor = c->who.how == principal::via::session ? c->who.login
                                                           : string_field(j, "actor", false).value_or(c->who.actor());
  system_clock_source system;
  const timestamp now = opt_.now ? opt_.now->now() : system.now();
  std::string why;
  auto code = reg.create_link_code(id, "telegram", opt_.link_code_ttl, now, actor, &why);
  if (!code) return c->fail(404, "not_found", why);
  const std::string link = opt_.telegram_link(code->code);
  c->send(201, {{"client", id},
                {"code", code->code},
                {"expires_at", to_iso8601(code->expires_at)},
                {"link", link.empty() ? json(nullptr) : json(link)},
                {"instruction", fmt::format("Откройте {} и нажмите «Запустить» (или отправьте боту: /start {})",
                                            link.empty() ? "бота компании в Telegram" : link, code->code)}});
}

}  // namespace reglament::http
