// A message template: literal text with {{variable}} holes, parsed once at load time.
// Rendering inserts values as plain text and never parses them again, so a client's
// words cannot act as a template. Immutable; safe to share between threads.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace reglament {

class message_template {
 public:
  struct part {
    bool is_variable = false;
    std::string text;  // literal text, or the variable name as written
    int offset = 0;    // byte offset of the part in the source text
  };

  message_template() = default;

  // nullopt with `error` when braces do not match or a name is empty.
  static std::optional<message_template> parse(std::string_view text, std::string* error = nullptr);

  // `value` returns nullopt for an unknown name; the hole is then kept as "{{name}}"
  // so a mistake shows instead of vanishing.
  using lookup = std::function<std::optional<std::string>(std::string_view name)>;
  std::string render(const lookup& value) const;

  const std::vector<part>& parts() const { return parts_; }
  const std::string& source() const { return source_; }
  bool empty() const { return source_.empty(); }

 private:
  std::vector<part> parts_;
  std::string source_;
};

// Canonical English name for a built-in Russian alias ("приветствие" -> "greeting");
// returns the input when it is not an alias.
std::string_view canonical_variable(std::string_view name);

// Names every template may use without declaring them.
bool is_builtin_variable(std::string_view canonical_name);

}  // namespace reglament
