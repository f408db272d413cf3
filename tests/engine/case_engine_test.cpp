#include "engine/case_engine.hpp"

#include "engine/firm_file.hpp"
#include "engine/playbook_loader.hpp"
#include "engine/sandbox.hpp"
#include "engine/store/sqlite_store.hpp"
#include "tests/fakes/shipped_sandbox.hpp"

#include <catch2/catch.hpp>

using namespace reglament;

namespace {

// Monday 23 Nov 2026, 10:00 Moscow.
struct fixture : fakes::shipped_sandbox {
  engine_result say(const std::string& id, const std::string& text, const std::string& sender = "anna@romashka.ru") {
    return box->inbound({"email", id, sender, "", text});
  }
};

}  // namespace

TEST_CASE("an inbound message opens a case, greets, and is journaled once", "[engine]") {
  fixture f;
  auto r = f.say("m1", "Пришлите выписку за октябрь");
  REQUIRE(r.error.empty());
  CHECK_FALSE(r.duplicate);
  auto c = f.st.load_case(r.id);
  REQUIRE(c);
  CHECK(c->client_id == "romashka");
  CHECK(c->step == "set_deadline");
  CHECK(c->status == case_status::waiting_manager);
  auto out = f.st.outbox("", 10);
  REQUIRE(out.size() == 1);
  CHECK(out[0].to == "anna@romashka.ru");
  CHECK_THAT(out[0].text, Catch::StartsWith("Доброе утро, Анна Сергеевна!"));
}

TEST_CASE("a replayed message is acknowledged as a duplicate and changes nothing", "[engine]") {
  fixture f;
  auto first = f.say("m1", "Пришлите выписку");
  auto facts = f.st.journal(first.id).size();
  auto again = f.say("m1", "Пришлите выписку");
  CHECK(again.duplicate);
  CHECK(again.id == first.id);
  CHECK(f.st.journal(first.id).size() == facts);
  CHECK(f.st.outbox("", 10).size() == 1);
}

TEST_CASE("later messages from the same sender join the open case, after it closes a new case opens", "[engine]") {
  fixture f;
  auto a = f.say("m1", "Подготовьте приказ на отпуск");
  auto b = f.say("m2", "Нет, не надо");  // the case is at the quote form: journaled, no step change
  CHECK(b.id == a.id);
  CHECK(f.st.load_case(a.id)->step == "quote");
  staff_action submit{staff_action::kind::submit, "quote", "", {{"price", 1500}, {"deadline", "завтра"}}, "", "manager"};
  REQUIRE(f.box->act(a.id, submit).error.empty());
  auto c = f.say("m3", "Нет, не надо");
  CHECK(c.id == a.id);
  CHECK(f.st.load_case(a.id)->outcome == "declined");
  auto d = f.say("m4", "Пришлите выписку");
  CHECK(d.id != a.id);
}

TEST_CASE("refusals say why and map to HTTP statuses", "[engine]") {
  fixture f;
  auto r = f.say("m1", "Подготовьте приказ на отпуск");
  staff_action wrong_step{staff_action::kind::choose, "check", "x", {}, "", "manager"};
  auto w = f.box->act(r.id, wrong_step);
  CHECK(w.http_status == 409);
  CHECK_THAT(w.error, Catch::Contains("not current"));
  staff_action missing{staff_action::kind::submit, "quote", "", {{"price", 1}}, "", "manager"};
  auto m = f.box->act(r.id, missing);
  CHECK(m.http_status == 422);
  CHECK_THAT(m.error, Catch::Contains("deadline"));
  auto none = f.box->act(999, wrong_step);
  CHECK(none.http_status == 404);
  auto bad = f.box->inbound({"email", "m9", "a@b.c", "", std::string("\xff\xfe", 2)});
  CHECK(bad.http_status == 422);
  auto unknown_channel = f.box->inbound({"fax", "m10", "a@b.c", "", "hi"});
  CHECK_THAT(unknown_channel.error, Catch::Contains("no playbook"));
}

