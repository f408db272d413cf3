// A small JSON object kept as one sorted vector of typed fields instead of a JSON tree:
// a fact's data and a case's variables. A message makes a dozen facts (a tariff check
// alone has twenty-one fields), each built, folded into the case state, written and
// dropped on the writer thread; as a tree that was a map node plus a heap string per
// field. Strings, integers, doubles, booleans and null are held as themselves; arrays and
// objects (a form's values, reply buttons, attachments) stay JSON. Keys are kept sorted
// byte-wise, as nlohmann's std::map keeps them, so the JSON text is byte for byte what
// the tree gave (the journal's rows and the stored states do not change).
#pragma once

#include <nlohmann/json.hpp>

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace reglament {

// One field's value. nlohmann::json holds only what the others cannot: arrays, objects,
// integers past int64.
using flat_value = std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, nlohmann::json>;

class flat_object {
 public:
  struct field {
    std::string key;
    flat_value v;

    template <class K, class V>
    field(K&& k, V&& val) : key(std::forward<K>(k)), v(make(std::forward<V>(val))) {}
    // A nested array or object written in braces: {"values", {{"inn", "7701"}}}.
    template <class K>
    field(K&& k, nlohmann::json val) : key(std::forward<K>(k)), v(from_json_value(std::move(val))) {}
    bool operator==(const field&) const = default;
  };

  flat_object() = default;
  // Keys in any order; a key given twice keeps its first value, as a JSON object's would.
  flat_object(std::initializer_list<field> fields);
  // From a JSON object (a journal row read back); anything else gives no fields.
  static flat_object from_json(const nlohmann::json& j);

  // Sets `key`, keeping the keys sorted; cheapest when keys come in increasing order.
  template <class V>
  void set(std::string_view key, V&& v) {
    if (fields_.empty() || sorts_before(fields_.back().key, key))
      fields_.emplace_back(key, std::forward<V>(v));  // built in place, no search
    else
      put(key, make(std::forward<V>(v)));
  }
  void reserve(std::size_t n) { fields_.reserve(n); }
  // Sets every field of `from` (its value wins on a key both have) in one merge: a batch
  // of keys that would each land mid-vector costs one pass instead of a shift per key.
  void merge(flat_object&& from);

  const flat_value* find(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  bool empty() const { return fields_.empty(); }
  std::size_t size() const { return fields_.size(); }
  auto begin() const { return fields_.begin(); }
  auto end() const { return fields_.end(); }

  // Typed reads: the value when the field is there and of that kind, else the default
  // (as nlohmann's value() gives, without throwing on a wrong kind).
  std::string_view text(std::string_view key) const { return text_of(find(key)); }     // "" if none
  std::optional<std::int64_t> integer(std::string_view key) const { return integer_of(find(key)); }  // truncated
  std::optional<double> number(std::string_view key) const { return number_of(find(key)); }
  bool flag(std::string_view key, bool otherwise) const;
  // The same reads of a value already found (null: none).
  static std::string_view text_of(const flat_value* v);
  static std::optional<std::int64_t> integer_of(const flat_value* v);
  static std::optional<double> number_of(const flat_value* v);
  // nlohmann-style reads for code that wants a copy or JSON.
  std::string value(std::string_view key, const char* otherwise) const;
  std::string value(std::string_view key, const std::string& otherwise) const { return value(key, otherwise.c_str()); }
  bool value(std::string_view key, bool otherwise) const { return flag(key, otherwise); }
  template <class I>
    requires(std::integral<I> && !std::same_as<I, bool>)
  I value(std::string_view key, I otherwise) const {
    auto v = integer(key);
    return v ? static_cast<I>(*v) : otherwise;
  }
  double value(std::string_view key, double otherwise) const { return number(key).value_or(otherwise); }
  nlohmann::json value(std::string_view key, const nlohmann::json& otherwise) const;  // any kind, as JSON
  nlohmann::json operator[](std::string_view key) const;  // null if there is none
  bool erase(std::string_view key);  // false if there was none

  nlohmann::json to_json() const;
  std::string dump() const;  // the JSON text, as json_text() spells the tree
  void append_json(std::string& out) const;

  friend bool operator==(const flat_object&, const flat_object&) = default;

  static nlohmann::json to_json(const flat_value& v);

 private:
  template <class V>
  static flat_value make(V&& v) {
    using T = std::remove_cvref_t<V>;
    if constexpr (std::is_same_v<T, flat_value>) {
      return std::forward<V>(v);
    } else if constexpr (std::is_same_v<T, nlohmann::json>) {
      return from_json_value(std::forward<V>(v));
    } else if constexpr (std::is_same_v<T, std::nullptr_t>) {
      return nullptr;
    } else if constexpr (std::is_same_v<T, bool>) {
      return v;
    } else if constexpr (std::is_integral_v<T>) {
      if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t))
        if (v > static_cast<T>(INT64_MAX)) return nlohmann::json(v);
      return static_cast<std::int64_t>(v);
    } else if constexpr (std::is_floating_point_v<T>) {
      return static_cast<double>(v);
    } else if constexpr (std::is_same_v<T, std::string>) {
      return std::forward<V>(v);
    } else if constexpr (std::is_convertible_v<V, std::string_view>) {
      return std::string(std::string_view(v));
    } else {
      return from_json_value(nlohmann::json(std::forward<V>(v)));
    }
  }
  // a < b, deciding on the first bytes where they differ there (keys built in order
  // mostly do) without a call to memcmp.
  static bool sorts_before(std::string_view a, std::string_view b) {
    if (!a.empty() && !b.empty() && a.front() != b.front())
      return static_cast<unsigned char>(a.front()) < static_cast<unsigned char>(b.front());
    return a < b;
  }
  static flat_value from_json_value(const nlohmann::json& j);
  static flat_value from_json_value(nlohmann::json&& j);
  void put(std::string_view key, flat_value v);

  std::vector<field> fields_;  // sorted by key, no key twice
};

// So a fact's data goes into JSON as an object: json j = f.data; {"data", f.data}.
void to_json(nlohmann::json& j, const flat_object& d);

}  // namespace reglament
