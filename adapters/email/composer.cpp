#include "adapters/email/composer.hpp"

#include "adapters/email/intake.hpp"
#include "adapters/email/mime_parser.hpp"

#include <fmt/format.h>
#include <gmime/gmime.h>

namespace reglament::email {

composed_mail compose(const outbound_message& m, const compose_options& o, std::time_t date) {
  ensure_gmime();
  composed_mail out;
  out.message_id = intake::message_id_for(m.idempotency_key, m.case_no, o.message_id_domain);
  out.subject = m.subject.empty() ? o.default_subject : m.subject;
  if (m.case_no > 0) {
    const auto tag = fmt::format("[#{}]", m.case_no);
    if (out.subject.find(tag) == std::string::npos) out.subject += " " + tag;
  }

  GMimeMessage* msg = g_mime_message_new(TRUE);
  // The display name in UTF-8 (GMime would otherwise pick a legacy charset per word).
  InternetAddress* from = internet_address_mailbox_new(o.from_name.empty() ? nullptr : o.from_name.c_str(),
                                                       o.from_address.c_str());
  internet_address_set_charset(from, "utf-8");
  internet_address_list_add(g_mime_message_get_from(msg), from);
  g_object_unref(from);
  g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, nullptr, m.to.c_str());
  g_mime_message_set_subject(msg, out.subject.c_str(), "utf-8");
  GDateTime* when = g_date_time_new_from_unix_utc(static_cast<gint64>(date));
  g_mime_message_set_date(msg, when);
  g_date_time_unref(when);
  g_mime_message_set_message_id(msg, out.message_id.c_str());

  // References: the thread's root (the case's thread key, when it is a Message-ID and not
  // the client's address) then the message answered.
  std::string refs;
  if (!m.thread.empty() && m.thread != m.to && m.thread.find('@') != std::string::npos &&
      m.thread.find(' ') == std::string::npos)
    refs = "<" + m.thread + ">";
  if (!m.in_reply_to.empty()) {
    const auto irt = "<" + m.in_reply_to + ">";
    g_mime_object_set_header(GMIME_OBJECT(msg), "In-Reply-To", irt.c_str(), nullptr);
    if (refs != irt) refs += (refs.empty() ? "" : " ") + irt;
  }
  if (!refs.empty()) g_mime_object_set_header(GMIME_OBJECT(msg), "References", refs.c_str(), nullptr);

  GMimeTextPart* body = g_mime_text_part_new_with_subtype("plain");
  std::string text = m.text;
  if (text.empty() || text.back() != '\n') text += '\n';
  g_mime_text_part_set_text(body, text.c_str());
  g_mime_text_part_set_charset(body, "utf-8");
  g_mime_part_set_content_encoding(GMIME_PART(body), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
  g_mime_message_set_mime_part(msg, GMIME_OBJECT(body));
  g_object_unref(body);

  GMimeFormatOptions* fo = g_mime_format_options_new();
  g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
  char* raw = g_mime_object_to_string(GMIME_OBJECT(msg), fo);
  out.raw = raw ? raw : "";
  g_free(raw);
  g_mime_format_options_free(fo);
  g_object_unref(msg);
  return out;
}

}  // namespace reglament::email
