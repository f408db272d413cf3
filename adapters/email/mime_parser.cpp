#include "adapters/email/mime_parser.hpp"

#include "adapters/email/charset.hpp"
#include "adapters/email/mail_text.hpp"

#include <fmt/format.h>
#include <gmime/gmime.h>

#include <algorithm>
#include <mutex>
#include <regex>

namespace reglament::email {
namespace {

template <class T>
struct gobject_ptr {
  T* p = nullptr;
  explicit gobject_ptr(T* q) : p(q) {}
  ~gobject_ptr() {
    if (p) g_object_unref(p);
  }
  gobject_ptr(const gobject_ptr&) = delete;
  gobject_ptr& operator=(const gobject_ptr&) = delete;
  T* get() const { return p; }
};

struct gchar_ptr {
  char* p;
  explicit gchar_ptr(char* q) : p(q) {}
  ~gchar_ptr() { g_free(p); }
  std::string str() const { return p ? std::string(p) : std::string(); }
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

const char* warning_name(GMimeParserWarning w) {
  switch (w) {
    case GMIME_WARN_DUPLICATED_HEADER: return "duplicated header";
    case GMIME_WARN_DUPLICATED_PARAMETER: return "duplicated parameter";
    case GMIME_WARN_UNENCODED_8BIT_HEADER: return "unencoded 8-bit header";
    case GMIME_WARN_INVALID_CONTENT_TYPE: return "invalid Content-Type";
    case GMIME_WARN_INVALID_RFC2047_HEADER_VALUE: return "invalid RFC 2047 header value";
    case GMIME_WARN_MALFORMED_MULTIPART: return "malformed multipart (boundary never found)";
    case GMIME_WARN_TRUNCATED_MESSAGE: return "truncated message";
    case GMIME_WARN_MALFORMED_MESSAGE: return "malformed message";
    case GMIME_CRIT_INVALID_HEADER_NAME: return "invalid header name";
    case GMIME_CRIT_CONFLICTING_HEADER: return "conflicting header";
    case GMIME_CRIT_CONFLICTING_PARAMETER: return "conflicting parameter";
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY: return "multipart without a boundary";
    case GMIME_WARN_INVALID_PARAMETER: return "invalid parameter";
    case GMIME_WARN_INVALID_ADDRESS_LIST: return "invalid address list";
    case GMIME_CRIT_NESTING_OVERFLOW: return "MIME nesting too deep";
    case GMIME_WARN_PART_WITHOUT_CONTENT: return "part without content";
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT: return "part without headers or content";
  }
  return "parser warning";
}

// Problems that mean the structure cannot be trusted: the message is a channel error.
bool is_fatal(GMimeParserWarning w) {
  switch (w) {
    case GMIME_WARN_MALFORMED_MULTIPART:
    case GMIME_WARN_MALFORMED_MESSAGE:
    case GMIME_CRIT_INVALID_HEADER_NAME:
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
    case GMIME_CRIT_NESTING_OVERFLOW:
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
      return true;
    default:
      return false;
  }
}

struct warning_log {
  std::vector<std::string> fatal;
  std::vector<std::string> minor;
};

void on_warning(gint64 offset, GMimeParserWarning code, const gchar* item, gpointer user_data) {
  auto* log = static_cast<warning_log*>(user_data);
  auto text = fmt::format("{} at byte {}{}{}", warning_name(code), offset, item ? ": " : "", item ? item : "");
  (is_fatal(code) ? log->fatal : log->minor).push_back(std::move(text));
}

// `s` as UTF-8 the engine accepts: kept when it is, else read as a Cyrillic charset or
// with U+FFFD for what cannot be read.
std::string readable(const std::string& s) { return is_valid_utf8(s) ? s : to_utf8(s, "").text; }

std::string header(GMimeObject* obj, const char* name) {
  const char* v = g_mime_object_get_header(obj, name);
  return v ? trim(v) : std::string();
}

// The header's value as written (folded, encoded), or "" if absent.
std::string raw_header(GMimeObject* obj, const char* name) {
  GMimeHeaderList* list = g_mime_object_get_header_list(obj);
  GMimeHeader* h = list ? g_mime_header_list_get_header(list, name) : nullptr;
  const char* v = h ? g_mime_header_get_raw_value(h) : nullptr;
  return v ? trim(v) : std::string();
}

// The display name of the first mailbox in a raw From value, decoded by decode_header_text.
std::string display_name(const std::string& raw_from) {
  const auto lt = raw_from.find('<');
  if (lt == std::string::npos) return {};
  auto name = trim(decode_header_text(raw_from.substr(0, lt)));
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
  std::string unescaped;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '\\' && i + 1 < name.size()) ++i;
    unescaped += name[i];
  }
  return trim(unescaped);
}

std::vector<std::string> parse_ids(const std::string& value) {
  std::vector<std::string> out;
  if (value.empty()) return out;
  GMimeReferences* refs = g_mime_references_parse(nullptr, value.c_str());
  if (!refs) return out;
  for (int i = 0; i < g_mime_references_length(refs); ++i) out.emplace_back(g_mime_references_get_message_id(refs, i));
  g_mime_references_free(refs);
  return out;
}

std::string part_bytes(GMimePart* part) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (!content) return {};
  gobject_ptr<GMimeStream> mem(g_mime_stream_mem_new());
  g_mime_data_wrapper_write_to_stream(content, mem.get());
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
  return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

std::string mime_type(GMimeObject* obj) {
  GMimeContentType* ct = g_mime_object_get_content_type(obj);
  if (!ct) return "text/plain";
  gchar_ptr t(g_mime_content_type_get_mime_type(ct));
  return lower(t.str());
}

struct walker {
  parsed_mail& out;
  std::string plain;  // text of the chosen body parts, in order
  int depth = 0;

