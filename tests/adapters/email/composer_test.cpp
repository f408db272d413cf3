#include "adapters/email/composer.hpp"

#include "adapters/email/mime_parser.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace reglament::email;

namespace {

compose_options firm() {
  return {"office@buh-firm.ru", "Бухгалтерия «Ромашка»", "buh-firm.ru", "Ваше обращение"};
}

std::string header_line(const std::string& raw, const std::string& name) {
  const auto at = raw.find("\r\n" + name + ": ");
  if (at == std::string::npos) return {};
  return raw.substr(at + 2, raw.find("\r\n", at + 2) - at - 2);
}

}  // namespace

TEST_CASE("compose writes a threaded UTF-8 mail with an encoded Russian subject", "[email]") {
  reglament::outbound_message m;
  m.idempotency_key = "c7-m1";
  m.to = "anna@romashka.ru";
  m.text = "Здравствуйте, Анна!\nСпасибо за обращение, мы приняли его в работу.";
  m.case_no = 7;
  m.thread = "utf8-qp-1@romashka.ru";
  m.in_reply_to = "utf8-qp-2@romashka.ru";
  m.subject = "Re: Акт сверки за III квартал";
  const auto mail = compose(m, firm(), 1795420800);
  CHECK(mail.subject == "Re: Акт сверки за III квартал [#7]");
  CHECK(mail.message_id == compose(m, firm(), 1795424400).message_id);  // same key: same id, any time
  CHECK(mail.message_id.rfind("rg.", 0) == 0);
  CHECK(mail.message_id.find(".c7@buh-firm.ru") != std::string::npos);
  CHECK(mail.raw.find("\r\n\r\n") != std::string::npos);
  CHECK(mail.raw.find("\n") == mail.raw.find("\r\n") + 1);  // CRLF line ends
  CHECK(header_line(mail.raw, "In-Reply-To") == "In-Reply-To: <utf8-qp-2@romashka.ru>");
  CHECK(header_line(mail.raw, "References") == "References: <utf8-qp-1@romashka.ru> <utf8-qp-2@romashka.ru>");
  CHECK(header_line(mail.raw, "Subject").find("=?UTF-8?B?") != std::string::npos);
  CHECK(header_line(mail.raw, "From").find("=?UTF-8?") != std::string::npos);
  CHECK(mail.raw.find("Content-Transfer-Encoding: quoted-printable") != std::string::npos);
  CHECK(mail.raw.find("Date: ") != std::string::npos);
  CHECK(std::all_of(mail.raw.begin(), mail.raw.end(), [](unsigned char c) { return c < 0x80; }));  // 7-bit

  // Read back with the same parser the inbound side uses.
  const auto back = parse_mail("Return-Path: <x>\r\n" + mail.raw);
  REQUIRE(back.kind == parsed_mail::verdict::message);
  CHECK(back.message_id == mail.message_id);
  CHECK(back.subject == "Re: Акт сверки за III квартал [#7]");
  CHECK(back.from_name == "Бухгалтерия «Ромашка»");
  CHECK(back.from_address == "office@buh-firm.ru");
  CHECK(back.original == "Здравствуйте, Анна!\nСпасибо за обращение, мы приняли его в работу.");
  CHECK(back.references == std::vector<std::string>{"utf8-qp-1@romashka.ru", "utf8-qp-2@romashka.ru"});
  CHECK(back.case_tag == "7");
}

TEST_CASE("compose without a subject or thread uses the default subject and no threading", "[email]") {
  reglament::outbound_message m;
  m.idempotency_key = "c3-m2";
  m.to = "igor@sidorov-ip.ru";
  m.text = "Счёт во вложении.";
  m.case_no = 3;
  m.thread = "igor@sidorov-ip.ru";  // a case opened by hand: the thread is the address
  const auto mail = compose(m, firm(), 0);
  CHECK(mail.subject == "Ваше обращение [#3]");
  CHECK(mail.raw.find("In-Reply-To") == std::string::npos);
  CHECK(mail.raw.find("References") == std::string::npos);
  m.idempotency_key = "c3-m3";
  CHECK(compose(m, firm(), 0).message_id != mail.message_id);
}
