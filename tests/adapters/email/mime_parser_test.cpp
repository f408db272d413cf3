#include "adapters/email/mime_parser.hpp"

#include "engine/text.hpp"
#include "tests/adapters/email/fixture.hpp"

#include <catch2/catch.hpp>

using namespace reglament::email;
using reglament::email::testing::fixture;
using verdict = parsed_mail::verdict;

TEST_CASE("UTF-8 quoted-printable: encoded subject and name, sign-off cut but kept in original", "[email]") {
  const auto m = parse_mail(fixture("utf8_qp.eml"));
  REQUIRE(m.kind == verdict::message);
  CHECK(m.message_id == "utf8-qp-1@romashka.ru");
  CHECK_FALSE(m.message_id_synthesised);
  CHECK(m.from_address == "anna@romashka.ru");
  CHECK(m.from_name == "Анна Петрова");
  CHECK(m.subject == "Акт сверки за III квартал");
  CHECK(m.text == "Добрый день!\n\nПрошу подготовить акт сверки с ООО «Вектор» за третий квартал.\nНужен до пятницы.");
  CHECK(m.original.find("главный бухгалтер ООО «Ромашка»") != std::string::npos);
  CHECK(m.references.empty());
  CHECK(m.notes.empty());
}

TEST_CASE("windows-1251 in base64 with an encoded subject and name, the '-- ' signature goes", "[email]") {
  const auto m = parse_mail(fixture("cp1251_base64.eml"));
  REQUIRE(m.kind == verdict::message);
  CHECK(m.from_name == "Игорь Сидоров");
  CHECK(m.subject == "Счёт за ноябрь");
  CHECK(m.text == "Здравствуйте!\n\nПришлите, пожалуйста, счёт на оплату услуг за ноябрь.");
  CHECK(m.original.find("ИП Сидоров") != std::string::npos);
}

TEST_CASE("KOI8-R in quoted-printable with Q- and B-encoded headers", "[email]") {
  const auto m = parse_mail(fixture("koi8r_qp.eml"));
  REQUIRE(m.kind == verdict::message);
  CHECK(m.from_name == "Ольга Смирнова");
  CHECK(m.subject == "Декларация по НДС");
  CHECK(m.text == "Добрый вечер.\nКогда будет готова декларация по НДС? Срок подачи уже близко.");
}

TEST_CASE("a declared-wrong charset is read as what it is, with a note", "[email]") {
  const auto m = parse_mail(fixture("wrong_charset.eml"));
  REQUIRE(m.kind == verdict::message);
  CHECK(m.text == "Почему на ЕНС висит долг 1 200 рублей? Мы всё оплатили.");
  REQUIRE(m.notes.size() == 1);
  CHECK(m.notes[0].find("read as WINDOWS-1251") != std::string::npos);
}

TEST_CASE("HTML-only mail becomes clean text with paragraphs", "[email]") {
  const auto m = parse_mail(fixture("html_only.eml"));
  REQUIRE(m.kind == verdict::message);
  CHECK(m.text ==
        "Добрый день!\n\nПодскажите, пожалуйста, сколько стоит восстановление учёта за 2025 год — у нас около 300 "
        "операций «в месяц».\n\nЗаранее спасибо & хорошего дня!\nМария Кузнецова\nООО \"Лютик\"");
  CHECK(m.text.find('<') == std::string::npos);
  CHECK(m.text.find("alert") == std::string::npos);
}

TEST_CASE("multipart/alternative takes the plain-text part", "[email]") {
  const auto m = parse_mail(fixture("alternative.eml"));
  REQUIRE(m.kind == verdict::message);
  CHECK(m.subject == "Зарплатная ведомость");
  CHECK(m.text == "Прошу рассчитать зарплату за ноябрь, табель во вложении не нужен.");
  CHECK(m.from_name.empty());
}

TEST_CASE("multipart/mixed: body text and attachments with RFC 2231 Russian names", "[email]") {
  const auto m = parse_mail(fixture("attachments.eml"));
  REQUIRE(m.kind == verdict::message);
  CHECK(m.text == "Высылаю выписку банка и архив первички за ноябрь.");
  CHECK(m.subject == "Выписка и первичка за ноябрь");  // two padded base64 words
  REQUIRE(m.attachments.size() == 2);
  CHECK(m.attachments[0].name == "Выписка_банка_ноябрь.pdf");
  CHECK(m.attachments[0].content_type == "application/pdf");
  CHECK(m.attachments[0].bytes.rfind("%PDF-1.4", 0) == 0);
  CHECK(m.attachments[0].bytes.size() == 25 + 256 * 8 + 7);
  CHECK(m.attachments[1].name == "pervichka.zip");
  CHECK(m.attachments[1].bytes.size() == 60004);
}