  void add_attachment(GMimeObject* obj) {
    attachment_part a;
    a.content_type = mime_type(obj);
    if (GMIME_IS_MESSAGE_PART(obj)) {
      GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
      const char* subj = inner ? g_mime_message_get_subject(inner) : nullptr;
      a.name = fmt::format("{}.eml", subj && *subj ? subj : "message");
      gobject_ptr<GMimeStream> mem(g_mime_stream_mem_new());
      if (inner) g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, mem.get());
      GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
      a.bytes.assign(reinterpret_cast<const char*>(bytes->data), bytes->len);
    } else if (GMIME_IS_PART(obj)) {
      const char* fn = g_mime_part_get_filename(GMIME_PART(obj));
      a.name = fn && *fn ? fn : fmt::format("attachment-{}", out.attachments.size() + 1);
      a.bytes = part_bytes(GMIME_PART(obj));
    } else {
      return;
    }
    // A path in a file name is never kept: the name is shown, not used as a path. Nor is
    // a name the engine would refuse: unreadable bytes are read as a Cyrillic charset or
    // replaced, control characters dropped, and an empty name made up.
    a.name = readable(a.name);
    if (auto slash = a.name.find_last_of("/\\"); slash != std::string::npos) a.name = a.name.substr(slash + 1);
    std::erase_if(a.name, [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; });
    a.name = trim(a.name);
    if (a.name.empty() || a.name == "." || a.name == "..") a.name = fmt::format("attachment-{}", out.attachments.size() + 1);
    a.content_type = readable(a.content_type);
    out.attachments.push_back(std::move(a));
  }

  std::string text_of(GMimePart* part, bool html) {
    GMimeContentType* ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
    const char* cs = ct ? g_mime_content_type_get_parameter(ct, "charset") : nullptr;
    auto decoded = to_utf8(part_bytes(part), cs ? cs : "");
    if (!decoded.note.empty()) out.notes.push_back(decoded.note);
    return html ? html_to_text(decoded.text) : normalize_lines(decoded.text);
  }

  static bool is_attachment(GMimeObject* obj) {
    if (GMIME_IS_MESSAGE_PART(obj)) return true;
    if (!GMIME_IS_PART(obj)) return false;
    const char* disp = g_mime_object_get_disposition(obj);
    if (disp && g_ascii_strcasecmp(disp, "attachment") == 0) return true;
    GMimeContentType* ct = g_mime_object_get_content_type(obj);
    const bool text = ct && g_mime_content_type_is_type(ct, "text", "*");
    if (!text) return true;
    const bool plain_or_html =
        g_mime_content_type_is_type(ct, "text", "plain") || g_mime_content_type_is_type(ct, "text", "html");
    // An inline text/plain with a file name (a .txt attached inline) is still a file.
    return !plain_or_html || g_mime_part_get_filename(GMIME_PART(obj)) != nullptr;
  }

