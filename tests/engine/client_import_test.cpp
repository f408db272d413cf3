#include "engine/client_import.hpp"

#include "tests/fakes/problems_text.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace reglament;

namespace {

const std::set<std::string> tariffs{"start", "standard", "business"};

}  // namespace

TEST_CASE("a CSV row becomes a client with every field and contact", "[clients]") {
  const std::string csv =
      "\xEF\xBB\xBFid,name,inn,address,form,tariff,manager,accountant,timezone,language,email,telegram,phone,holiday,birthdays\n"
      "romashka,\"ООО «Ромашка», Москва\",5260181598,Анна Сергеевна,Вы,standard,manager,buh.ivanova,+05:00,ru,"
      "Anna@Romashka.ru; buh@romashka.ru,100001,8 (912) 345-67-89,День бухгалтера 11-21,Анна Сергеевна 11-24; Игорь 03-15\r\n"
      "ip_smirnova,ИП Смирнова Е. В.,796030824605,Елена,ты,start,manager,,,en,,100003,,,\r\n";
  diagnostics problems;
  auto batch = parse_clients_csv(csv, "clients.csv", problems);
  INFO(problems_text(problems));
  REQUIRE(problems.empty());
  REQUIRE(batch.clients.size() == 2);
  const auto& r = batch.clients[0];
  CHECK(r.info.name == "ООО «Ромашка», Москва");
  CHECK(r.info.inn == "5260181598");
  CHECK(r.info.address_as == "Анна Сергеевна");
  CHECK_FALSE(r.info.informal);
  CHECK(r.info.utc_offset_minutes == 300);
  CHECK(r.info.holiday_title == "День бухгалтера");
  CHECK(r.info.holiday.month == 11);
  CHECK(r.info.holiday.day == 21);
  REQUIRE(r.info.birthdays.size() == 2);
  CHECK(r.info.birthdays[1].name == "Игорь");
  CHECK(r.info.birthdays[1].date.month == 3);
  REQUIRE(r.contacts.size() == 4);
  CHECK(r.contacts[0].address == "anna@romashka.ru");
  CHECK(r.contacts[1].address == "buh@romashka.ru");
  CHECK(r.contacts[2].channel == "telegram");
  CHECK(r.contacts[3].address == "+79123456789");
  CHECK(batch.positions[0].line == 2);
  const auto& s = batch.clients[1];
  CHECK(s.info.informal);
  CHECK(s.info.language == "en");
  CHECK(s.info.utc_offset_minutes == 180);
  CHECK(batch.positions[1].line == 3);
  check_client_batch(batch, &tariffs, problems);
  CHECK(problems.empty());
}

TEST_CASE("semicolon-separated CSV from a Russian Excel is read too", "[clients]") {
  diagnostics problems;
  auto batch = parse_clients_csv("id;name;tariff;inn;email\nromashka;ООО «Ромашка»;standard;5260181598;\"a@b.ru;c@d.ru\"\n",
                                 "excel.csv", problems);
  INFO(problems_text(problems));
  REQUIRE(problems.empty());
  REQUIRE(batch.clients.size() == 1);
  CHECK(batch.clients[0].contacts.size() == 2);
}

TEST_CASE("every bad cell is reported with its line and column", "[clients]") {
  const std::string csv =
      "id,name,inn,form,tariff,timezone,language,email,phone\n"
      "romashka,ООО «Ромашка»,7707083894,Вы,standard,+03:00,ru,anna@romashka.ru,\n"
      "vektor,ООО «Вектор»,1860913905,вы,standard,Москва,de,igor-at-vektor,12-34\n";
  diagnostics problems;
  auto batch = parse_clients_csv(csv, "c.csv", problems);
  auto all = problems_text(problems);
  CHECK(all.find("c.csv:2:24: error: client romashka: INN 7707083894: check digit 4 expected 3") != std::string::npos);
  CHECK(all.find("c.csv:3:32: error: client vektor: form: expected Вы or ты") != std::string::npos);
  CHECK(all.find("c.csv:3:44: error: client vektor: timezone: expected an offset like +03:00") != std::string::npos);
  CHECK(all.find("client vektor: language: expected ru or en") != std::string::npos);
  CHECK(all.find("client vektor: contacts: email igor-at-vektor: expected an address like name@example.ru") != std::string::npos);
  CHECK(all.find("client vektor: contacts: phone 12-34: expected a Russian number") != std::string::npos);
  CHECK(problems.size() == 6);
  CHECK(batch.clients.size() == 2);
}

TEST_CASE("the header must name known columns, once, with an id", "[clients]") {
  diagnostics problems;
  parse_clients_csv("name,tarif,name\nx,y,z\n", "h.csv", problems);
  auto all = problems_text(problems);
  CHECK(all.find("h.csv:1:6: error: unknown column 'tarif'") != std::string::npos);
  CHECK(all.find("h.csv:1:12: error: column 'name' appears twice") != std::string::npos);
  CHECK(all.find("h.csv:1:1: error: the header has no 'id' column") != std::string::npos);
}

