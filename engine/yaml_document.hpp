// A YAML document read into a compact, immutable tree: the scalars, sequences and
// mappings of the first document in a text, in source order, each with the line and
// column where it starts. libyaml's event parser feeds one vector of nodes; an alias is
// the node its anchor names (shared, not copied). Building does not recurse, so nesting
// is bounded by memory only.
// A const yaml_document may be read from several threads. A yaml_node is a handle into
// its document: valid while the document lives (moving the document keeps it valid).
// Not a YAML library: no emitter, no schema. Scalars stay text; what counts as null and
// as a boolean follows yaml-cpp, which read playbooks before, so they read the same.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace reglament {

// 1-based; the column counts bytes (as yaml-cpp did and as diagnostics report it).
// {0, 0} is nowhere: an absent node, or the root of a text without a document.
struct yaml_mark {
  int line = 0;
  int column = 0;
};

enum class yaml_kind : std::uint8_t { null, scalar, sequence, mapping };

// How a scalar was written: `5` and `"5"` are the same text in different styles.
enum class yaml_style : std::uint8_t { plain, single_quoted, double_quoted, literal, folded };

struct yaml_error {
  yaml_mark mark;
  std::string message;  // libyaml's problem (English, as yaml-cpp's were), or ours
};

namespace detail {
struct yaml_tree;
}

class yaml_node {
 public:
  struct entry;
  template <class Value>
  class iterator;
  template <class Value>
  struct range;

  yaml_node() = default;  // absent: what looking up a missing key gives

  // Present: a node of the document, null included (`key:` with no value is present).
  explicit operator bool() const { return tree_ != nullptr; }
  yaml_kind kind() const;  // REQUIRES: present
  bool is_null() const { return tree_ && kind() == yaml_kind::null; }
  bool is_scalar() const { return tree_ && kind() == yaml_kind::scalar; }
  bool is_sequence() const { return tree_ && kind() == yaml_kind::sequence; }
  bool is_map() const { return tree_ && kind() == yaml_kind::mapping; }

  // A scalar's text, escapes and folding applied; empty for any other node.
  std::string_view text() const;
  yaml_style style() const;  // plain for anything but a scalar
  // The tag as libyaml resolves it ("tag:yaml.org,2002:str" for `!!str`); empty when
  // the node has none. A plain `~` is null only without a tag, as in yaml-cpp.
  std::string_view tag() const;
  yaml_mark mark() const;

  // Items of a sequence, entries of a mapping, 0 for anything else.
  std::size_t size() const;
  // The value of the first entry whose key is the scalar `key`; absent when there is
  // none or this is not a mapping.
  yaml_node operator[](std::string_view key) const;

  // `for (auto item : seq.items())`, `for (auto [key, value] : map.entries())`; empty
  // ranges for other kinds.
  range<yaml_node> items() const;
  range<entry> entries() const;

  // yaml-cpp's boolean: y/yes/true/on and n/no/false/off, in lower case, upper case or
  // capitalised (`True`, `TRUE`, not `tRue`), in any scalar style. nullopt otherwise.
  std::optional<bool> as_bool() const;

 private:
  friend class yaml_document;
  yaml_node(const detail::yaml_tree* tree, std::uint32_t index) : tree_(tree), index_(index) {}
  template <class Value>
  range<Value> children(yaml_kind kind) const;
  const detail::yaml_tree* tree_ = nullptr;
  std::uint32_t index_ = 0;
};

struct yaml_node::entry {
  yaml_node key;
  yaml_node value;
};

// Walks a container's children: one per item, two (key, value) per entry.
template <class Value>
class yaml_node::iterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = Value;
  using difference_type = std::ptrdiff_t;
  using pointer = void;
  using reference = Value;

  iterator() = default;
  iterator(const detail::yaml_tree* tree, const std::uint32_t* at) : tree_(tree), at_(at) {}
  Value operator*() const {
    if constexpr (stride == 1) return yaml_node(tree_, *at_);
    else return {{tree_, at_[0]}, {tree_, at_[1]}};
  }
  iterator& operator++() {
    at_ += stride;
    return *this;
  }
  iterator operator++(int) {
    auto was = *this;
    at_ += stride;
    return was;
  }
  bool operator==(const iterator& other) const { return at_ == other.at_; }

 private:
  static constexpr int stride = std::is_same_v<Value, entry> ? 2 : 1;
  const detail::yaml_tree* tree_ = nullptr;
  const std::uint32_t* at_ = nullptr;
};

template <class Value>
struct yaml_node::range {
  iterator<Value> first, last;
  iterator<Value> begin() const { return first; }
  iterator<Value> end() const { return last; }
};

class yaml_document {
 public:
  // Parses the first document of `text` (UTF-8; later documents are ignored, as
  // yaml-cpp's Load did). nullopt with `*error` set on a syntax error, an alias to an
  // unknown anchor or to a node that contains it, or invalid UTF-8.
  static std::optional<yaml_document> parse(std::string_view text, yaml_error* error);

  // The document's top node: a null without a mark for a text with no document.
  yaml_node root() const;

  yaml_document(yaml_document&&) noexcept;
  yaml_document& operator=(yaml_document&&) noexcept;
  ~yaml_document();

 private:
  yaml_document();
  std::unique_ptr<detail::yaml_tree> tree_;
};

}  // namespace reglament