TEST_CASE("cases keep running on the playbook version they started with", "[engine]") {
  fixture f;
  auto r = f.say("m1", "Подготовьте приказ на отпуск");
  REQUIRE(f.st.load_case(r.id)->version == 1);

  // The owner changes a message text: a new version appears, the old one stays.
  auto v1 = f.books.latest("intake");
  std::string changed = v1->source;
  auto pos = changed.find("Спасибо за заявку, уже смотрим.");
  REQUIRE(pos != std::string::npos);
  changed.replace(pos, std::string("Спасибо за заявку, уже смотрим.").size(), "Благодарим за обращение!");
  auto loaded = load_playbook_text(changed, v1->file);
  REQUIRE(loaded.book);
  loaded.book->version = f.st.register_playbook(*loaded.book, timestamp{});
  CHECK(loaded.book->version == 2);
  f.books.add(std::make_shared<const playbook>(std::move(*loaded.book)));

  auto s = f.say("m2", "Пришлите выписку", "igor@vektor-plus.ru");
  CHECK(f.st.load_case(s.id)->version == 2);
  CHECK(f.st.load_case(r.id)->version == 1);
  CHECK(f.st.playbook_versions("intake").size() == 2);

  // The old case goes on by its own version.
  staff_action submit{staff_action::kind::submit, "quote", "", {{"price", 1500}, {"deadline", "завтра"}}, "", "manager"};
  REQUIRE(f.box->act(r.id, submit).error.empty());
  CHECK(f.st.load_case(r.id)->step == "wait_consent");

  // After a restart the library no longer holds v1 in memory: it is read back from the store.
  playbook_library fresh;
  fresh.add(f.books.latest("intake"));
  auto old = fresh.version("intake", 1, &f.st);
  REQUIRE(old);
  CHECK(old->sha256 == v1->sha256);
}

TEST_CASE("the derived tables equal a replay of the journal after a full conversation", "[engine][store]") {
  fixture f;
  auto r = f.say("m1", "Подготовьте приказ на отпуск");
  staff_action submit{staff_action::kind::submit, "quote", "", {{"price", 1500}, {"deadline", "завтра"}}, "", "manager"};
  f.box->act(r.id, submit);
  f.say("m2", "Да");
  REQUIRE(f.box->pay_invoice("2026-0001", 500, "bank").error.empty());  // part of the invoice
  REQUIRE(f.box->pay_invoice("2026-0001", nullptr, "bank").error.empty());
  f.box->advance(*parse_duration("4 рабочих дня"));
  f.say("m3", "Пришлите выписку", "igor@vektor-plus.ru");
  auto report = f.st.verify_replay();
  for (const auto& d : report.differences) UNSCOPED_INFO(d);
  CHECK(report.differences.empty());
  CHECK(report.cases == 2);
}

TEST_CASE("for_channel picks the playbook written for the kind of sender, else any for the channel", "[engine]") {
  fixture f;
  CHECK(f.books.for_channel("email", true)->id == "intake");
  CHECK(f.books.for_channel("email", false)->id == "unknown_sender");
  CHECK(f.books.for_channel("telegram", false)->id == "unknown_sender");
  CHECK(f.books.for_channel("fax", true) == nullptr);

  // The engine asks by whether the sender is a client's contact.
  auto known = f.say("m1", "Пришлите выписку");
  CHECK(f.st.load_case(known.id)->playbook == "intake");
  auto stranger = f.say("m2", "Сколько стоит ведение бухгалтерии?", "stranger@example.org");
  auto c = f.st.load_case(stranger.id);
  CHECK(c->playbook == "unknown_sender");
  CHECK(c->client_id.empty());

  // With no playbook for unknown senders they fall back to the channel's playbook, and
  // a playbook only for strangers still serves clients when nothing else does.
  auto only = [](const char* yaml) {
    playbook_library lib;
    auto r = load_playbook_text(yaml, "test.yaml");
    REQUIRE(r.book);
    r.book->version = 1;
    lib.add(std::make_shared<const playbook>(std::move(*r.book)));
    return lib.for_channel("email", false) ? lib.for_channel("email", true)->id : std::string("none");
  };
  CHECK(only("id: clients\ntrigger: { message: [email] }\nsteps:\n  - id: s\n    end: done\n") == "clients");
  CHECK(only("id: strangers\ntrigger: { message: [email], from: unknown }\nsteps:\n  - id: s\n    end: done\n") == "strangers");
}

