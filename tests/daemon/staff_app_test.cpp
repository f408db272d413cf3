// Integration: what the staff web app needs from the real reglamentd — its files with the
// right headers, live updates over server-sent events, the inbox's case summaries,
// situations started from a case, and the director's control-point figures on a known
// data set.
#include "tests/daemon/daemon_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <boost/asio/connect.hpp>

#include <algorithm>
#include <functional>
#include <set>

using namespace reglament::testing;
using nlohmann::json;
namespace bhttp = boost::beast::http;

namespace {

json body(const http_reply& r) {
  INFO(r.body);
  return json::parse(r.body);
}

json inbound(const std::string& ext, const std::string& sender, const std::string& text) {
  return {{"channel", "email"}, {"external_id", ext}, {"sender", sender}, {"text", text}};
}

// One request on its own connection, with the response's headers.
bhttp::response<bhttp::string_body> raw_get(unsigned short port, const std::string& target,
                                            const std::string& if_none_match = {}) {
  boost::asio::io_context ioc;
  boost::beast::tcp_stream s(ioc);
  s.expires_after(std::chrono::seconds(30));
  s.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  bhttp::request<bhttp::string_body> req{bhttp::verb::get, target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  if (!if_none_match.empty()) req.set(bhttp::field::if_none_match, if_none_match);
  bhttp::write(s, req);
  boost::beast::flat_buffer buf;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(s, buf, res);
  return res;
}

}  // namespace

TEST_CASE("reglamentd serves the staff app's files", "[integration]") {
  auto dir = temp_dir("it-web");
  daemon_process d(dir, {});

  auto index = raw_get(d.port(), "/");
  REQUIRE(index.result_int() == 200);
  CHECK(std::string(index[bhttp::field::content_type]) == "text/html; charset=utf-8");
  CHECK(index.body().find("/assets/app.js") != std::string::npos);
  const std::string csp(index["Content-Security-Policy"]);
  CHECK(csp.find("script-src 'self'") != std::string::npos);
  CHECK(csp.find("unsafe-inline") == std::string::npos);
  CHECK(std::string(index[bhttp::field::cache_control]) == "no-cache");
  CHECK(std::string(index["X-Content-Type-Options"]) == "nosniff");

  auto app = raw_get(d.port(), "/assets/app.js");
  REQUIRE(app.result_int() == 200);
  CHECK(std::string(app[bhttp::field::content_type]) == "text/javascript; charset=utf-8");
  auto css = raw_get(d.port(), "/assets/app.css");
  CHECK(std::string(css[bhttp::field::content_type]) == "text/css; charset=utf-8");
  auto ru = raw_get(d.port(), "/assets/i18n/ru.js");
  CHECK(ru.result_int() == 200);

  // A second load with the tag is a bodiless 304.
  const std::string etag(app[bhttp::field::etag]);
  REQUIRE_FALSE(etag.empty());
  auto again = raw_get(d.port(), "/assets/app.js", etag);
  CHECK(again.result_int() == 304);
  CHECK(again.body().empty());

  // The app's own routes are the app; nothing outside the directory is served.
  CHECK(raw_get(d.port(), "/app/cases/1").result_int() == 200);
  CHECK(raw_get(d.port(), "/assets/no-such.js").result_int() == 404);
  CHECK(raw_get(d.port(), "/assets/%2e%2e/CMakeLists.txt").result_int() == 400);
  CHECK(raw_get(d.port(), "/assets/.hidden").result_int() == 400);
  // Anything else is refused by default: 401 to nobody, 403 (no rule) to the owner.
  CHECK(raw_get(d.port(), "/etc/passwd").result_int() == 401);
  http_client owner(d.port());
  auto nothing = owner.get("/api/v1/nothing");
  CHECK(nothing.status == 403);
  CHECK_THAT(nothing.body, Catch::Contains("no_route_rule"));
}

TEST_CASE("GET /api/v1/events streams case and outbox events after commits", "[integration]") {
  auto dir = temp_dir("it-events");
  daemon_process d(dir, {});
  http_client c(d.port());

  // Every read is asynchronous so that the stream's expiry bounds it: a blocking read
  // would wait for ever if an event never came.
  boost::asio::io_context ioc;
  boost::beast::tcp_stream s(ioc);
  s.expires_after(std::chrono::seconds(30));
  s.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), d.port()));
  bhttp::request<bhttp::string_body> req{bhttp::verb::get, "/api/v1/events", 11};
  req.set(bhttp::field::host, "127.0.0.1");
  req.set(bhttp::field::authorization, "Bearer " + test_owner_token);
  bhttp::write(s, req);
  boost::beast::flat_buffer buf;
  bhttp::response_parser<bhttp::buffer_body> parser;
  boost::beast::error_code ec;
  bhttp::async_read_header(s, buf, parser, [&](boost::beast::error_code e, std::size_t) { ec = e; });
  ioc.run();
  REQUIRE_FALSE(ec);
  REQUIRE(parser.get().result_int() == 200);
  CHECK(std::string(parser.get()[bhttp::field::content_type]).rfind("text/event-stream", 0) == 0);

  // Reads the stream's body until `found(seen)` holds, for at most 60 s.
  std::string seen;
  auto read_until = [&](const std::string& what, const std::function<bool(const std::string&)>& found) {
    char chunk[4096];
    s.expires_after(std::chrono::seconds(60));
    while (!found(seen)) {
      parser.get().body().data = chunk;
      parser.get().body().size = sizeof chunk;
      bhttp::async_read_some(s, buf, parser, [&](boost::beast::error_code e, std::size_t) { ec = e; });
      ioc.restart();
      ioc.run();
      if (ec == boost::beast::error::timeout) FAIL("no " << what << " within 60 s; the stream so far:\n" << seen);
      if (ec && ec != bhttp::error::need_buffer) FAIL("event stream ended: " << ec.message() << "\n" << seen);
      seen.append(chunk, sizeof chunk - parser.get().body().size);
    }
  };
  auto contains = [](std::string want) {
    return [want = std::move(want)](const std::string& text) { return text.find(want) != std::string::npos; };
  };
  read_until("hello", contains(": connected"));

  auto r = c.post("/api/v1/inbound", inbound("e1", "anna@romashka.ru", "Подготовьте приказ на отпуск").dump());
  REQUIRE(r.status == 201);
  const auto id = body(r)["case"].get<int>();
  read_until("case created", contains("event: case\ndata: {\"created\":true,\"id\":" + std::to_string(id)));
  read_until("outbox queued",
             contains("event: outbox\ndata: {\"case\":" + std::to_string(id) + ",\"n\":1,\"state\":\"queued\"}"));

  // A staff action on the case is an event too; the same commit may carry other kinds.
  auto act = c.post("/api/v1/cases/" + std::to_string(id) + "/actions",
                    json{{"action", "note"}, {"reason", "позвонила клиенту"}}.dump());
  REQUIRE(act.status == 200);
  read_until("note_added event", [&](const std::string& text) {
    const std::string prefix = "event: case\ndata: ";
    for (auto at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at + 1)) {
      const auto start = at + prefix.size();
      const auto end = text.find('\n', start);
      if (end == std::string::npos) return false;  // the event's line is not all here yet
      const auto event = json::parse(text.substr(start, end - start));
      const auto& kinds = event["kinds"];
      if (event["id"] == id && std::find(kinds.begin(), kinds.end(), "note_added") != kinds.end()) return true;
    }
    return false;
  });
}

