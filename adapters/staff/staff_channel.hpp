// The "staff" channel: delivers the outbox rows the engine addresses to the firm's people
// (escalations, overdue-task and SLA reminders, notify: steps) by email and/or Telegram,
// as each person's `notify:` in the firm file says, through the same channel objects that
// write to clients. One staff row stays one row in the outbox (one state, one retry
// schedule, one dead letter the staff app shows); the fan-out to the person's channels
// is remembered per channel (`progress`), so a retry after a partial failure sends only
// what is still missing and nobody gets a notification twice.
// Thread-safe if the channels and `progress` are; it holds no state of its own.
// It is not an inbox: the staff app reads notifications from the journal, not from here.
#pragma once

#include "engine/channel.hpp"
#include "engine/firm.hpp"

#include <functional>
#include <map>
#include <string>

namespace reglament::staff {

// Which fan-out deliveries already went out, durable across restarts (the daemon keeps
// them in the store's channel cursors). Keys look like "c12-m3/email".
struct progress {
  std::function<bool(const std::string& key)> done;
  std::function<void(const std::string& key)> mark;
};

class staff_channel final : public reglament::channel {
 public:
  // `channels`: the outbound channels by name ("email", "telegram"); `in_app` (may be
  // null) gets every row first (the spool the staff app or an operator reads).
  // REQUIRES: `firm`, the channels and `in_app` outlive this channel.
  staff_channel(const firm_profile& firm, std::map<std::string, channel*> channels, channel* in_app,
                progress p);

  std::string name() const override { return "staff"; }
  // m.to is a login ("manager2") or a role ("director": the first person with it).
  delivery_status deliver(const outbound_message& m) override;

  // The subject staff mail gets: "Reglament: заявка #12 / case #12".
  static std::string subject_for(long long case_no);

 private:
  const firm_profile& firm_;
  std::map<std::string, channel*> channels_;
  channel* in_app_;
  progress progress_;
};

}  // namespace reglament::staff
