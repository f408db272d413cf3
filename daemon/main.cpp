// reglamentd: parses the command line and hands over to the daemon library.
#include "daemon/config.hpp"
#include "daemon/daemon.hpp"
#include "daemon/log.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>

int main(int argc, char** argv) {
  using namespace reglament::daemon;
  CLI::App app{"reglamentd: the Reglament playbook daemon"};
  std::optional<std::string> config_file, port_file;
  overrides o;
  bool print_defaults = false;
  app.add_option("--config", config_file, "TOML configuration file");
  app.add_option("--listen", o.listen, "HOST:PORT to listen on (port 0: any free port)");
  app.add_option("--data-dir", o.data_dir, "directory for the database and the spool");
  app.add_option("--playbooks", o.playbooks, "directory of playbooks to load");
  app.add_option("--bootstrap-token-file", o.bootstrap_token_file,
                 "grant the secret in this file as an owner API token at start (tests, provisioning)");
  app.add_option("--print-port-file", port_file, "write the bound port to this file once listening");
  app.add_flag("--print-default-config", print_defaults, "print the built-in configuration and exit");
  CLI11_PARSE(app, argc, argv);

  if (print_defaults) {
    std::cout << default_config_text();
    return 0;
  }
  logger log;
  daemon_config cfg;
  try {
    cfg = load_config(config_file, o, argv[0]);
  } catch (const config_error& e) {
    std::fprintf(stderr, "reglamentd: %s\n", e.what());
    return 1;
  }
  log_level level = log_level::info;
  parse_log_level(cfg.log.level, level);
  log.configure(level, cfg.log.format == "json" ? logger::format::json : logger::format::text);

  reglamentd d(cfg, log);
  try {
    d.start();
  } catch (const startup_error& e) {
    std::fprintf(stderr, "reglamentd: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "reglamentd: start-up failed: %s\n", e.what());
    return 1;
  }
  if (port_file) {
    // Written to a temporary name and renamed, so a reader never sees half a number.
    std::string tmp = *port_file + ".tmp";
    std::ofstream(tmp) << d.port() << '\n';
    std::rename(tmp.c_str(), port_file->c_str());
  }
  return d.run();
}
