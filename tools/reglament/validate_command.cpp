#include "engine/validator.hpp"
#include "tools/reglament/commands.hpp"

#include <iostream>
#include <memory>

namespace reglament::cli {

void add_validate_command(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "validate", "Проверить регламент (файл) или все регламенты папки");
  cmd->footer(
      "Проверяются все *.yaml в папке и подпапках, кроме *.story.yaml, вместе (вызовы между\n"
      "регламентами тоже). Каждая проблема печатается как\n"
      "  file:line:col: error: step ШАГ: сообщение (что ожидалось)\n"
      "а в конце — итог «N files, E errors, W warnings». Код выхода 1, если есть ошибки.");
  cmd->add_option("PATH", *path, "файл регламента или папка с регламентами")->required();
  cmd->callback([path] {
    path_validation result = validate_path(*path);
    int errors = 0, warnings = 0;
    for (const auto& d : result.problems) {
      (d.level == severity::error ? errors : warnings)++;
      std::cout << d.to_string() << '\n';
    }
    std::cout << result.files << " files, " << errors << " errors, " << warnings << " warnings\n";
    if (errors > 0) throw CLI::RuntimeError(1);
  });
}

}  // namespace reglament::cli
