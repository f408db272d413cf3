#include "daemon/inbound_gateway.hpp"

#include "engine/case_engine.hpp"
#include "engine/case_event.hpp"
#include "engine/store/sqlite_store.hpp"
#include "tests/fakes/shipped_engine.hpp"
#include "tests/fakes/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <future>

using namespace reglament;
using reglament::daemon::inbound_gateway;

namespace {

// The shipped playbooks over a real database file, the group-commit writer, and the
// gateway the channel sources would call.
struct rig {
  temp_dir dir;
  std::string db_path = dir.file("r.db");
  sqlite_store st{db_path};
  fakes::shipped_engine shipped{st};
  manual_clock& clk = shipped.clk;  // Monday 23 Nov 2026, 10:00 Moscow
  std::unique_ptr<writer> w;
  channel_store channels{db_path};
  daemon::logger log{daemon::log_level::error};
  metric_registry metrics;
  int commits_seen = 0;
  std::unique_ptr<inbound_gateway> gateway;

  rig() {
    w = std::make_unique<writer>(st, *shipped.engine, clk, writer::options{});
    w->start();
    inbound_gateway::options opt;
    opt.attachments_dir = dir.file("attachments");
    opt.max_attachment_bytes = 1024;
    opt.metrics = &metrics;
    opt.on_commit = [this] { ++commits_seen; };
    gateway = std::make_unique<inbound_gateway>(*w, channels, clk, log, opt);
  }
  ~rig() { w->stop(); }

  engine_result accept(inbound_message m) {
    std::promise<engine_result> p;
    gateway->accept(std::move(m), [&p](const engine_result& r) { p.set_value(r); });
    return p.get_future().get();
  }
};

}  // namespace

TEST_CASE("the gateway journals a message with its attachments and answers after the commit", "[gateway]") {
  rig r;
  auto a = r.gateway->store_attachment("Акт.pdf", "application/pdf", "%PDF-1.4 test");
  CHECK(a.sha256.size() == 64);
  CHECK(a.size == 13);
  auto path = inbound_gateway::attachment_path(r.dir.file("attachments"), a.sha256);
  std::ifstream in(path, std::ios::binary);
  CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == "%PDF-1.4 test");
  auto same = r.gateway->store_attachment("copy.pdf", "application/pdf", "%PDF-1.4 test");
  CHECK(same.sha256 == a.sha256);
  CHECK(same.name == "copy.pdf");  // the message keeps its own name; the download the first
  CHECK(r.channels.attachment_info(a.sha256)->name == "Акт.pdf");

  inbound_message m{"email", "<m1@romashka.ru>", "anna@romashka.ru", "", "Пришлите выписку"};
  m.subject = "Выписка";
  m.attachments.push_back(a);
  auto res = r.accept(m);
  REQUIRE(res.error.empty());
  CHECK_FALSE(res.duplicate);
  CHECK(r.commits_seen == 1);
  // Committed before done(): another connection sees it.
  sqlite_store reader(r.db_path, sqlite_store::options{true});
  bool found = false;
  for (const auto& e : reader.journal(res.id))
    found = found || (e.what.kind == fact_kind::message_received && e.what.data["attachments"][0]["sha256"] == a.sha256);
  CHECK(found);
  CHECK(r.accept(m).duplicate);
  CHECK_THAT(r.metrics.render(), Catch::Contains("reglament_messages_in_total{channel=\"email\"} 1"));
}

TEST_CASE("an attachment over the limit is refused with its name, size and the key", "[gateway]") {
  rig r;
  try {
    r.gateway->store_attachment("скан.tiff", "image/tiff", std::string(2048, 'x'));
    FAIL("no exception");
  } catch (const attachment_too_large& e) {
    CHECK_THAT(e.what(), Catch::Contains("'скан.tiff' is 2.0 KiB; the limit is 1.0 KiB (attachments.max_bytes)"));
  }
  CHECK(inbound_gateway::attachment_path("/x", "../etc/passwd").empty());
  CHECK(inbound_gateway::attachment_path("/x", std::string(64, 'A')).empty());
}

TEST_CASE("what the engine refuses and what a source rejects are kept as channel errors", "[gateway]") {
  rig r;
  auto res = r.accept({"fax", "f-1", "+7 495 000-00-00", "", "Добрый день"});
  CHECK(res.http_status == 422);
  r.gateway->reject({"email", "<bad@x>", "no text part", "Content-Type: multipart/mixed\r\n\r\n"});
  auto errors = r.channels.errors(false, 10);
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].error.channel == "email");
  CHECK(errors[0].error.raw == "Content-Type: multipart/mixed\r\n\r\n");
  CHECK(errors[1].error.channel == "fax");
  CHECK(errors[1].error.external_id == "f-1");
  CHECK_THAT(errors[1].error.reason, Catch::Contains("refused by the engine: channel 'fax'"));
  CHECK_THAT(errors[1].error.raw, Catch::Contains("\"text\": \"Добрый день\""));
  CHECK_THAT(r.metrics.render(), Catch::Contains("reglament_channel_errors_total{channel=\"fax\"} 1"));
}

TEST_CASE("a source's cursor is durable", "[gateway]") {
  rig r;
  CHECK(r.gateway->cursor("telegram", "offset").empty());
  r.gateway->save_cursor("telegram", "offset", "1001");
  channel_store other(r.db_path);
  CHECK(other.cursor("telegram", "offset") == "1001");
}
