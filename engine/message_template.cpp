#include "engine/message_template.hpp"

#include <array>
#include <memory>
#include <utility>

namespace reglament {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return false;
}

constexpr std::array<std::pair<std::string_view, std::string_view>, 22> aliases{{
    {"приветствие", "greeting"}, {"обращение", "address"}, {"клиент", "client"},
    {"менеджер", "manager"},     {"номер", "case_no"},     {"услуга", "service"},
    {"стоимость", "price"},      {"срок", "deadline"},     {"остаток", "quota_left"},
    {"лимит", "quota_limit"},    {"срочная_стоимость", "urgent_price"},
    {"надбавка_за_срочность", "urgent_surcharge"},
    {"уверенность", "confidence"},
    {"подпись", "signature"},
    {"номер_счёта", "invoice_no"}, {"номер_счета", "invoice_no"},
    {"сумма_счёта", "invoice_amount"}, {"сумма_счета", "invoice_amount"},
    {"срок_оплаты", "invoice_due"}, {"оплачено", "invoice_paid"},
    {"цена_по_прайсу", "list_price"}, {"минимальная_цена", "min_price"},
}};

// "вы: Подтвердите | ты: Подтверди" (either order, "Вы:"/"Ты:" too) -> a form choice.
bool parse_form_choice(std::string_view body, message_template::part& out, std::string* error,
                       std::size_t offset) {
  auto bad = [&] {
    return fail(error, "выбор формы обращения (байт " + std::to_string(offset) +
                           "): ожидалось {{вы: текст для «Вы» | ты: текст для «ты»}}");
  };
  std::size_t bar = body.find('|');
  if (bar == std::string_view::npos || body.find('|', bar + 1) != std::string_view::npos) return bad();
  bool have_formal = false, have_informal = false;
  for (std::string_view side : {body.substr(0, bar), body.substr(bar + 1)}) {
    side = trim(side);
    std::size_t colon = side.find(':');
    if (colon == std::string_view::npos) return bad();
    std::string_view label = trim(side.substr(0, colon));
    std::string wording(trim(side.substr(colon + 1)));
    if ((label == "вы" || label == "Вы") && !have_formal) {
      have_formal = true;
      out.text = std::move(wording);
    } else if ((label == "ты" || label == "Ты") && !have_informal) {
      have_informal = true;
      out.informal = std::move(wording);
    } else {
      return bad();
    }
  }
  out.is_form_choice = true;
  out.offset = static_cast<int>(offset);
  return true;
}

}  // namespace

std::optional<message_template> message_template::parse(std::string_view text, std::string* error) {
  message_template t;
  t.source_ = std::string(text);
  std::size_t i = 0, literal_start = 0;
  auto flush_literal = [&](std::size_t end) {
    if (end > literal_start) {
      part literal;
      literal.text = std::string(text.substr(literal_start, end - literal_start));
      literal.offset = static_cast<int>(literal_start);
      t.parts_.push_back(std::move(literal));
    }
  };
  while (i < text.size()) {
    if (text.compare(i, 2, "}}") == 0) {
      fail(error, "«}}» без открывающей «{{» (байт " + std::to_string(i) + ")");
      return std::nullopt;
    }
    if (text.compare(i, 2, "{{") != 0) {
      ++i;
      continue;
    }
    std::size_t close = text.find("}}", i + 2);
    std::size_t reopen = text.find("{{", i + 2);
    if (close == std::string_view::npos || (reopen != std::string_view::npos && reopen < close)) {
      fail(error, "«{{» не закрыта «}}» (байт " + std::to_string(i) + ")");
      return std::nullopt;
    }
    std::string_view name = trim(text.substr(i + 2, close - i - 2));
    if (name.empty()) {
      fail(error, "пустое имя переменной в «{{}}» (байт " + std::to_string(i) + ")");
      return std::nullopt;
    }
    if (name.find_first_of("{}") != std::string_view::npos) {
      fail(error, "лишняя фигурная скобка в имени переменной (байт " + std::to_string(i) + ")");
      return std::nullopt;
    }
    flush_literal(i);
    if (name.find_first_of(":|") != std::string_view::npos) {
      part choice;
      if (!parse_form_choice(name, choice, error, i)) return std::nullopt;
      t.parts_.push_back(std::move(choice));
    } else {
      part variable;
      variable.is_variable = true;
      variable.text = std::string(name);
      variable.offset = static_cast<int>(i);
      if (auto canon = canonical_variable(name); canon != name) variable.alias_of = canon;
      t.parts_.push_back(std::move(variable));
    }
    i = close + 2;
    literal_start = i;
  }
  flush_literal(text.size());
  return t;
}

void message_template::set_variant(variant v, message_template text) {
  auto shared = std::make_shared<const message_template>(std::move(text));
  (v == variant::informal ? informal_ : english_) = std::move(shared);
}

const message_template* message_template::find_variant(variant v) const {
  return (v == variant::informal ? informal_ : english_).get();
}

bool message_template::has_form_choice() const {
  for (const auto& p : parts_)
    if (p.is_form_choice) return true;
  return false;
}

const message_template& message_template::for_audience(const audience& to) const {
  if (to.language == "en" && english_) return *english_;
  if (to.informal && informal_) return *informal_;
  return *this;
}

std::string_view canonical_variable(std::string_view name) {
  for (const auto& [alias, canonical] : aliases)
    if (alias == name) return canonical;
  return name;
}

bool is_builtin_variable(std::string_view canonical_name) {
  for (const auto& a : aliases)
    if (a.second == canonical_name) return true;
  for (std::string_view extra : {"client_text", "tariff", "invoice_no", "amount", "unit", "urgent_within", "matched", "corrected_from",
                                   "invoice_amount", "invoice_due", "invoice_paid", "invoice_status",
                                   "list_price", "min_price", "paid"})
    if (extra == canonical_name) return true;
  // SLA state the engine keeps per case: sla_KIND (state), sla_KIND_target, sla_KIND_due.
  for (std::string_view kind : {"sla_first_reply", "sla_idle", "sla_deadline"})
    if (canonical_name.starts_with(kind)) {
      auto rest = canonical_name.substr(kind.size());
      if (rest.empty() || rest == "_target" || rest == "_due") return true;
    }
  return false;
}

}  // namespace reglament
