#include "engine/client_index.hpp"

#include <catch2/catch.hpp>

using namespace reglament;

namespace {

client_def client(std::string id, std::vector<contact_def> contacts) {
  client_def c;
  c.info.id = std::move(id);
  c.info.name = "ООО «" + c.info.id + "»";
  c.contacts = std::move(contacts);
  return c;
}

}  // namespace

TEST_CASE("emails are folded and phones written +7XXXXXXXXXX", "[clients]") {
  CHECK(normalize_contact("email", " Anna@Romashka.RU ") == "anna@romashka.ru");
  CHECK(normalize_contact("phone", "8 (912) 345-67-89") == "+79123456789");
  CHECK(normalize_contact("phone", "+7 912 345 67 89") == "+79123456789");
  CHECK(normalize_contact("phone", "79123456789") == "+79123456789");
  CHECK(normalize_contact("phone", "912.345.67.89") == "+79123456789");
  CHECK(normalize_contact("telegram", " 100001 ") == "100001");
  CHECK(normalize_contact("telegram", "Anna_R") == "Anna_R");  // Telegram ids keep their case
}

TEST_CASE("contacts that cannot be stored say why", "[clients]") {
  CHECK_FALSE(contact_problem("email", "anna@romashka.ru"));
  CHECK_FALSE(contact_problem("phone", "8 912 345-67-89"));
  CHECK(*contact_problem("fax", "123") == "unknown channel 'fax' (known: email, telegram, webchat, api, phone)");
  CHECK(*contact_problem("email", "anna.romashka.ru") == "email anna.romashka.ru: expected an address like name@example.ru");
  CHECK(*contact_problem("phone", "12-34") == "phone 12-34: expected a Russian number like +7 912 345-67-89");
  CHECK(*contact_problem("phone", "+1 912 345 67 89") == "phone +1 912 345 67 89: expected a Russian number like +7 912 345-67-89");
  CHECK(*contact_problem("telegram", "  ") == "telegram: empty address");
}

TEST_CASE("the index finds clients by id and by any spelling of a contact", "[clients]") {
  client_index idx({client("vektor", {{"telegram", "100002"}}),
                    client("romashka", {{"telegram", "100001"}, {"email", "anna@romashka.ru"}, {"phone", "+79123456789"}})});
  CHECK(idx.find("romashka")->name == "ООО «romashka»");
  CHECK_FALSE(idx.find("nobody"));
  CHECK(idx.find_by_contact("email", "ANNA@romashka.ru")->id == "romashka");
  CHECK(idx.find_by_contact("phone", "8 912 345-67-89")->id == "romashka");
  CHECK_FALSE(idx.find_by_contact("telegram", "100003"));
  CHECK_FALSE(idx.find_by_contact("email", "100001"));  // the channel is part of the key
  CHECK(idx.owner_of("telegram", "100002") == "vektor");
  CHECK(idx.owner_of("telegram", "999") == "");
}

TEST_CASE("the preferred contact is the first email, else the first contact", "[clients]") {
  client_index idx({client("romashka", {{"telegram", "100001"}, {"email", "anna@romashka.ru"}}),
                    client("vektor", {{"telegram", "100002"}}), client("silent", {})});
  CHECK(idx.preferred_contact("romashka")->channel == "email");
  CHECK(idx.preferred_contact("vektor")->address == "100002");
  CHECK_FALSE(idx.preferred_contact("silent"));
  CHECK_FALSE(idx.preferred_contact("nobody"));
}

TEST_CASE("all() lists clients in id order", "[clients]") {
  client_index idx({client("b", {}), client("c", {}), client("a", {})});
  auto all = idx.all();
  REQUIRE(all.size() == 3);
  CHECK(all[0].id == "a");
  CHECK(all[2].id == "c");
}
