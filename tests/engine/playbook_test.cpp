#include "engine/playbook.hpp"

#include <catch2/catch.hpp>

using namespace reglament;

TEST_CASE("Lookups on the model", "[playbook]") {
  playbook b;
  b.steps.resize(2);
  b.steps[0].id = "greet";
  b.steps[0].exits.push_back({"next", "Далее", "done", {}});
  b.steps[1].id = "done";
  b.steps[1].kind = step_kind::end;
  b.variables.push_back({"price", "Стоимость", "money", "", {}});
  CHECK(b.find_step("done") == &b.steps[1]);
  CHECK(b.find_step("nope") == nullptr);
  CHECK(b.index_of("done") == 1);
  CHECK(b.index_of("nope") == std::string::npos);
  CHECK(b.find_variable("price")->type == "money");
  CHECK(b.find_variable("x") == nullptr);
  CHECK(b.steps[0].find_exit("next")->target == "done");
  CHECK(b.steps[0].find_exit("else") == nullptr);
}

TEST_CASE("Kinds, waits and end shortcuts", "[playbook]") {
  CHECK(std::string(to_string(step_kind::condition)) == "if");
  CHECK(std::string(to_string(step_kind::wait_client)) == "wait_client");
  CHECK(wait_of(step_kind::choice) == waits_for::manager);
  CHECK(wait_of(step_kind::task) == waits_for::manager);
  CHECK(wait_of(step_kind::form) == waits_for::manager);
  CHECK(wait_of(step_kind::escalate) == waits_for::director);
  CHECK(wait_of(step_kind::wait_client) == waits_for::client);
  CHECK(wait_of(step_kind::wait_payment) == waits_for::payment);
  CHECK(wait_of(step_kind::wait_time) == waits_for::timer);
  for (auto k : {step_kind::say, step_kind::check_tariff, step_kind::condition, step_kind::set,
                 step_kind::assign, step_kind::notify, step_kind::call, step_kind::end})
    CHECK(wait_of(k) == waits_for::nothing);
  CHECK(end_outcome("end:done") == "done");
  CHECK(end_outcome("done").empty());
  CHECK(end_outcome("end:").empty());
}
