#include "adapters/spool/spool_channel.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string_view>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace reglament::spool {

namespace {

std::string errno_text() { return std::strerror(errno); }

// Makes the file's directory entry durable, so a spool created just before a crash
// still exists after it.
void fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

spool_channel::spool_channel(const std::string& dir, std::string name, const reglament::clock* clk)
    : name_(std::move(name)), clock_(clk) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error(fmt::format("spool {}: cannot create directory: {}", dir, ec.message()));
  path_ = (std::filesystem::path(dir) / (name_ + ".jsonl")).string();
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) throw std::runtime_error(fmt::format("spool {}: cannot open: {}", path_, errno_text()));
  fsync_dir(dir);
  try {
    load();
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

spool_channel::~spool_channel() {
  if (fd_ >= 0) ::close(fd_);
}

void spool_channel::load() {
  std::string content;
  char buf[65536];
  off_t pos = 0;
  for (;;) {
    ssize_t n = ::pread(fd_, buf, sizeof buf, pos);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(fmt::format("spool {}: read: {}", path_, errno_text()));
    }
    if (n == 0) break;
    content.append(buf, static_cast<std::size_t>(n));
    pos += n;
  }
  auto complete = content.rfind('\n');
  std::size_t keep = complete == std::string::npos ? 0 : complete + 1;
  if (keep < content.size()) {
    if (::ftruncate(fd_, static_cast<off_t>(keep)) != 0)
      throw std::runtime_error(fmt::format("spool {}: cannot cut torn line: {}", path_, errno_text()));
    ::fsync(fd_);
  }
  std::string_view rest(content.data(), keep);
  std::size_t line_no = 0;
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    auto line = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
    ++line_no;
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("key") || !j["key"].is_string())
      throw std::runtime_error(fmt::format("spool {}:{}: not a spool record", path_, line_no));
    keys_.insert(j["key"].get<std::string>());
  }
}

std::size_t spool_channel::size() const {
  std::lock_guard lock(mutex_);
  return keys_.size();
}

bool spool_channel::contains(const std::string& key) const {
  std::lock_guard lock(mutex_);
  return keys_.count(key) != 0;
}

reglament::delivery_status spool_channel::deliver(const reglament::outbound_message& m) {
  std::lock_guard lock(mutex_);
  if (m.idempotency_key.empty()) return {false, true, "spool: message without an idempotency key"};
  if (keys_.count(m.idempotency_key)) return {true, false, {}};  // offered again after a crash

  const auto at = clock_ ? clock_->now() : system_clock_.now();
  nlohmann::json j = {{"key", m.idempotency_key}, {"channel", m.channel}, {"to", m.to},
                      {"text", m.text},           {"case", m.case_no},   {"at", reglament::to_iso8601(at)}};
  if (!m.buttons.empty()) j["buttons"] = m.buttons;
  // Invalid UTF-8 must not make the line unreadable: replace it rather than fail.
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + '\n';

  std::size_t written = 0;
  while (written < line.size()) {
    ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      auto why = errno_text();
      // Cut what was written so the file keeps whole lines only.
      struct stat st {};
      if (written > 0 && ::fstat(fd_, &st) == 0)
        (void)::ftruncate(fd_, st.st_size - static_cast<off_t>(written));
      return {false, false, fmt::format("spool {}: write: {}", path_, why)};
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd_) != 0)
    return {false, false, fmt::format("spool {}: fdatasync: {}", path_, errno_text())};
  keys_.insert(m.idempotency_key);
  return {true, false, {}};
}

}  // namespace reglament::spool
