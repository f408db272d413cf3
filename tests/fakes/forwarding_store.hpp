// A store that forwards every call to another store (leveldb's EnvWrapper idea), so a
// test can count transactions and inject failures around a real sqlite_store. Same
// threading rules as the store it wraps. Test-only.
#pragma once

#include "engine/store.hpp"

#include <atomic>
#include <stdexcept>

namespace reglament::fakes {

class forwarding_store : public store {
 public:
  explicit forwarding_store(store& inner) : inner_(inner) {}

  void begin() override { inner_.begin(); }
  void commit() override { inner_.commit(); }
  void rollback() override { inner_.rollback(); }
  void savepoint() override { inner_.savepoint(); }
  void release_savepoint() override { inner_.release_savepoint(); }
  void rollback_to_savepoint() override { inner_.rollback_to_savepoint(); }
  std::uint64_t rows_changed() override { return inner_.rows_changed(); }

  int register_playbook(const playbook& pb, timestamp now) override { return inner_.register_playbook(pb, now); }
  std::vector<stored_playbook_version> playbook_versions(const std::string& id) override {
    return inner_.playbook_versions(id);
  }
  std::optional<stored_playbook_version> playbook_version(const std::string& id, int v) override {
    return inner_.playbook_version(id, v);
  }
  case_id next_case_id() override { return inner_.next_case_id(); }
  std::optional<case_state> load_case(case_id id) override { return inner_.load_case(id); }
  std::optional<case_id> open_case_for_thread(const std::string& c, const std::string& t) override {
    return inner_.open_case_for_thread(c, t);
  }
  void append(case_id id, const std::vector<fact>& f, const case_state& after) override {
    inner_.append(id, f, after);
  }
  std::optional<case_id> inbound_case(const std::string& c, const std::string& e) override {
    return inner_.inbound_case(c, e);
  }
  void record_inbound(const std::string& c, const std::string& e, case_id id, timestamp at) override {
    inner_.record_inbound(c, e, id, at);
  }
  std::vector<timer_row> due_timers(timestamp now, int limit) override { return inner_.due_timers(now, limit); }
  std::optional<timestamp> next_timer_due() override { return inner_.next_timer_due(); }
  std::vector<outbox_row> outbox_due(timestamp now, int limit) override { return inner_.outbox_due(now, limit); }
  std::vector<outbox_row> outbox(const std::string& state, int limit) override { return inner_.outbox(state, limit); }
  std::optional<schedule_run> schedule_last_run(const std::string& p, const std::string& k) override {
    return inner_.schedule_last_run(p, k);
  }
  void record_schedule_run(const std::string& p, const std::string& k, const schedule_run& run) override {
    inner_.record_schedule_run(p, k, run);
  }
  int quota_used(std::string_view c, std::string_view s, std::string_view p) override {
    return inner_.quota_used(c, s, p);
  }
  std::vector<learned_service> learned_services(std::string_view c) override { return inner_.learned_services(c); }
  int last_invoice_seq(int year) override { return inner_.last_invoice_seq(year); }
  std::optional<invoice_row> invoice(const std::string& number) override { return inner_.invoice(number); }
  std::vector<invoice_row> invoices(const invoice_filter& f) override { return inner_.invoices(f); }
  std::vector<case_row> cases(const case_filter& f) override { return inner_.cases(f); }
  std::vector<journal_entry> journal(case_id id) override { return inner_.journal(id); }
  std::int64_t count_cases_by_status(const std::string& s) override { return inner_.count_cases_by_status(s); }
  std::int64_t count_timers() override { return inner_.count_timers(); }
  std::int64_t count_outbox(const std::string& s) override { return inner_.count_outbox(s); }
  replay_report verify_replay() override { return inner_.verify_replay(); }

 protected:
  store& inner_;
};

// Counts transactions and can make the next commit fail like a full disk would.
class counting_store : public forwarding_store {
 public:
  using forwarding_store::forwarding_store;

  void begin() override {
    forwarding_store::begin();
    ++begins;
  }
  void commit() override {
    if (fail_next_commit.exchange(false)) throw std::runtime_error("injected: database or disk is full");
    forwarding_store::commit();
    ++commits;
  }
  std::vector<timer_row> due_timers(timestamp now, int limit) override {
    last_due_query_ms = to_millis(now);
    ++due_queries;
    return forwarding_store::due_timers(now, limit);
  }

  std::atomic<int> begins{0};
  std::atomic<int> commits{0};
  std::atomic<int> due_queries{0};
  std::atomic<std::int64_t> last_due_query_ms{0};
  std::atomic<bool> fail_next_commit{false};
};

}  // namespace reglament::fakes
