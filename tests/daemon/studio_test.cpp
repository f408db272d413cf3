// Integration: the owner's studio API on the real reglamentd binary, with its own copy of
// the shipped playbooks (deploys write into it).
#include "tests/daemon/daemon_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>

using namespace reglament::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

json body(const http_reply& r) {
  INFO(r.body);
  return json::parse(r.body);
}

// A copy of playbooks/bookkeeping (with its firm and stories) and the calendar beside it.
std::string copy_playbooks(const std::string& dir) {
  fs::path src(REGLAMENT_SOURCE_DIR "/playbooks");
  fs::create_directories(fs::path(dir) / "pb");
  fs::copy(src / "bookkeeping", fs::path(dir) / "pb" / "bookkeeping", fs::copy_options::recursive);
  fs::copy(src / "calendar", fs::path(dir) / "pb" / "calendar", fs::copy_options::recursive);
  return (fs::path(dir) / "pb" / "bookkeeping").string();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

json inbound(const std::string& channel, const std::string& ext, const std::string& sender, const std::string& text) {
  return {{"channel", channel}, {"external_id", ext}, {"sender", sender}, {"text", text}};
}

// Replaces the first occurrence of `from` in `text` (the test's edits of a playbook).
std::string replace(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

int line_of(const std::string& text, const std::string& what) {
  auto at = text.find(what);
  REQUIRE(at != std::string::npos);
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
}

}  // namespace

TEST_CASE("studio: playbooks, validation, graph, deploy, rehearsal, tests, firm parts, proposals", "[integration]") {
  auto dir = temp_dir("studio-api");
  auto books = copy_playbooks(dir);
  daemon_process d(dir + "/data", {"--playbooks", books});
  http_client c(d.port());

  auto list = c.get("/api/v1/playbooks");
  REQUIRE(list.status == 200);
  json intake;
  const json all_books = body(list);
  for (const auto& p : all_books["playbooks"])
    if (p["id"] == "intake") intake = p;
  REQUIRE(intake.is_object());
  CHECK(intake["title"] == "Заявка клиента");
  CHECK(intake["file"] == "intake.yaml");
  const int v1 = intake["version"];

  auto got = c.get("/api/v1/playbooks/intake");
  REQUIRE(got.status == 200);
  const std::string source = body(got)["playbook"]["source"];
  CHECK(source == slurp(books + "/intake.yaml"));
  CHECK(c.get("/api/v1/playbooks/nope").status == 404);

  SECTION("validation reports the error at its line and column, as reglament validate does") {
    auto ok = c.post("/api/v1/playbooks/intake/validate", json{{"yaml", source}}.dump());
    REQUIRE(ok.status == 200);
    CHECK(body(ok)["ok"] == true);
    CHECK(body(ok)["errors"] == 0);

    // A branch to a step that does not exist.
    auto broken = replace(source, "in_tariff: assign_accountant", "in_tariff: assign_acountant");
    auto bad = body(c.post("/api/v1/playbooks/intake/validate", json{{"yaml", broken}}.dump()));
    CHECK(bad["ok"] == false);
    REQUIRE(bad["errors"].get<int>() >= 1);
    json first;
    for (const auto& dg : bad["diagnostics"])
      if (dg["level"] == "error") {
        first = dg;
        break;
      }
    CHECK(first["line"] == line_of(broken, "in_tariff: assign_acountant"));
    CHECK(first["column"] == 16);
    CHECK(first["step"] == "check");
    CHECK_THAT(first["message"].get<std::string>(), Catch::Contains("assign_acountant"));
    CHECK_THAT(first["text"].get<std::string>(), Catch::StartsWith("intake.yaml:"));

    // Broken YAML is reported too, not a 500.
    auto syntax = body(c.post("/api/v1/playbooks/intake/validate", json{{"yaml", "id: intake\nsteps: [\n"}}.dump()));
    CHECK(syntax["ok"] == false);
    CHECK(syntax["diagnostics"][0]["line"].get<int>() >= 1);

    // A draft that renames the playbook is refused at its id line.
    auto renamed = body(c.post("/api/v1/playbooks/intake/validate",
                               json{{"yaml", replace(source, "id: intake", "id: intake2")}}.dump()));
    CHECK(renamed["ok"] == false);
    CHECK(c.post("/api/v1/playbooks/intake/validate", "{}").status == 400);
    CHECK(c.post("/api/v1/playbooks/intake/validate", json{{"yaml", source}, {"x", 1}}.dump()).status == 400);
  }

  SECTION("graph: every step and labelled branch, as JSON and SVG") {
    auto g = c.get("/api/v1/playbooks/intake/graph");
    REQUIRE(g.status == 200);
    auto graph = body(g)["graph"];
    std::set<std::string> nodes;
    for (const auto& n : graph["nodes"]) nodes.insert(n["id"]);
    for (auto id : {"greet", "check", "manager_decides", "assign_accountant", "quote"}) CHECK(nodes.count(id));
    bool labelled = false;
    for (const auto& e : graph["edges"]) labelled = labelled || (e["from"] == "manager_decides" && e["label"] == "Платная услуга");
    CHECK(labelled);
    CHECK_THAT(graph["svg"].get<std::string>(), Catch::StartsWith("<svg"));
    CHECK_THAT(graph["svg"].get<std::string>(), Catch::Contains("Платная услуга"));

    auto svg = c.get("/api/v1/playbooks/intake/graph?format=svg");
    CHECK(svg.status == 200);
    CHECK_THAT(svg.body, Catch::Contains("data-id=\"manager_decides\""));
    // A draft's graph shows a missing target as its own node.
    auto broken = replace(source, "in_tariff: assign_accountant", "in_tariff: nowhere");
    auto dg = body(c.post("/api/v1/playbooks/intake/graph", json{{"yaml", broken}}.dump()))["graph"];
    bool missing = false;
    for (const auto& n : dg["nodes"]) missing = missing || (n["id"] == "nowhere" && n["kind"] == "missing");
    CHECK(missing);
    CHECK(c.get("/api/v1/playbooks/intake/graph?version=999").status == 404);
  }

  SECTION("deploy makes version n+1 for new cases; a running case stays on version n") {
    auto first = c.post("/api/v1/inbound", inbound("telegram", "s1", "100001", "Нужна справка").dump());
    REQUIRE(first.status == 201);
    auto old_case = body(first)["case"].get<long long>();
    CHECK(body(c.get("/api/v1/cases/" + std::to_string(old_case)))["case"]["version"] == v1);

    // Errors: nothing deployed.
    auto broken = replace(source, "in_tariff: assign_accountant", "in_tariff: assign_acountant");
    auto refused = c.post("/api/v1/playbooks/intake/deploy", json{{"yaml", broken}}.dump());
    CHECK(refused.status == 422);
    CHECK(body(refused)["diagnostics"].size() >= 1);
    CHECK(c.post("/api/v1/playbooks/intake/deploy", json{{"yaml", source}}.dump()).status == 409);  // no change

    auto changed = replace(source, "title: Поздороваться и поблагодарить", "title: Поздороваться и сказать спасибо");
    auto dep = c.post("/api/v1/playbooks/intake/deploy", json{{"yaml", changed}, {"base_version", v1}}.dump());
    REQUIRE(dep.status == 201);
    CHECK(body(dep)["version"] == v1 + 1);
    CHECK(slurp(books + "/intake.yaml") == changed);  // a restart keeps it
    // A second deploy from the old base is a conflict.
    auto stale = c.post("/api/v1/playbooks/intake/deploy",
                        json{{"yaml", changed + "\n# again\n"}, {"base_version", v1}}.dump());
    CHECK(stale.status == 409);

    auto versions = body(c.get("/api/v1/playbooks/intake/versions"));
    CHECK(versions["deployed"] == v1 + 1);
    CHECK(versions["versions"].back()["version"] == v1 + 1);
    CHECK(versions["versions"].back()["deployed"] == true);
    CHECK(body(c.get("/api/v1/playbooks/intake/versions/" + std::to_string(v1)))["version"]["source"] == source);
    CHECK(body(c.get("/api/v1/playbooks/intake/versions/" + std::to_string(v1 + 1)))["version"]["source"] == changed);
    CHECK(c.get("/api/v1/playbooks/intake/versions/99").status == 404);

    auto second = c.post("/api/v1/inbound", inbound("telegram", "s2", "100002", "Нужна справка").dump());
    REQUIRE(second.status == 201);
    auto new_case = body(second)["case"].get<long long>();
    CHECK(body(c.get("/api/v1/cases/" + std::to_string(new_case)))["case"]["version"] == v1 + 1);
    auto old_now = body(c.get("/api/v1/cases/" + std::to_string(old_case)));
    CHECK(old_now["case"]["version"] == v1);
    CHECK(old_now["case"]["step"]["id"].is_string());  // its steps still come from version n

    // After a restart the deployed file loads as the same version.
    d.kill(SIGTERM);
    daemon_process again(dir + "/data", {"--playbooks", books});
    http_client c2(again.port());
    CHECK(body(c2.get("/api/v1/playbooks/intake"))["playbook"]["version"] == v1 + 1);
  }

  SECTION("rehearsal: a simulated client and clock, step by step") {
    auto r = c.post("/api/v1/rehearsals", json{{"playbook", "intake"}, {"client", "romashka"}, {"channel", "telegram"}}.dump());
    REQUIRE(r.status == 201);
    auto st = body(r)["rehearsal"];
    auto rid = st["id"].get<std::string>();
    CHECK(st["case"].is_null());
    auto msg = c.post("/api/v1/rehearsals/" + rid + "/messages",
                      json{{"text", "Здравствуйте, подготовьте, пожалуйста, справку"}}.dump());
    REQUIRE(msg.status == 200);
    st = body(msg)["rehearsal"];
    REQUIRE(st["case"].is_object());
    bool greeted = false;
    for (const auto& e : st["log"]) greeted = greeted || e["who"] == "to_client";
    CHECK(greeted);
    CHECK(st["case"]["step"]["id"].is_string());
    auto clock_before = st["clock"].get<std::string>();
    auto adv = body(c.post("/api/v1/rehearsals/" + rid + "/advance", json{{"by", "2 рабочих часа"}}.dump()))["rehearsal"];
    CHECK(adv["clock"] != clock_before);
    CHECK(c.post("/api/v1/rehearsals/" + rid + "/actions", json{{"action", "fly"}}.dump()).status == 400);
    // A draft with errors cannot be rehearsed.
    auto bad = c.post("/api/v1/rehearsals",
                      json{{"playbook", "intake"}, {"yaml", replace(source, "in_tariff: assign_accountant", "in_tariff: x")}}.dump());
    CHECK(bad.status == 422);
    // A situation playbook starts at once and takes the manager's form.
    auto nc = body(c.post("/api/v1/rehearsals", json{{"playbook", "not_covered"}}.dump()))["rehearsal"];
    REQUIRE(nc["case"].is_object());
    CHECK(nc["case"]["step"]["id"] == "record");
    auto sub = body(c.post("/api/v1/rehearsals/" + nc["id"].get<std::string>() + "/actions",
                           json{{"action", "submit"},
                                {"values", {{"situation", "a"}, {"actions", "b"}, {"result", "c"}, {"proposal", "d"}}}}
                               .dump()))["rehearsal"];
    CHECK(sub["case"]["closed"] == true);
    CHECK(sub["case"]["outcome"] == "recorded");
    CHECK(c.request(boost::beast::http::verb::delete_, "/api/v1/rehearsals/" + rid).status == 200);
    CHECK(c.get("/api/v1/rehearsals/" + rid).status == 404);
  }

  SECTION("conversation tests run on the draft, pass/fail per story with the failure") {
    auto ok = body(c.post("/api/v1/playbooks/not_covered/tests", "{}"));
    CHECK(ok["ok"] == true);
    CHECK(ok["stories"].get<int>() >= 1);
    CHECK(ok["failed"] == 0);
    auto nc = body(c.get("/api/v1/playbooks/not_covered"))["playbook"]["source"].get<std::string>();
    auto broken = replace(nc, "end: recorded", "end: written");
    auto bad = body(c.post("/api/v1/playbooks/not_covered/tests", json{{"yaml", broken}}.dump()));
    CHECK(bad["ok"] == false);
    CHECK(bad["failed"].get<int>() >= 1);
    bool explained = false;
    for (const auto& r : bad["results"])
      for (const auto& f : r["failures"]) explained = explained || f["message"].get<std::string>().find("recorded") != std::string::npos;
    CHECK(explained);
  }

  SECTION("firm file parts validate and deploy live") {
    auto firm = body(c.get("/api/v1/firm"))["firm"];
    auto services = firm["parts"]["services"]["yaml"].get<std::string>();
    CHECK_THAT(services, Catch::StartsWith("services:"));
    auto ok = body(c.post("/api/v1/firm/services/validate", json{{"yaml", services}}.dump()));
    CHECK(ok["ok"] == true);
    auto bad = body(c.post("/api/v1/firm/services/validate",
                           json{{"yaml", replace(services, "price: 1500", "price: дорого")}}.dump()));
    CHECK(bad["ok"] == false);
    CHECK(bad["diagnostics"][0]["line"] == line_of(services, "price: 1500"));
    CHECK(c.post("/api/v1/firm/services/deploy", json{{"yaml", replace(services, "price: 1500", "price: дорого")}}.dump())
              .status == 422);
    // A new price is what the next paid offer quotes.
    auto cheaper = replace(services, "price: 1000", "price: 1234");
    auto dep = c.post("/api/v1/firm/services/deploy", json{{"yaml", cheaper}}.dump());
    REQUIRE(dep.status == 200);
    CHECK_THAT(slurp(books + "/firm/demo-firm.yaml"), Catch::Contains("price: 1234"));
    bool seen = false;
    const json after = body(c.get("/api/v1/firm"));
    for (const auto& s : after["firm"]["services"]) seen = seen || s["price"] == 1234;
    CHECK(seen);
    // Dropping a tariff clients are on is refused.
    auto tariffs = firm["parts"]["tariffs"]["yaml"].get<std::string>();
    auto no_tariffs = c.post("/api/v1/firm/tariffs/validate", json{{"yaml", "tariffs: {}\n"}}.dump());
    CHECK(body(no_tariffs)["ok"] == false);
    CHECK(c.post("/api/v1/firm/nope/validate", json{{"yaml", ""}}.dump()).status == 404);
  }

  SECTION("proposals: a manager's not-covered note is listed with its case, then dismissed or branched") {
    // A playbook that takes a note by message (the shipped one starts by hand from a case).
    std::string probe = R"(id: note_probe
title: Записать предложение
trigger:
  message: [sms]
steps:
  - id: record
    title: Записать
    form: Ситуация не по инструкции
    fields:
      situation: "Что случилось"
      proposal: "Как поступать в следующий раз"
  - id: done
    end: recorded
)";
    REQUIRE(c.post("/api/v1/playbooks/note_probe/deploy", json{{"yaml", probe}}.dump()).status == 201);
    auto in = c.post("/api/v1/inbound", inbound("sms", "p1", "+79990001122", "Привет").dump());
    REQUIRE(in.status == 201);
    auto id = body(in)["case"].get<long long>();
    auto act = c.post("/api/v1/cases/" + std::to_string(id) + "/actions",
                      json{{"action", "submit"}, {"step", "record"}, {"actor", "manager"},
                           {"values", {{"situation", "Клиент пришёл в субботу"}, {"proposal", "Принимать по описи"}}}}
                          .dump());
    REQUIRE(act.status == 200);
    auto all = body(c.get("/api/v1/proposals"))["proposals"];
    REQUIRE(all.size() == 1);
    auto p = all[0];
    CHECK(p["case"] == id);
    CHECK(p["proposal"] == "Принимать по описи");
    CHECK(p["situation"] == "Клиент пришёл в субботу");
    CHECK(p["author"] == "manager");
    CHECK(p["state"] == "new");
    auto pid = std::to_string(p["id"].get<long long>());
    CHECK(body(c.get("/api/v1/proposals/" + pid))["proposal"]["case"] == id);

    auto dis = c.post("/api/v1/proposals/" + pid + "/dismiss", json{{"note", "редкий случай"}}.dump());
    REQUIRE(dis.status == 200);
    CHECK(body(dis)["proposal"]["state"] == "dismissed");
    CHECK(body(c.get("/api/v1/proposals?state=new"))["proposals"].empty());
    CHECK(body(c.get("/api/v1/proposals?state=dismissed"))["proposals"].size() == 1);

    CHECK(c.post("/api/v1/proposals/" + pid + "/branch", json{{"playbook", "intake"}, {"version", 99}}.dump()).status == 422);
    auto br = c.post("/api/v1/proposals/" + pid + "/branch", json{{"playbook", "intake"}, {"version", v1}}.dump());
    REQUIRE(br.status == 200);
    CHECK(body(br)["proposal"]["state"] == "branched");
    CHECK(body(br)["proposal"]["playbook"] == "intake");
    CHECK(body(br)["proposal"]["version"] == v1);
    CHECK(c.post("/api/v1/proposals/999999/dismiss", "{}").status == 404);
    CHECK(c.get("/api/v1/proposals?state=maybe").status == 400);
  }
}
