#include "tools/bench/wal_checkpointer.hpp"

#include <sqlite3.h>

#include <cstdio>
#include <stdexcept>

namespace reglament::bench {

wal_checkpointer::wal_checkpointer(const std::string& path, std::chrono::milliseconds every)
    : path_(path), every_(every) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close_v2(db_);
    throw std::runtime_error("wal checkpointer: cannot open " + path + ": " + why);
  }
  sqlite3_exec(db_, "PRAGMA wal_autocheckpoint = 0", nullptr, nullptr, nullptr);
  thread_ = std::thread([this] { loop(); });
}

wal_checkpointer::~wal_checkpointer() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  pass();
  sqlite3_close_v2(db_);
}

void wal_checkpointer::loop() {
  std::unique_lock lock(mutex_);
  while (!cv_.wait_for(lock, every_, [this] { return stop_; })) pass();
}

void wal_checkpointer::pass() {
  const int rc = sqlite3_wal_checkpoint_v2(db_, "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  // BUSY only means the writer held a lock at that instant; the next pass catches up.
  if (rc != SQLITE_OK && rc != SQLITE_BUSY)
    std::fprintf(stderr, "wal checkpointer: %s: %s\n", path_.c_str(), sqlite3_errmsg(db_));
}

}  // namespace reglament::bench
