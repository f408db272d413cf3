// Reading one raw RFC 5322 message with GMime into what the email channel needs: who
// wrote, the subject, the text a manager reads (HTML turned into text, quoted history and
// signature cut) and the full text, attachments, Message-ID and the ids it replies to,
// and whether it is something that must never start a case (an auto-reply or a bounce)
// or cannot be read at all. Pure: no I/O, no store; thread-safe (GMime is initialised
// once, each call has its own objects). It does not decide the thread key (intake.hpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace reglament::email {

struct attachment_part {
  std::string name;          // decoded file name; a made-up one if the part had none
  std::string content_type;  // "application/pdf"
  std::string bytes;         // transfer encoding decoded
};

struct parsed_mail {
  enum class verdict {
    message,    // a client's message: accept it
    ignored,    // auto-reply, bounce, read receipt: keep as an ignored item, start nothing
    malformed,  // cannot be read: a channel error with the raw form
  };
  verdict kind = verdict::message;
  std::string reason;  // ignored / malformed: what and where ("header Auto-Submitted: auto-replied")

  std::string message_id;            // without <>; synthesised from the raw bytes if missing
  bool message_id_synthesised = false;
  std::vector<std::string> references;  // References then In-Reply-To, oldest first, no <>, no repeats
  std::string in_reply_to;              // without <>
  std::string case_tag;                 // "123" from "[#123]" in the subject

  std::string from_address;  // lower-cased
  std::string from_name;     // display name, decoded
  std::string subject;       // decoded
  std::string text;          // cleaned: what the manager reads
  std::string original;      // the whole text part(s), before cleaning
  std::vector<attachment_part> attachments;
  std::vector<std::string> notes;  // things worth telling the staff (a charset that did not fit)
};

parsed_mail parse_mail(std::string_view raw);

// "<hex>@reglament.invalid": the id given to a message that has no Message-ID, stable for
// the same bytes so a refetch is still a duplicate.
std::string synthesised_message_id(std::string_view raw);

// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

// Initialises GMime once per process (any thread may call it).
void ensure_gmime();

}  // namespace reglament::email
