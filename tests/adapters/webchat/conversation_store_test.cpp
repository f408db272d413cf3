#include "adapters/webchat/conversation_store.hpp"

#include "adapters/webchat/visitor_token.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <set>

using namespace reglament;
using namespace reglament::webchat;

namespace {
const timestamp t0 = from_millis(1'795'420'800'000);
}

TEST_CASE("tokens are 256 random bits, only their hash is kept", "[webchat]") {
  init_crypto();
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto t = new_token();
    CHECK(well_formed_token(t));
    CHECK(seen.insert(t).second);
  }
  CHECK(token_hash("a").size() == 32);
  CHECK(token_hash("a") != token_hash("b"));
  CHECK(!well_formed_token(""));
  CHECK(!well_formed_token(std::string(43, '+')));
  CHECK(!well_formed_token(new_token() + "A"));
  auto id = new_visitor_id();
  CHECK(id.size() == 26);
  CHECK(id.rfind("v-", 0) == 0);
}

TEST_CASE("a conversation numbers its entries 1, 2, 3 ... per visitor", "[webchat]") {
  conversation_store s(":memory:");
  REQUIRE(s.create_visitor("v-a", token_hash("ta"), "ru", t0));
  REQUIRE(s.create_visitor("v-b", token_hash("tb"), "en", t0));
  CHECK(!s.create_visitor("v-a", token_hash("other"), "ru", t0));  // the id is taken
  CHECK(!s.create_visitor("v-c", token_hash("ta"), "ru", t0));     // the token is taken

  CHECK(*s.visitor_by_token(token_hash("ta"), t0) == "v-a");
  CHECK(!s.visitor_by_token(token_hash("nobody"), t0));

  auto a1 = s.add_visitor_message("v-a", "m1", "Здравствуйте", t0);
  auto b1 = s.add_visitor_message("v-b", "m1", "Hello", t0);
  auto a2 = s.add_firm_message("v-a", "c1-m1", "Добрый день!", {"Да", "Нет"}, t0);
  CHECK(a1.seq == 1);
  CHECK(a1.fresh);
  CHECK(b1.seq == 1);
  REQUIRE(a2);
  CHECK(a2->seq == 2);
  CHECK(s.last_seq("v-a") == 2);

  auto all = s.entries_after("v-a", 0, 10);
  REQUIRE(all.size() == 2);
  CHECK(all[0].from == "visitor");
  CHECK(all[0].client_id == "m1");
  CHECK(all[1].from == "firm");
  CHECK(all[1].buttons == std::vector<std::string>{"Да", "Нет"});
  CHECK(s.entries_after("v-a", 1, 10).size() == 1);
  CHECK(s.entries_after("v-b", 0, 10).size() == 1);  // the other visitor's stays theirs
}

TEST_CASE("the same message sent twice is kept once", "[webchat]") {
  conversation_store s(":memory:");
  REQUIRE(s.create_visitor("v-a", token_hash("ta"), "ru", t0));
  auto first = s.add_visitor_message("v-a", "m1", "Здравствуйте", t0);
  auto again = s.add_visitor_message("v-a", "m1", "Здравствуйте", t0);
  CHECK(!again.fresh);
  CHECK(again.seq == first.seq);
  auto d1 = s.add_firm_message("v-a", "c1-m1", "Ответ", {}, t0);
  auto d2 = s.add_firm_message("v-a", "c1-m1", "Ответ", {}, t0);
  CHECK(d1->fresh);
  CHECK(!d2->fresh);
  CHECK(d2->seq == d1->seq);
  CHECK(s.last_seq("v-a") == 2);
  CHECK(!s.add_firm_message("v-nobody", "c2-m1", "x", {}, t0));
}

TEST_CASE("visitor messages stay pending until the engine answers", "[webchat]") {
  conversation_store s(":memory:");
  REQUIRE(s.create_visitor("v-a", token_hash("ta"), "ru", t0));
  s.add_visitor_message("v-a", "m1", "раз", t0);
  s.add_visitor_message("v-a", "m2", "два", t0);
  auto p = s.pending(10);
  REQUIRE(p.size() == 2);
  CHECK(p[0].text == "раз");
  CHECK(p[0].client_id == "m1");
  s.mark_accepted("v-a", 1, 7);
  s.mark_refused("v-a", 2, "no playbook");
  CHECK(s.pending(10).empty());
  CHECK(s.state("v-a", 1) == "accepted");
  CHECK(s.state("v-a", 2) == "refused");
  CHECK(s.state("v-a", 3).empty());
}

TEST_CASE("the conversation store survives reopening", "[webchat]") {
  auto dir = std::filesystem::temp_directory_path() / ("reglament-webchat-store-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const auto path = (dir / "sub" / "webchat.db").string();
  {
    conversation_store s(path);
    REQUIRE(s.create_visitor("v-a", token_hash("ta"), "ru", t0));
    s.add_visitor_message("v-a", "m1", "раз", t0);
  }
  conversation_store s(path);
  CHECK(*s.visitor_by_token(token_hash("ta"), t0) == "v-a");
  CHECK(s.last_seq("v-a") == 1);
  CHECK(s.pending(10).size() == 1);
  std::filesystem::remove_all(dir);
}