TEST_CASE("a manual start for a client writes to the client's email contact", "[engine]") {
  fixture f;
  auto r = f.box->start("complaint", "romashka");
  REQUIRE(r.error.empty());
  auto c = f.st.load_case(r.id);
  CHECK(c->channel == "email");
  CHECK(c->sender == "anna@romashka.ru");
  CHECK(c->step == "find_out");
  auto out = f.st.outbox("", 10);
  REQUIRE(out.size() == 1);
  CHECK(out[0].to == "anna@romashka.ru");
  // The client's answer on that contact joins the manual case.
  CHECK(f.say("m1", "Спасибо, ждём").id == r.id);
  CHECK(f.box->start("complaint", "nobody").http_status == 422);
}

TEST_CASE("SLA clocks run in working time, survive in the store and stop when met", "[engine]") {
  sqlite_store st{":memory:"};
  playbook_library books;
  load_result r = load_playbook_text(R"(id: request
trigger: { message: [email] }
sla: { idle: off }
steps:
  - id: greet
    say: "{{приветствие}}! Заявка {{номер}}, срок первого ответа — {{sla_first_reply_target}}."
  - id: answer
    form: Ответ
    fields: { reply: Ответ }
  - id: tell
    say: "{{reply}}"
  - id: done
    choice: Готово?
    options: { "Да": end:done }
)", "request.yaml");
  REQUIRE(r.problems.empty());
  books.add(std::make_shared<const playbook>(*r.book));
  diagnostics p;
  auto firm = firm_file::parse(R"(firm: Баланс
services: [{ id: s, title: S, keywords: [s], price: 1 }]
tariffs: [{ id: t, includes: { s: 1 }, sla: { first_reply: 30 рабочих минут, idle: 1 рабочий час, deadline: 1 рабочий день } }]
clients: [{ id: c, name: ООО «С», tariff: t, contacts: { email: [c@c.ru] } }]
)", "firm.yaml", p);
  REQUIRE(firm);
  // Friday 27 Nov 2026, 17:50 Moscow: 10 working minutes left today.
  sandbox box(st, books, firm.get(), from_millis(1795417200000) + std::chrono::hours(4 * 24 + 7) +
                                         std::chrono::minutes(50));
  auto opened = box.inbound({"email", "m1", "c@c.ru", "", "Вопрос"});
  REQUIRE(opened.error.empty());
  auto c = st.load_case(opened.id);
  REQUIRE(c);
  CHECK(c->vars.value("sla_first_reply", "") == "pending");
  // 10 minutes on Friday, 20 on Monday morning.
  CHECK(c->vars.value("sla_first_reply_due", "") == "2026-11-30T09:20+03:00");
  CHECK(c->vars.value("sla_deadline_due", "") == "2026-11-30T17:50+03:00");
  CHECK_FALSE(c->vars.contains("sla_idle"));  // turned off by the playbook
  CHECK(c->timers.size() == 2);
  REQUIRE(st.next_timer_due());
  CHECK(*st.next_timer_due() == c->timers.front().due);
  auto greeting = st.outbox("", 10);
  REQUIRE(greeting.size() == 1);
  CHECK_THAT(greeting[0].text, Catch::EndsWith("срок первого ответа — 30 рабочих минут."));

  // Over the weekend nothing fires; Monday 09:20 the manager is reminded (no manager: the role).
  box.advance_to(from_millis(1795417200000) + std::chrono::hours(7 * 24 - 1));
  CHECK(box.unread(opened.id, true).empty());
  box.advance_to(from_millis(1795417200000) + std::chrono::hours(7 * 24 - 1) + std::chrono::minutes(21));
  auto notes = box.unread(opened.id, true);
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].to == "manager");
  CHECK_THAT(notes[0].text, Catch::StartsWith("Заявка 1 (ООО «С»): клиент всё ещё ждёт первого ответа (срок по SLA — 30 рабочих минут)."));
  CHECK(st.load_case(opened.id)->vars.value("sla_first_reply", "") == "breached");

  // The reply stops the first-reply clock, its pending escalation too; the deadline runs on.
  staff_action a;
  a.what = staff_action::kind::submit;
  a.step = "answer";
  a.actor = "manager";
  a.values = {{"reply", "Готово, смотрите вложение"}};
  REQUIRE(box.act(opened.id, a).error.empty());
  c = st.load_case(opened.id);
  CHECK(c->vars.value("sla_first_reply", "") == "breached");  // the breach stays on record
  REQUIRE(c->timers.size() == 1);
  CHECK(c->timers[0].purpose == "sla:deadline");

  // Closing in time meets the deadline and leaves no timer behind.
  a = {};
  a.what = staff_action::kind::choose;
  a.step = "done";
  a.option = "Да";
  a.actor = "manager";
  REQUIRE(box.act(opened.id, a).error.empty());
  c = st.load_case(opened.id);
  CHECK(c->closed());
  CHECK(c->vars.value("sla_deadline", "") == "met");
  CHECK(c->timers.empty());
  CHECK_FALSE(st.next_timer_due());
}