TEST_CASE("the inbox lists open cases with who waits, the step and the SLA left", "[integration]") {
  auto dir = temp_dir("it-inbox");
  daemon_process d(dir, {});
  http_client c(d.port());

  REQUIRE(c.post("/api/v1/inbound", inbound("i1", "anna@romashka.ru", "Подготовьте приказ на отпуск").dump()).status == 201);
  REQUIRE(c.post("/api/v1/inbound", inbound("i2", "stranger@example.com", "Здравствуйте").dump()).status == 201);

  auto list = body(c.get("/api/v1/cases?open=1&order=urgency"))["cases"];
  REQUIRE(list.size() == 2);
  json known;
  for (const auto& row : list)
    if (row["sender"] == "anna@romashka.ru") known = row;
  REQUIRE(known.is_object());
  CHECK(known["waiting_for"] == "manager");
  CHECK(known["kind"] == "case");
  CHECK(known["client_name"] == "ООО «Ромашка»");
  CHECK(known["step"] == "quote");
  CHECK(known["step_title"] == "Рассчитать стоимость");
  CHECK(known["playbook_title"] == "Заявка клиента");
  CHECK(known["sla_kind"] == "first_reply");
  CHECK(known["sla_due"].is_string());
  REQUIRE(known["sla_minutes_left"].is_number_integer());
  CHECK(known["sla_minutes_left"].get<int>() <= 30);  // the demo firm's first reply: 30 working minutes
  // A case with an SLA comes before one without.
  if (list[1]["sla_minutes_left"].is_null()) CHECK(list[0]["sender"] == "anna@romashka.ru");

  CHECK(c.get("/api/v1/cases?order=oldest").status == 400);
}

