// reglament test PATH: plays the conversation tests (*.story.yaml) and reports failures
// with their story line, and the branches of each playbook no story reaches.
#include "engine/story.hpp"
#include "engine/store/sqlite_store.hpp"
#include "tools/reglament/commands.hpp"

#include <fmt/format.h>

#include <iostream>

namespace reglament::cli {

void add_test_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("test", "Прогнать разговорные тесты регламентов (*.story.yaml)");
  auto path = std::make_shared<std::string>();
  auto strict = std::make_shared<bool>(false);
  cmd->add_option("PATH", *path, "Файл *.story.yaml или папка, где их искать")->required();
  cmd->add_flag("--require-full-coverage", *strict, "Ошибка, если какую-то ветку не проходит ни один тест");
  cmd->callback([path, strict] {
    story_options opt;
    opt.make_store = [] { return std::make_unique<sqlite_store>(":memory:"); };
    opt.on_story = [](const std::string& name, bool ok) {
      std::cout << (ok ? "  ok    " : "  FAIL  ") << name << "\n" << std::flush;
    };
    auto report = run_stories(*path, opt);
    for (const auto& d : report.problems) std::cout << d.to_string() << "\n";
    for (const auto& f : report.failures)
      std::cout << fmt::format("{}:{}:{}: story «{}»: {}\n", f.pos.file, f.pos.line, f.pos.column, f.story, f.message);
    bool uncovered = false;
    std::cout << "\nBranch coverage:\n";
    for (const auto& c : report.coverage) {
      int hit = c.total - static_cast<int>(c.missed.size());
      std::cout << fmt::format("  {:<20} {:>3}/{:<3} ({:.0f}%)\n", c.playbook, hit, c.total,
                               c.total ? 100.0 * hit / c.total : 100.0);
      for (const auto& m : c.missed) std::cout << "      not reached: " << m << "\n";
      uncovered = uncovered || !c.missed.empty();
    }
    std::cout << fmt::format("\n{} stories, {} passed, {} failures\n", report.stories, report.passed,
                             report.failures.size());
    if (!report.ok() || report.stories == 0 || (*strict && uncovered)) throw CLI::RuntimeError(1);
  });
}

}  // namespace reglament::cli