TEST_CASE("a message's subject, sender name, original text and attachments are journaled, replay agrees",
          "[engine][channels]") {
  fixture f;
  inbound_message m{"email", "<m1@romashka.ru>", "anna@romashka.ru", "", "Пришлите выписку за октябрь"};
  m.subject = "Выписка";
  m.sender_name = "Анна Сергеевна";
  m.original = "Пришлите выписку за октябрь\n\n-- \nАнна";
  m.attachments.push_back({"Реквизиты.pdf", "application/pdf", 2048, std::string(64, 'c')});
  auto r = f.box->inbound(m);
  REQUIRE(r.error.empty());
  auto journal = f.st.journal(r.id);
  const fact* received = nullptr;
  for (const auto& e : journal)
    if (e.what.kind == fact_kind::message_received) received = &e.what;
  REQUIRE(received);
  CHECK(received->data["subject"] == "Выписка");
  CHECK(received->data["sender_name"] == "Анна Сергеевна");
  CHECK(received->data["original"] == m.original);
  REQUIRE(received->data["attachments"].size() == 1);
  CHECK(received->data["attachments"][0]["name"] == "Реквизиты.pdf");
  CHECK(received->data["attachments"][0]["sha256"] == std::string(64, 'c'));
  CHECK(received->data["attachments"][0]["size"] == 2048);

  // A message from the API (no channel details) journals exactly the four fields.
  auto plain = f.say("m2", "И ещё акт сверки", "igor@vektor-plus.ru");
  for (const auto& e : f.st.journal(plain.id))
    if (e.what.kind == fact_kind::message_received) CHECK(e.what.data.size() == 4);

  auto bad = m;
  bad.external_id = "<m3@romashka.ru>";
  bad.subject = std::string("\xff", 1);
  auto refused = f.box->inbound(bad);
  CHECK(refused.http_status == 422);
  CHECK_THAT(refused.error, Catch::Contains("subject"));
  auto report = f.st.verify_replay();
  for (const auto& d : report.differences) UNSCOPED_INFO(d);
  CHECK(report.differences.empty());
}

