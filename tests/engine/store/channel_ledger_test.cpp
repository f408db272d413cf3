#include "engine/store/channel_ledger.hpp"

#include "tests/fakes/temp_dir.hpp"

#include <catch2/catch.hpp>

using namespace reglament;

TEST_CASE("what a channel sent is found by its key and by its message, after reopening", "[store]") {
  temp_dir dir;
  const auto db = dir.file("r.db");
  const timestamp t0 = from_millis(1795000000000);
  {
    channel_ledger ledger(db);
    CHECK_FALSE(ledger.find("telegram", "7/2"));
    ledger.record({"telegram", "7/2", "100001", "15", {"Согласен", "Нет"}, t0});
    ledger.record({"telegram", "7/3", "100001", "16", {}, t0});
  }
  channel_ledger ledger(db);
  auto e = ledger.find("telegram", "7/2");
  REQUIRE(e);
  CHECK(e->thread == "100001");
  CHECK(e->external_id == "15");
  CHECK(e->buttons == std::vector<std::string>{"Согласен", "Нет"});
  CHECK(e->at == t0);
  auto m = ledger.by_message("telegram", "100001", "16");
  REQUIRE(m);
  CHECK(m->key == "7/3");
  CHECK_FALSE(ledger.find("webchat", "7/2"));
  CHECK_FALSE(ledger.by_message("telegram", "100002", "16"));
}
