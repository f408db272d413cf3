#include "engine/interpreter.hpp"

#include "engine/production_calendar.hpp"
#include "tests/fakes/shipped_sandbox.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

using namespace reglament;

namespace {

// The shipped playbooks and demo firm in a sandbox on Monday 23 Nov 2026, 10:00 Moscow.
struct fixture : fakes::shipped_sandbox {
  int n = 0;

  case_id say(const std::string& text, const std::string& sender = "anna@romashka.ru") {
    auto r = box->inbound({"email", "m" + std::to_string(++n), sender, "", text});
    REQUIRE(r.error.empty());
    return r.id;
  }
  // A personnel document (not in the «Стандарт» tariff) quoted at `price`.
  case_id quoted(long price, const std::string& sender = "anna@romashka.ru") {
    auto id = say("Подготовьте приказ на отпуск", sender);
    staff_action a{staff_action::kind::submit, "quote", "", {{"price", price}, {"deadline", "завтра"}}, "", "manager"};
    REQUIRE(box->act(id, a).error.empty());
    return id;
  }
  case_state state(case_id id) { return *st.load_case(id); }
  // A complaint the director answered with "explain": at the explanation the manager reviews.
  case_id at_explanation() {
    auto r = box->start("complaint", "vektor");
    REQUIRE(r.error.empty());
    auto act = [&](staff_action::kind k, const std::string& step, const std::string& option, nlohmann::json values,
                   const std::string& who) {
      REQUIRE(box->act(r.id, {k, step, option, std::move(values), "", who}).error.empty());
    };
    act(staff_action::kind::submit, "find_out", "", {{"complaint", "Ошибка"}, {"client_wants", "Пояснить"}}, "manager");
    act(staff_action::kind::decide, "director", "Объяснить клиенту", {}, "director");
    act(staff_action::kind::submit, "explain", "", {{"explanation", "расчёт сделан по табелю."}}, "manager");
    return r.id;
  }
  std::string answer(case_id id) {
    for (const auto& e : st.journal(id))
      if (e.what.kind == fact_kind::client_replied) return e.what.data.value("answer", "");
    return "(none)";
  }
};

}  // namespace

TEST_CASE("consent and refusal are recognised in the client's words, any case", "[engine][playbook]") {
  for (const char* yes : {"да", "Да!", "Согласен", "согласна, выставляйте", "ОК", "okay", "Хорошо", "давайте",
                          "Выставляйте счёт", "👍", "Да, согласен"}) {
    fixture f;
    auto id = f.quoted(1500);
    f.say(yes);
    INFO(yes);
    CHECK(f.answer(id) == "yes");
    CHECK(f.state(id).status == case_status::waiting_payment);
  }
  for (const char* no : {"нет", "НЕТ", "Не надо", "не согласен", "Дорого, не будем", "Нет"}) {
    fixture f;
    auto id = f.quoted(1500);
    f.say(no);
    INFO(no);
    CHECK(f.answer(id) == "no");
    CHECK(f.state(id).outcome == "declined");
  }
}

TEST_CASE("a say step's reply buttons travel in the fact and the outbox row", "[engine][store]") {
  fixture f;
  auto id = f.quoted(1500);
  bool in_fact = false;
  for (const auto& e : f.st.journal(id))
    if (e.what.kind == fact_kind::message_queued && e.what.step == "send_quote")
      in_fact = e.what.data["buttons"] == nlohmann::json{"Да, согласен", "Нет"};
  CHECK(in_fact);
  auto rows = f.st.outbox("", 10);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].buttons.empty());  // the greeting has none
  CHECK(rows[1].buttons == std::vector<std::string>{"Да, согласен", "Нет"});
  // A pressed button arrives as its text.
  f.say("Да, согласен");
  CHECK(f.state(id).status == case_status::waiting_payment);
  CHECK(f.st.verify_replay().differences.empty());
}

