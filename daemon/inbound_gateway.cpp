#include "daemon/inbound_gateway.hpp"

#include "engine/case_event.hpp"
#include "engine/playbook_loader.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <stdexcept>
#include <unistd.h>

namespace reglament::daemon {

namespace fs = std::filesystem;

namespace {

// The message as JSON: what a refused message is kept as, so the staff can see it whole.
std::string message_json(const inbound_message& m) {
  nlohmann::json j = {{"channel", m.channel},   {"external_id", m.external_id}, {"sender", m.sender},
                      {"thread", m.thread},     {"text", m.text},               {"subject", m.subject},
                      {"sender_name", m.sender_name}};
  if (!m.original.empty()) j["original"] = m.original;
  nlohmann::json files = nlohmann::json::array();
  for (const auto& a : m.attachments)
    files.push_back({{"name", a.name}, {"content_type", a.content_type}, {"size", a.size}, {"sha256", a.sha256}});
  if (!files.empty()) j["attachments"] = files;
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool is_sha256_hex(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string size_text(std::uint64_t bytes) {
  if (bytes >= 1024 * 1024) return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024 * 1024));
  if (bytes >= 1024) return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024);
  return fmt::format("{} bytes", bytes);
}

// Writes `bytes` to `path` durably: a temporary file, fsync, rename, fsync of the dir.
void write_file(const fs::path& path, const std::string& bytes) {
  auto tmp = path;
  tmp += fmt::format(".tmp{}", ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) throw std::runtime_error(fmt::format("attachment {}: cannot create: {}", tmp.string(), std::strerror(errno)));
  std::size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw std::runtime_error(fmt::format("attachment {}: cannot write: {}", tmp.string(), std::strerror(e)));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error(fmt::format("attachment {}: cannot sync: {}", tmp.string(), std::strerror(e)));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    ::unlink(tmp.c_str());
    throw std::runtime_error(fmt::format("attachment {}: cannot rename into place: {}", path.string(), ec.message()));
  }
  int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace

inbound_gateway::inbound_gateway(writer& w, channel_store& channels, const clock& clk, logger& log, options opt)
    : writer_(w), channels_(channels), clock_(clk), log_(log), opt_(std::move(opt)) {
  std::error_code ec;
  fs::create_directories(opt_.attachments_dir, ec);
  if (ec)
    throw std::runtime_error(
        fmt::format("attachments.dir: cannot create '{}': {}", opt_.attachments_dir, ec.message()));
}

std::string inbound_gateway::attachment_path(const std::string& dir, const std::string& sha256) {
  if (!is_sha256_hex(sha256)) return {};
  return (fs::path(dir) / sha256).string();
}

void inbound_gateway::accept(inbound_message m, std::function<void(const engine_result&)> done) {
  analyse(m);  // here, on the source's thread, not on the writer's
  auto shared = std::make_shared<inbound_message>(std::move(m));
  writer_.submit([shared](case_engine& e) { return e.inbound(*shared); },
                 [this, shared, done = std::move(done)](const engine_result& r) {
                   if (r.error.empty()) {
                     if (!r.duplicate && opt_.metrics)
                       opt_.metrics
                           ->get_counter("reglament_messages_in_total", "Inbound client messages accepted",
                                         {{"channel", shared->channel}})
                           .inc();
                     if (opt_.on_commit) opt_.on_commit();
                   } else if (r.http_status != 503) {
                     // Refused for good (no playbook on the channel, bad text): kept for the staff.
                     try {
                       channel_error e{shared->channel, shared->external_id,
                                       fmt::format("refused by the engine: {}", r.error), message_json(*shared)};
                       reject(std::move(e));
                     } catch (const std::exception& ex) {
                       log_.error("inbound message refused and not kept",
                                  {{"channel", shared->channel}, {"external_id", shared->external_id},
                                   {"error", r.error}, {"store_error", ex.what()}});
                     }
                   }
                   if (done) done(r);
                 });
}

void inbound_gateway::reject(channel_error e) {
  const auto id = channels_.add_error(e, clock_.now());
  log_.warn("channel error kept for the staff",
            {{"channel", e.channel}, {"external_id", e.external_id}, {"reason", e.reason},
             {"id", std::to_string(id)}});
  if (opt_.metrics)
    opt_.metrics
        ->get_counter("reglament_channel_errors_total", "Inbound items kept as channel errors",
                      {{"channel", e.channel}})
        .inc();
}

attachment inbound_gateway::store_attachment(const std::string& name, const std::string& content_type,
                                             const std::string& bytes) {
  if (bytes.size() > opt_.max_attachment_bytes)
    throw attachment_too_large(fmt::format("attachment '{}' is {}; the limit is {} (attachments.max_bytes)", name,
                                           size_text(bytes.size()), size_text(opt_.max_attachment_bytes)));
  attachment a;
  a.name = name;
  a.content_type = content_type;
  a.size = bytes.size();
  a.sha256 = sha256_hex(bytes);
  fs::path path = attachment_path(opt_.attachments_dir, a.sha256);
  std::error_code ec;
  // Same bytes, same name: a file already there is this one.
  if (!(fs::is_regular_file(path, ec) && fs::file_size(path, ec) == bytes.size())) write_file(path, bytes);
  channels_.record_attachment(a, clock_.now());
  return a;
}

std::string inbound_gateway::cursor(const std::string& channel, const std::string& key) {
  return channels_.cursor(channel, key);
}

void inbound_gateway::save_cursor(const std::string& channel, const std::string& key, const std::string& value) {
  channels_.save_cursor(channel, key, value, clock_.now());
}

void inbound_gateway::report(const std::string& channel, const source_report& r) {
  if (!opt_.health) return;
  if (r.ok)
    opt_.health->inbound_ok(channel);
  else
    opt_.health->inbound_failed(channel, r.error, r.retry_in);
}

}  // namespace reglament::daemon
