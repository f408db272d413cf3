// Email intake: one raw message in, one call into the inbound_sink out. It parses the
// message (mime_parser.hpp), stores attachments within the size limit, picks the thread
// key, and either accepts the message (waiting until the sink has committed it) or keeps
// it as a channel error / ignored item with its raw form. Used by the IMAP source on its
// own thread; one intake per source, not shared between threads. The sink must outlive it.
//
// Thread key: a reply joins the case of the message it answers. In order: one of our own
// Message-IDs among References / In-Reply-To (they carry the case number), the first id of
// References (the thread's root), In-Reply-To, a case tag "[#123]" in the subject, and
// else the message's own Message-ID (a new thread). Case numbers are turned back into the
// case's thread key through the sink's cursors ("thread.case.<n>"), saved after a message
// of that case is committed.
#pragma once

#include "engine/channel.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_set>

namespace reglament::email {

struct intake_limits {
  std::size_t max_message_bytes = 25 * 1024 * 1024;
  std::size_t max_attachment_bytes = 10 * 1024 * 1024;
  std::size_t max_raw_in_error = 256 * 1024;  // raw bytes kept with a channel error
};

struct intake_outcome {
  enum class kind { accepted, duplicate, ignored, error };
  kind what = kind::error;
  long long case_id = 0;
  std::string detail;  // ignored / error: the reason given to the sink
};

class intake {
 public:
  static constexpr const char* channel_name = "email";

  intake(inbound_sink& sink, intake_limits limits) : sink_(sink), limits_(limits) {}

  // Hands `raw` to the sink and returns once it is committed (accepted, duplicate) or kept
  // (ignored, error; a refusal by the engine is kept by the sink itself). `where` names
  // the source position for error reasons ("INBOX UID 17"). Throws std::runtime_error when
  // the sink could not commit now (503): the caller must not advance its cursor.
  intake_outcome take(std::string_view raw, const std::string& where);

  // Our Message-ID for an outbound message: "rg.<hash of key>.c<case>@<domain>", the same
  // for the same idempotency key, so a resend after a crash carries the same id.
  static std::string message_id_for(const std::string& idempotency_key, long long case_no,
                                    const std::string& domain);
  // The case number in one of our Message-IDs, or 0.
  static long long case_of_message_id(const std::string& id);

 private:
  std::string thread_for(const struct parsed_mail& m);
  void remember_thread(long long case_id, const std::string& thread);

  inbound_sink& sink_;
  intake_limits limits_;
  std::unordered_set<long long> remembered_;
};

// "12.3 МБ" / "850 КБ" / "120 Б".
std::string human_size(std::size_t bytes);

}  // namespace reglament::email
