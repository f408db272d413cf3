// Renders a playbook as a graph (Graphviz dot or Mermaid): every step a node named by
// its title and kind, every exit an edge labelled with its branch. Pure functions.
#pragma once

#include "engine/playbook.hpp"

#include <string>

namespace reglament {

enum class graph_format { dot, mermaid };

std::string render_graph(const playbook& book, graph_format format);

}  // namespace reglament
