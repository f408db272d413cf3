// The shipped bookkeeping playbooks and demo firm with a case engine over a store the
// test gives (a real file, usually), on a manual clock from Monday 23 November 2026,
// 10:00 Moscow time, wired as the daemon wires them: for tests that drive real cases
// through the writer or a gateway. Not thread-safe, like the engine. Test-only.
#pragma once

#include "engine/case_engine.hpp"
#include "engine/firm_file.hpp"
#include "engine/playbook_library.hpp"
#include "engine/production_calendar.hpp"
#include "engine/working_calendar.hpp"

#include <catch2/catch.hpp>

#include <memory>

namespace reglament::fakes {

struct shipped_engine {
  static constexpr const char* playbooks_dir = REGLAMENT_SOURCE_DIR "/playbooks/bookkeeping";

  playbook_library books;
  std::unique_ptr<firm_file> firm;
  weekly_calendar calendar = production_calendar::shipped();
  manual_clock clk{from_millis(1795417200000)};
  std::unique_ptr<case_engine> engine;

  // REQUIRES: `st` outlives this.
  explicit shipped_engine(store& st) {
    REQUIRE_FALSE(has_errors(books.load_directory(playbooks_dir, &st, timestamp{})));
    diagnostics problems;
    firm = firm_file::load(firm_file::beside(playbooks_dir), problems);
    REQUIRE(firm);
    engine = std::make_unique<case_engine>(st, books, context());
  }

  // What the engine runs with; for a second engine over another store (a wrapper).
  run_context context() {
    run_context ctx;
    ctx.now = &clk;
    ctx.calendar = &calendar;
    ctx.clients = firm.get();
    ctx.tariffs = firm.get();
    ctx.firm = firm.get();
    return ctx;
  }
};

}  // namespace reglament::fakes
