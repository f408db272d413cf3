// The numbered schema migrations of the SQLite store, oldest first. Internal to
// engine/store: sqlite_store runs the ones above PRAGMA user_version at open, each in its
// own transaction. Released migrations are never edited; a change is a new migration.
#pragma once

#include <span>

namespace reglament::sqlite_schema {

struct migration {
  int version;          // becomes PRAGMA user_version once applied
  const char* purpose;  // named in error messages
  const char* sql;      // one or more statements
};

std::span<const migration> migrations();
int latest_version();

// The derived tables: rebuilt by replay from the journal and compared with the live ones.
// `label` formats a row's key for reports; {0}.. are the primary key columns in order.
struct derived_table {
  const char* name;
  const char* label;
};
std::span<const derived_table> derived_tables();

}  // namespace reglament::sqlite_schema
