// Test helper: runs one SQL statement on a daemon's database from outside (e.g. moving
// timers into the past while the daemon is down), failing the test with SQLite's words.
// The daemon may hold the database too: waits up to 5 s for its lock.
#pragma once

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <string>

namespace reglament::testing {

inline void run_sql(const std::string& db, const std::string& statement) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
  sqlite3_busy_timeout(h, 5000);
  char* err = nullptr;
  const int rc = sqlite3_exec(h, statement.c_str(), nullptr, nullptr, &err);
  const std::string why = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(h);
  INFO(statement << ": " << why);
  REQUIRE(rc == SQLITE_OK);
}

}  // namespace reglament::testing
