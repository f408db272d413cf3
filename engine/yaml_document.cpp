#include "engine/yaml_document.hpp"

#include <yaml.h>

#include <cassert>
#include <limits>
#include <unordered_map>
#include <vector>

namespace reglament {

namespace detail {

struct yaml_node_data {
  yaml_kind kind;
  yaml_style style;
  std::uint32_t line, column;
  // A scalar's bytes in yaml_tree::text; a container's children in yaml_tree::children
  // (a mapping's as key, value, key, value, ...).
  std::uint32_t begin, size;
  std::uint32_t tag_begin, tag_size;  // in yaml_tree::text
};

struct yaml_tree {
  std::vector<yaml_node_data> nodes;
  std::vector<std::uint32_t> children;
  std::string text;
  std::uint32_t root = 0;
};

}  // namespace detail

namespace {

using detail::yaml_node_data;
using detail::yaml_tree;

// While a container is open its `size` says so: an alias to it would make a cycle.
constexpr std::uint32_t open_container = std::numeric_limits<std::uint32_t>::max();

std::size_t utf8_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xf0) return 4;
  if (lead >= 0xe0) return 3;
  if (lead >= 0xc0) return 2;
  return 1;
}

// libyaml counts characters; diagnostics count bytes, as yaml-cpp did. Marks arrive
// nearly in order, so a cursor walks the text once and a line's start is kept.
class byte_columns {
 public:
  explicit byte_columns(std::string_view text) : text_(text) {
    // libyaml reads UTF-16 when a UTF-16 byte order mark says so: count characters then.
    by_char_ = text.size() >= 2 && ((text[0] == '\xff' && text[1] == '\xfe') ||
                                    (text[0] == '\xfe' && text[1] == '\xff'));
    if (text.substr(0, 3) == "\xef\xbb\xbf") byte_ = 3;  // skipped before libyaml counts
  }

  yaml_mark operator()(const yaml_mark_t& m) {
    const int line = static_cast<int>(m.line) + 1;
    if (by_char_) return {line, static_cast<int>(m.column) + 1};
    if (m.line != line_) {
      line_ = m.line;
      line_start_ = byte_of(m.index - m.column);
    }
    return {line, static_cast<int>(byte_of(m.index) - line_start_) + 1};
  }

