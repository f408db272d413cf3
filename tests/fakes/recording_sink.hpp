// An inbound_sink for adapter tests: keeps accepted messages (deduplicated by channel and
// external id, as the engine does), rejected items, stored attachments and cursors in
// memory, and answers accept() at once on the caller's thread. Thread-safe (one mutex);
// readers take copies. `refuse_with` makes accept() refuse like the engine would,
// `not_committed` answer 503 (not committed: try again) like a stopping writer, and
// `max_attachment_bytes` refuse big files like the daemon's [attachments] max_bytes.
#pragma once

#include "engine/case_engine.hpp"
#include "engine/case_event.hpp"
#include "engine/channel.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace reglament::testing {

class recording_sink final : public inbound_sink {
 public:
  void accept(inbound_message m, std::function<void(const engine_result&)> done) override {
    engine_result r;
    {
      std::lock_guard lock(mutex_);
      if (not_committed > 0) {
        --not_committed;
        r.error = "the writer is stopping";
        r.http_status = 503;
      } else if (!refuse_with.empty()) {
        // Refused: kept as a channel error by the sink itself, as the daemon's gateway does.
        r.error = refuse_with;
        r.http_status = 422;
        rejected_.push_back({m.channel, m.external_id, "refused: " + refuse_with, m.text});
      } else if (!seen_.insert(m.channel + "\n" + m.external_id).second) {
        r.duplicate = true;
        r.id = 1;
      } else {
        r.id = 1;
        accepted_.push_back(std::move(m));
      }
    }
    done(r);
  }
  void reject(channel_error e) override {
    std::lock_guard lock(mutex_);
    rejected_.push_back(std::move(e));
  }
  attachment store_attachment(const std::string& name, const std::string& content_type,
                              const std::string& bytes) override {
    std::lock_guard lock(mutex_);
    if (bytes.size() > max_attachment_bytes)
      throw attachment_too_large("attachment '" + name + "' is " + std::to_string(bytes.size()) +
                                 " bytes; the limit is " + std::to_string(max_attachment_bytes) +
                                 " (attachments.max_bytes)");
    attachment a{name, content_type, bytes.size(), "sha-" + std::to_string(files_.size())};
    files_[a.sha256] = bytes;
    return a;
  }
  std::string cursor(const std::string& channel, const std::string& key) override {
    std::lock_guard lock(mutex_);
    auto it = cursors_.find(channel + "/" + key);
    return it == cursors_.end() ? std::string{} : it->second;
  }
  void save_cursor(const std::string& channel, const std::string& key, const std::string& value) override {
    std::lock_guard lock(mutex_);
    cursors_[channel + "/" + key] = value;
  }

  std::vector<inbound_message> accepted() const {
    std::lock_guard lock(mutex_);
    return accepted_;
  }
  std::vector<channel_error> rejected() const {
    std::lock_guard lock(mutex_);
    return rejected_;
  }
  std::string file(const std::string& sha) const {
    std::lock_guard lock(mutex_);
    auto it = files_.find(sha);
    return it == files_.end() ? std::string{} : it->second;
  }

  std::string refuse_with;  // set before start: every accept() is refused with it
  int not_committed = 0;    // set before start: the first accept()s answer 503
  std::size_t max_attachment_bytes = SIZE_MAX;  // store_attachment throws attachment_too_large over it

 private:
  mutable std::mutex mutex_;
  std::set<std::string> seen_;
  std::vector<inbound_message> accepted_;
  std::vector<channel_error> rejected_;
  std::map<std::string, std::string> files_;
  std::map<std::string, std::string> cursors_;
};

}  // namespace reglament::testing
