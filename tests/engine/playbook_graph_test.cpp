#include "engine/playbook_graph.hpp"

#include "engine/playbook_loader.hpp"

#include <catch2/catch.hpp>

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