  void append_text(const std::string& t) {
    if (t.empty()) return;
    if (!plain.empty()) plain += "\n\n";
    plain += t;
  }

  void walk(GMimeObject* obj) {
    if (depth >= 20) return;  // deeper nesting is not read (and never unbalances the count)
    ++depth;
    if (GMIME_IS_MULTIPART(obj)) {
      GMimeMultipart* mp = GMIME_MULTIPART(obj);
      GMimeContentType* ct = g_mime_object_get_content_type(obj);
      const int n = g_mime_multipart_get_count(mp);
      if (ct && g_mime_content_type_is_type(ct, "multipart", "alternative")) {
        // The plain-text alternative if there is one, else the last one we can read.
        GMimeObject* best = nullptr;
        for (int i = 0; i < n; ++i) {
          GMimeObject* child = g_mime_multipart_get_part(mp, i);
          GMimeContentType* cct = g_mime_object_get_content_type(child);
          if (cct && g_mime_content_type_is_type(cct, "text", "plain")) {
            best = child;
            break;
          }
          if (GMIME_IS_MULTIPART(child) || (cct && g_mime_content_type_is_type(cct, "text", "html"))) best = child;
        }
        if (best) walk(best);
        // Attachments hidden in the other alternatives (rare) are still files.
        for (int i = 0; i < n; ++i) {
          GMimeObject* child = g_mime_multipart_get_part(mp, i);
          if (child != best && is_attachment(child) && !GMIME_IS_MULTIPART(child)) add_attachment(child);
        }
      } else {
        for (int i = 0; i < n; ++i) walk(g_mime_multipart_get_part(mp, i));
      }
    } else if (is_attachment(obj)) {
      add_attachment(obj);
    } else if (GMIME_IS_PART(obj)) {
      GMimeContentType* ct = g_mime_object_get_content_type(obj);
      append_text(text_of(GMIME_PART(obj), ct && g_mime_content_type_is_type(ct, "text", "html")));
    }
    --depth;
  }
};

// Why this message must not start a case, or "" if it may.
std::string automatic_reason(GMimeMessage* msg, const parsed_mail& m) {
  GMimeObject* obj = GMIME_OBJECT(msg);
  if (auto v = lower(header(obj, "Auto-Submitted")); !v.empty() && v != "no")
    return fmt::format("auto-reply (header Auto-Submitted: {})", v);
  if (auto v = lower(header(obj, "Precedence")); v == "bulk" || v == "junk" || v == "list" || v == "auto_reply")
    return fmt::format("automatic mail (header Precedence: {})", v);
  if (!header(obj, "X-Autoreply").empty()) return "auto-reply (header X-Autoreply)";
  if (!header(obj, "X-Autorespond").empty()) return "auto-reply (header X-Autorespond)";
  const auto local = m.from_address.substr(0, m.from_address.find('@'));
  if (local == "mailer-daemon" || local == "postmaster")
    return fmt::format("bounce (sender {})", m.from_address);
  GMimeObject* body = g_mime_message_get_mime_part(msg);
  if (body) {
    GMimeContentType* ct = g_mime_object_get_content_type(body);
    if (ct && g_mime_content_type_is_type(ct, "multipart", "report")) {
      const char* rt = g_mime_content_type_get_parameter(ct, "report-type");
      const auto type = lower(rt ? rt : "");
      if (type == "delivery-status") return "bounce (multipart/report; report-type=delivery-status)";
      if (type == "disposition-notification") return "read receipt (multipart/report; report-type=disposition-notification)";
      return fmt::format("automatic report (multipart/report; report-type={})", type.empty() ? "none" : type);
    }
  }
  return {};
}

}  // namespace

void ensure_gmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

std::string sha256_hex(std::string_view data) {
  gchar_ptr hex(g_compute_checksum_for_data(G_CHECKSUM_SHA256, reinterpret_cast<const guchar*>(data.data()),
                                            data.size()));
  return hex.str();
}

std::string synthesised_message_id(std::string_view raw) {
  return sha256_hex(raw).substr(0, 40) + "@reglament.invalid";
}