TEST_CASE("an invoice step issues a numbered invoice with a due date in working days", "[engine][store]") {
  fixture f;
  auto a = f.quoted(1500);
  f.say("да");
  auto s = f.state(a);
  CHECK(s.vars["invoice_no"] == "2026-0001");
  CHECK(s.vars["invoice_amount"] == 1500);
  CHECK(s.vars["invoice_due"] == "30.11.2026");  // Monday + 5 working days
  auto inv = f.st.invoice("2026-0001");
  REQUIRE(inv);
  CHECK(inv->id == a);
  CHECK(inv->client_id == "romashka");
  CHECK(inv->amount_kopecks == 150000);
  CHECK(inv->currency == "RUB");
  CHECK(inv->status == "issued");
  CHECK(inv->due_date == "2026-11-30");
  CHECK(inv->purpose == "Кадровые документы по заявке № 1");

  // Another client's case takes the next number.
  auto b = f.quoted(1500, "m.kuznetsova@kvadrat.su");
  f.say("Да", "m.kuznetsova@kvadrat.su");
  CHECK(f.state(b).vars["invoice_no"] == "2026-0002");
  CHECK(f.st.last_invoice_seq(2026) == 2);
  CHECK(f.st.last_invoice_seq(2027) == 0);
  invoice_filter issued;
  issued.status = "issued";
  CHECK(f.st.invoices(issued).size() == 2);
  CHECK(f.st.verify_replay().differences.empty());
}

TEST_CASE("payments against an invoice: partial keeps waiting, a wrong sum is refused with what is due",
          "[engine][store]") {
  fixture f;
  auto id = f.quoted(1500);
  f.say("да");

  auto missing = f.box->pay_invoice("2026-0099", 100, "bank");
  CHECK(missing.http_status == 404);
  auto too_much = f.box->pay_invoice("2026-0001", 2000, "bank");
  CHECK(too_much.http_status == 422);
  CHECK_THAT(too_much.error, Catch::Contains("invoice 2026-0001 expects: 1500 RUB"));
  auto negative = f.box->pay_invoice("2026-0001", -1, "bank");
  CHECK(negative.http_status == 422);

  REQUIRE(f.box->pay_invoice("2026-0001", 1000.5, "bank").error.empty());
  auto s = f.state(id);
  CHECK(s.status == case_status::waiting_payment);
  CHECK(s.vars["invoice_paid"] == 1000.5);
  CHECK_FALSE(s.vars.contains("paid"));
  CHECK(f.st.invoice("2026-0001")->paid_kopecks == 100050);
  CHECK(f.st.invoice("2026-0001")->status == "issued");

  auto rest = f.box->pay_invoice("2026-0001", 600, "bank");
  CHECK_THAT(rest.error, Catch::Contains("499.50 RUB"));
  REQUIRE(f.box->pay_invoice("2026-0001", nullptr, "bank").error.empty());  // pays what is left
  s = f.state(id);
  CHECK(s.vars["paid"] == true);
  CHECK(s.step == "wait_work");
  auto inv = f.st.invoice("2026-0001");
  CHECK(inv->status == "paid");
  CHECK(inv->paid_kopecks == 150000);
  CHECK(inv->paid_at);

  auto again = f.box->pay_invoice("2026-0001", 1, "bank");
  CHECK(again.http_status == 409);
  CHECK(f.st.verify_replay().differences.empty());
}

TEST_CASE("a case not waiting for payment refuses one with 409", "[engine]") {
  fixture f;
  auto id = f.quoted(1500);
  f.say("да");
  REQUIRE(f.box->pay_invoice("2026-0001", 500, "bank").error.empty());
  // The manager notes a call and the case moves on only by payment; a choice is refused.
  staff_action choose{staff_action::kind::choose, "wait_payment", "Готово", {}, "", "manager"};
  CHECK_FALSE(f.box->act(id, choose).error.empty());
  staff_action paid_elsewhere{staff_action::kind::paid, "quote", "", {}, "", "manager"};
  CHECK(f.box->act(id, paid_elsewhere).http_status == 409);
}

