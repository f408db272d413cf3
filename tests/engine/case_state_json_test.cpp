#include "engine/case_state_json.hpp"

#include "engine/clock.hpp"

#include <catch2/catch.hpp>

namespace reglament {
namespace {

std::string reference(const case_state& s) {
  return to_json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

TEST_CASE("to_json_text spells the state as to_json().dump() does", "[case_state]") {
  case_state s;
  SECTION("an empty state") { CHECK(to_json_text(s) == reference(s)); }
  SECTION("a state with every field, escapes, timers, a call stack and nested vars") {
    s.id = 42;
    s.playbook = "intake";
    s.version = 3;
    s.stack = {{"intake", 2, "call_urgent"}, {"urgent_request", 1, "ask"}};
    s.step = "greet";
    s.status = case_status::waiting_manager;
    s.channel = "email";
    s.sender = "Анна <anna@romashka.ru>";
    s.thread = "<t.1@mail>";
    s.client_id = "c00001";
    s.assignee = "manager1";
    s.outcome = "";
    s.error = "line\nbreak\ttab \"quoted\" back\\slash \x01\x1f";
    s.vars = {{"услуга", "выписка"}, {"сумма", 1500.5}, {"n", -3}, {"list", {1, "два", nullptr, true}},
              {"obj", {{"b", 1}, {"a", {{"z", "ё"}}}}}};
    s.timers = {{1, from_millis(1700000000123), "wait", "timeout"}, {2, from_millis(5), "pause", "pause"}};
    s.outbox_count = 2;
    s.timer_count = 2;
    s.steps_run = 7;
    s.last_client_text = "Добрый день!\r\nПришлите выписку 😀";
    s.tariff_step = "check";
    s.outbox_at_check = 1;
    s.quota_held = "bank_statement\n2026-11";
    s.opened_at = from_millis(1700000000000);
    s.updated_at = from_millis(1700000000999);
    CHECK(to_json_text(s) == reference(s));
    CHECK(case_state_from_json(nlohmann::json::parse(to_json_text(s))).vars == s.vars);
  }
  SECTION("invalid UTF-8 is replaced the same way") {
    s.last_client_text = "bad \xC3\x28 byte";
    s.vars["x"] = std::string("\xFF");
    CHECK(to_json_text(s) == reference(s));
  }
}

}  // namespace
}  // namespace reglament
