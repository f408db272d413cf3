// The raw SQLite limit: the rows the engine wrote for a run (journal, cases, outbox,
// timers, tasks, inbound, quota use), read back and appended again with plain prepared
// INSERTs into a fresh database with the store's own schema and pragmas, in
// transactions of the size the writer used (or, at a fixed offered rate, of what is due).
// No interpreter, no JSON, no reads, no savepoints, no threads handing work over: what
// is left is the cost, and the latency, of writing those bytes durably.
// Not thread-safe; one instance per run.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace reglament::bench {

using cell = std::variant<std::nullptr_t, std::int64_t, double, std::string>;
using row = std::vector<cell>;

// The tables written per message, in the order the engine writes them.
enum table_index : std::size_t { t_journal, t_outbox, t_timers, t_cases, t_tasks, t_inbound, t_quota, t_count };
const char* table_name(std::size_t t);

class engine_rows {
 public:
  // Reads every case's rows from the engine's database (a closed store: no writer on it).
  static engine_rows capture(const std::string& db_path);

  std::size_t messages() const { return cases_.size(); }
  std::uint64_t rows(std::size_t table) const { return totals_[table]; }
  std::uint64_t total_rows() const;

  struct one_case {
    std::array<std::vector<row>, t_count> tables;
  };
  const std::vector<one_case>& cases() const { return cases_; }

 private:
  std::vector<one_case> cases_;
  std::array<std::uint64_t, t_count> totals_{};
};

struct limit_result {
  double seconds = 0;
  std::uint64_t rows = 0;
  std::uint64_t messages = 0;
  std::uint64_t commits = 0;
  std::vector<std::int64_t> latency_ns;  // append_at_rate: per message, due time to commit
};

// Appends `rows` into a new database at `db_path` (WAL, synchronous=FULL), `batch`
// messages per transaction. `progress` (may be null) counts messages written.
limit_result append_plain(const engine_rows& rows, const std::string& db_path, int batch,
                          std::atomic<std::uint64_t>* progress = nullptr);

// Open loop, as the engine's fixed-rate runs: message i is due at start + i/rate; each
// commit takes every message already due (at most `max_batch`, the writer's cap), and a
// message's latency runs from its due time to its commit. The floor under the engine's
// latency at that rate on this disk.
limit_result append_at_rate(const engine_rows& rows, const std::string& db_path, double rate, int max_batch,
                            std::atomic<std::uint64_t>* progress = nullptr);

}  // namespace reglament::bench
