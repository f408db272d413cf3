#include "adapters/email/mail_text.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace reglament::email {
namespace {

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

struct named_entity {
  const char* name;
  std::uint32_t cp;
};
// The entities mail programs actually write; others are left as they are.
constexpr std::array<named_entity, 34> entities{{
    {"nbsp", ' '},      {"amp", '&'},       {"lt", '<'},        {"gt", '>'},        {"quot", '"'},
    {"apos", '\''},     {"laquo", 0xAB},    {"raquo", 0xBB},    {"mdash", 0x2014},  {"ndash", 0x2013},
    {"hellip", 0x2026}, {"copy", 0xA9},     {"reg", 0xAE},      {"trade", 0x2122},  {"rsquo", 0x2019},
    {"lsquo", 0x2018},  {"ldquo", 0x201C},  {"rdquo", 0x201D},  {"bdquo", 0x201E},  {"bull", 0x2022},
    {"middot", 0xB7},   {"euro", 0x20AC},   {"deg", 0xB0},      {"times", 0xD7},    {"minus", 0x2212},
    {"numero", 0x2116}, {"sect", 0xA7},     {"shy", 0xAD},      {"zwnj", 0x200C},   {"zwj", 0x200D},
    {"thinsp", 0x2009}, {"ensp", 0x2002},   {"emsp", 0x2003},   {"laquo", 0xAB},
}};

// Decodes the entity at text[i] == '&'; appends it and returns the length consumed, or 0.
std::size_t decode_entity(std::string_view text, std::size_t i, std::string& out) {
  const auto semi = text.find(';', i);
  if (semi == std::string_view::npos || semi - i > 12) return 0;
  const auto body = text.substr(i + 1, semi - i - 1);
  if (body.empty()) return 0;
  if (body[0] == '#') {
    std::uint32_t cp = 0;
    const bool hex = body.size() > 1 && (body[1] == 'x' || body[1] == 'X');
    const auto digits = body.substr(hex ? 2 : 1);
    if (digits.empty()) return 0;
    for (char c : digits) {
      int d;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (hex && c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else if (hex && c >= 'A' && c <= 'F') d = c - 'A' + 10;
      else return 0;
      cp = cp * (hex ? 16 : 10) + d;
      if (cp > 0x10FFFF) return 0;
    }
    if (cp == 0xA0) cp = ' ';
    if (cp == 0xAD || cp == 0x200B || cp == 0x200C || cp == 0x200D || cp == 0xFEFF) return semi - i + 1;
    append_utf8(out, cp);
    return semi - i + 1;
  }
  for (const auto& e : entities) {
    if (body == e.name) {
      if (e.cp != 0xAD && e.cp != 0x200C && e.cp != 0x200D) append_utf8(out, e.cp);
      return semi - i + 1;
    }
  }
  return 0;
}

std::string lower_ascii(std::string_view s) {
  std::string r(s);
  for (auto& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Lower-cases ASCII and Cyrillic letters of UTF-8 text (enough to compare sign-offs).
std::string lower_utf8(std::string_view s) {
  std::string r;
  r.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0xD0 && i + 1 < s.size()) {
      const auto d = static_cast<unsigned char>(s[i + 1]);
      if (d >= 0x90 && d <= 0x9F) {  // А..П
        r += '\xD0';
        r += static_cast<char>(d + 0x20);
      } else if (d >= 0xA0 && d <= 0xAF) {  // Р..Я
        r += '\xD1';
        r += static_cast<char>(d - 0x20);
      } else if (d == 0x81) {  // Ё
        r += "\xD1\x91";
      } else {
        r += s[i];
        r += s[i + 1];
      }
      ++i;
    } else {
      r += static_cast<char>(std::tolower(c));
    }
  }
  return r;
}

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  // A non-breaking space in UTF-8 at either end counts as space too.
  std::string r(s.substr(b, e - b));
  while (r.size() >= 2 && r.compare(0, 2, "\xC2\xA0") == 0) r.erase(0, 2);
  while (r.size() >= 2 && r.compare(r.size() - 2, 2, "\xC2\xA0") == 0) r.erase(r.size() - 2);
  return r;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (;;) {
    const auto nl = text.find('\n', start);
    lines.emplace_back(text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return lines;
}

std::string join_lines(const std::vector<std::string>& lines, std::size_t end) {
  std::string out;
  for (std::size_t i = 0; i < end && i < lines.size(); ++i) {
    if (i) out += '\n';
    out += lines[i];
  }
  return out;
}

// Collapses runs of blank lines to one and trims blank lines at both ends.
std::string tidy_blank_lines(const std::string& text) {
  std::string out;
  int blank = 0;
  bool started = false;
  for (const auto& line : split_lines(text)) {
    if (trim(line).empty()) {
      ++blank;
      continue;
    }
    if (started) out += blank > 0 ? "\n\n" : "\n";
    out += line;
    started = true;
    blank = 0;
  }
  return out;
}

// "On Mon, 23 Nov 2026 at 10:00, Anna <anna@x.ru> wrote:" and its Russian forms.
bool is_attribution(std::string_view line) {
  const auto l = lower_utf8(trim(line));
  if (l.empty()) return false;
  if (ends_with(l, "wrote:") && (starts_with(l, "on ") || l.find('@') != std::string::npos)) return true;
  if (ends_with(l, "пишет:") || ends_with(l, "написал:") || ends_with(l, "написала:") ||
      ends_with(l, "написал(а):"))
    return true;
  // Gmail in Russian: "пн, 23 нояб. 2026 г. в 10:00, Анна <anna@x.ru>:".
  if (ends_with(l, ">:") && l.find('@') != std::string::npos && l.find(" г. в ") != std::string::npos) return true;
  return false;
}

bool is_original_message_rule(std::string_view line) {
  const auto l = lower_utf8(trim(line));
  if (!starts_with(l, "---")) return false;
  return l.find("original message") != std::string::npos || l.find("исходное сообщение") != std::string::npos ||
         l.find("оригинальное сообщение") != std::string::npos;
}

// Outlook's quoted header block: "From: …" then, within a few lines, "Sent:" or "Date:".
bool is_header_block(const std::vector<std::string>& lines, std::size_t i) {
  const auto l = lower_utf8(trim(lines[i]));
  if (!starts_with(l, "from:") && !starts_with(l, "от:")) return false;
  for (std::size_t j = i + 1; j < lines.size() && j <= i + 4; ++j) {
    const auto n = lower_utf8(trim(lines[j]));
    if (starts_with(n, "sent:") || starts_with(n, "date:") || starts_with(n, "отправлено:") ||
        starts_with(n, "дата:"))
      return true;
  }
  return false;
}

bool is_signature_rule(std::string_view line) {
  return line == "-- " || line == "--";
}

bool is_device_footer(std::string_view line) {
  const auto l = lower_utf8(trim(line));
  return starts_with(l, "sent from my ") || starts_with(l, "отправлено с iphone") ||
         starts_with(l, "отправлено с android") || starts_with(l, "отправлено из мобильной") ||
         starts_with(l, "отправлено из приложения") || starts_with(l, "get outlook for");
}

// A short closing line: the phrase, then nothing, or punctuation and a short name.
bool is_sign_off(std::string_view line) {
  static const char* phrases[] = {"с уважением",     "с наилучшими пожеланиями", "с благодарностью и уважением",
                                  "всего доброго",   "всего хорошего",           "best regards",
                                  "kind regards",    "warm regards",             "regards",
                                  "с уважением и наилучшими пожеланиями"};
  const auto l = lower_utf8(trim(line));
  for (const char* p : phrases) {
    const std::string_view ph(p);
    if (!starts_with(l, ph)) continue;
    auto rest = std::string_view(l).substr(ph.size());
    if (rest.empty()) return true;
    if (rest[0] != ',' && rest[0] != '.' && rest[0] != '!') continue;
    rest.remove_prefix(1);
    // "С уважением, Анна Петрова" is a sign-off; "С уважением, прошу выставить счёт за …" is not.
    return trim(rest).size() <= 60 && rest.find(',') == std::string_view::npos;
  }
  return false;
}

}  // namespace

std::string normalize_lines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      if (i + 1 < text.size() && text[i + 1] == '\n') continue;
      out += '\n';
    } else {
      out += text[i];
    }
  }
  std::string trimmed;
  trimmed.reserve(out.size());
  for (const auto& line : split_lines(out)) {
    auto e = line.size();
    while (e > 0 && (line[e - 1] == ' ' || line[e - 1] == '\t')) --e;
    // Keep the signature separator's space: "-- " is how it is recognised.
    if (line == "-- ") e = 3;
    trimmed.append(line, 0, e);
    trimmed += '\n';
  }
  if (!trimmed.empty()) trimmed.pop_back();
  return trimmed;
}

