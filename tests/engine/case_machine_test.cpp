#include "engine/case_machine.hpp"

#include "engine/playbook_loader.hpp"

#include <catch2/catch.hpp>

using namespace reglament;

namespace {

// A small playbook exercising each lifecycle state, interpreted with no store at all.
const char* yaml = R"(id: lifecycle
title: Жизненный цикл
trigger: { message: [api] }
steps:
  - id: hello
    say: "Здравствуйте"
  - id: ask
    choice: "Что делаем?"
    options:
      "Ждать клиента": wait_reply
      "Ждать оплату": pay
      "К руководителю": boss
  - id: wait_reply
    wait: client
    if_yes: end:done
    if_no: end:declined
    timeout: { after: 1 час, go: pause }
  - id: pause
    wait: time
    for: 30 минут
    next: ask
  - id: pay
    wait: payment
    if_paid: end:paid
  - id: boss
    escalate: Нужен руководитель
    decisions:
      "Закрыть": end:closed_by_director
)";

struct fixture {
  playbook_ptr book;
  manual_clock clk{from_millis(1795417200000)};
  run_context ctx;
  std::unique_ptr<interpreter> interp;
  case_state state;

  fixture() {
    auto r = load_playbook_text(yaml, "lifecycle.yaml");
    for (const auto& d : r.problems) UNSCOPED_INFO(d.to_string());
    REQUIRE(r.book);
    r.book->version = 1;
    book = std::make_shared<const playbook>(std::move(*r.book));
    ctx.now = &clk;
    ctx.playbook_version = [this](const std::string&, int) { return book; };
    ctx.playbook_latest = [this](const std::string&) { return book; };
    interp = std::make_unique<interpreter>(ctx);
    inbound_message m{"api", "1", "client@x.ru", "", "привет"};
    interp->open(state, 1, book, &m);
  }
  step_outcome feed(const case_input& in) {
    case_machine m(*interp, state);
    auto out = m.handle(in);
    CHECK(m.current() == state.status);  // the machine and the fold agree
    return out;
  }
  staff_action act(staff_action::kind k, std::string option = {}) {
    return {k, state.step, std::move(option), nlohmann::json::object(), "", "manager"};
  }
};

}  // namespace

TEST_CASE("the machine resumes in the state the journal left the case in", "[engine]") {
  fixture f;
  REQUIRE(f.state.status == case_status::waiting_manager);
  case_machine m(*f.interp, f.state);
  CHECK(m.current() == case_status::waiting_manager);
}

TEST_CASE("each waiting state accepts only its own kind of action", "[engine]") {
  fixture f;
  CHECK_THAT(f.feed(f.act(staff_action::kind::paid)).rejected, Catch::Contains("waiting for the manager"));
  CHECK(f.feed(f.act(staff_action::kind::choose, "Ждать оплату")).rejected.empty());
  CHECK(f.state.status == case_status::waiting_payment);
  auto r = f.feed(f.act(staff_action::kind::decide, "Закрыть"));
  CHECK_THAT(r.rejected, Catch::Contains("waiting for a payment"));
  CHECK(r.conflict);
  CHECK(f.feed(f.act(staff_action::kind::paid)).rejected.empty());
  CHECK(f.state.status == case_status::closed);
  CHECK(f.state.outcome == "paid");
  CHECK_THAT(f.feed(f.act(staff_action::kind::choose, "x")).rejected, Catch::Contains("closed"));
  // A note is always possible, even on a closed case.
  staff_action note = f.act(staff_action::kind::note);
  note.reason = "клиент позвонил и поблагодарил";
  CHECK(f.feed(note).rejected.empty());
}

TEST_CASE("a client's reply is read as yes or no, 'не согласен' is not 'согласен'", "[engine]") {
  fixture f;
  f.feed(f.act(staff_action::kind::choose, "Ждать клиента"));
  REQUIRE(f.state.status == case_status::waiting_client);
  f.feed(inbound_message{"api", "2", "client@x.ru", "", "Нет, я не согласен"});
  CHECK(f.state.outcome == "declined");
}

TEST_CASE("a timeout moves the case on, a stale timer is refused", "[engine]") {
  fixture f;
  f.feed(f.act(staff_action::kind::choose, "Ждать клиента"));
  REQUIRE(f.state.timers.size() == 1);
  int n = f.state.timers[0].n;
  f.feed(timer_due{n});
  CHECK(f.state.step == "pause");
  CHECK(f.state.status == case_status::waiting_timer);
  CHECK(f.feed(timer_due{n}).rejected.size() > 0);
  f.feed(timer_due{f.state.timers.at(0).n});
  CHECK(f.state.step == "ask");
  CHECK(f.state.status == case_status::waiting_manager);
}

TEST_CASE("a reply nobody foresaw continues below, the manager may route a reply by hand", "[engine]") {
  fixture f;
  f.feed(f.act(staff_action::kind::choose, "Ждать клиента"));
  f.feed(inbound_message{"api", "3", "client@x.ru", "", "а можно в рассрочку?"});
  CHECK(f.state.step == "pause");
  CHECK(f.state.last_client_text == "а можно в рассрочку?");
  CHECK(f.state.timers.size() == 1);  // the reply's timeout was cancelled, the pause set

  fixture g;
  g.feed(g.act(staff_action::kind::choose, "Ждать клиента"));
  CHECK(g.feed(g.act(staff_action::kind::choose, "Да")).rejected.empty());
  CHECK(g.state.outcome == "done");
  CHECK(g.state.timers.empty());
}

TEST_CASE("escalation waits for the director and takes the decided branch", "[engine]") {
  fixture f;
  f.feed(f.act(staff_action::kind::choose, "К руководителю"));
  CHECK(f.state.status == case_status::waiting_director);
  CHECK_THAT(f.feed(f.act(staff_action::kind::decide, "Нет такого")).rejected, Catch::Contains("decisions: 'Закрыть'"));
  CHECK(f.feed(f.act(staff_action::kind::decide, "Закрыть")).rejected.empty());
  CHECK(f.state.outcome == "closed_by_director");
}

TEST_CASE("state folded from the facts equals the state the interpreter built", "[engine]") {
  fixture f;
  std::vector<fact> all;
  case_state live;
  inbound_message m{"api", "1", "client@x.ru", "", "привет"};
  auto o1 = f.interp->open(live, 7, f.book, &m);
  all.insert(all.end(), o1.facts.begin(), o1.facts.end());
  case_machine machine(*f.interp, live);
  auto o2 = machine.handle(staff_action{staff_action::kind::choose, "ask", "Ждать клиента", {}, "", "m"});
  all.insert(all.end(), o2.facts.begin(), o2.facts.end());
  case_state replayed;
  for (const auto& x : all) apply(replayed, 7, fact_from_json(to_json(x)));
  CHECK(to_json(replayed) == to_json(live));
}
