#include "engine/metrics.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace reglament;

TEST_CASE("counters and gauges render in the text format", "[metrics]") {
  metric_registry m;
  m.get_counter("reglament_messages_in_total", "Inbound messages", {{"channel", "email"}}).inc(3);
  m.get_counter("reglament_messages_in_total", "Inbound messages", {{"channel", "telegram"}}).inc();
  m.get_gauge("reglament_writer_queue_depth", "Queue").set(5);
  auto text = m.render();
  CHECK_THAT(text, Catch::Contains("# HELP reglament_messages_in_total Inbound messages\n"
                                   "# TYPE reglament_messages_in_total counter\n"
                                   "reglament_messages_in_total{channel=\"email\"} 3\n"
                                   "reglament_messages_in_total{channel=\"telegram\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("# TYPE reglament_writer_queue_depth gauge\nreglament_writer_queue_depth 5\n"));
}

TEST_CASE("label values are escaped and labels sorted", "[metrics]") {
  metric_registry m;
  m.get_counter("x_total", "help with \\ and\nnewline", {{"z", "a\"b"}, {"a", "c\\d\ne"}}).inc();
  auto text = m.render();
  CHECK_THAT(text, Catch::Contains("# HELP x_total help with \\\\ and\\nnewline\n"));
  CHECK_THAT(text, Catch::Contains("x_total{a=\"c\\\\d\\ne\",z=\"a\\\"b\"} 1\n"));
  // The same labels in another order are the same series.
  m.get_counter("x_total", "", {{"a", "c\\d\ne"}, {"z", "a\"b"}}).inc();
  CHECK_THAT(m.render(), Catch::Contains("} 2\n"));
}

TEST_CASE("histograms are cumulative with +Inf, sum and count", "[metrics]") {
  metric_registry m;
  auto& h = m.get_histogram("step_seconds", "Step time", {0.01, 0.1, 1});
  for (double v : {0.005, 0.01, 0.05, 0.5, 2.0}) h.observe(v);
  auto text = m.render();
  CHECK_THAT(text, Catch::Contains("step_seconds_bucket{le=\"0.01\"} 2\n"
                                   "step_seconds_bucket{le=\"0.1\"} 3\n"
                                   "step_seconds_bucket{le=\"1\"} 4\n"
                                   "step_seconds_bucket{le=\"+Inf\"} 5\n"
                                   "step_seconds_sum 2.565\n"
                                   "step_seconds_count 5\n"));
}

TEST_CASE("a name cannot change its type", "[metrics]") {
  metric_registry m;
  m.get_counter("a", "");
  CHECK_THROWS(m.get_gauge("a", ""));
}

TEST_CASE("updates from many threads are all counted", "[metrics]") {
  metric_registry m;
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        m.get_counter("c_total", "", {{"k", "v"}}).inc();
        m.get_histogram("h", "", {1}).observe(0.5);
      }
    });
  for (auto& t : ts) t.join();
  CHECK(m.get_counter("c_total", "", {{"k", "v"}}).value() == 40000);
  CHECK_THAT(m.render(), Catch::Contains("h_count 40000\n"));
}