TEST_CASE("a reply chain: References and In-Reply-To, quoted history and Outlook headers cut", "[email]") {
  const auto first = parse_mail(fixture("chain_1.eml"));
  CHECK(first.references.empty());
  const auto second = parse_mail(fixture("chain_2.eml"));
  REQUIRE(second.kind == verdict::message);
  CHECK(second.references ==
        std::vector<std::string>{"chain-1@kedr-stroy.ru", "rg.0123456789abcdef01234567.c1@buh-firm.ru"});
  CHECK(second.in_reply_to == "rg.0123456789abcdef01234567.c1@buh-firm.ru");
  CHECK(second.text == "Да, согласен на стоимость, выставляйте счёт.");
  CHECK(second.original.find("> Справка платная") != std::string::npos);
  const auto third = parse_mail(fixture("chain_3.eml"));
  REQUIRE(third.kind == verdict::message);
  CHECK(third.case_tag == "1");
  CHECK(third.subject == "RE: Нужна справка [#1]");
  CHECK(third.text == "Счёт оплатил, платёжка во вложении не нужна?");
  CHECK(third.references == std::vector<std::string>{"chain-1@kedr-stroy.ru", "chain-2@kedr-stroy.ru"});
}

TEST_CASE("auto-replies, bulk mail and bounces are ignored with a reason", "[email]") {
  const auto auto_reply = parse_mail(fixture("autoreply.eml"));
  CHECK(auto_reply.kind == verdict::ignored);
  CHECK(auto_reply.reason == "auto-reply (header Auto-Submitted: auto-replied)");
  const auto bulk = parse_mail(fixture("precedence_bulk.eml"));
  CHECK(bulk.kind == verdict::ignored);
  CHECK(bulk.reason == "automatic mail (header Precedence: bulk)");
  const auto bounce = parse_mail(fixture("bounce.eml"));
  CHECK(bounce.kind == verdict::ignored);
  const auto report = parse_mail(fixture("bounce_report_only.eml"));
  CHECK(report.kind == verdict::ignored);
  CHECK(report.reason == "bounce (multipart/report; report-type=delivery-status)");
}

TEST_CASE("a message without Message-ID gets a stable synthesised one", "[email]") {
  const auto raw = fixture("no_message_id.eml");
  const auto a = parse_mail(raw);
  REQUIRE(a.kind == verdict::message);
  CHECK(a.message_id_synthesised);
  CHECK(a.message_id == synthesised_message_id(raw));
  CHECK(a.message_id.size() == 40 + std::string("@reglament.invalid").size());
  CHECK(parse_mail(raw).message_id == a.message_id);
  CHECK(a.text == "Письмо без Message-ID.");
}

TEST_CASE("malformed MIME is reported with where it failed", "[email]") {
  const auto m = parse_mail(fixture("malformed.eml"));
  CHECK(m.kind == verdict::malformed);
  CHECK(m.message_id == "malformed-1@client.ru");
  CHECK(m.reason.find("multipart") != std::string::npos);
  INFO(m.reason);
  CHECK(m.reason.find("byte") != std::string::npos);

  CHECK(parse_mail("").kind == verdict::malformed);
  const auto no_from = parse_mail("Subject: x\r\nMessage-ID: <a@b>\r\n\r\nbody\r\n");
  CHECK(no_from.kind == verdict::malformed);
  CHECK(no_from.reason == "header From: missing");
}

TEST_CASE("attachment names: a path, an empty name and unreadable bytes become names a case can keep", "[email]") {
  const auto m = parse_mail(fixture("attachment_names.eml"));
  REQUIRE(m.kind == verdict::message);
  REQUIRE(m.attachments.size() == 3);
  CHECK(m.attachments[0].name == "attachment-1");  // filename="dir/": nothing left after the path
  CHECK(m.attachments[0].bytes == "%PDF-1.4\n");
  CHECK(m.attachments[1].name == "акт.xlsx");
  CHECK(m.attachments[2].name == "акт яю.pdf");    // 8-bit windows-1251, read as such
  for (const auto& a : m.attachments) {
    CHECK(reglament::valid_utf8(a.name));
    CHECK(a.name.find_first_of("/\\") == std::string::npos);
  }
}

TEST_CASE("UTF-8 the engine would refuse (surrogates, overlong forms, past U+10FFFF) is repaired everywhere", "[email]") {
  const auto m = parse_mail(fixture("surrogates.eml"));
  REQUIRE(m.kind == verdict::message);
  CHECK(reglament::valid_utf8(m.subject));
  CHECK(reglament::valid_utf8(m.from_name));
  CHECK(reglament::valid_utf8(m.text));
  CHECK(reglament::valid_utf8(m.original));
  CHECK(m.text.find("\xED\xB0\x80") == std::string::npos);
  CHECK(m.from_address == "olga@romashka.ru");
}
