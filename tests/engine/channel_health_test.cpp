#include "engine/channel_health.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace reglament;
using namespace std::chrono_literals;

TEST_CASE("channel health: failing since the first failure, ok again on success, the last error kept", "[health]") {
  manual_clock clk(from_millis(1'800'000'000'000));
  channel_health h(clk);
  std::vector<std::string> changes;
  h.on_change([&](const channel_health::entry& e) { changes.push_back(e.name + ":" + to_string(e.overall())); });
  h.add("email", true, true);
  auto e = *h.find("email");
  CHECK(e.overall() == channel_health::state::unknown);
  CHECK(e.inbound.present);
  CHECK(e.outbound.present);

  h.inbound_ok("email");
  const auto start = clk.now();
  clk.advance(10s);
  h.inbound_failed("email", "IMAP STATUS INBOX at imap://127.0.0.1:1143/: Failed to connect", 1s);
  clk.advance(1s);
  h.inbound_failed("email", "IMAP STATUS INBOX at imap://127.0.0.1:1143/: Failed to connect", 2s);
  e = *h.find("email");
  CHECK(e.overall() == channel_health::state::failing);
  CHECK(e.inbound.since == start + 10s);  // the outage began at the first failure
  CHECK(e.inbound.next_retry == clk.now() + 2s);
  CHECK(e.inbound.consecutive_failures == 2);
  CHECK(e.inbound.failures == 2);
  CHECK(e.inbound.successes == 1);

  clk.advance(2s);
  h.inbound_ok("email");
  e = *h.find("email");
  CHECK(e.overall() == channel_health::state::ok);
  CHECK(e.inbound.since == clk.now());
  CHECK_FALSE(e.inbound.next_retry);
  CHECK(e.inbound.consecutive_failures == 0);
  CHECK(e.inbound.error == "IMAP STATUS INBOX at imap://127.0.0.1:1143/: Failed to connect");
  // Told of each change of the overall state only.
  CHECK(changes == std::vector<std::string>{"email:ok", "email:failing", "email:ok"});
}

TEST_CASE("channel health: a permanent refusal is a dead letter, not an outage, used-up retries are both",
          "[health]") {
  manual_clock clk(from_millis(1'800'000'000'000));
  channel_health h(clk);
  h.delivered("telegram");
  h.delivery_failed("telegram", "sendMessage: 403 Forbidden: bot was blocked by the user", true, std::nullopt);
  auto e = *h.find("telegram");
  CHECK(e.overall() == channel_health::state::ok);
  CHECK(e.outbound.dead == 1);
  CHECK(e.outbound.last_dead_error == "sendMessage: 403 Forbidden: bot was blocked by the user");
  CHECK_FALSE(e.inbound.present);

  h.delivery_failed("telegram", "sendMessage: 429 Too Many Requests", false, clk.now() + 30s);
  e = *h.find("telegram");
  CHECK(e.overall() == channel_health::state::failing);
  CHECK(e.outbound.next_retry == clk.now() + 30s);
  CHECK(e.outbound.dead == 1);

  h.delivery_failed("telegram", "sendMessage: 502 Bad Gateway", false, std::nullopt);  // the last attempt
  e = *h.find("telegram");
  CHECK(e.overall() == channel_health::state::failing);
  CHECK(e.outbound.dead == 2);
  CHECK_FALSE(e.outbound.next_retry);
  CHECK(h.snapshot().size() == 1);
}