TEST_CASE("rows of the wrong width and broken quotes are errors, blank rows are skipped", "[clients]") {
  diagnostics problems;
  auto batch = parse_clients_csv("id,name,tariff\n\na,ООО А,start,extra\n,,\n", "w.csv", problems);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].to_string() == "w.csv:3:1: error: 4 fields, expected 3 as in the header");
  CHECK(batch.clients.empty());
  problems.clear();
  parse_clients_csv("id,name\n\"a,b\n", "q.csv", problems);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].to_string() == "q.csv:2:1: error: a quoted field is not closed: expected \"");
}

TEST_CASE("a quoted cell may span lines and hold quotes", "[clients]") {
  diagnostics problems;
  auto batch = parse_clients_csv("id,name,tariff\na,\"ООО \"\"Альфа\"\"\nфилиал\",start\nb,Б,start\n", "m.csv", problems);
  INFO(problems_text(problems));
  REQUIRE(problems.empty());
  REQUIRE(batch.clients.size() == 2);
  CHECK(batch.clients[0].info.name == "ООО \"Альфа\"\nфилиал");
  CHECK(batch.positions[1].line == 4);
}

TEST_CASE("YAML clients read like the firm file's, with positions", "[clients]") {
  const std::string yaml = R"(clients:
  - id: romashka
    name: "ООО «Ромашка»"
    inn: "5260181598"
    tariff: standard
    contacts:
      email: [Anna@Romashka.ru]
  - id: vektor
    name: "ООО «Вектор»"
    inn: "1860913904"
    tariff: gold
)";
  diagnostics problems;
  auto batch = parse_clients_yaml(yaml, "c.yaml", problems);
  REQUIRE(batch.clients.size() == 2);
  CHECK(batch.positions[1].line == 8);
  CHECK(batch.clients[0].contacts[0].address == "anna@romashka.ru");
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].to_string() == "c.yaml:10:10: error: client vektor: INN 1860913904: check digit 4 expected 5");
  check_client_batch(batch, &tariffs, problems);
  REQUIRE(problems.size() == 2);
  CHECK(problems[1].to_string() == "c.yaml:8:5: error: client vektor: unknown tariff 'gold'");
}

TEST_CASE("a batch may not repeat an id or give one contact to two clients", "[clients]") {
  diagnostics problems;
  auto batch = parse_clients_csv(
      "id,name,tariff,email\na,А,start,x@y.ru\nb,Б,start,X@Y.ru\na,А2,start,\n\"b c\",,,\n", "d.csv", problems);
  REQUIRE(problems.empty());
  check_client_batch(batch, nullptr, problems);
  auto all = problems_text(problems);
  CHECK(all.find("d.csv:3:1: error: client b: email x@y.ru is also a contact of client a at line 2") != std::string::npos);
  CHECK(all.find("d.csv:4:1: error: client a: the id is also used at line 2") != std::string::npos);
  CHECK(all.find("d.csv:5:1: error: client b c: id: expected up to 64 Latin letters") != std::string::npos);
  CHECK(all.find("d.csv:5:1: error: client b c: expected a name") != std::string::npos);
  CHECK(all.find("d.csv:5:1: error: client b c: expected a tariff") != std::string::npos);
  CHECK(problems.size() == 5);
}

TEST_CASE("files are read by extension", "[clients]") {
  auto path = (std::filesystem::temp_directory_path() / "reglament-clients-import-test.txt").string();
  std::ofstream(path) << "id\n";
  diagnostics problems;
  read_clients_file(path, problems);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].message == "expected a .csv or .yaml file");
  std::filesystem::remove(path);
  problems.clear();
  read_clients_file("/nonexistent/clients.csv", problems);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].to_string() == "/nonexistent/clients.csv: error: cannot open the file");
}

TEST_CASE("one client in JSON (the API's body) reads like a YAML entry", "[clients]") {
  diagnostics problems;
  auto batch = parse_client_document(
      R"({"id": "novaya", "name": "ООО «Новая»", "inn": "7707083893", "form": "ты", "tariff": "start",
          "contacts": {"email": ["Info@Novaya.ru"], "phone": ["8 912 000-00-01"]},
          "birthdays": [{"name": "Олег", "date": "02-29"}]})",
      "body", problems);
  INFO(problems_text(problems));
  REQUIRE(problems.empty());
  REQUIRE(batch.clients.size() == 1);
  CHECK(batch.clients[0].info.informal);
  CHECK(batch.clients[0].contacts[1].address == "+79120000001");
  problems.clear();
  parse_client_document(R"({"id": "x", "inn": "123"})", "body", problems);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].to_string() == "body:1:20: error: client x: INN 123: 3 digits, expected 10 (company) or 12 (individual)");
  problems.clear();
  parse_client_document("[1, 2]", "body", problems);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].message == "expected one client: a map with id, name, inn, tariff, contacts, ...");
}
