#include "engine/flat_object.hpp"

#include "engine/json_text.hpp"

#include <algorithm>
#include <iterator>

namespace reglament {

namespace {

template <class Fields>
auto lower_bound_of(Fields& fields, std::string_view key) {
  return std::lower_bound(fields.begin(), fields.end(), key,
                          [](const auto& f, std::string_view k) { return std::string_view(f.key) < k; });
}

}  // namespace

flat_object::flat_object(std::initializer_list<field> fields) {
  fields_.reserve(fields.size());
  for (const auto& f : fields)
    if (!contains(f.key)) set(f.key, f.v);
}

flat_object flat_object::from_json(const nlohmann::json& j) {
  flat_object d;
  if (!j.is_object()) return d;
  d.fields_.reserve(j.size());
  for (const auto& [key, v] : j.items()) d.fields_.emplace_back(key, from_json_value(v));  // already sorted
  return d;
}

void flat_object::put(std::string_view key, flat_value v) {
  auto it = lower_bound_of(fields_, key);
  if (it != fields_.end() && it->key == key)
    it->v = std::move(v);
  else
    fields_.emplace(it, key, std::move(v));
}

void flat_object::merge(flat_object&& from) {
  if (fields_.empty()) {
    fields_ = std::move(from.fields_);
    return;
  }
  std::vector<field> out;
  out.reserve(fields_.size() + from.fields_.size());
  auto a = fields_.begin(), b = from.fields_.begin();
  while (a != fields_.end() && b != from.fields_.end()) {
    const int c = std::string_view(a->key).compare(b->key);
    if (c < 0) {
      out.push_back(std::move(*a++));
    } else {
      if (c == 0) ++a;  // the new value wins
      out.push_back(std::move(*b++));
    }
  }
  std::move(a, fields_.end(), std::back_inserter(out));
  std::move(b, from.fields_.end(), std::back_inserter(out));
  fields_ = std::move(out);
  from.fields_.clear();
}

const flat_value* flat_object::find(std::string_view key) const {
  // Equality, not order: in a small object a scan that looks at the lengths first compares
  // the bytes of one or two keys, where a binary search compares at every probe and its
  // branch goes either way each time.
  if (fields_.size() <= 24) {
    for (const auto& f : fields_)
      if (f.key.size() == key.size() && std::char_traits<char>::compare(f.key.data(), key.data(), key.size()) == 0)
        return &f.v;
    return nullptr;
  }
  auto it = lower_bound_of(fields_, key);
  return it != fields_.end() && it->key == key ? &it->v : nullptr;
}

std::string_view flat_object::text_of(const flat_value* v) {
  const auto* s = v ? std::get_if<std::string>(v) : nullptr;
  return s ? std::string_view(*s) : std::string_view();
}

std::optional<std::int64_t> flat_object::integer_of(const flat_value* v) {
  if (!v) return std::nullopt;
  if (const auto* i = std::get_if<std::int64_t>(v)) return *i;
  if (const auto* d = std::get_if<double>(v)) return static_cast<std::int64_t>(*d);
  if (const auto* j = std::get_if<nlohmann::json>(v); j && j->is_number()) return j->get<std::int64_t>();
  return std::nullopt;
}

std::optional<double> flat_object::number_of(const flat_value* v) {
  if (!v) return std::nullopt;
  if (const auto* i = std::get_if<std::int64_t>(v)) return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(v)) return *d;
  if (const auto* j = std::get_if<nlohmann::json>(v); j && j->is_number()) return j->get<double>();
  return std::nullopt;
}

bool flat_object::flag(std::string_view key, bool otherwise) const {
  const auto* v = find(key);
  const auto* b = v ? std::get_if<bool>(v) : nullptr;
  return b ? *b : otherwise;
}

std::string flat_object::value(std::string_view key, const char* otherwise) const {
  const auto* v = find(key);
  const auto* s = v ? std::get_if<std::string>(v) : nullptr;
  return s ? *s : std::string(otherwise);
}

nlohmann::json flat_object::value(std::string_view key, const nlohmann::json& otherwise) const {
  const auto* v = find(key);
  return v ? to_json(*v) : otherwise;
}

bool flat_object::erase(std::string_view key) {
  auto it = lower_bound_of(fields_, key);
  if (it == fields_.end() || it->key != key) return false;
  fields_.erase(it);
  return true;
}

nlohmann::json flat_object::operator[](std::string_view key) const {
  const auto* v = find(key);
  return v ? to_json(*v) : nlohmann::json();
}

nlohmann::json flat_object::to_json(const flat_value& v) {
  return std::visit(
      [](const auto& x) -> nlohmann::json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::nullptr_t>)
          return nullptr;
        else
          return x;
      },
      v);
}

nlohmann::json flat_object::to_json() const {
  nlohmann::json j(nlohmann::json::value_t::object);
  auto& o = j.get_ref<nlohmann::json::object_t&>();
  for (const auto& f : fields_) o.emplace_hint(o.end(), f.key, to_json(f.v));
  return j;
}

flat_value flat_object::from_json_value(const nlohmann::json& j) {
  using t = nlohmann::json::value_t;
  switch (j.type()) {
    case t::null: return nullptr;
    case t::boolean: return j.get<bool>();
    case t::number_integer: return j.get<std::int64_t>();
    case t::number_unsigned:
      if (j.get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX)) return j.get<std::int64_t>();
      return j;
    case t::number_float: return j.get<double>();
    case t::string: return j.get<std::string>();
    default: return j;
  }
}

flat_value flat_object::from_json_value(nlohmann::json&& j) {
  if (j.is_string()) return std::move(j.get_ref<std::string&>());
  if (j.is_structured()) return std::move(j);
  return from_json_value(static_cast<const nlohmann::json&>(j));
}

void flat_object::append_json(std::string& out) const {
  out += '{';
  bool first = true;
  for (const auto& f : fields_) {
    if (!first) out += ',';
    first = false;
    append_json_string(out, f.key);
    out += ':';
    std::visit(
        [&out](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::nullptr_t>)
            out += "null";
          else if constexpr (std::is_same_v<T, bool>)
            out += x ? "true" : "false";
          else if constexpr (std::is_same_v<T, std::int64_t>)
            append_json_int(out, x);
          else if constexpr (std::is_same_v<T, std::string>)
            append_json_string(out, x);
          else if constexpr (std::is_same_v<T, double>)
            reglament::append_json(out, nlohmann::json(x));  // nlohmann's spelling of a double
          else
            reglament::append_json(out, x);
        },
        f.v);
  }
  out += '}';
}

std::string flat_object::dump() const {
  std::string out;
  out.reserve(64);
  append_json(out);
  return out;
}

void to_json(nlohmann::json& j, const flat_object& d) { j = d.to_json(); }

}  // namespace reglament
