// Email ingest: one raw RFC 5322 message through the MIME parser and the intake, as the
// IMAP source hands it over. Whatever the bytes, the intake either accepts a message or
// keeps a channel error / ignored item, exactly once; what reaches the case is valid
// UTF-8 (text, subject, sender's name, file names), and every file has a name that is
// not a path.
#include "adapters/email/charset.hpp"
#include "adapters/email/intake.hpp"
#include "adapters/email/mime_parser.hpp"
#include "engine/case_engine.hpp"
#include "engine/case_event.hpp"
#include "fuzz/fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace {

using namespace reglament;

// Keeps what the intake hands over and checks it; answers at once, on the caller's thread.
class checking_sink : public inbound_sink {
 public:
  void accept(inbound_message m, std::function<void(const engine_result&)> done) override {
    ++calls;
    using email::is_valid_utf8;
    FUZZ_CHECK(!m.external_id.empty(), "a message without an external id");
    FUZZ_CHECK(is_valid_utf8(m.text), "message text is not UTF-8");
    FUZZ_CHECK(is_valid_utf8(m.subject), "subject is not UTF-8");
    FUZZ_CHECK(is_valid_utf8(m.sender_name), "sender's name is not UTF-8");
    FUZZ_CHECK(is_valid_utf8(m.original), "original text is not UTF-8");
    for (const auto& a : m.attachments) {
      FUZZ_CHECK(!a.name.empty(), "an attachment without a name");
      FUZZ_CHECK(is_valid_utf8(a.name), "attachment name is not UTF-8: " + a.name);
      FUZZ_CHECK(a.name.find_first_of("/\\") == std::string::npos, "attachment name is a path: " + a.name);
    }
    engine_result r;
    r.id = 1;
    done(r);
  }
  void reject(channel_error e) override {
    ++calls;
    FUZZ_CHECK(!e.reason.empty(), "a channel error without a reason");
  }
  attachment store_attachment(const std::string& name, const std::string& content_type,
                              const std::string& bytes) override {
    return {name, content_type, bytes.size(), "0"};
  }
  std::string cursor(const std::string& channel, const std::string& key) override {
    auto it = cursors.find(channel + "/" + key);
    return it == cursors.end() ? std::string() : it->second;
  }
  void save_cursor(const std::string& channel, const std::string& key, const std::string& value) override {
    cursors[channel + "/" + key] = value;
  }
  int calls = 0;
  std::map<std::string, std::string> cursors;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  const auto parsed = email::parse_mail(raw);
  FUZZ_CHECK(!parsed.message_id.empty(), "no Message-ID, not even a made-up one");
  if (parsed.kind != email::parsed_mail::verdict::message) FUZZ_CHECK(!parsed.reason.empty(), "a verdict without a reason");
  checking_sink sink;
  email::intake_limits limits;
  limits.max_attachment_bytes = 4096;  // small, so the over-the-limit path runs too
  email::intake in(sink, limits);
  const auto out = in.take(raw, "INBOX UID 1");
  if (out.what == email::intake_outcome::kind::accepted || out.what == email::intake_outcome::kind::error)
    FUZZ_CHECK(sink.calls == 1, "the intake called the sink " + std::to_string(sink.calls) + " times");
  return 0;
}
