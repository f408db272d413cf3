// Live updates for the staff app: the set of open server-sent-event streams and the
// frames published to them ("id: 42\nevent: case\ndata: {...}\n\n"). Thread-safe:
// publish() may be called from any thread; each subscriber gets the same immutable
// frame and must hand it to its own strand quickly. Not the source of events: the
// journal_feed reads committed facts and publishes them here.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace reglament::http {

class event_hub {
 public:
  using frame = std::shared_ptr<const std::string>;
  using subscriber = std::function<void(const frame&)>;

  // Returns the subscription's id for unsubscribe(). `s` is called under no lock of
  // the caller's, but while the hub holds its own: it must not call back into the hub.
  std::uint64_t subscribe(subscriber s);
  void unsubscribe(std::uint64_t id);

  // Sends `event` with `data` (one JSON line) to every subscriber; `id` (when not 0)
  // becomes the frame's id: the journal seq it reflects.
  void publish(std::string_view event, const nlohmann::json& data, std::int64_t id = 0);

  static std::string format(std::string_view event, const nlohmann::json& data, std::int64_t id);
  std::size_t subscribers() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::uint64_t, subscriber> subscribers_;
  std::uint64_t next_ = 1;
};

}  // namespace reglament::http
