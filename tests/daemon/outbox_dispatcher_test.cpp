#include "engine/outbox_dispatcher.hpp"

#include "engine/store/sqlite_store.hpp"
#include "tests/fakes/fake_channel.hpp"
#include "tests/fakes/outbox_store.hpp"

#include <catch2/catch.hpp>

using namespace reglament;
using namespace std::chrono_literals;

namespace {

struct rig {
  sqlite_store db{":memory:"};
  fakes::outbox_store st{db};
  manual_clock clk{from_millis(1'800'000'000'000)};
  fakes::fake_channel email{"email"};
  std::vector<std::pair<case_id, delivery_result>> reports;
  std::vector<std::function<void(const engine_result&)>> pending;  // reports not yet "committed"
  bool commit_at_once = true;
  outbox_dispatcher d{st, clk, [this](case_id id, const delivery_result& r, auto done) {
                        reports.emplace_back(id, r);
                        if (commit_at_once) {
                          st.apply(id, r);
                          done(engine_result{});
                        } else {
                          pending.push_back([this, id, r, done](const engine_result& e) {
                            st.apply(id, r);
                            done(e);
                          });
                        }
                      }};

  rig() { d.add_channel("email", &email); }
  void queue(case_id id, int n, std::string channel = "email", int attempts = 0) {
    outbox_row r;
    r.id = id;
    r.n = n;
    r.channel = std::move(channel);
    r.to = "anna@example.ru";
    r.text = "Добрый день!";
    r.attempts = attempts;
    r.next_attempt_at = clk.now();
    st.add(r);
  }
};

}  // namespace

TEST_CASE("a due message is delivered once and reported sent", "[outbox]") {
  rig r;
  r.queue(7, 1);
  CHECK(r.d.poll_once() == 1);
  REQUIRE(r.email.count() == 1);
  CHECK(r.email.delivered[0].idempotency_key == "c7-m1");
  CHECK(r.email.delivered[0].case_no == 7);
  REQUIRE(r.reports.size() == 1);
  CHECK(r.reports[0].second.ok);
  CHECK(r.reports[0].second.attempts == 1);
  CHECK(r.d.poll_once() == 0);  // sent: no longer due
  CHECK(r.d.stats().sent == 1);
}

TEST_CASE("a transient failure is retried with exponential backoff", "[outbox]") {
  rig r;
  r.email.script = {{false, false, "421 try later"}, {false, false, "421 try later"}, {true, false, {}}};
  r.queue(1, 1);
  auto t0 = r.clk.now();
  CHECK(r.d.poll_once() == 1);
  auto first = r.reports.back().second;
  CHECK_FALSE(first.ok);
  CHECK_FALSE(first.dead);
  CHECK(first.error == "421 try later");
  CHECK(first.retry_at == t0 + 30s);

  r.clk.advance(29s);
  CHECK(r.d.poll_once() == 0);  // not yet
  r.clk.advance(1s);
  CHECK(r.d.poll_once() == 1);
  CHECK(r.reports.back().second.attempts == 2);
  CHECK(r.reports.back().second.retry_at == r.clk.now() + 60s);

  r.clk.advance(60s);
  CHECK(r.d.poll_once() == 1);
  CHECK(r.reports.back().second.ok);
  CHECK(r.reports.back().second.attempts == 3);
  CHECK(r.d.stats().failed == 2);
}

TEST_CASE("backoff is capped at an hour", "[outbox]") {
  outbox_dispatcher::options o;
  auto t = from_millis(0);
  CHECK(outbox_dispatcher::retry_time(t, 1, o) == t + 30s);
  CHECK(outbox_dispatcher::retry_time(t, 3, o) == t + 120s);
  CHECK(outbox_dispatcher::retry_time(t, 7, o) == t + 1920s);
  CHECK(outbox_dispatcher::retry_time(t, 8, o) == t + 3600s);
  CHECK(outbox_dispatcher::retry_time(t, 40, o) == t + 3600s);
}

TEST_CASE("a message dies after max attempts or a permanent failure", "[outbox]") {
  rig r;
  r.email.fallback = {false, false, "timeout"};
  r.queue(1, 1, "email", 7);  // the eighth attempt is the last
  r.d.poll_once();
  CHECK(r.reports.back().second.dead);
  CHECK(r.st.row(0).state == "dead");

  r.email.script = {{false, true, "550 no such mailbox"}};
  r.queue(2, 1);
  r.d.poll_once();
  CHECK(r.reports.back().second.dead);
  CHECK(r.reports.back().second.attempts == 1);
  CHECK(r.d.stats().dead == 2);
}

TEST_CASE("a throwing channel counts as a transient failure", "[outbox]") {
  rig r;
  r.email.script = {{false, false, "throw"}};
  r.queue(1, 1);
  r.d.poll_once();
  CHECK_FALSE(r.reports.back().second.dead);
  CHECK_THAT(r.reports.back().second.error, Catch::Contains("channel exploded"));
}

TEST_CASE("rows for a channel without an adapter stay queued", "[outbox]") {
  rig r;
  r.queue(1, 1, "telegram");
  r.queue(2, 1, "email");
  CHECK(r.d.poll_once() == 1);
  CHECK(r.d.stats().unroutable == 1);
  CHECK(r.st.row(0).state == "queued");
  CHECK(r.email.count() == 1);
}

TEST_CASE("a row is never delivered twice while its result is uncommitted", "[outbox]") {
  rig r;
  r.commit_at_once = false;
  r.queue(1, 1);
  CHECK(r.d.poll_once() == 1);
  CHECK(r.d.in_flight() == 1);
  CHECK(r.d.poll_once() == 0);  // still queued in the store, but in flight
  CHECK(r.email.count() == 1);
  r.pending.front()(engine_result{});
  CHECK(r.d.in_flight() == 0);
  CHECK(r.d.poll_once() == 0);  // committed as sent
  CHECK(r.email.count() == 1);
}

