// Renders a playbook as a graph (Graphviz dot, Mermaid, or SVG drawn by a small layered
// layout of our own): every step a node named by its title and kind, every exit an edge
// labelled with its branch. build_graph() gives the same nodes and edges as data (the
// studio's JSON). Pure functions; thread-safe.
#pragma once

#include "engine/playbook.hpp"

#include <string>
#include <vector>

namespace reglament {

enum class graph_format { dot, mermaid, svg };

std::string render_graph(const playbook& book, graph_format format);

struct graph_node {
  std::string id;     // step id; "end:X" for an outcome; a missing target's name; "_schedule"
  std::string title;  // what the owner reads: the step's title, "Итог: X", "нет шага «X»"
  std::string kind;   // step kind (to_string(step_kind)), or "outcome", "missing", "schedule"
  std::string kind_title;  // the kind as the owner calls it ("Выбор менеджера")
  int line = 0;            // where the step is written; 0 for nodes that are not steps
};

struct graph_edge {
  std::string from, to;
  std::string label;  // the branch: an option, "да"/"нет", "оплачено", ...
};

struct playbook_graph {
  std::vector<graph_node> nodes;  // steps in file order, then outcomes, then missing targets
  std::vector<graph_edge> edges;  // every exit with a target, in file order
};

playbook_graph build_graph(const playbook& book);

}  // namespace reglament
