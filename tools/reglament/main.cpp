// reglament: validate, draw, rehearse and test playbooks from the command line.
#include "tools/reglament/commands.hpp"

#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"reglament — регламенты клиентского менеджера: проверка, схемы, репетиции"};
  app.require_subcommand(1);
  reglament::cli::add_validate_command(app);
  reglament::cli::add_graph_command(app);
  reglament::cli::add_rehearse_command(app);
  reglament::cli::add_test_command(app);
  reglament::cli::add_cases_command(app);
  reglament::cli::add_clients_command(app);
  reglament::cli::add_backup_command(app);
  reglament::cli::add_users_command(app);
  try {
    CLI11_PARSE(app, argc, argv);
  } catch (const std::exception& e) {
    // Expected failures (an unreadable database, a missing file) end with one line, not a crash.
    std::cerr << "reglament: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
