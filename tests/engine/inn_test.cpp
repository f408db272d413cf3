#include "engine/inn.hpp"

#include <catch2/catch.hpp>

using namespace reglament;

TEST_CASE("real companies' INNs pass the checksum", "[inn]") {
  for (auto inn : {"7707083893",    // ПАО Сбербанк
                   "7736207543",    // ООО «Яндекс»
                   "7830002293",    // ПАО «Ленэнерго»
                   "5260181598"})   // from the demo firm
    CHECK_FALSE(inn_problem(inn));
}

TEST_CASE("individuals' 12-digit INNs pass with both check digits", "[inn]") {
  for (auto inn : {"500100732259", "773370857141", "796030824605"}) CHECK_FALSE(inn_problem(inn));
}

TEST_CASE("a wrong 10-digit check digit is named with the expected one", "[inn]") {
  auto p = inn_problem("7707083894");
  REQUIRE(p);
  CHECK(*p == "INN 7707083894: check digit 4 expected 3");
  CHECK_FALSE(valid_inn("7707083894"));
}

TEST_CASE("12-digit INNs check the 11th digit, then the 12th", "[inn]") {
  auto eleventh = inn_problem("500100732269");
  REQUIRE(eleventh);
  CHECK(*eleventh == "INN 500100732269: check digit 6 expected 5");
  auto twelfth = inn_problem("500100732258");
  REQUIRE(twelfth);
  CHECK(*twelfth == "INN 500100732258: check digit 8 expected 9");
}

TEST_CASE("INNs of the wrong shape say what shape was expected", "[inn]") {
  CHECK(*inn_problem("") == "INN is empty: expected 10 digits (company) or 12 (individual)");
  CHECK(*inn_problem("77070838") == "INN 77070838: 8 digits, expected 10 (company) or 12 (individual)");
  CHECK(*inn_problem("77070838931") == "INN 77070838931: 11 digits, expected 10 (company) or 12 (individual)");
  CHECK(*inn_problem("7707 083893") == "INN 7707 083893: expected digits only");
  CHECK(*inn_problem("770708389З") == "INN 770708389З: expected digits only");
}
