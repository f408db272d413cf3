#include "engine/message_template.hpp"

#include <array>
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

constexpr std::array<std::pair<std::string_view, std::string_view>, 20> aliases{{
    {"приветствие", "greeting"}, {"обращение", "address"}, {"клиент", "client"},
    {"менеджер", "manager"},     {"номер", "case_no"},     {"услуга", "service"},
    {"стоимость", "price"},      {"срок", "deadline"},     {"остаток", "quota_left"},
    {"лимит", "quota_limit"},    {"срочная_стоимость", "urgent_price"},
    {"надбавка_за_срочность", "urgent_surcharge"},
    {"номер_счёта", "invoice_no"}, {"номер_счета", "invoice_no"},
    {"сумма_счёта", "invoice_amount"}, {"сумма_счета", "invoice_amount"},
    {"срок_оплаты", "invoice_due"}, {"оплачено", "invoice_paid"},
    {"цена_по_прайсу", "list_price"}, {"минимальная_цена", "min_price"},
}};

}  // namespace

std::optional<message_template> message_template::parse(std::string_view text, std::string* error) {
  message_template t;
  t.source_ = std::string(text);
  std::size_t i = 0, literal_start = 0;
  auto flush_literal = [&](std::size_t end) {
    if (end > literal_start)
      t.parts_.push_back({false, std::string(text.substr(literal_start, end - literal_start)),
                          static_cast<int>(literal_start)});
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
    t.parts_.push_back({true, std::string(name), static_cast<int>(i)});
    i = close + 2;
    literal_start = i;
  }
  flush_literal(text.size());
  return t;
}

std::string message_template::render(const lookup& value) const {
  std::string out;
  for (const auto& p : parts_) {
    if (!p.is_variable) {
      out += p.text;
      continue;
    }
    // The lookup sees the canonical name, so "{{стоимость}}" and "{{price}}" agree.
    std::optional<std::string> v = value ? value(canonical_variable(p.text)) : std::nullopt;
    out += v ? *v : "{{" + p.text + "}}";
  }
  return out;
}

std::string_view canonical_variable(std::string_view name) {
  for (const auto& [alias, canonical] : aliases)
    if (alias == name) return canonical;
  return name;
}

bool is_builtin_variable(std::string_view canonical_name) {
  for (const auto& a : aliases)
    if (a.second == canonical_name) return true;
  for (std::string_view extra : {"client_text", "tariff", "invoice_no", "amount", "unit", "urgent_within",
                                   "invoice_amount", "invoice_due", "invoice_paid", "invoice_status",
                                   "list_price", "min_price", "paid"})
    if (extra == canonical_name) return true;
  return false;
}

}  // namespace reglament