parsed_mail parse_mail(std::string_view raw) {
  ensure_gmime();
  parsed_mail out;
  warning_log warnings;
  GMimeParserOptions* options = g_mime_parser_options_new();
  static const char* fallback[] = {"UTF-8", "windows-1251", nullptr};
  g_mime_parser_options_set_fallback_charsets(options, fallback);
  g_mime_parser_options_set_warning_callback(options, on_warning, &warnings);

  gobject_ptr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
  gobject_ptr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  gobject_ptr<GMimeMessage> msg(g_mime_parser_construct_message(parser.get(), options));
  g_mime_parser_options_free(options);

  const auto malformed = [&](std::string why) {
    out.kind = parsed_mail::verdict::malformed;
    out.reason = std::move(why);
    if (out.message_id.empty()) {
      out.message_id = synthesised_message_id(raw);
      out.message_id_synthesised = true;
    }
    return out;
  };
  if (!msg.get()) return malformed("no RFC 5322 header block at the start of the message");
  GMimeObject* obj = GMIME_OBJECT(msg.get());

  if (const char* id = g_mime_message_get_message_id(msg.get()); id && *id && is_valid_utf8(id)) {
    out.message_id = id;
  } else {
    out.message_id = synthesised_message_id(raw);
    out.message_id_synthesised = true;
  }
  for (auto& id : parse_ids(header(obj, "References")))
    if (is_valid_utf8(id)) out.references.push_back(std::move(id));
  if (auto irt = parse_ids(header(obj, "In-Reply-To")); !irt.empty() && is_valid_utf8(irt.front())) {
    out.in_reply_to = irt.front();
    if (std::find(out.references.begin(), out.references.end(), irt.front()) == out.references.end())
      out.references.push_back(irt.front());
  }
  out.subject = trim(decode_header_text(raw_header(obj, "Subject")));
  static const std::regex tag_re(R"(\[#(\d{1,12})\])");
  if (std::smatch tag; std::regex_search(out.subject, tag, tag_re)) out.case_tag = tag[1];

  InternetAddressList* from = g_mime_message_get_from(msg.get());
  for (int i = 0; from && i < internet_address_list_length(from); ++i) {
    InternetAddress* a = internet_address_list_get_address(from, i);
    if (!INTERNET_ADDRESS_IS_MAILBOX(a)) continue;
    const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
    if (!addr || !std::strchr(addr, '@') || !is_valid_utf8(addr)) continue;
    out.from_address = lower(addr);
    if (const char* name = internet_address_get_name(a)) out.from_name = trim(readable(name));
    // GMime's own decoding loses adjacent padded words; decode the name ourselves when
    // there is exactly one mailbox to take it from.
    if (internet_address_list_length(from) == 1)
      if (auto mine = display_name(raw_header(obj, "From")); !mine.empty()) out.from_name = mine;
    break;
  }

  if (!warnings.fatal.empty()) return malformed("malformed MIME: " + warnings.fatal.front());
  GMimeObject* body = g_mime_message_get_mime_part(msg.get());
  if (!body) return malformed("no body part after the header (byte " +
                              std::to_string(g_mime_parser_get_headers_end(parser.get())) + ")");
  if (GMIME_IS_MULTIPART(body) && g_mime_multipart_get_count(GMIME_MULTIPART(body)) == 0) {
    const char* b = g_mime_multipart_get_boundary(GMIME_MULTIPART(body));
    return malformed(fmt::format("malformed MIME: {} has no parts (boundary \"{}\" never found in the body)",
                                 mime_type(body), b ? b : ""));
  }
  if (out.from_address.empty()) {
    const auto raw_from = header(obj, "From");
    return malformed(raw_from.empty() ? std::string("header From: missing")
                                      : fmt::format("header From: no address in \"{}\"", raw_from));
  }

  if (auto why = automatic_reason(msg.get(), out); !why.empty()) {
    out.kind = parsed_mail::verdict::ignored;
    out.reason = std::move(why);
    return out;
  }

  walker w{out};
  w.walk(body);
  out.original = w.plain;
  while (!out.original.empty() && (out.original.back() == '\n' || out.original.back() == ' ')) out.original.pop_back();
  out.text = strip_quotes_and_signature(w.plain);
  // Every part was decoded to UTF-8 on its own; this holds the whole to it.
  out.subject = readable(out.subject);
  out.from_name = readable(out.from_name);
  out.original = readable(out.original);
  out.text = readable(out.text);
  for (auto& m : warnings.minor) out.notes.push_back("MIME: " + m);
  return out;
}

}  // namespace reglament::email
