// Turning a client's mail body into the text a manager reads: HTML to plain text, and
// the quoted history and signature cut off. Pure functions on UTF-8 strings; thread-safe.
// They do not decode MIME (mime_parser.hpp does) and never fail: odd input gives a best
// effort, and cleaning that would leave nothing returns the input unchanged.
#pragma once

#include <string>
#include <string_view>

namespace reglament::email {

// HTML to text: tags removed, <script>/<style>/<head> dropped with their content, entities
// decoded (named common ones and numeric), block elements (p, div, br, li, tr, h1-h6,
// blockquote) become line or paragraph breaks, runs of spaces collapse, at most one empty
// line between paragraphs.
std::string html_to_text(std::string_view html);

// The new part of a reply: cuts from the first quoted-history marker ("> " lines, "On …
// wrote:", "-----Original Message-----", Outlook's "From:/Sent:" block and the Russian
// "… пишет:", "От: … Отправлено:" forms) and from the signature ("-- " line, "Sent from
// my iPhone"; a short Russian or English sign-off such as "С уважением," only near the
// end). Trailing blank lines go. If nothing is left, returns `text` trimmed.
std::string strip_quotes_and_signature(std::string_view text);

// Normalises line ends to \n and trims trailing spaces on each line.
std::string normalize_lines(std::string_view text);

}  // namespace reglament::email
