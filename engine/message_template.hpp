// A message template: literal text with {{variable}} holes and {{вы: … | ты: …}} form
// choices, parsed once at load time, plus optional whole variants for clients addressed
// as "ты" and for English-speaking clients. Rendering inserts values as plain text and
// never parses them again, so a client's words cannot act as a template. Immutable once
// loaded; safe to share between threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace reglament {

// Whom a message is for: picks the variant and the form choices. Default: Russian, "Вы".
struct audience {
  bool informal = false;         // the client is addressed as "ты"
  std::string language = "ru";   // "ru" or "en"
};

class message_template {
 public:
  struct part {
    bool is_variable = false;
    bool is_form_choice = false;  // {{вы: Подтвердите | ты: Подтверди}}
    std::string text;      // literal text, the variable name as written, or the "вы" wording
    std::string informal;  // the "ты" wording of a form choice
    int offset = 0;        // byte offset of the part in the source text
    // A variable's canonical name when it is written as an alias ("стоимость" -> "price"):
    // resolved once at parse time; empty when `text` is the canonical name already.
    std::string_view alias_of;

    std::string_view canonical() const { return alias_of.empty() ? std::string_view(text) : alias_of; }
  };

  // Whole alternative texts a message may carry besides its Russian "Вы" text.
  enum class variant { informal, english };

  message_template() = default;

  // nullopt with `error` when braces do not match, a name is empty or a form choice is
  // not `вы: … | ты: …`.
  static std::optional<message_template> parse(std::string_view text, std::string* error = nullptr);

  // Attaches a whole variant; the template keeps its own text as the "Вы" Russian one.
  void set_variant(variant v, message_template text);
  // nullptr when the message has no such variant.
  const message_template* find_variant(variant v) const;
  bool has_form_choice() const;

  // The text for `to`: English when the client reads English and the message has it,
  // else the "ты" variant for an informal client when there is one, else this one.
  const message_template& for_audience(const audience& to) const;

  // `value(name, out)` appends the value of the variable `name` to `out` and returns
  // true, or returns false for a name it does not know: the hole is then kept as
  // "{{name}}" so a mistake shows instead of vanishing. It is given canonical names, so
  // "{{стоимость}}" and "{{price}}" agree. Form choices take the wording for `to`.
  template <class Value>  // bool(std::string_view name, std::string& out)
  std::string render(Value&& value, const audience& to = {}) const;

  const std::vector<part>& parts() const { return parts_; }
  const std::string& source() const { return source_; }
  bool empty() const { return source_.empty(); }

 private:
  std::vector<part> parts_;
  std::string source_;
  // Shared, not copied: a template is copied with its step, and variants never change.
  std::shared_ptr<const message_template> informal_;
  std::shared_ptr<const message_template> english_;
};

template <class Value>
std::string message_template::render(Value&& value, const audience& to) const {
  const message_template& chosen = for_audience(to);
  std::string out;
  out.reserve(chosen.source_.size() + 64);
  for (const auto& p : chosen.parts_) {
    if (p.is_form_choice) {
      out += to.informal ? p.informal : p.text;
    } else if (!p.is_variable) {
      out += p.text;
    } else if (const auto mark = out.size(); !value(p.canonical(), out)) {
      out.resize(mark);
      out += "{{";
      out += p.text;
      out += "}}";
    }
  }
  return out;
}

// Canonical English name for a built-in Russian alias ("приветствие" -> "greeting");
// returns the input when it is not an alias.
std::string_view canonical_variable(std::string_view name);

// Names every template may use without declaring them.
bool is_builtin_variable(std::string_view canonical_name);

}  // namespace reglament
