#include "engine/expression.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

namespace reglament {

using nlohmann::json;

struct expression::node {
  enum class kind { literal, variable, unary, binary };
  kind k = kind::literal;
  json value;        // literal
  std::string name;  // variable name, or the operator ("+", "==", "and", "not", "neg")
  std::shared_ptr<const node> left, right;
};

namespace {

using node_ptr = std::shared_ptr<const expression::node>;

struct token {
  enum class kind { end, number, string, word, op, lparen, rparen } k = kind::end;
  std::string text;
  json value;
  int column = 1;  // 1-based, in characters
};

// Cyrillic letters are two-byte UTF-8 sequences led by 0xD0 or 0xD1.
bool is_cyrillic_lead(unsigned char c) { return c == 0xD0 || c == 0xD1; }
bool is_word_start(unsigned char c) {
  return std::isalpha(c) || c == '_' || is_cyrillic_lead(c);
}

class lexer {
 public:
  explicit lexer(std::string_view s) : s_(s) {}

  // Returns false with `error` set on a bad character or an unclosed string.
  bool next(token& t, std::string& error) {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) advance(1);
    t = token{};
    t.column = column_;
    if (i_ >= s_.size()) return true;
    unsigned char c = s_[i_];
    if (std::isdigit(c)) return number(t);
    if (c == '"' || c == '\'') return string(t, error);
    if (is_word_start(c)) {
      std::size_t start = i_;
      while (i_ < s_.size()) {
        unsigned char d = s_[i_];
        if (is_cyrillic_lead(d) && i_ + 1 < s_.size()) advance(2);
        else if (std::isalnum(d) || d == '_') advance(1);
        else break;
      }
      t.k = token::kind::word;
      t.text = std::string(s_.substr(start, i_ - start));
      return true;
    }
    if (c == '(' || c == ')') {
      t.k = c == '(' ? token::kind::lparen : token::kind::rparen;
      t.text = std::string(1, static_cast<char>(c));
      advance(1);
      return true;
    }
    static constexpr std::string_view two[] = {"==", "!=", "<=", ">=", "&&", "||"};
    for (auto op : two) {
      if (s_.substr(i_, 2) == op) {
        t.k = token::kind::op;
        t.text = op == "&&" ? "and" : op == "||" ? "or" : std::string(op);
        advance(2);
        return true;
      }
    }
    if (std::string_view("+-*/<>!=").find(static_cast<char>(c)) != std::string_view::npos) {
      t.k = token::kind::op;
      t.text = c == '!' ? "not" : c == '=' ? "==" : std::string(1, static_cast<char>(c));
      advance(1);
      return true;
    }
    error = "столбец " + std::to_string(column_) + ": непонятный символ «" +
            std::string(s_.substr(i_, (c & 0x80) ? 2 : 1)) + "»";
    return false;
  }

 private:
  // Columns count characters, not bytes, so they match what the owner sees.
  void advance(std::size_t bytes) {
    for (std::size_t k = 0; k < bytes && i_ < s_.size(); ++k, ++i_)
      if ((static_cast<unsigned char>(s_[i_]) & 0xC0) != 0x80) ++column_;
  }

  bool number(token& t) {
    std::size_t start = i_;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) advance(1);
    bool fraction = false;
    if (i_ + 1 < s_.size() && s_[i_] == '.' && std::isdigit(static_cast<unsigned char>(s_[i_ + 1]))) {
      fraction = true;
      advance(1);
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) advance(1);
    }
    std::string text(s_.substr(start, i_ - start));
    t.k = token::kind::number;
    t.text = text;
    if (fraction) t.value = std::strtod(text.c_str(), nullptr);
    else t.value = std::strtoll(text.c_str(), nullptr, 10);
    return true;
  }

  bool string(token& t, std::string& error) {
    char quote = s_[i_];
    int start_column = column_;
    advance(1);
    std::string out;
    while (i_ < s_.size() && s_[i_] != quote) {
      if (s_[i_] == '\\' && i_ + 1 < s_.size()) advance(1);
      out += s_[i_];
      advance(1);
    }
    if (i_ >= s_.size()) {
      error = "столбец " + std::to_string(start_column) + ": строка не закрыта кавычкой " + quote;
      return false;
    }
    advance(1);
    t.k = token::kind::string;
    t.value = out;
    t.text = out;
    return true;
  }

  std::string_view s_;
  std::size_t i_ = 0;
  int column_ = 1;
};

// Recursive descent, lowest precedence first: or, and, not, comparison, + -, * /, unary -.
// Nesting (brackets, not, unary minus) is bounded so that neither parsing nor evaluating
// can exhaust the stack; the length of a condition is bounded in expression::parse.
constexpr int max_nesting = 64;
constexpr std::size_t max_expression_bytes = 4096;

class parser {
 public:
  explicit parser(std::string_view text) : lex_(text) {}