TEST_CASE("a row read before its failure committed is not delivered again at once", "[outbox]") {
  // The daemon's reader is another connection: a poll may read the outbox just before
  // the writer commits a failure (and its retry time), then find the key no longer in
  // flight. Seen as a Telegram greeting sent again 8 ms after a 429 with retry_after.
  rig r;
  r.commit_at_once = false;
  r.email.script = {{false, false, "429 Too Many Requests"}, {true, false, {}}};
  r.queue(1, 1);
  CHECK(r.d.poll_once() == 1);
  REQUIRE(r.pending.size() == 1);
  r.st.after_read = [&] { r.pending.front()(engine_result{}); };  // commits the failure
  CHECK(r.d.poll_once() == 0);  // what it read was due, but stale
  CHECK(r.email.count() == 1);
  CHECK(r.st.row(0).next_attempt_at == r.reports[0].second.retry_at);
  CHECK(r.d.poll_once() == 0);  // read after the commit: not due for 30 s
  r.clk.advance(30s);
  CHECK(r.d.poll_once() == 1);
  CHECK(r.email.count() == 2);
  CHECK(r.reports.back().second.attempts == 2);
}

TEST_CASE("an uncommitted result leaves the row to be offered again", "[outbox]") {
  rig r;
  r.commit_at_once = false;
  r.queue(1, 1);
  r.d.poll_once();
  engine_result failed;
  failed.error = "not committed: disk full";
  auto done = r.pending.front();
  r.pending.clear();
  // The writer's commit failed: the store was not changed, the key is released.
  r.reports.clear();
  done(failed);
  CHECK(r.d.stats().report_errors == 1);
}

TEST_CASE("the dispatcher thread delivers after notify()", "[outbox]") {
  rig r;
  r.d.start();
  r.queue(3, 1);
  r.d.notify();
  for (int i = 0; i < 200 && r.email.count() == 0; ++i) std::this_thread::sleep_for(5ms);
  r.d.stop();
  CHECK(r.email.count() == 1);
}

TEST_CASE("a channel's retry_after is honoured when longer than the backoff", "[outbox]") {
  rig r;
  r.email.script.push_back(delivery_status{false, false, "429 Too Many Requests", 600});
  r.email.script.push_back(delivery_status{false, false, "429 Too Many Requests", 5});
  r.queue(7, 1);
  r.d.poll_once();
  REQUIRE(r.reports.size() == 1);
  CHECK(r.reports[0].second.retry_at == r.clk.now() + 600s);
  r.clk.advance(600s);
  r.d.poll_once();
  REQUIRE(r.reports.size() == 2);
  // Shorter than the usual backoff (1 min after the second failure): the backoff wins.
  CHECK(r.reports[1].second.retry_at == r.clk.now() + 60s);
}

TEST_CASE("a reply carries the case's thread, the client's latest message id and its subject", "[outbox]") {
  rig r;
  fakes::fake_channel telegram{"telegram"};
  r.d.add_channel("telegram", &telegram);
  auto at = r.clk.now();
  std::vector<fact> facts{
      {fact_kind::case_opened, at, "", {{"playbook", "intake"}, {"version", 1}, {"channel", "email"},
                                        {"sender", "anna@example.ru"}, {"thread", "<root@example.ru>"}, {"client", ""}}},
      {fact_kind::message_received, at, "", {{"channel", "email"}, {"external_id", "<m1@example.ru>"},
                                             {"sender", "anna@example.ru"}, {"text", "a"}, {"subject", "Выписка"}}},
      {fact_kind::message_received, at, "", {{"channel", "email"}, {"external_id", "<m2@example.ru>"},
                                             {"sender", "anna@example.ru"}, {"text", "b"}}},
      {fact_kind::message_received, at, "", {{"channel", "telegram"}, {"external_id", "tg-5"},
                                             {"sender", "100001"}, {"text", "c"}}},
  };
  case_state s;
  for (const auto& f : facts) apply(s, 7, f);
  r.db.begin();
  r.db.append(7, facts, s);
  r.db.commit();
  r.queue(7, 1);
  r.queue(7, 2, "telegram");
  r.queue(7, 3, "staff");
  fakes::fake_channel staff{"staff"};
  r.d.add_channel("staff", &staff);
  r.d.poll_once();
  REQUIRE(r.email.count() == 1);
  CHECK(r.email.delivered[0].thread == "<root@example.ru>");
  CHECK(r.email.delivered[0].in_reply_to == "<m2@example.ru>");
  CHECK(r.email.delivered[0].subject == "Re: Выписка");
  REQUIRE(telegram.count() == 1);
  CHECK(telegram.delivered[0].thread.empty());  // the case is not on telegram
  CHECK(telegram.delivered[0].in_reply_to == "tg-5");
  CHECK(telegram.delivered[0].subject.empty());
  REQUIRE(staff.count() == 1);
  CHECK(staff.delivered[0].in_reply_to.empty());
}

TEST_CASE("a reply subject gets one Re:", "[outbox]") {
  CHECK(outbox_dispatcher::reply_subject("Выписка") == "Re: Выписка");
  CHECK(outbox_dispatcher::reply_subject("RE: Выписка") == "RE: Выписка");
  CHECK(outbox_dispatcher::reply_subject("Re[2]: Выписка") == "Re[2]: Выписка");
  CHECK(outbox_dispatcher::reply_subject("Ответ: Выписка") == "Ответ: Выписка");
  CHECK(outbox_dispatcher::reply_subject("").empty());
}