  // A byte offset (libyaml's reader errors give one) as a line and column.
  yaml_mark at_byte(std::size_t offset) const {
    offset = std::min(offset, text_.size());
    int line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < offset; ++i)
      if (text_[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    return {line, static_cast<int>(offset - line_start) + 1};
  }

 private:
  std::size_t byte_of(std::size_t char_index) {
    while (char_ < char_index && byte_ < text_.size()) {
      byte_ += utf8_length(static_cast<unsigned char>(text_[byte_]));
      ++char_;
    }
    while (char_ > char_index && byte_ > 0) {
      do --byte_;
      while (byte_ > 0 && (static_cast<unsigned char>(text_[byte_]) & 0xc0) == 0x80);
      --char_;
    }
    return std::min(byte_, text_.size());
  }

  std::string_view text_;
  bool by_char_ = false;
  std::size_t char_ = 0, byte_ = 0;
  std::size_t line_ = std::numeric_limits<std::size_t>::max(), line_start_ = 0;
};

// yaml-cpp's null: a plain, untagged `~`, `null`, `Null`, `NULL` or nothing.
bool is_null_text(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

yaml_style style_of(yaml_scalar_style_t s) {
  switch (s) {
    case YAML_SINGLE_QUOTED_SCALAR_STYLE: return yaml_style::single_quoted;
    case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return yaml_style::double_quoted;
    case YAML_LITERAL_SCALAR_STYLE: return yaml_style::literal;
    case YAML_FOLDED_SCALAR_STYLE: return yaml_style::folded;
    default: return yaml_style::plain;
  }
}

class parser {
 public:
  explicit parser(std::string_view text) {
    ok_ = yaml_parser_initialize(&p_) != 0;
    if (ok_)
      yaml_parser_set_input_string(&p_, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  }
  ~parser() {
    if (ok_) yaml_parser_delete(&p_);
  }
  parser(const parser&) = delete;
  parser& operator=(const parser&) = delete;

  bool ok() const { return ok_; }
  bool next(yaml_event_t& e) { return yaml_parser_parse(&p_, &e) != 0; }

  yaml_error error(byte_columns& columns) const {
    yaml_error err;
    err.message = p_.problem ? p_.problem : "не хватило памяти для разбора";
    if (p_.error == YAML_READER_ERROR) {
      err.mark = columns.at_byte(p_.problem_offset);
    } else {
      err.mark = columns(p_.problem_mark);
      if (p_.context) {
        const yaml_mark at = columns(p_.context_mark);
        err.message += " (" + std::string(p_.context) + " started at line " + std::to_string(at.line) +
                       ", column " + std::to_string(at.column) + ")";
      }
    }
    return err;
  }

 private:
  yaml_parser_t p_{};
  bool ok_ = false;
};

class event {
 public:
  event() = default;
  ~event() { yaml_event_delete(&e_); }
  event(const event&) = delete;
  event& operator=(const event&) = delete;
  yaml_event_t& get() { return e_; }

 private:
  yaml_event_t e_{};
};

class builder {
 public:
  builder(yaml_tree& tree, std::string_view text) : tree_(tree), columns_(text) {
    // Playbooks have a node per 11 to 30 bytes (the generated 2,000-step one: 11), and
    // their scalars take a little less than the text itself.
    tree_.nodes.reserve(text.size() / 8 + 1);
    tree_.text.reserve(text.size());
  }

  bool build(parser& p, yaml_error* error) {
    for (;;) {
      event ev;
      if (!p.next(ev.get())) return fail(error, p.error(columns_));
      yaml_event_t& e = ev.get();
      switch (e.type) {
        case YAML_STREAM_END_EVENT:
        case YAML_DOCUMENT_END_EVENT: return finish();  // the first document only, as yaml-cpp's Load
        case YAML_SCALAR_EVENT: {
          const auto& s = e.data.scalar;
          std::string_view value(reinterpret_cast<const char*>(s.value), s.length);
          const bool untagged = s.tag == nullptr;
          const bool null = s.style == YAML_PLAIN_SCALAR_STYLE && untagged && is_null_text(value);
          std::uint32_t index = add(null ? yaml_kind::null : yaml_kind::scalar, e, s.tag);
          yaml_node_data& n = tree_.nodes[index];
          n.style = style_of(s.style);
          if (!null) {
            n.begin = static_cast<std::uint32_t>(tree_.text.size());
            n.size = static_cast<std::uint32_t>(value.size());
            tree_.text.append(value);
          }
          anchor(s.anchor, index);
          attach(index);
          break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
          const bool sequence = e.type == YAML_SEQUENCE_START_EVENT;
          const yaml_char_t* tag = sequence ? e.data.sequence_start.tag : e.data.mapping_start.tag;
          std::uint32_t index = add(sequence ? yaml_kind::sequence : yaml_kind::mapping, e, tag);
          tree_.nodes[index].size = open_container;
          anchor(sequence ? e.data.sequence_start.anchor : e.data.mapping_start.anchor, index);
          attach(index);
          open_.push_back({index, scratch_.size()});
          break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: {
          assert(!open_.empty() && "libyaml ends only what it started");
          const auto [index, first] = open_.back();
          open_.pop_back();
          yaml_node_data& n = tree_.nodes[index];
          n.begin = static_cast<std::uint32_t>(tree_.children.size());
          n.size = static_cast<std::uint32_t>(scratch_.size() - first);
          tree_.children.insert(tree_.children.end(), scratch_.begin() + static_cast<std::ptrdiff_t>(first),
                                scratch_.end());
          scratch_.resize(first);
          break;
        }
        case YAML_ALIAS_EVENT: {
          const std::string name(reinterpret_cast<const char*>(e.data.alias.anchor));
          auto it = anchors_.find(name);
          if (it == anchors_.end())
            return fail(error, {columns_(e.start_mark), "ссылка *" + name + " на якорь, которого нет (ожидалось &" +
                                                            name + " раньше в тексте)"});
          if (is_open(tree_.nodes[it->second]))
            return fail(error, {columns_(e.start_mark), "ссылка *" + name + " внутри узла &" + name +
                                                            ", на который она ссылается (узел не может содержать себя)"});
          attach(it->second);
          break;
        }
        default: break;  // stream and document start
      }
    }
  }

 private:
  struct open_node {
    std::uint32_t index;
    std::size_t first_child;  // in scratch_
  };

  std::uint32_t add(yaml_kind kind, const yaml_event_t& e, const yaml_char_t* tag) {
    const yaml_mark m = columns_(e.start_mark);
    yaml_node_data n{kind, yaml_style::plain, static_cast<std::uint32_t>(m.line),
                     static_cast<std::uint32_t>(m.column), 0, 0, 0, 0};
    if (tag) {
      std::string_view t(reinterpret_cast<const char*>(tag));
      n.tag_begin = static_cast<std::uint32_t>(tree_.text.size());
      n.tag_size = static_cast<std::uint32_t>(t.size());
      tree_.text.append(t);
    }
    tree_.nodes.push_back(n);
    return static_cast<std::uint32_t>(tree_.nodes.size() - 1);
  }

  static bool is_open(const yaml_node_data& n) {
    return (n.kind == yaml_kind::sequence || n.kind == yaml_kind::mapping) && n.size == open_container;
  }

  void anchor(const yaml_char_t* name, std::uint32_t index) {
    if (name) anchors_[reinterpret_cast<const char*>(name)] = index;
  }

  void attach(std::uint32_t index) {
    if (open_.empty()) {
      if (!have_root_) tree_.root = index;
      have_root_ = true;
    } else {
      scratch_.push_back(index);
    }
  }

  bool finish() {
    if (!have_root_) {
      tree_.nodes.push_back({yaml_kind::null, yaml_style::plain, 0, 0, 0, 0, 0, 0});
      tree_.root = static_cast<std::uint32_t>(tree_.nodes.size() - 1);
    }
    return true;
  }

  static bool fail(yaml_error* error, yaml_error e) {
    if (error) *error = std::move(e);
    return false;
  }

  yaml_tree& tree_;
  byte_columns columns_;
  std::vector<open_node> open_;
  std::vector<std::uint32_t> scratch_;  // children of the open containers, innermost last
  std::unordered_map<std::string, std::uint32_t> anchors_;
  bool have_root_ = false;
};

// yaml-cpp's IsFlexibleCase: all lower case, or a capital then all lower or all upper.
bool flexible_case(std::string_view s) {
  auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  auto all = [](std::string_view t, auto is) {
    for (char c : t)
      if (!is(c)) return false;
    return true;
  };
  if (all(s, lower)) return true;
  return upper(s[0]) && (all(s.substr(1), lower) || all(s.substr(1), upper));
}

}  // namespace

yaml_kind yaml_node::kind() const {
  assert(tree_ && "kind() of an absent node");
  return tree_->nodes[index_].kind;
}

std::string_view yaml_node::text() const {
  if (!is_scalar()) return {};
  const auto& n = tree_->nodes[index_];
  return std::string_view(tree_->text).substr(n.begin, n.size);
}

yaml_style yaml_node::style() const { return tree_ ? tree_->nodes[index_].style : yaml_style::plain; }

std::string_view yaml_node::tag() const {
  if (!tree_) return {};
  const auto& n = tree_->nodes[index_];
  return std::string_view(tree_->text).substr(n.tag_begin, n.tag_size);
}

yaml_mark yaml_node::mark() const {
  if (!tree_) return {};
  const auto& n = tree_->nodes[index_];
  return {static_cast<int>(n.line), static_cast<int>(n.column)};
}

std::size_t yaml_node::size() const {
  if (is_sequence()) return tree_->nodes[index_].size;
  if (is_map()) return tree_->nodes[index_].size / 2;
  return 0;
}

yaml_node yaml_node::operator[](std::string_view key) const {
  for (auto [k, v] : entries())
    if (k.is_scalar() && k.text() == key) return v;
  return {};
}

// A container's children as a range of `Value`; empty unless the node is of `kind`.
template <class Value>
yaml_node::range<Value> yaml_node::children(yaml_kind kind) const {
  if (!tree_ || this->kind() != kind) return {};
  const auto& n = tree_->nodes[index_];
  const std::uint32_t* first = tree_->children.data() + n.begin;
  return {{tree_, first}, {tree_, first + n.size}};
}

yaml_node::range<yaml_node> yaml_node::items() const { return children<yaml_node>(yaml_kind::sequence); }

yaml_node::range<yaml_node::entry> yaml_node::entries() const { return children<entry>(yaml_kind::mapping); }

std::optional<bool> yaml_node::as_bool() const {
  if (!is_scalar()) return std::nullopt;
  std::string_view s = text();
  if (!flexible_case(s)) return std::nullopt;
  std::string lower(s);
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  if (lower == "y" || lower == "yes" || lower == "true" || lower == "on") return true;
  if (lower == "n" || lower == "no" || lower == "false" || lower == "off") return false;
  return std::nullopt;
}

yaml_document::yaml_document() : tree_(std::make_unique<detail::yaml_tree>()) {}
yaml_document::yaml_document(yaml_document&&) noexcept = default;
yaml_document& yaml_document::operator=(yaml_document&&) noexcept = default;
yaml_document::~yaml_document() = default;

std::optional<yaml_document> yaml_document::parse(std::string_view text, yaml_error* error) {
  // Nodes and children are fewer than the text's bytes; scalars and tags (`!!str` grows
  // to 21 bytes) stay well below 32-bit offsets under this bound.
  if (text.size() > std::numeric_limits<std::uint32_t>::max() / 8) {
    if (error) *error = {{}, "документ YAML больше 512 МБ"};
    return std::nullopt;
  }
  yaml_document doc;
  parser p(text);
  if (!p.ok()) {
    if (error) *error = {{}, "не хватило памяти для разбора"};
    return std::nullopt;
  }
  builder b(*doc.tree_, text);
  if (!b.build(p, error)) return std::nullopt;
  return doc;
}

yaml_node yaml_document::root() const { return {tree_.get(), tree_->root}; }

}  // namespace reglament
