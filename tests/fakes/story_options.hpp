// Story runs for tests: each story gets a fresh in-memory SQLite store.
#pragma once

#include "engine/story.hpp"
#include "engine/store/sqlite_store.hpp"

namespace reglament::testing {

inline story_options memory_stores() {
  story_options o;
  o.make_store = [] { return std::make_unique<sqlite_store>(":memory:"); };
  return o;
}

}  // namespace reglament::testing