TEST_CASE("a call and a visit are journaled on the case at any step, with who, when and what", "[engine]") {
  fixture f;
  auto r = f.say("m1", "Подготовьте приказ на отпуск");
  staff_action call{staff_action::kind::call, "", "",
                    {{"who", "Анна Сергеевна"}, {"when", "2026-11-23T10:30:00+03:00"}, {"direction", "out"}},
                    "Договорились о сроках", "manager"};
  auto c = f.box->act(r.id, call);
  REQUIRE(c.error.empty());
  REQUIRE(c.facts.size() == 1);
  CHECK(c.facts[0].kind == fact_kind::call_logged);
  CHECK(c.facts[0].data["who"] == "Анна Сергеевна");
  CHECK(c.facts[0].data["summary"] == "Договорились о сроках");
  CHECK(c.facts[0].data["direction"] == "out");
  CHECK(c.facts[0].data["when"] == 1795419000000);  // 07:30 UTC
  CHECK(c.facts[0].data["actor"] == "manager");

  staff_action visit{staff_action::kind::visit, "", "", {{"who", "Игорь Петров"}}, "Принёс первичку", "manager"};
  auto v = f.box->act(r.id, visit);
  REQUIRE(v.error.empty());
  CHECK(v.facts[0].kind == fact_kind::visit_logged);
  CHECK(v.facts[0].data["when"] == to_millis(f.box->clock().now()));
  CHECK_FALSE(v.facts[0].data.contains("direction"));
  CHECK(f.st.load_case(r.id)->step == "quote");  // nothing else moved

  staff_action no_who{staff_action::kind::call, "", "", {}, "Звонок", "manager"};
  CHECK_THAT(f.box->act(r.id, no_who).error, Catch::Contains("values.who"));
  staff_action bad_when{staff_action::kind::call, "", "", {{"who", "Анна"}, {"when", "вчера"}}, "Звонок", "manager"};
  CHECK_THAT(f.box->act(r.id, bad_when).error, Catch::Contains("not a time"));
  staff_action bad_dir{staff_action::kind::call, "", "", {{"who", "Анна"}, {"direction", "up"}}, "Звонок", "manager"};
  CHECK_THAT(f.box->act(r.id, bad_dir).error, Catch::Contains("direction"));
  CHECK(f.st.verify_replay().differences.empty());
}

TEST_CASE("a dead message is queued again by a person, anything else is refused", "[engine][outbox]") {
  fixture f;
  auto r = f.say("m1", "Пришлите выписку");
  run_context ctx;
  ctx.now = &f.box->clock();
  case_engine e(f.st, f.books, ctx);
  auto in_txn = [&](auto&& fn) {
    f.st.begin();
    auto res = fn();
    f.st.commit();
    return res;
  };
  auto not_dead = in_txn([&] { return e.retry_message(r.id, 1, "manager"); });
  CHECK(not_dead.http_status == 409);
  CHECK_THAT(not_dead.error, Catch::Contains("is queued, not dead"));
  CHECK(in_txn([&] { return e.retry_message(r.id, 9, "manager"); }).http_status == 404);
  CHECK(in_txn([&] { return e.retry_message(999, 1, "manager"); }).http_status == 404);

  delivery_result dead;
  dead.outbox = 1;
  dead.dead = true;
  dead.error = "550 no such mailbox";
  dead.attempts = 8;
  REQUIRE(in_txn([&] { return e.delivered(r.id, dead); }).error.empty());
  REQUIRE(f.st.outbox("dead", 10).size() == 1);

  auto again = in_txn([&] { return e.retry_message(r.id, 1, "manager"); });
  REQUIRE(again.error.empty());
  CHECK(again.facts[0].kind == fact_kind::message_retried);
  auto rows = f.st.outbox("queued", 10);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].attempts == 0);
  CHECK(rows[0].last_error.empty());
  CHECK(rows[0].next_attempt_at == f.box->clock().now());
  CHECK(in_txn([&] { return e.retry_message(r.id, 1, "manager"); }).http_status == 409);
  CHECK(f.st.verify_replay().differences.empty());
}
