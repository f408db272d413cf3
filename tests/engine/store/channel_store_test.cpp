#include "engine/store/channel_store.hpp"

#include "engine/store/sqlite_store.hpp"
#include "tests/fakes/temp_dir.hpp"

#include <catch2/catch.hpp>

using namespace reglament;

namespace {

const timestamp t0 = from_millis(1'795'417'200'000);

}  // namespace

TEST_CASE("a channel error is kept with its raw form, cut to the limit, once per external id", "[store][channels]") {
  temp_dir dir;
  channel_store::options opt;
  opt.raw_limit = 16;
  channel_store cs(dir.file("c.db"), opt);
  const std::string raw = std::string("From: x\r\n\xff\xfe binary ") + std::string(100, 'z');
  auto id = cs.add_error({"email", "<broken@x>", "no text part: multipart/mixed with no parts", raw}, t0);
  CHECK(id > 0);
  CHECK(cs.add_error({"email", "<broken@x>", "again", raw}, t0 + std::chrono::minutes(1)) == id);
  auto other = cs.add_error({"telegram", "", "update 17: unknown kind 'poll'", "{}"}, t0);
  auto no_id = cs.add_error({"telegram", "", "update 18: unknown kind 'poll'", "{}"}, t0);
  CHECK(other != no_id);  // items without an external id are each kept

  auto row = cs.error(id);
  REQUIRE(row);
  CHECK(row->error.raw == raw.substr(0, 16));
  CHECK(row->raw_size == raw.size());
  CHECK(row->error.reason == "no text part: multipart/mixed with no parts");
  CHECK(row->received_at == t0);
  CHECK_FALSE(row->resolved);
  CHECK(cs.count_open_errors() == 3);

  auto open = cs.errors(false, 10);
  REQUIRE(open.size() == 3);
  CHECK(open[0].id == no_id);  // newest first

  CHECK(cs.resolve_error(id, "manager", t0 + std::chrono::hours(1)));
  CHECK(cs.resolve_error(id, "director", t0 + std::chrono::hours(2)));  // keeps the first
  CHECK_FALSE(cs.resolve_error(9999, "manager", t0));
  row = cs.error(id);
  CHECK(row->resolved);
  CHECK(row->resolved_by == "manager");
  CHECK(row->resolved_at == t0 + std::chrono::hours(1));
  CHECK(cs.errors(false, 10).size() == 2);
  CHECK(cs.errors(true, 10).size() == 3);
  CHECK(cs.count_open_errors() == 2);
}

TEST_CASE("cursors and attachments survive reopening, the store's schema includes them", "[store][channels]") {
  temp_dir dir;
  const auto db = dir.file("c.db");
  {
    channel_store cs(db);
    CHECK(cs.cursor("email", "INBOX").empty());
    cs.save_cursor("email", "INBOX", "1700000000:41", t0);
    cs.save_cursor("email", "INBOX", "1700000000:42", t0);
    cs.save_cursor("telegram", "offset", "900", t0);
    cs.record_attachment({"Акт сверки.pdf", "application/pdf", 1234, std::string(64, 'a')}, t0);
    cs.record_attachment({"other-name.pdf", "text/html", 1234, std::string(64, 'a')}, t0);  // first wins
  }
  channel_store again(db);
  CHECK(again.cursor("email", "INBOX") == "1700000000:42");
  CHECK(again.cursor("telegram", "offset") == "900");
  auto a = again.attachment_info(std::string(64, 'a'));
  REQUIRE(a);
  CHECK(a->name == "Акт сверки.pdf");
  CHECK(a->content_type == "application/pdf");
  CHECK(a->size == 1234);
  CHECK_FALSE(again.attachment_info(std::string(64, 'b')));
  sqlite_store st(db);
  CHECK(st.verify_replay().differences.empty());
}