  node_ptr parse(std::string& error) {
    if (!advance()) return fail(error);
    if (current_.k == token::kind::end) {
      error_ = "столбец 1: пустое выражение (ожидалось условие, например price > 0)";
      return fail(error);
    }
    node_ptr root = parse_or();
    if (!root) return fail(error);
    if (current_.k != token::kind::end) {
      expected("оператор или конец выражения");
      return fail(error);
    }
    error.clear();
    return root;
  }

  std::vector<std::string> variables;

 private:
  // Counts one level of nesting while alive; `ok` is false past max_nesting.
  struct nesting {
    explicit nesting(parser& p) : p_(p), ok(++p.depth_ <= max_nesting) {
      if (!ok && p.error_.empty())
        p.error_ = "столбец " + std::to_string(p.current_.column) + ": вложенность глубже " +
                   std::to_string(max_nesting) + " уровней (скобки, не, минус)";
    }
    ~nesting() { --p_.depth_; }
    parser& p_;
    const bool ok;
  };

  node_ptr fail(std::string& error) {
    error = error_;
    return nullptr;
  }

  bool advance() {
    std::string err;
    if (!lex_.next(current_, err)) {
      error_ = err;
      return false;
    }
    return true;
  }

  node_ptr expected(const std::string& what) {
    std::string got = current_.k == token::kind::end ? "конец выражения"
                      : current_.k == token::kind::string ? "строка \"" + current_.text + "\""
                                                          : "«" + current_.text + "»";
    if (error_.empty())
      error_ = "столбец " + std::to_string(current_.column) + ": ожидалось " + what +
               ", а встретилось " + got;
    return nullptr;
  }

  // Words that act as operators or constants in either language.
  bool is_word(std::initializer_list<std::string_view> words) const {
    if (current_.k != token::kind::word && current_.k != token::kind::op) return false;
    return std::find(words.begin(), words.end(), current_.text) != words.end();
  }

  static node_ptr binary(std::string op, node_ptr l, node_ptr r) {
    auto n = std::make_shared<expression::node>();
    n->k = expression::node::kind::binary;
    n->name = std::move(op);
    n->left = std::move(l);
    n->right = std::move(r);
    return n;
  }

  static node_ptr unary(std::string op, node_ptr operand) {
    auto n = std::make_shared<expression::node>();
    n->k = expression::node::kind::unary;
    n->name = std::move(op);
    n->left = std::move(operand);
    return n;
  }

  // One level of left-associative operators: next (op next)*. `name` replaces the
  // operator's spelling when several spellings mean one thing (or / или).
  node_ptr left_assoc(std::initializer_list<std::string_view> ops, node_ptr (parser::*next)(),
                      const char* name = nullptr) {
    node_ptr l = (this->*next)();
    while (l && is_word(ops)) {
      std::string op = name ? name : current_.text;
      if (!advance()) return nullptr;
      node_ptr r = (this->*next)();
      if (!r) return nullptr;
      l = binary(op, l, r);
    }
    return l;
  }

  node_ptr parse_or() { return left_assoc({"or", "или"}, &parser::parse_and, "or"); }
  node_ptr parse_and() { return left_assoc({"and", "и"}, &parser::parse_not, "and"); }

  node_ptr parse_not() {
    if (is_word({"not", "не"})) {
      nesting level(*this);
      if (!level.ok || !advance()) return nullptr;
      node_ptr operand = parse_not();
      return operand ? unary("not", operand) : nullptr;
    }
    return parse_comparison();
  }

  node_ptr parse_comparison() {
    node_ptr l = parse_sum();
    if (l && current_.k == token::kind::op &&
        (current_.text == "==" || current_.text == "!=" || current_.text == "<" ||
         current_.text == "<=" || current_.text == ">" || current_.text == ">=")) {
      std::string op = current_.text;
      if (!advance()) return nullptr;
      node_ptr r = parse_sum();
      if (!r) return nullptr;
      l = binary(op, l, r);
    }
    return l;
  }

  node_ptr parse_sum() { return left_assoc({"+", "-"}, &parser::parse_product); }
  node_ptr parse_product() { return left_assoc({"*", "/"}, &parser::parse_unary); }

  node_ptr parse_unary() {
    if (current_.k == token::kind::op && current_.text == "-") {
      nesting level(*this);
      if (!level.ok || !advance()) return nullptr;
      node_ptr operand = parse_unary();
      return operand ? unary("neg", operand) : nullptr;
    }
    return parse_primary();
  }

  node_ptr parse_primary() {
    auto n = std::make_shared<expression::node>();
    switch (current_.k) {
      case token::kind::number:
      case token::kind::string:
        n->value = current_.value;
        break;
      case token::kind::lparen: {
        nesting level(*this);
        if (!level.ok || !advance()) return nullptr;
        node_ptr inner = parse_or();
        if (!inner) return nullptr;
        if (current_.k != token::kind::rparen) return expected("закрывающая скобка «)»");
        if (!advance()) return nullptr;
        return inner;
      }
      case token::kind::word:
        if (is_word({"true", "да"})) {
          n->value = true;
        } else if (is_word({"false", "нет"})) {
          n->value = false;
        } else if (is_word({"and", "и", "or", "или", "not", "не"})) {
          return expected("значение или имя переменной");
        } else {
          n->k = expression::node::kind::variable;
          n->name = current_.text;
          if (std::find(variables.begin(), variables.end(), n->name) == variables.end())
            variables.push_back(n->name);
        }
        break;
      default:
        return expected("значение или имя переменной");
    }
    if (!advance()) return nullptr;
    return n;
  }

