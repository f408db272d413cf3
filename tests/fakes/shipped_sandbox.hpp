// The shipped bookkeeping playbooks and demo firm in a sandbox over an in-memory store,
// starting on Monday 23 November 2026, 10:00 Moscow time: what engine tests that walk
// real playbooks share. Not thread-safe, like the sandbox. Test-only.
#pragma once

#include "engine/firm_file.hpp"
#include "engine/playbook_library.hpp"
#include "engine/sandbox.hpp"
#include "engine/store/sqlite_store.hpp"

#include <catch2/catch.hpp>

#include <memory>

namespace reglament::fakes {

struct shipped_sandbox {
  static constexpr const char* playbooks_dir = REGLAMENT_SOURCE_DIR "/playbooks/bookkeeping";

  sqlite_store st{":memory:"};
  playbook_library books;
  std::unique_ptr<firm_file> firm;
  std::unique_ptr<sandbox> box;

  shipped_sandbox() {
    REQUIRE_FALSE(has_errors(books.load_directory(playbooks_dir, &st, timestamp{})));
    diagnostics firm_problems;
    firm = firm_file::load(firm_file::beside(playbooks_dir), firm_problems);
    REQUIRE(firm);
    box = std::make_unique<sandbox>(st, books, firm.get(), from_millis(1795417200000));
  }
};

}  // namespace reglament::fakes
