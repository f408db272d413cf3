// reglamentd as a library: wires the store, playbooks, firm file, case engine, writer,
// outbox dispatcher (spool channels) and the HTTP API from a daemon_config, runs until
// SIGINT/SIGTERM, and shuts down in order (stop accepting, stop delivering, drain the
// writer, join threads, close the store). One instance per process; start() and run()
// are called from the main thread. It holds no logic of its own beyond the wiring.
#pragma once

#include "daemon/config.hpp"
#include "daemon/log.hpp"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

namespace reglament::daemon {

// Start-up failed; `exit_code` is what the process should exit with (2: playbooks or firm
// file do not validate, 1: anything else), the message says what and where.
class startup_error : public std::runtime_error {
 public:
  startup_error(const std::string& message, int exit_code)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

class reglamentd {
 public:
  reglamentd(daemon_config cfg, logger& log);
  ~reglamentd();
  reglamentd(const reglamentd&) = delete;
  reglamentd& operator=(const reglamentd&) = delete;

  // Opens everything and starts listening. Throws startup_error.
  void start();
  // The port actually bound (useful with port 0).
  unsigned short port() const;
  // Blocks until SIGINT/SIGTERM or stop(), then shuts down. Returns the exit code.
  int run();
  // Thread-safe: asks run() to return.
  void stop();

 private:
  struct parts;
  void stop_checkpointer();
  void start_scheduler();
  void stop_scheduler();
  void open_clients();
  void start_channels();
  void stop_sources();
  void open_accounts();
  daemon_config cfg_;
  logger& log_;
  std::unique_ptr<parts> parts_;
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stop_requested_ = false;
};

}  // namespace reglament::daemon
