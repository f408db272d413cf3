#include "adapters/staff/staff_channel.hpp"

#include "tests/fakes/fake_channel.hpp"

#include <catch2/catch.hpp>

#include <set>

namespace {

using reglament::delivery_status;
using reglament::outbound_message;
using reglament::staff_member;
using reglament::fakes::fake_channel;
using reglament::staff::staff_channel;

class firm_of : public reglament::firm_profile {
 public:
  std::vector<staff_member> people;
  std::string name(std::string_view) const override { return "Firm"; }
  std::optional<staff_member> staff(std::string_view login) const override {
    for (const auto& p : people)
      if (p.login == login) return p;
    return std::nullopt;
  }
  std::optional<staff_member> staff_with_role(std::string_view role) const override {
    for (const auto& p : people)
      if (p.role == role) return p;
    return std::nullopt;
  }
  reglament::sla_terms sla(const reglament::client_info&) const override { return {}; }
};

struct fixture {
  firm_of firm;
  fake_channel email{"email"}, telegram{"telegram"}, spool{"staff"};
  std::set<std::string> sent;
  reglament::staff::progress progress{[this](const std::string& k) { return sent.count(k) > 0; },
                                      [this](const std::string& k) { sent.insert(k); }};
  fixture() {
    staff_member director{"boss", "Алексей Баланов", "", "director", {"email", "telegram"}, "boss@firm.test", "4242"};
    staff_member manager{"manager", "Мария Иванова", "", "manager", {"telegram"}, "", "777"};
    staff_member quiet{"buh", "Светлана", "", "accountant", {}, "", ""};
    firm.people = {director, manager, quiet};
  }
  outbound_message row(const std::string& to) {
    outbound_message m;
    m.idempotency_key = "c12-m3";
    m.channel = "staff";
    m.to = to;
    m.text = "Заявка 12 просрочена";
    m.case_no = 12;
    return m;
  }
};

}  // namespace

TEST_CASE("a staff row reaches the person by each channel they chose, in-app copy first", "[staff]") {
  fixture f;
  staff_channel ch(f.firm, {{"email", &f.email}, {"telegram", &f.telegram}}, &f.spool, f.progress);
  auto s = ch.deliver(f.row("director"));  // a role: the first director
  CHECK(s.ok);
  REQUIRE(f.spool.count() == 1);
  REQUIRE(f.email.count() == 1);
  REQUIRE(f.telegram.count() == 1);
  CHECK(f.email.delivered[0].to == "boss@firm.test");
  CHECK(f.email.delivered[0].channel == "email");
  CHECK(f.email.delivered[0].idempotency_key == "c12-m3/email");
  CHECK(f.email.delivered[0].subject == "Reglament: заявка #12 / case #12");
  CHECK(f.telegram.delivered[0].to == "4242");
  CHECK(f.telegram.delivered[0].text == "Заявка 12 просрочена");
}

TEST_CASE("a partial failure is retried for the missing channel only", "[staff]") {
  fixture f;
  f.telegram.script.push_back(delivery_status{false, false, "Bot API 429", 17});
  staff_channel ch(f.firm, {{"email", &f.email}, {"telegram", &f.telegram}}, nullptr, f.progress);
  auto first = ch.deliver(f.row("boss"));
  CHECK_FALSE(first.ok);
  CHECK_FALSE(first.permanent);
  CHECK(first.retry_after_seconds == 17);
  CHECK(first.error.find("telegram: Bot API 429") != std::string::npos);
  auto again = ch.deliver(f.row("boss"));
  CHECK(again.ok);
  CHECK(f.email.count() == 1);  // not sent twice
  CHECK(f.telegram.count() == 2);
}

TEST_CASE("a person's channel that is not running fails the row with the key to fix", "[staff]") {
  fixture f;
  staff_channel ch(f.firm, {{"email", &f.email}}, nullptr, f.progress);
  auto s = ch.deliver(f.row("manager"));
  CHECK_FALSE(s.ok);
  CHECK_FALSE(s.permanent);
  CHECK(s.error.find("channels.telegram.enabled") != std::string::npos);
}

TEST_CASE("someone with no notify preference gets the in-app copy only, an unknown person is a dead letter",
          "[staff]") {
  fixture f;
  staff_channel with_app(f.firm, {{"email", &f.email}}, &f.spool, f.progress);
  CHECK(with_app.deliver(f.row("buh")).ok);
  CHECK(with_app.deliver(f.row("nobody")).ok);
  CHECK(f.spool.count() == 2);
  CHECK(f.email.count() == 0);
  staff_channel without(f.firm, {{"email", &f.email}}, nullptr, f.progress);
  auto s = without.deliver(f.row("nobody"));
  CHECK_FALSE(s.ok);
  CHECK(s.permanent);
  CHECK(s.error.find("'nobody'") != std::string::npos);
}
