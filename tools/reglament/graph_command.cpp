#include "engine/playbook_graph.hpp"
#include "engine/playbook_loader.hpp"
#include "tools/reglament/commands.hpp"

#include <fstream>
#include <iostream>
#include <memory>

namespace reglament::cli {

namespace {

struct graph_options {
  std::string playbook;
  std::string format = "dot";
  std::string output;
};

}  // namespace

void add_graph_command(CLI::App& app) {
  auto opt = std::make_shared<graph_options>();
  CLI::App* cmd = app.add_subcommand(
      "graph", "Нарисовать регламент схемой (Graphviz dot или Mermaid)");
  cmd->footer(
      "Шаги — узлы (название и вид шага), переходы — стрелки с подписями веток, end:ИТОГ —\n"
      "конечные узлы, ссылка на несуществующий шаг — красный пунктир. Например:\n"
      "  reglament graph playbooks/intake.yaml | dot -Tsvg > intake.svg\n"
      "  reglament graph playbooks/intake.yaml --format mermaid -o intake.mmd");
  cmd->add_option("PLAYBOOK_FILE", opt->playbook, "файл регламента (.yaml)")->required();
  cmd->add_option("-f,--format", opt->format, "dot (Graphviz) или mermaid; по умолчанию dot")
      ->check(CLI::IsMember({"dot", "mermaid"}, CLI::ignore_case));
  cmd->add_option("-o,--output", opt->output, "записать в файл вместо стандартного вывода");
  cmd->callback([opt] {
    load_result loaded = load_playbook_file(opt->playbook);
    // Problems do not stop the picture (a broken link is drawn red), but are shown.
    for (const auto& d : loaded.problems) std::cerr << d.to_string() << '\n';
    if (!loaded.book) throw CLI::RuntimeError(1);
    std::string text = render_graph(*loaded.book, opt->format == "mermaid" ? graph_format::mermaid : graph_format::dot);
    if (opt->output.empty()) {
      std::cout << text;
      return;
    }
    std::ofstream out(opt->output, std::ios::binary);
    out << text;
    if (!out) {
      std::cerr << opt->output << ": не удалось записать файл\n";
      throw CLI::RuntimeError(1);
    }
  });
}

}  // namespace reglament::cli
