#include "adapters/webchat/rate_limiter.hpp"

#include <catch2/catch.hpp>

using namespace reglament;
using namespace reglament::webchat;
using namespace std::chrono_literals;

TEST_CASE("a visitor may send a burst, then the rate per minute", "[webchat]") {
  manual_clock clk(from_millis(1'795'420'800'000));
  rate_limiter r(clk, 3, 6, 1min);  // 3 at once, then one every 10 s
  CHECK(r.take("a") == 0);
  CHECK(r.take("a") == 0);
  CHECK(r.take("a") == 0);
  CHECK(r.take("a") == 10);
  CHECK(r.take("b") == 0);  // another key has its own bucket
  clk.advance(4s);
  CHECK(r.take("a") == 6);
  clk.advance(6s);
  CHECK(r.take("a") == 0);
  CHECK(r.take("a") == 10);
  clk.advance(1h);  // refills up to the burst, not beyond
  CHECK(r.take("a") == 0);
  CHECK(r.take("a") == 0);
  CHECK(r.take("a") == 0);
  CHECK(r.take("a") > 0);
}
