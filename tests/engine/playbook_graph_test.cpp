#include "engine/playbook_graph.hpp"

#include "engine/playbook_loader.hpp"

#include "tests/fakes/small_stack.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace reglament;

namespace {

playbook sample() {
  load_result r = load_playbook_text(R"(id: g
title: 'Заявка "срочная"'
steps:
  - id: ask
    title: Спросить "да"?
    choice: Как?
    options:
      "Оплатить \"сейчас\"": pay
      Отказ: end:declined
  - id: pay
    wait: payment
    if_paid: end:done
  - id: lost
    say: x
    next: nowhere
)", "g.yaml");
  REQUIRE(r.book);
  return *r.book;
}

}  // namespace

TEST_CASE("Dot: nodes with kinds, labelled edges, escaped quotes", "[graph]") {
  std::string dot = render_graph(sample(), graph_format::dot);
  CHECK_THAT(dot, Catch::StartsWith("digraph \"g\" {"));
  CHECK_THAT(dot, Catch::Contains("label=\"Заявка \\\"срочная\\\"\""));
  CHECK_THAT(dot, Catch::Contains("\"ask\" [label=\"Спросить \\\"да\\\"?\\nВыбор менеджера\", shape=diamond]"));
  CHECK_THAT(dot, Catch::Contains("\"ask\" -> \"pay\" [label=\"Оплатить \\\"сейчас\\\"\"]"));
  CHECK_THAT(dot, Catch::Contains("\"end:declined\" [label=\"Итог: declined\", shape=doublecircle]"));
  CHECK_THAT(dot, Catch::Contains("\"pay\" -> \"end:done\" [label=\"Оплачено\"]"));
  CHECK_THAT(dot, Catch::Contains("\"nowhere\" [label=\"нет шага «nowhere»\""));
  CHECK_THAT(dot, Catch::EndsWith("}\n"));
}

TEST_CASE("Mermaid: safe node names, quoted labels", "[graph]") {
  std::string m = render_graph(sample(), graph_format::mermaid);
  CHECK_THAT(m, Catch::Contains("flowchart TD"));
  CHECK_THAT(m, Catch::Contains("title: \"Заявка #quot;срочная#quot;\""));
  CHECK_THAT(m, Catch::Contains("n0{\"Спросить #quot;да#quot;?<br/>Выбор менеджера\"}"));
  CHECK_THAT(m, Catch::Contains("n1{{\"pay<br/>Ожидание оплаты\"}}"));
  CHECK_THAT(m, Catch::Contains("n0 -->|\"Оплатить #quot;сейчас#quot;\"| n1"));
  CHECK_THAT(m, Catch::Contains("n0 -->|\"Отказ\"| e0"));
  CHECK_THAT(m, Catch::Contains("e0([\"Итог: declined\"])"));
  CHECK_THAT(m, Catch::Contains("class x0 missing"));
}

TEST_CASE("A scheduled playbook's graph starts from its schedule, as understood", "[graph]") {
  load_result r = load_playbook_text(R"(id: s
title: Заявка
trigger:
  schedule: "последняя пятница месяца в 10:00, если выпадает на выходной — в предыдущий рабочий день"
steps:
  - id: prepare
    task: Составить заявку
  - id: done
    end: done
)", "s.yaml");
  REQUIRE(r.book);
  const char* label = "По расписанию: в последнюю пятницу месяца в 10:00, на выходной — в предыдущий рабочий день";
  std::string dot = render_graph(*r.book, graph_format::dot);
  CHECK_THAT(dot, Catch::Contains(std::string("\"_schedule\" [label=\"") + label + "\", shape=cds]"));
  CHECK_THAT(dot, Catch::Contains("\"_schedule\" -> \"prepare\";"));
  std::string m = render_graph(*r.book, graph_format::mermaid);
  CHECK_THAT(m, Catch::Contains(std::string("_schedule>\"") + label + "\"] --> n0"));
}

TEST_CASE("Graph data and SVG: every step, outcome and labelled branch, a missing target drawn apart", "[graph]") {
  auto book = sample();
  auto g = build_graph(book);
  std::vector<std::string> ids;
  for (const auto& n : g.nodes) ids.push_back(n.id);
  CHECK(ids == std::vector<std::string>{"ask", "pay", "lost", "end:declined", "end:done", "nowhere"});
  CHECK(g.nodes[0].kind == "choice");
  CHECK(g.nodes[0].kind_title == "Выбор менеджера");
  CHECK(g.nodes[0].line == 4);
  CHECK(g.nodes[5].kind == "missing");
  bool labelled = false;
  for (const auto& e : g.edges) labelled = labelled || (e.from == "ask" && e.to == "pay" && e.label == "Оплатить \"сейчас\"");
  CHECK(labelled);

  std::string svg = render_graph(book, graph_format::svg);
  CHECK_THAT(svg, Catch::StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  CHECK_THAT(svg, Catch::Contains("data-id=\"ask\""));
  CHECK_THAT(svg, Catch::Contains("Оплатить &quot;сейчас&quot;"));  // escaped as XML
  CHECK_THAT(svg, Catch::Contains("stroke-dasharray=\"5 3\""));       // the missing target
  CHECK(svg.find("<script") == std::string::npos);
  // One <g class="node"> per node, one path per edge.
  auto count = [&](const std::string& what) {
    std::size_t n = 0;
    for (auto p = svg.find(what); p != std::string::npos; p = svg.find(what, p + 1)) ++n;
    return n;
  };
  CHECK(count("<g class=\"node\"") == g.nodes.size());
  CHECK(count("<path class=\"edge\"") == g.edges.size());
}

TEST_CASE("The graph of a 20,000-step chain is laid out on a small stack", "[graph]") {
  // The search for loop edges walks with an explicit stack; a recursive one needed a
  // frame per step and overflowed this thread's 512 KiB.
  const int n = 20000;
  std::string yaml = "id: long_chain\ntitle: Длинная цепочка\nsteps:\n";
  for (int i = 0; i < n; ++i)
    yaml += "  - id: s" + std::to_string(i) + "\n    say: x\n    next: " +
            (i + 1 < n ? "s" + std::to_string(i + 1) : std::string("end:done")) + "\n";
  load_result r = load_playbook_text(yaml, "long_chain.yaml");
  REQUIRE(r.book);
  std::string svg;
  reglament::testing::run_with_stack(512 * 1024, [&] { svg = render_graph(*r.book, graph_format::svg); });
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK_THAT(svg, Catch::Contains("data-id=\"s19999\""));
}