std::string html_to_text(std::string_view html) {
  std::string out;
  out.reserve(html.size());
  bool pending_space = false;
  auto newline = [&](int n) {
    pending_space = false;
    int have = 0;
    for (auto it = out.rbegin(); it != out.rend() && *it == '\n'; ++it) ++have;
    if (out.empty()) return;
    for (; have < n; ++have) out += '\n';
  };
  std::size_t i = 0;
  while (i < html.size()) {
    const char c = html[i];
    if (c == '<') {
      if (html.compare(i, 4, "<!--") == 0) {
        const auto end = html.find("-->", i + 4);
        i = end == std::string_view::npos ? html.size() : end + 3;
        continue;
      }
      const auto close = html.find('>', i);
      if (close == std::string_view::npos) break;
      auto tag = html.substr(i + 1, close - i - 1);
      const bool closing = !tag.empty() && tag[0] == '/';
      if (closing) tag.remove_prefix(1);
      std::size_t n = 0;
      while (n < tag.size() && (std::isalnum(static_cast<unsigned char>(tag[n])))) ++n;
      const auto name = lower_ascii(tag.substr(0, n));
      i = close + 1;
      if (!closing && (name == "script" || name == "style" || name == "head" || name == "title")) {
        const auto end = lower_ascii(html.substr(i)).find("</" + name);
        if (end == std::string::npos) {
          i = html.size();
        } else {
          const auto gt = html.find('>', i + end);
          i = gt == std::string_view::npos ? html.size() : gt + 1;
        }
        continue;
      }
      if (name == "br") {
        pending_space = false;
        out += '\n';
      } else if (name == "p" || name == "div" || name == "blockquote" || name == "table" || name == "ul" ||
                 name == "ol" || name == "h1" || name == "h2" || name == "h3" || name == "h4" || name == "h5" ||
                 name == "h6" || name == "hr" || name == "pre") {
        newline(2);
      } else if (name == "li") {
        newline(1);
        if (!closing) out += "• ";
      } else if (name == "tr") {
        newline(1);
      } else if (name == "td" || name == "th") {
        if (!closing && !out.empty() && out.back() != '\n') out += '\t';
      }
      continue;
    }
    if (is_space(c)) {
      pending_space = true;
      ++i;
      continue;
    }
    if (pending_space && !out.empty() && out.back() != '\n' && out.back() != '\t') out += ' ';
    pending_space = false;
    if (c == '&') {
      if (auto used = decode_entity(html, i, out)) {
        i += used;
        continue;
      }
    }
    out += c;
    ++i;
  }
  // Lines trimmed, blank runs collapsed.
  std::string lines;
  for (const auto& line : split_lines(out)) {
    lines += trim(line);
    lines += '\n';
  }
  return tidy_blank_lines(lines);
}

