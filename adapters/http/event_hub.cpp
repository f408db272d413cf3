#include "adapters/http/event_hub.hpp"

namespace reglament::http {

std::uint64_t event_hub::subscribe(subscriber s) {
  std::lock_guard lock(mutex_);
  const auto id = next_++;
  subscribers_.emplace(id, std::move(s));
  return id;
}

void event_hub::unsubscribe(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  subscribers_.erase(id);
}

std::string event_hub::format(std::string_view event, const nlohmann::json& data, std::int64_t id) {
  std::string out;
  if (id) out += "id: " + std::to_string(id) + "\n";
  out += "event: ";
  out += event;
  // dump() escapes newlines inside strings, so the data is one line as SSE requires.
  out += "\ndata: " + data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
  return out;
}

void event_hub::publish(std::string_view event, const nlohmann::json& data, std::int64_t id) {
  auto f = std::make_shared<const std::string>(format(event, data, id));
  std::lock_guard lock(mutex_);
  for (const auto& [n, s] : subscribers_) s(f);
}

std::size_t event_hub::subscribers() const {
  std::lock_guard lock(mutex_);
  return subscribers_.size();
}

}  // namespace reglament::http
