// Subcommands of the `reglament` tool. Each add_*_command registers one subcommand with
// its options, --help text and callback on `app`; main.cpp calls them in order. A
// callback reports failure by throwing CLI::RuntimeError(exit_code).
#pragma once

#include <CLI/CLI.hpp>

namespace reglament::cli {

void add_validate_command(CLI::App& app);  // reglament validate PATH
void add_graph_command(CLI::App& app);     // reglament graph PLAYBOOK --format dot|mermaid
void add_rehearse_command(CLI::App& app);  // reglament rehearse PLAYBOOK
void add_test_command(CLI::App& app);      // reglament test PATH
void add_cases_command(CLI::App& app);     // reglament cases list|show
void add_clients_command(CLI::App& app);   // reglament clients import|list|show|link
void add_backup_command(CLI::App& app);    // reglament backup | restore
void add_users_command(CLI::App& app);     // reglament users add|list|passwd|disable|enable|role|token

}  // namespace reglament::cli
