#include "adapters/email/imap_source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace reglament::email {
namespace {

bool parse_cursor(const std::string& text, std::uint32_t& validity, std::uint32_t& uid) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) return false;
  try {
    validity = static_cast<std::uint32_t>(std::stoul(text.substr(0, colon)));
    uid = static_cast<std::uint32_t>(std::stoul(text.substr(colon + 1)));
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

imap_source::imap_source(imap_source_settings s, source_logger log) : s_(std::move(s)), log_(std::move(log)) {
  if (!log_) log_ = [](source_log, const std::string&) {};
}

imap_source::~imap_source() { stop(); }

std::size_t imap_source::poll_once(reglament::inbound_sink& sink) {
  if (!client_) client_ = std::make_unique<imap_client>(s_.imap);
  imap_client& imap = *client_;
  const auto st = imap.status();
  const auto key = cursor_key();
  const auto saved = sink.cursor(intake::channel_name, key);
  std::uint32_t validity = 0, last = 0;
  const bool first_run = saved.empty();
  std::vector<std::uint32_t> uids;
  if (first_run) {
    uids = imap.search(s_.initial == "all" ? "ALL" : "UNSEEN");
  } else {
    if (!parse_cursor(saved, validity, last)) {
      log_(source_log::warn, fmt::format("email: cursor {} = \"{}\" is unreadable; reading the mailbox again", key, saved));
      last = 0;
    } else if (validity != st.uidvalidity) {
      log_(source_log::warn, fmt::format("email: {} UIDVALIDITY changed from {} to {} (mailbox rebuilt); reading it "
                                         "again, Message-IDs keep each message once",
                                         s_.imap.mailbox, validity, st.uidvalidity));
      last = 0;
    }
    uids = imap.search(fmt::format("UID {}:*", last + 1));
    // "n:*" always includes the highest UID, even when it is below n.
    uids.erase(std::remove_if(uids.begin(), uids.end(), [&](std::uint32_t u) { return u <= last; }), uids.end());
  }

  intake in(sink, s_.limits);
  std::size_t taken = 0;
  bool complete = true;
  for (const auto uid : uids) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) {
        complete = false;
        break;
      }
    }
    const auto where = fmt::format("{} UID {}", s_.imap.mailbox, uid);
    const auto info = imap.info(uid);
    intake_outcome outcome;
    if (info.size > s_.limits.max_message_bytes) {
      // Not downloaded: the header is enough to say what it was.
      const auto head = imap.fetch_header(st.uidvalidity, uid);
      channel_error e;
      e.channel = intake::channel_name;
      e.reason = fmt::format("{}: message of {} bytes is over the limit of {} bytes (max_message_bytes); only its "
                             "header was read",
                             where, info.size, s_.limits.max_message_bytes);
      e.raw = head;
      sink.reject(e);
      outcome = {intake_outcome::kind::error, 0, e.reason};
    } else {
      const auto raw = imap.fetch(st.uidvalidity, uid);
      try {
        outcome = in.take(raw, where);
      } catch (...) {
        // Not committed: give the message its unread state back before giving up.
        if (!info.seen) {
          try {
            imap.set_seen(uid, false);
          } catch (const std::exception&) {
          }
        }
        throw;
      }
    }
    sink.save_cursor(intake::channel_name, key, fmt::format("{}:{}", st.uidvalidity, uid));
    imap.set_seen(uid, true);
    ++taken;
    switch (outcome.what) {
      case intake_outcome::kind::accepted:
        log_(source_log::info, fmt::format("email: {} accepted into case {}", where, outcome.case_id));
        break;
      case intake_outcome::kind::duplicate:
        log_(source_log::info, fmt::format("email: {} is a duplicate (case {})", where, outcome.case_id));
        break;
      case intake_outcome::kind::ignored:
        log_(source_log::info, fmt::format("email: {} {}", where, outcome.detail));
        break;
      case intake_outcome::kind::error:
        log_(source_log::warn, fmt::format("email: channel error: {}", outcome.detail));
        break;
    }
  }
  // The first run continues after everything that was there, read or not.
  if (first_run && complete) {
    const auto now = sink.cursor(intake::channel_name, key);
    std::uint32_t v = 0, u = 0;
    const std::uint32_t before_poll = st.uidnext > 0 ? st.uidnext - 1 : 0;
    if (!parse_cursor(now, v, u) || v != st.uidvalidity || u < before_poll)
      sink.save_cursor(intake::channel_name, key, fmt::format("{}:{}", st.uidvalidity, before_poll));
  }
  return taken;
}

void imap_source::start(reglament::inbound_sink& sink) {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this, &sink] { run(sink); });
}

void imap_source::run(reglament::inbound_sink& sink) {
  auto backoff = std::chrono::seconds(1);
  for (;;) {
    auto wait = std::chrono::seconds(s_.poll_seconds);
    try {
      poll_once(sink);
      backoff = std::chrono::seconds(1);
      sink.report(intake::channel_name, {});
    } catch (const std::exception& e) {
      log_(source_log::error, fmt::format("email: {} (retrying in {} s)", e.what(), backoff.count()));
      sink.report(intake::channel_name, {false, e.what(), backoff});
      client_.reset();  // a fresh connection next time
      wait = backoff;
      backoff = std::min(backoff * 2, std::chrono::seconds(300));
    }
    std::unique_lock lock(mutex_);
    if (cv_.wait_for(lock, wait, [this] { return stopping_; })) return;
  }
}

void imap_source::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace reglament::email
