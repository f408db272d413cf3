// The director's control points, computed with SQL over the journal and the derived
// tables (cases, invoices, clients): first-reply time and SLA hit rates per manager and
// per client, steps done vs skipped with the reasons, escalations by reason, paid extra
// work and unpaid invoices, and the cases stuck longest. Read-only; not thread-safe (it
// owns a journal_reader): one caller at a time. Not a cache: every call reads the store.
#pragma once

#include "engine/clock.hpp"
#include "engine/store/journal_reader.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace reglament {

struct report_period {
  std::string from, to;  // firm-local dates, inclusive: "2026-11-01", "2026-11-30"
};

// "YYYY-MM-DD" → the local midnight as a UTC moment; nullopt when not a date.
std::optional<timestamp> local_midnight(const std::string& date, std::chrono::minutes utc_offset);

class control_report {
 public:
  // `working_minutes(from, to)`: the firm's working minutes between two moments (null:
  // plain minutes). `utc_offset`: the firm's local time, for the period's dates.
  control_report(std::unique_ptr<journal_reader> reader, std::chrono::minutes utc_offset,
                 std::function<std::int64_t(timestamp, timestamp)> working_minutes);

  // The report for cases opened (and facts recorded) in the period; `now` for ages and
  // overdue invoices. Throws store_error when the store cannot be read.
  nlohmann::json build(const report_period& period, timestamp now);

  // The month of `now` in firm-local dates (the default period).
  report_period this_month(timestamp now) const;

 private:
  std::int64_t minutes(timestamp from, timestamp to) const;

  std::unique_ptr<journal_reader> reader_;
  std::chrono::minutes offset_;
  std::function<std::int64_t(timestamp, timestamp)> working_minutes_;
};

}  // namespace reglament
