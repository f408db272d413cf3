// Bytes in a declared charset to UTF-8, with a fallback for mail whose declaration is
// wrong or missing: windows-1251 or KOI8-R, told apart by letter case statistics.
// Thread-safe (iconv descriptors are per call). Never fails: the worst case keeps the
// bytes valid as UTF-8 with U+FFFD in place of what could not be read.
#pragma once

#include <string>
#include <string_view>

namespace reglament::email {

struct decoded_text {
  std::string text;     // UTF-8
  std::string charset;  // what was actually used
  std::string note;     // non-empty when the declaration was not followed, says why
};

decoded_text to_utf8(std::string_view bytes, std::string_view declared_charset);

bool is_valid_utf8(std::string_view s);

// Decodes an RFC 2047 header value ("=?utf-8?B?…?= =?utf-8?B?…?=") to UTF-8. Each encoded
// word is decoded on its own and adjacent words of one charset are joined as bytes (a
// letter split across two words survives); space between encoded words is dropped.
// Unencoded 8-bit text is read as UTF-8, else windows-1251 / KOI8-R. Folding is undone.
// GMime 3.2.13 loses everything after the first word when adjacent base64 words end in
// "=" padding (common: Outlook, Thunderbird), hence this decoder.
std::string decode_header_text(std::string_view raw);

}  // namespace reglament::email
