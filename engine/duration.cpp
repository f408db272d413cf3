#include "engine/duration.hpp"

#include "engine/text.hpp"

#include <array>
#include <cctype>
#include <utility>

namespace reglament {

std::chrono::minutes duration::plain() const {
  switch (in) {
    case unit::minute: return std::chrono::minutes(count);
    case unit::hour: return std::chrono::hours(count);
    case unit::day: return std::chrono::hours(24 * count);
    case unit::week: return std::chrono::hours(24 * 7 * count);
  }
  return std::chrono::minutes(0);
}

namespace {

// Every spelling an owner may write, already folded to lower case. Russian needs the
// singular, the "2-4" form and the genitive plural (минута / минуты / минут).
struct unit_word {
  std::string_view word;
  duration::unit in;
};
constexpr std::array<unit_word, 40> unit_words{{
    {"минута", duration::unit::minute}, {"минуты", duration::unit::minute},
    {"минут", duration::unit::minute},  {"минуту", duration::unit::minute},
    {"мин", duration::unit::minute},    {"м", duration::unit::minute},
    {"m", duration::unit::minute},      {"min", duration::unit::minute},
    {"mins", duration::unit::minute},   {"minute", duration::unit::minute},
    {"minutes", duration::unit::minute},
    {"час", duration::unit::hour},      {"часа", duration::unit::hour},
    {"часов", duration::unit::hour},    {"ч", duration::unit::hour},
    {"h", duration::unit::hour},        {"hour", duration::unit::hour},
    {"hours", duration::unit::hour},
    {"день", duration::unit::day},      {"дня", duration::unit::day},
    {"дней", duration::unit::day},      {"д", duration::unit::day},
    {"сутки", duration::unit::day},     {"суток", duration::unit::day},
    {"d", duration::unit::day},         {"day", duration::unit::day},
    {"days", duration::unit::day},
    {"неделя", duration::unit::week},   {"недели", duration::unit::week},
    {"недель", duration::unit::week},   {"неделю", duration::unit::week},
    {"нед", duration::unit::week},      {"w", duration::unit::week},
    {"week", duration::unit::week},     {"weeks", duration::unit::week},
    {"wk", duration::unit::week},       {"мин.", duration::unit::minute},
    {"ч.", duration::unit::hour},       {"д.", duration::unit::day},
    {"нед.", duration::unit::week},
}};

constexpr std::array<std::string_view, 8> working_words{
    "рабочий", "рабочих", "рабочие", "рабочего", "рабочая", "рабочую", "working", "business"};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return false;
}

bool read_words(std::string_view rest, duration& d, std::string* error) {
  bool have_unit = false;
  std::size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && is_space(rest[i])) ++i;
    std::size_t start = i;
    while (i < rest.size() && !is_space(rest[i])) ++i;
    if (start == i) break;
    std::string word = fold_case(rest.substr(start, i - start));
    bool known = false;
    for (auto w : working_words)
      if (word == w) d.working = known = true;
    for (const auto& u : unit_words) {
      if (word != u.word) continue;
      if (have_unit) return fail(error, "единица времени указана дважды");
      d.in = u.in;
      have_unit = known = true;
    }
    if (!known)
      return fail(error, "непонятное слово «" + word +
                             "» (ожидалось: минут, часов, дней, недель, можно с «рабочих»)");
  }
  if (!have_unit)
    return fail(error, "не указана единица времени (ожидалось: минут, часов, дней или недель)");
  return true;
}

}  // namespace

std::optional<duration> parse_duration(std::string_view text, std::string* error) {
  duration d;
  std::size_t i = 0;
  while (i < text.size() && is_space(text[i])) ++i;
  std::size_t digits = i;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (digits == i) {
    fail(error, "срок должен начинаться с числа, например «2 рабочих дня» или «30 минут»");
    return std::nullopt;
  }
  if (i - digits > 9) {
    fail(error, "слишком большое число");
    return std::nullopt;
  }
  d.count = std::stol(std::string(text.substr(digits, i - digits)));
  if (i < text.size() && (text[i] == '.' || text[i] == ',')) {
    fail(error, "нужно целое число; вместо «1,5 часа» напишите «90 минут»");
    return std::nullopt;
  }
  if (!read_words(text.substr(i), d, error)) return std::nullopt;
  std::size_t end = text.size();
  while (end > 0 && is_space(text[end - 1])) --end;
  std::size_t begin = 0;
  while (begin < end && is_space(text[begin])) ++begin;
  d.text = std::string(text.substr(begin, end - begin));
  return d;
}

}  // namespace reglament