TEST_CASE("closing a case cancels its unpaid invoice, the number is never reused", "[engine][store]") {
  fixture f;
  auto id = f.quoted(1500);
  f.say("да");
  f.box->advance(*parse_duration("8 рабочих дней"));
  auto s = f.state(id);
  CHECK(s.outcome == "unpaid");
  CHECK(s.vars["invoice_status"] == "cancelled");
  CHECK(f.st.invoice("2026-0001")->status == "cancelled");
  CHECK(f.st.invoice("2026-0001")->cancelled_at);

  auto next = f.quoted(1500);
  f.say("да");
  CHECK(f.state(next).vars["invoice_no"] == "2026-0002");
  CHECK(f.st.verify_replay().differences.empty());
}

TEST_CASE("a price below the manager's discount limit waits for the director", "[engine]") {
  fixture f;
  auto within = f.quoted(1275);  // 15% off 1500
  CHECK(f.state(within).step == "wait_consent");
  CHECK(f.state(within).vars["min_price"] == 1275);
  CHECK(f.state(within).vars["list_price"] == 1500);
  f.say("нет");
  auto below = f.quoted(1274);
  CHECK(f.state(below).step == "escalate_discount");
  CHECK(f.state(below).status == case_status::waiting_director);
}

TEST_CASE("the firm's payment terms override the playbook's defaults", "[engine]") {
  std::ifstream in(std::string(fakes::shipped_sandbox::playbooks_dir) + "/firm/demo-firm.yaml");
  std::string yaml((std::istreambuf_iterator<char>(in)), {});
  const std::string limit = "  manager_discount_limit: 15%\n";
  REQUIRE(yaml.find(limit) != std::string::npos);
  yaml.replace(yaml.find(limit), limit.size(),
               limit + "  payment_due: 10 рабочих дней\n  payment_reminder_after: 1 рабочий день\n");
  diagnostics problems;
  auto terms = firm_file::parse(yaml, "firm.yaml", problems);
  REQUIRE(terms);
  fixture f;
  f.box = std::make_unique<sandbox>(f.st, f.books, terms.get(), from_millis(1795417200000));
  auto id = f.quoted(1500);
  f.say("да");
  CHECK(f.state(id).vars["invoice_due"] == "07.12.2026");  // Monday + 10 working days
  f.box->advance(*parse_duration("1 рабочий день"));
  CHECK(f.state(id).step == "wait_payment_again");

  firm_file::parse("pricing: { payment_due: скоро }\n", "bad.yaml", problems);
  CHECK(has_errors(problems));
}

TEST_CASE("an editable say waits for the manager, who sends the reply as prepared or changed", "[engine][store]") {
  fixture f;
  const auto id = f.at_explanation();
  auto act = [&](staff_action::kind k, const std::string& step, const std::string& option, nlohmann::json values) {
    return f.box->act(id, {k, step, option, std::move(values), "", "manager"});
  };

  // Nothing goes out yet: the prepared text waits for the manager.
  auto s = f.state(id);
  CHECK(s.step == "tell_explain");
  CHECK(s.status == case_status::waiting_manager);
  const auto prepared = s.vars.value("prepared_reply", "");
  CHECK(prepared == "Игорь Петрович, расчёт сделан по табелю. Если остались вопросы — напишите, обсудим.");
  const auto queued_before = s.outbox_count;

  // A send elsewhere, an empty or oversized reply, a non-text value: refused, nothing written.
  CHECK_THAT(act(staff_action::kind::send, "tell_explain", "", {{"text", " \n "}}).error,
             Catch::Contains("the reply is empty"));
  CHECK_THAT(act(staff_action::kind::send, "tell_explain", "", {{"text", std::string(70000, 'a')}}).error,
             Catch::Contains("at most 65536"));
  CHECK_THAT(act(staff_action::kind::send, "tell_explain", "", {{"text", 5}}).error, Catch::Contains("values.text"));
  CHECK(f.state(id).outbox_count == queued_before);

  // The manager adds a line: the edited text goes out, the prepared one is journaled beside it.
  const std::string edited = prepared + "\nПункт 4.2 договора — во вложении.";
  REQUIRE(act(staff_action::kind::send, "tell_explain", "", {{"text", edited}}).error.empty());
  nlohmann::json queued;
  for (const auto& e : f.st.journal(id))
    if (e.what.kind == fact_kind::message_queued && e.what.step == "tell_explain") queued = e.what.data;
  CHECK(queued["text"] == edited);
  CHECK(queued["edited"] == true);
  CHECK(queued["prepared"] == prepared);
  CHECK(queued["actor"] == "manager");
  CHECK(f.state(id).step == "wait_feedback");
  CHECK(f.state(id).status == case_status::waiting_client);
  CHECK(f.st.verify_replay().differences.empty());
}

