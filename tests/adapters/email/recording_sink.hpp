// An inbound_sink for the email adapter's tests: keeps what it is given in memory and
// acts like the daemon's gateway where it matters: (channel, external_id) dedup, one case
// per open thread key, cursors, content-addressed attachments. accept() answers on another
// thread, as the real gateway does. Thread-safe. Test-only.
#pragma once

#include "adapters/email/mime_parser.hpp"
#include "engine/case_engine.hpp"
#include "engine/case_event.hpp"
#include "engine/channel.hpp"

#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace reglament::email::testing {

class recording_sink : public reglament::inbound_sink {
 public:
  void accept(inbound_message m, std::function<void(const engine_result&)> done) override {
    engine_result r;
    {
      std::lock_guard lock(mutex_);
      if (!next_errors.empty()) {
        r.error = next_errors.front().first;
        r.http_status = next_errors.front().second;
        next_errors.erase(next_errors.begin());
        std::thread([done, r] { done(r); }).join();
        return;
      }
      const auto key = m.channel + "\n" + m.external_id;
      if (auto seen = seen_.find(key); seen != seen_.end()) {
        r.id = seen->second;
        r.duplicate = true;
      } else {
        const auto thread = m.thread.empty() ? m.sender : m.thread;
        auto open = threads_.find(thread);
        r.id = open != threads_.end() ? open->second : ++last_case_;
        threads_[thread] = r.id;
        seen_[key] = r.id;
        accepted.push_back(m);
        case_of.push_back(r.id);
      }
    }
    std::thread([done, r] { done(r); }).join();
  }
  void reject(channel_error e) override {
    std::lock_guard lock(mutex_);
    rejected.push_back(std::move(e));
  }
  attachment store_attachment(const std::string& name, const std::string& content_type,
                              const std::string& bytes) override {
    std::lock_guard lock(mutex_);
    if (bytes.size() > sink_attachment_limit) throw std::runtime_error("over the sink's limit");
    attachment a{name, content_type, bytes.size(), sha256_hex(bytes)};
    files[a.sha256] = bytes;
    return a;
  }
  std::string cursor(const std::string& channel, const std::string& key) override {
    std::lock_guard lock(mutex_);
    auto it = cursors.find(channel + "/" + key);
    return it == cursors.end() ? std::string() : it->second;
  }
  void save_cursor(const std::string& channel, const std::string& key, const std::string& value) override {
    std::lock_guard lock(mutex_);
    cursors[channel + "/" + key] = value;
  }

  // Answers for the next accept() calls: {error, http_status} (503: not committed).
  std::vector<std::pair<std::string, int>> next_errors;
  std::size_t sink_attachment_limit = 1 << 30;
  std::vector<inbound_message> accepted;
  std::vector<long long> case_of;  // case id of accepted[i]
  std::vector<channel_error> rejected;
  std::map<std::string, std::string> files;
  std::map<std::string, std::string> cursors;

 private:
  std::mutex mutex_;
  std::map<std::string, long long> seen_;
  std::map<std::string, long long> threads_;
  long long last_case_ = 0;
};

}  // namespace reglament::email::testing