  lexer lex_;
  token current_;
  std::string error_;
  int depth_ = 0;
};

// A form fills text, so "5000" compares with 5000 as a number.
std::optional<double> as_number(const json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s.empty()) return std::nullopt;
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (end && *end == '\0') return d;
  }
  return std::nullopt;
}

std::string as_text(const json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

json number_result(double d) {
  if (!std::isfinite(d)) return nullptr;
  if (d == std::floor(d) && std::fabs(d) < 9e15) return static_cast<std::int64_t>(d);
  return d;
}

json arithmetic(const std::string& op, const json& l, const json& r) {
  // An unset variable counts as 0 next to a number and as "" next to text.
  json a = l.is_null() && (r.is_number() || r.is_null()) ? json(0) : l;
  json b = r.is_null() && (a.is_number()) ? json(0) : r;
  if (op == "+" && (a.is_string() || b.is_string()) && !(as_number(a) && as_number(b)))
    return as_text(a.is_null() ? json("") : a) + as_text(b.is_null() ? json("") : b);
  auto x = as_number(a), y = as_number(b);
  if (!x || !y || a.is_boolean() || b.is_boolean()) return nullptr;
  if (op == "+") return number_result(*x + *y);
  if (op == "-") return number_result(*x - *y);
  if (op == "*") return number_result(*x * *y);
  if (*y == 0) return nullptr;
  return number_result(*x / *y);
}

bool equal(const json& l, const json& r) {
  if (l.is_null() || r.is_null()) return as_text(l) == as_text(r);  // unset equals ""
  if (l.is_number() || r.is_number()) {
    auto x = as_number(l), y = as_number(r);
    return x && y && *x == *y;
  }
  if (l.is_boolean() && r.is_boolean()) return l.get<bool>() == r.get<bool>();
  if (l.is_string() && r.is_string()) return l.get_ref<const std::string&>() == r.get_ref<const std::string&>();
  return false;
}

json compare(const std::string& op, const json& l, const json& r) {
  if (op == "==") return equal(l, r);
  if (op == "!=") return !equal(l, r);
  int order = 0;
  auto x = as_number(l), y = as_number(r);
  if (x && y && (l.is_number() || r.is_number() || (l.is_string() && r.is_string()))) {
    order = *x < *y ? -1 : *x > *y ? 1 : 0;
  } else if (l.is_string() && r.is_string()) {
    order = l.get_ref<const std::string&>().compare(r.get_ref<const std::string&>());
  } else {
    return false;  // no order between unrelated types
  }
  if (op == "<") return order < 0;
  if (op == "<=") return order <= 0;
  if (op == ">") return order > 0;
  return order >= 0;
}

json eval(const expression::node& n, const expression::lookup& vars) {
  using kind = expression::node::kind;
  switch (n.k) {
    case kind::literal: return n.value;
    case kind::variable: return vars ? vars(n.name) : json();
    case kind::unary: {
      json v = eval(*n.left, vars);
      if (n.name == "not") return !is_truthy(v);
      auto x = as_number(v.is_null() ? json(0) : v);
      return x && !v.is_boolean() ? number_result(-*x) : json();
    }
    case kind::binary: {
      if (n.name == "and") return is_truthy(eval(*n.left, vars)) && is_truthy(eval(*n.right, vars));
      if (n.name == "or") return is_truthy(eval(*n.left, vars)) || is_truthy(eval(*n.right, vars));
      json l = eval(*n.left, vars), r = eval(*n.right, vars);
      if (n.name == "+" || n.name == "-" || n.name == "*" || n.name == "/")
        return arithmetic(n.name, l, r);
      return compare(n.name, l, r);
    }
  }
  return nullptr;
}

}  // namespace

std::optional<expression> expression::parse(std::string_view text, std::string* error) {
  if (text.size() > max_expression_bytes) {
    if (error)
      *error = "выражение длиннее " + std::to_string(max_expression_bytes) +
               " байт: разбейте условие на переменные или шаги";
    return std::nullopt;
  }
  parser p(text);
  std::string err;
  node_ptr root = p.parse(err);
  if (!root) {
    if (error) *error = err;
    return std::nullopt;
  }
  expression e;
  e.root_ = std::move(root);
  e.variables_ = std::move(p.variables);
  e.text_ = std::string(text);
  return e;
}

json expression::evaluate(const lookup& vars) const {
  return root_ ? eval(*root_, vars) : json();
}

bool expression::truthy(const lookup& vars) const { return is_truthy(evaluate(vars)); }

bool is_truthy(const json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string()) return !v.get_ref<const std::string&>().empty();
  return !v.empty();
}

}  // namespace reglament
