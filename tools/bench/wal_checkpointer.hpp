// What the daemon does beside its writer (daemon/daemon.cpp): a second connection copies
// the WAL into the database file once a second with a passive checkpoint, so no commit
// of the writer pays for a checkpoint. The engine's runs and the raw SQLite limit both
// run with one and with automatic checkpoints off, so the ratio compares like with like.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

struct sqlite3;

namespace reglament::bench {

class wal_checkpointer {
 public:
  // The database at `path` must exist and be in WAL mode (its writer opened it first).
  explicit wal_checkpointer(const std::string& path, std::chrono::milliseconds every = std::chrono::seconds(1));
  ~wal_checkpointer();  // stops, then checkpoints what is left
  wal_checkpointer(const wal_checkpointer&) = delete;
  wal_checkpointer& operator=(const wal_checkpointer&) = delete;

 private:
  void loop();
  void pass();

  std::string path_;
  std::chrono::milliseconds every_;
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace reglament::bench
