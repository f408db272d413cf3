// The daemon's inbound gateway: the inbound_sink every channel source (email, Telegram,
// the website chat) hands its messages to. accept() goes through the group-commit writer
// to case_engine::inbound and answers after the commit; a refused message is kept as a
// channel error with its JSON form, so nothing a source accepted is dropped. reject()
// keeps what a source could not parse; attachments are written content-addressed under
// the attachments dir; cursors live in the store; a source's reports on its server go to
// the channel health. Thread-safe: any number of source threads may call it at once. It
// parses nothing and knows no channel.
#pragma once

#include "daemon/log.hpp"
#include "engine/channel.hpp"
#include "engine/channel_health.hpp"
#include "engine/clock.hpp"
#include "engine/metrics.hpp"
#include "engine/store/channel_store.hpp"
#include "engine/writer.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace reglament::daemon {

class inbound_gateway final : public inbound_sink {
 public:
  struct options {
    std::string attachments_dir = "var/attachments";
    std::uint64_t max_attachment_bytes = 25 * 1024 * 1024;
    std::function<void()> on_commit;     // new outbox rows may wait: wake the dispatcher
    metric_registry* metrics = nullptr;  // reglament_messages_in_total, channel errors
    channel_health* health = nullptr;    // where report() goes; null: nowhere
  };

  // REQUIRES: every reference outlives the gateway. Creates the attachments dir.
  // Throws std::runtime_error naming the dir if it cannot be created.
  inbound_gateway(writer& w, channel_store& channels, const clock& clk, logger& log, options opt);

  void accept(inbound_message m, std::function<void(const engine_result&)> done) override;
  void reject(channel_error e) override;
  attachment store_attachment(const std::string& name, const std::string& content_type,
                              const std::string& bytes) override;
  std::string cursor(const std::string& channel, const std::string& key) override;
  void save_cursor(const std::string& channel, const std::string& key, const std::string& value) override;
  void report(const std::string& channel, const source_report& r) override;

  // Where the file of `sha256` lives (whether or not it exists); "" if `sha256` is not 64
  // lower-case hex digits (so a request can never name another path).
  static std::string attachment_path(const std::string& dir, const std::string& sha256);

 private:
  writer& writer_;
  channel_store& channels_;
  const clock& clock_;
  logger& log_;
  options opt_;
};

}  // namespace reglament::daemon
