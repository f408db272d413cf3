// The inbound side of the Telegram bot: long-polls getUpdates on its own thread and hands
// each update to the inbound_sink — a client's message (files fetched with getFile and
// stored through the sink within a size limit), an edit (a new inbound with its own
// external id), a pressed inline button (its label as the text; answerCallbackQuery), a
// `/start CODE` link request (answered in Russian), or, for what it cannot use, a
// channel error with the raw update. The update offset is saved through the sink's
// cursor only after the updates before it were committed, so a restart neither loses
// nor repeats one (a re-fetched update is a duplicate the engine acknowledges).
// start() once, stop() once; not copyable.
#pragma once

#include "adapters/telegram/bot_api.hpp"
#include "adapters/telegram/sent_ledger.hpp"
#include "adapters/telegram/update.hpp"
#include "engine/channel.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace reglament::telegram {

// What became of a `/start CODE`.
enum class link_outcome { linked, already_linked, unknown_code, expired, used, taken };
struct link_reply {
  link_outcome outcome = link_outcome::unknown_code;
  std::string client_name;  // linked, already_linked: the company, for the answer
};

struct source_options {
  int poll_timeout_seconds = 25;                       // getUpdates' long-poll timeout
  std::uint64_t max_attachment_bytes = 20u << 20;      // larger files are listed, not stored
  std::chrono::milliseconds retry_min{1000};           // first wait after a failed poll
  std::chrono::milliseconds retry_max{60000};          // longest wait
  int attempts_per_update = 5;                         // then a file that will not download is noted and skipped
  // Redeems a link code for a Telegram user id; may throw (a store error: retried later).
  // Empty: `/start CODE` is answered that linking is not available.
  std::function<link_reply(const std::string& code, const std::string& user_id)> redeem;
  // Where the source reports what it does: warn = true for problems. May be empty.
  std::function<void(bool warn, const std::string& message, const std::string& detail)> log;
};

// The Russian answers the bot gives outside a case (exposed for tests and docs).
std::string link_answer_text(const link_reply& r);
std::string hello_text();

class telegram_source final : public reglament::inbound_source {
 public:
  // The api and the ledger may be shared with the bot's outbound channel.
  telegram_source(std::shared_ptr<const bot_api> api, std::shared_ptr<sent_ledger> ledger, source_options opt);
  ~telegram_source() override;
  telegram_source(const telegram_source&) = delete;
  telegram_source& operator=(const telegram_source&) = delete;

  std::string name() const override { return "telegram"; }
  void start(reglament::inbound_sink& sink) override;
  void stop() override;

  // The offset the next getUpdates will ask for (the cursor last saved).
  std::int64_t offset() const { return offset_.load(); }
  // Polls completed (answered or failed), for tests that wait for progress.
  std::uint64_t polls() const { return polls_.load(); }

 private:
  void loop();
  // false: a transient failure; the update is tried again after a pause.
  bool handle(const nlohmann::json& update);
  bool handle_message(update_action& a, const nlohmann::json& raw);
  bool handle_callback(update_action& a, const nlohmann::json& raw);
  bool handle_link(const update_action& a);
  void answer(const std::string& chat_id, const std::string& text);
  // Hands `m` to the sink and waits for the commit; false: not committed, try again.
  bool commit(reglament::inbound_message m);
  void reject(const std::string& external_id, const std::string& reason, const nlohmann::json& raw);
  void sleep_for(std::chrono::milliseconds d);
  void log(bool warn, const std::string& message, const std::string& detail) const;
  std::string last_problem() const;  // the last warning logged, for the channel status

  std::shared_ptr<const bot_api> api_;
  std::shared_ptr<sent_ledger> ledger_;
  source_options opt_;
  reglament::inbound_sink* sink_ = nullptr;
  std::atomic<bool> stop_{false};
  std::atomic<std::int64_t> offset_{0};
  std::atomic<std::uint64_t> polls_{0};
  std::int64_t failing_update_ = -1;
  int failures_ = 0;
  std::mutex mutex_;
  std::condition_variable cv_;
  mutable std::mutex problem_mutex_;
  mutable std::string last_problem_;
  std::thread thread_;
};

}  // namespace reglament::telegram