TEST_CASE("an editable say sent without a text goes out as prepared, marked unedited", "[engine][store]") {
  fixture f;
  const auto id = f.at_explanation();
  const auto prepared = f.state(id).vars.value("prepared_reply", "");
  REQUIRE(f.box->act(id, {staff_action::kind::send, "tell_explain", "", {}, "", "manager"}).error.empty());
  nlohmann::json queued;
  for (const auto& e : f.st.journal(id))
    if (e.what.kind == fact_kind::message_queued && e.what.step == "tell_explain") queued = e.what.data;
  CHECK(queued["text"] == prepared);
  CHECK_FALSE(queued.contains("edited"));
  CHECK(queued["actor"] == "manager");
}

TEST_CASE("sending is refused at a step that prepares no reply", "[engine]") {
  fixture f;
  auto id = f.say("Пришлите, пожалуйста, акт сверки с поставщиком");
  REQUIRE(f.state(id).status == case_status::waiting_manager);  // at a form, not a say
  auto r = f.box->act(id, {staff_action::kind::send, f.state(id).step, "", {{"text", "Счёт"}}, "", "manager"});
  CHECK_THAT(r.error, Catch::Contains("has no prepared reply to send"));
}

TEST_CASE("every fact of one event carries the instant it was handled, the client is looked up once", "[engine]") {
  // A clock that moves on every reading and a directory that counts its lookups: an
  // event reads the clock once, and the client found by the sender is the one used.
  struct ticking_clock final : clock {
    mutable timestamp t = from_millis(1795417200000);
    mutable int readings = 0;
    timestamp now() const override {
      ++readings;
      return t += std::chrono::milliseconds(1);
    }
  };
  struct counting_directory final : client_directory {
    const client_directory& real;
    mutable int lookups = 0;
    explicit counting_directory(const client_directory& r) : real(r) {}
    client_ptr find(std::string_view id) const override {
      ++lookups;
      return real.find(id);
    }
    client_ptr find_by_contact(std::string_view channel, std::string_view sender) const override {
      ++lookups;
      return real.find_by_contact(channel, sender);
    }
    std::optional<client_contact> preferred_contact(std::string_view id) const override { return real.preferred_contact(id); }
    std::vector<client_info> all() const override { return real.all(); }
  };
  fixture f;
  ticking_clock clk;
  counting_directory clients(*f.firm);
  weekly_calendar calendar = production_calendar::shipped();
  run_context ctx;
  ctx.playbook_version = [&](const std::string& id, int v) { return f.books.version(id, v); };
  ctx.playbook_latest = [&](const std::string& id) { return f.books.latest(id); };
  ctx.now = &clk;
  ctx.calendar = &calendar;
  ctx.clients = &clients;
  ctx.tariffs = f.firm.get();
  ctx.firm = f.firm.get();
  interpreter interp(ctx);
  case_state s;
  inbound_message m{"email", "m1", "anna@romashka.ru", "", "Пришлите, пожалуйста, выписку из банка за октябрь"};
  const auto opened = interp.open(s, 1, f.books.for_channel("email"), &m);
  REQUIRE(opened.rejected.empty());
  REQUIRE(opened.facts.size() > 8);
  for (const auto& fct : opened.facts) CHECK(fct.at == opened.facts.front().at);
  CHECK(clk.readings == 1);
  CHECK(clients.lookups == 1);
  CHECK_FALSE(s.client_id.empty());
  inbound_message reply{"email", "m2", "anna@romashka.ru", "", "Спасибо!"};
  const auto next = interp.client_message(s, reply);
  REQUIRE_FALSE(next.facts.empty());
  CHECK(next.facts.front().at > opened.facts.front().at);  // the next event is its own instant
}
