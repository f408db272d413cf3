#include "adapters/email/intake.hpp"

#include "tests/adapters/email/fixture.hpp"
#include "tests/adapters/email/recording_sink.hpp"

#include <catch2/catch.hpp>

using namespace reglament::email;
using reglament::email::testing::fixture;
using reglament::email::testing::recording_sink;
using kind = intake_outcome::kind;

TEST_CASE("intake accepts a message with its details and waits for the commit", "[email]") {
  recording_sink sink;
  intake in(sink, {});
  const auto r = in.take(fixture("cp1251_base64.eml"), "INBOX UID 1");
  CHECK(r.what == kind::accepted);
  CHECK(r.case_id == 1);
  REQUIRE(sink.accepted.size() == 1);
  const auto& m = sink.accepted[0];
  CHECK(m.channel == "email");
  CHECK(m.external_id == "cp1251-1@sidorov-ip.ru");
  CHECK(m.sender == "igor@sidorov-ip.ru");
  CHECK(m.sender_name == "Игорь Сидоров");
  CHECK(m.subject == "Счёт за ноябрь");
  CHECK(m.thread == "cp1251-1@sidorov-ip.ru");
  CHECK(m.text == "Здравствуйте!\n\nПришлите, пожалуйста, счёт на оплату услуг за ноябрь.");
  CHECK(m.original.find("-- \nИгорь Сидоров") != std::string::npos);
}

TEST_CASE("a duplicate Message-ID is one case", "[email]") {
  recording_sink sink;
  intake in(sink, {});
  CHECK(in.take(fixture("utf8_qp.eml"), "INBOX UID 1").what == kind::accepted);
  const auto again = in.take(fixture("duplicate.eml"), "INBOX UID 2");
  CHECK(again.what == kind::duplicate);
  CHECK(again.case_id == 1);
  CHECK(sink.accepted.size() == 1);
}

TEST_CASE("a reply chain of three joins one case", "[email]") {
  recording_sink sink;
  intake in(sink, {});
  const auto a = in.take(fixture("chain_1.eml"), "INBOX UID 1");
  const auto b = in.take(fixture("chain_2.eml"), "INBOX UID 2");
  const auto c = in.take(fixture("chain_3.eml"), "INBOX UID 3");
  CHECK(a.case_id == 1);
  CHECK(b.case_id == 1);
  CHECK(c.case_id == 1);
  REQUIRE(sink.accepted.size() == 3);
  for (const auto& m : sink.accepted) CHECK(m.thread == "chain-1@kedr-stroy.ru");
  CHECK(sink.cursors.at("email/thread.case.1") == "chain-1@kedr-stroy.ru");
}

TEST_CASE("a reply that keeps only our Message-ID or the case tag still finds the case", "[email]") {
  recording_sink sink;
  intake in(sink, {});
  REQUIRE(in.take(fixture("chain_1.eml"), "INBOX UID 1").case_id == 1);
  const auto ours = intake::message_id_for("c1-m1", 1, "buh-firm.ru");
  CHECK(intake::case_of_message_id(ours) == 1);
  CHECK(intake::case_of_message_id("chain-1@kedr-stroy.ru") == 0);
  const auto only_in_reply_to = "From: volkov@kedr-stroy.ru\r\nSubject: Re: справка\r\nMessage-ID: <r1@kedr-stroy.ru>\r\n"
                                "In-Reply-To: <" + ours + ">\r\n\r\nСпасибо, получил.\r\n";
  CHECK(in.take(only_in_reply_to, "INBOX UID 2").case_id == 1);
  const auto only_tag = "From: volkov@kedr-stroy.ru\r\nSubject: =?utf-8?B?0KHRh9GR0YI=?= [#1]\r\n"
                        "Message-ID: <r2@kedr-stroy.ru>\r\n\r\nА счёт?\r\n";
  CHECK(in.take(only_tag, "INBOX UID 3").case_id == 1);
  const auto unknown_tag = "From: volkov@kedr-stroy.ru\r\nSubject: [#77]\r\nMessage-ID: <r3@kedr-stroy.ru>\r\n\r\nx\r\n";
  CHECK(in.take(unknown_tag, "INBOX UID 4").case_id == 2);
}