std::string strip_quotes_and_signature(std::string_view text) {
  const auto normalized = normalize_lines(text);
  auto lines = split_lines(normalized);
  std::size_t cut = lines.size();
  for (std::size_t i = 0; i < lines.size() && cut == lines.size(); ++i) {
    const auto& line = lines[i];
    if (is_signature_rule(line) || is_original_message_rule(line) || is_header_block(lines, i) ||
        is_device_footer(line)) {
      cut = i;
    } else if (is_attribution(line)) {
      cut = i;
    } else if (i + 1 < lines.size() && starts_with(lower_utf8(trim(line)), "on ") && is_attribution(lines[i + 1]) &&
               !trim(lines[i + 1]).empty()) {
      cut = i;  // "On Mon, 23 Nov 2026 at 10:00, Anna Petrova" / "<anna@x.ru> wrote:"
    }
  }
  // A sign-off near the end (at most six lines of name, position, phone after it).
  for (std::size_t i = 1; i < cut; ++i) {
    if (!is_sign_off(lines[i])) continue;
    std::size_t after = 0;
    for (std::size_t j = i + 1; j < cut; ++j)
      if (!trim(lines[j]).empty()) ++after;
    bool before = false;
    for (std::size_t j = 0; j < i; ++j)
      if (!trim(lines[j]).empty()) before = true;
    if (before && after <= 6) {
      cut = i;
      break;
    }
  }
  std::vector<std::string> kept;
  for (std::size_t i = 0; i < cut; ++i) {
    const auto t = trim(lines[i]);
    if (starts_with(t, ">")) continue;
    kept.push_back(lines[i]);
  }
  auto result = tidy_blank_lines(join_lines(kept, kept.size()));
  if (result.empty()) return tidy_blank_lines(normalized);
  return result;
}

}  // namespace reglament::email