TEST_CASE("a manager starts a 'what to do if…' situation from a case", "[integration]") {
  auto dir = temp_dir("it-situations");
  daemon_process d(dir, {});
  http_client c(d.port());

  auto list = body(c.get("/api/v1/situations"))["playbooks"];
  bool has_not_covered = false, has_intake = false;
  for (const auto& p : list) {
    has_not_covered = has_not_covered || p["id"] == "not_covered";
    has_intake = has_intake || p["id"] == "intake";
  }
  CHECK(has_not_covered);
  CHECK_FALSE(has_intake);

  auto r = c.post("/api/v1/inbound", inbound("s1", "anna@romashka.ru", "Подготовьте приказ на отпуск").dump());
  const auto from = body(r)["case"].get<int>();
  auto started = c.post("/api/v1/situations", json{{"playbook", "not_covered"}, {"case", from}}.dump());
  REQUIRE(started.status == 201);
  const auto id = body(started)["case"].get<int>();
  CHECK(id != from);
  auto created = body(c.get("/api/v1/cases/" + std::to_string(id)))["case"];
  CHECK(created["playbook"] == "not_covered");
  CHECK(created["client"]["id"] == "romashka");
  CHECK(created["step"]["id"] == "record");
  auto journal = body(c.get("/api/v1/cases/" + std::to_string(from)))["journal"];
  bool noted = false;
  for (const auto& e : journal)
    if (e["kind"] == "note_added" && e["data"]["text"].get<std::string>().find("№" + std::to_string(id)) != std::string::npos)
      noted = true;
  CHECK(noted);

  CHECK(c.post("/api/v1/situations", json{{"playbook", "intake"}, {"case", from}}.dump()).status == 422);
  CHECK(c.post("/api/v1/situations", json{{"playbook", "nope"}}.dump()).status == 404);
  CHECK(c.post("/api/v1/situations", json{{"playbook", "complaint"}, {"case", 999}}.dump()).status == 404);
}

TEST_CASE("control points report figures on a known data set", "[integration]") {
  auto dir = temp_dir("it-reports");
  daemon_process d(dir, {});
  http_client c(d.port());
  auto act = [&](int id, const json& a) {
    auto r = c.post("/api/v1/cases/" + std::to_string(id) + "/actions", a.dump());
    INFO(r.body);
    REQUIRE(r.status == 200);
  };

  // A: a paid request at the list price; the client agrees; an invoice of 1500 is issued
  // and 500 of it is paid.
  const int a = body(c.post("/api/v1/inbound", inbound("r1", "anna@romashka.ru", "Подготовьте приказ на отпуск").dump()))["case"];
  act(a, {{"action", "submit"}, {"step", "quote"}, {"values", {{"price", 1500}, {"deadline", "завтра"}}}});
  REQUIRE(c.post("/api/v1/inbound", inbound("r2", "anna@romashka.ru", "Да, согласен").dump()).status == 201);
  auto invoices = body(c.get("/api/v1/invoices"))["invoices"];
  REQUIRE(invoices.size() == 1);
  const std::string number = invoices[0]["number"];
  REQUIRE(c.post("/api/v1/invoices/" + number + "/payments", json{{"amount", 500}}.dump()).status == 200);

  // B: another client; the manager offers less than the allowed discount: escalated.
  const int b = body(c.post("/api/v1/inbound", inbound("r3", "smirnova.ev@mail.ru", "Подготовьте приказ на отпуск").dump()))["case"];
  act(b, {{"action", "submit"}, {"step", "quote"}, {"values", {{"price", 1000}, {"deadline", "завтра"}}}});
  REQUIRE(body(c.get("/api/v1/cases/" + std::to_string(b)))["case"]["status"] == "waiting_director");

  auto r = c.get("/api/v1/reports/control-points");
  REQUIRE(r.status == 200);
  auto rep = body(r);
  CHECK(rep["cases"] == 2);
  REQUIRE(rep["by_client"].size() == 2);
  for (const auto& row : rep["by_client"]) {
    CHECK(row["cases"] == 1);
    CHECK(row["replied"] == 1);  // the greeting went out at once
  }
  REQUIRE(rep["escalations"].size() == 1);
  CHECK(rep["escalations"][0]["reason"] == "Менеджер предлагает цену ниже разрешённой скидки");
  CHECK(rep["escalations"][0]["count"] == 1);
  CHECK(rep["paid"]["invoices"] == 1);
  CHECK(rep["paid"]["amount"] == 1500);
  CHECK(rep["paid"]["paid"] == 500);
  CHECK(rep["unpaid"]["count"] == 1);
  CHECK(rep["unpaid"]["amount"] == 1000);
  CHECK(rep["unpaid"]["invoices"][0]["number"] == number);
  CHECK(rep["unpaid"]["invoices"][0]["client_name"] == "ООО «Ромашка»");
  CHECK(rep["steps"]["done"] == 0);
  CHECK(rep["steps"]["skipped"] == 0);
  REQUIRE(rep["stuck"].size() == 2);
  std::set<int> stuck{rep["stuck"][0]["case"].get<int>(), rep["stuck"][1]["case"].get<int>()};
  CHECK(stuck == std::set<int>{a, b});
  CHECK(rep["stuck"][0]["updated_at"] <= rep["stuck"][1]["updated_at"]);

  // A period before any of it: nothing opened, the unpaid invoice is still owed.
  auto old = body(c.get("/api/v1/reports/control-points?from=2020-01-01&to=2020-01-31"));
  CHECK(old["cases"] == 0);
  CHECK(old["escalations"].empty());
  CHECK(old["paid"]["invoices"] == 0);
  CHECK(old["unpaid"]["count"] == 1);

  CHECK(c.get("/api/v1/reports/control-points?from=январь").status == 400);
  CHECK(c.get("/api/v1/reports/control-points?from=2026-02-01&to=2026-01-01").status == 400);
  CHECK(c.get("/api/v1/reports/nothing").status == 404);
}