TEST_CASE("auto-replies and bounces are kept as ignored items, never accepted", "[email]") {
  recording_sink sink;
  intake in(sink, {});
  for (const char* f : {"autoreply.eml", "bounce.eml", "bounce_report_only.eml", "precedence_bulk.eml"})
    CHECK(in.take(fixture(f), std::string("INBOX ") + f).what == kind::ignored);
  CHECK(sink.accepted.empty());
  REQUIRE(sink.rejected.size() == 4);
  CHECK(sink.rejected[0].reason ==
        "ignored: auto-reply (header Auto-Submitted: auto-replied) from anna@romashka.ru (INBOX autoreply.eml)");
  CHECK(sink.rejected[0].external_id == "auto-1@romashka.ru");
  CHECK(sink.rejected[0].raw == fixture("autoreply.eml"));
}

TEST_CASE("malformed and oversized messages become channel errors with the raw form", "[email]") {
  recording_sink sink;
  intake_limits limits;
  limits.max_message_bytes = 2000;
  limits.max_raw_in_error = 1000;
  intake in(sink, limits);
  CHECK(in.take(fixture("malformed.eml"), "INBOX UID 7").what == kind::error);
  CHECK(in.take(fixture("attachments.eml"), "INBOX UID 8").what == kind::error);
  CHECK(sink.accepted.empty());
  REQUIRE(sink.rejected.size() == 2);
  CHECK(sink.rejected[0].reason.rfind("INBOX UID 7: malformed MIME: ", 0) == 0);
  CHECK(sink.rejected[0].raw == fixture("malformed.eml"));
  CHECK(sink.rejected[1].reason.find("over the limit of 2000 bytes") != std::string::npos);
  CHECK(sink.rejected[1].raw.size() == 1000);
}

TEST_CASE("attachments are stored within the limit, a bigger one is listed with a note", "[email]") {
  recording_sink sink;
  intake_limits limits;
  limits.max_attachment_bytes = 10000;
  intake in(sink, limits);
  CHECK(in.take(fixture("attachments.eml"), "INBOX UID 1").what == kind::accepted);
  REQUIRE(sink.accepted.size() == 1);
  const auto& m = sink.accepted[0];
  REQUIRE(m.attachments.size() == 2);
  CHECK(m.attachments[0].name == "Выписка_банка_ноябрь.pdf");
  CHECK(m.attachments[0].size == 2080);
  CHECK(sink.files.count(m.attachments[0].sha256) == 1);
  CHECK(m.attachments[1].name == "pervichka.zip");
  CHECK(m.attachments[1].size == 60004);
  CHECK(m.attachments[1].sha256.empty());
  CHECK(sink.files.size() == 1);
  CHECK(m.text == "Высылаю выписку банка и архив первички за ноябрь.\n\n"
                  "[Вложение «pervichka.zip» (59 КБ) не сохранено: больше предела 10 КБ]");
}

TEST_CASE("a sink that cannot commit now makes intake throw, a refusal is left to the sink", "[email]") {
  recording_sink sink;
  intake in(sink, {});
  sink.next_errors = {{"database is busy", 503}, {"no playbook for this message", 422}};
  CHECK_THROWS_WITH(in.take(fixture("chain_1.eml"), "INBOX UID 1"),
                    "INBOX UID 1: not committed, will retry: database is busy");
  const auto refused = in.take(fixture("chain_1.eml"), "INBOX UID 1");
  CHECK(refused.what == kind::error);
  CHECK(refused.detail == "INBOX UID 1: refused: no playbook for this message");
  CHECK(sink.rejected.empty());  // the real gateway keeps refusals itself
  CHECK(in.take(fixture("chain_1.eml"), "INBOX UID 1").what == kind::accepted);
}

TEST_CASE("an attachment the sink refuses is listed with its reason, the message goes in", "[email]") {
  recording_sink sink;
  sink.sink_attachment_limit = 50000;
  intake in(sink, {});
  CHECK(in.take(fixture("attachments.eml"), "INBOX UID 1").what == kind::accepted);
  REQUIRE(sink.accepted.size() == 1);
  const auto& m = sink.accepted[0];
  REQUIRE(m.attachments.size() == 2);
  CHECK_FALSE(m.attachments[0].sha256.empty());
  CHECK(m.attachments[1].sha256.empty());
  CHECK(m.text.find("[Вложение «pervichka.zip» (59 КБ) не сохранено: over the sink's limit]") != std::string::npos);
}
