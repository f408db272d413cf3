// The Russian taxpayer number (ИНН): 10 digits for a legal entity, 12 for an individual
// or a sole trader, the last one or two digits being check digits over the others with
// the tax service's weights. Pure functions; safe from any thread. This checks the
// number's form only, not that the taxpayer exists.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace reglament {

// nullopt when `inn` is a well-formed INN; otherwise what is wrong, naming the number:
// "INN 7707083894: check digit 4 expected 3".
std::optional<std::string> inn_problem(std::string_view inn);

inline bool valid_inn(std::string_view inn) { return !inn_problem(inn); }

}  // namespace reglament
