// A small expression language for playbook conditions and computed variables:
// numbers, strings, true/false (да/нет), variable names, + - * /, comparisons,
// and/or/not (и/или/не), parentheses. Parsed once at load time; evaluation has no
// side effects and never reads client text as code. Immutable; thread-safe to share.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace reglament {

class expression {
 public:
  struct node;

  // nullopt with `error` ("column 7: expected a value after '+'") on a syntax error.
  static std::optional<expression> parse(std::string_view text, std::string* error = nullptr);

  // Variable lookup: returns null json for an unset variable.
  using lookup = std::function<nlohmann::json(std::string_view name)>;

  // Evaluates to a json value (number, string, bool or null).
  // Type errors (e.g. "abc" * 2) evaluate to null rather than throwing.
  nlohmann::json evaluate(const lookup& vars) const;
  bool truthy(const lookup& vars) const;

  const std::vector<std::string>& variables() const { return variables_; }  // names read
  const std::string& text() const { return text_; }

 private:
  std::shared_ptr<const node> root_;
  std::vector<std::string> variables_;
  std::string text_;
};

bool is_truthy(const nlohmann::json& v);

}  // namespace reglament
