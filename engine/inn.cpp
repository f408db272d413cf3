#include "engine/inn.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <span>

namespace reglament {
namespace {

// The check digit over digits[0..weights.size()): the weighted sum mod 11, then mod 10.
int check_digit(std::string_view digits, std::span<const int> weights) {
  int sum = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) sum += (digits[i] - '0') * weights[i];
  return sum % 11 % 10;
}

constexpr std::array<int, 9> legal_weights{2, 4, 10, 3, 5, 9, 4, 6, 8};
constexpr std::array<int, 10> person_weights_11{7, 2, 4, 10, 3, 5, 9, 4, 6, 8};
constexpr std::array<int, 11> person_weights_12{3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8};

}  // namespace

std::optional<std::string> inn_problem(std::string_view inn) {
  if (inn.empty()) return "INN is empty: expected 10 digits (company) or 12 (individual)";
  if (!std::all_of(inn.begin(), inn.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
    return fmt::format("INN {}: expected digits only", inn);
  if (inn.size() != 10 && inn.size() != 12)
    return fmt::format("INN {}: {} digits, expected 10 (company) or 12 (individual)", inn, inn.size());
  auto mismatch = [&](std::size_t at, int expected) -> std::optional<std::string> {
    if (inn[at] - '0' == expected) return std::nullopt;
    return fmt::format("INN {}: check digit {} expected {}", inn, inn[at], expected);
  };
  if (inn.size() == 10) return mismatch(9, check_digit(inn, legal_weights));
  if (auto p = mismatch(10, check_digit(inn, person_weights_11))) return p;
  return mismatch(11, check_digit(inn, person_weights_12));
}

}  // namespace reglament
