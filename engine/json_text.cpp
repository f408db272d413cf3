#include "engine/json_text.hpp"

#include <unicode/utf8.h>

#include <charconv>

namespace reglament {

void append_json_string(std::string& out, std::string_view v) {
  const std::size_t start = out.size();
  out += '"';
  const auto* p = reinterpret_cast<const std::uint8_t*>(v.data());
  const auto n = static_cast<std::int32_t>(v.size());
  std::int32_t run = 0;  // bytes from here to `i` are copied as they are
  for (std::int32_t i = 0; i < n;) {
    const auto c = p[i];
    if (c >= 0x80) {  // checked as UTF-8 on the way: one pass over the text
      UChar32 cp;
      U8_NEXT(p, i, n, cp);
      if (cp < 0) {  // rare: nlohmann's own replacement rules
        out.resize(start);
        out += nlohmann::json(std::string(v)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        return;
      }
      continue;
    }
    ++i;
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(v.data() + run, static_cast<std::size_t>(i - 1 - run));
    run = i;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        static constexpr char hex[] = "0123456789abcdef";
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 15];
      }
    }
  }
  out.append(v.data() + run, static_cast<std::size_t>(n - run));
  out += '"';
}

void append_json_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_json(std::string& out, const nlohmann::json& j) {
  using t = nlohmann::json::value_t;
  switch (j.type()) {
    case t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, value] : j.get_ref<const nlohmann::json::object_t&>()) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, key);
        out += ':';
        append_json(out, value);
      }
      out += '}';
      return;
    }
    case t::array: {
      out += '[';
      bool first = true;
      for (const auto& value : j.get_ref<const nlohmann::json::array_t&>()) {
        if (!first) out += ',';
        first = false;
        append_json(out, value);
      }
      out += ']';
      return;
    }
    case t::string: append_json_string(out, j.get_ref<const std::string&>()); return;
    case t::boolean: out += j.get<bool>() ? "true" : "false"; return;
    case t::null: out += "null"; return;
    case t::number_integer: append_json_int(out, j.get<std::int64_t>()); return;
    case t::number_unsigned: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, j.get<std::uint64_t>());
      out.append(buf, r.ptr);
      return;
    }
    default:  // floats (nlohmann's shortest round-trip spelling), binary, discarded
      out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      return;
  }
}

std::string json_text(const nlohmann::json& j) {
  std::string out;
  out.reserve(256);
  append_json(out, j);
  return out;
}

}  // namespace reglament
