// The email adapter against real servers on loopback: Dovecot for IMAP, aiosmtpd for SMTP.
#include "adapters/email/imap_source.hpp"
#include "adapters/email/smtp_channel.hpp"

#include "adapters/email/imap_client.hpp"
#include "adapters/email/mime_parser.hpp"
#include "tests/adapters/email/fixture.hpp"
#include "tests/adapters/email/mail_servers.hpp"
#include "tests/adapters/email/recording_sink.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>

using namespace reglament::email;
using namespace reglament::email::testing;

namespace {

std::string scratch(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("reglament-email-" + name + "-" + std::to_string(::getpid())))
      .string();
}

imap_source_settings imap_for(const dovecot_server& d, const std::string& initial = "all") {
  imap_source_settings s;
  s.imap.server = d.url();
  s.imap.username = dovecot_server::user;
  s.imap.password = dovecot_server::password;
  s.initial = initial;
  s.poll_seconds = 1;
  return s;
}

std::string header_of(const std::string& raw, const std::string& name) {
  const auto at = raw.find("\r\n" + name + ": ");
  if (at == std::string::npos) return {};
  auto end = raw.find("\r\n", at + 2);
  while (end != std::string::npos && end + 2 < raw.size() && (raw[end + 2] == ' ' || raw[end + 2] == '\t'))
    end = raw.find("\r\n", end + 2);
  return raw.substr(at + 4 + name.size(), end - at - 4 - name.size());
}

}  // namespace

TEST_CASE("IMAP polling takes each message once, by UID, and a restart does not refetch", "[email][integration]") {
  dovecot_server dovecot(scratch("imap"));
  for (const char* f : {"chain_1.eml", "cp1251_base64.eml", "autoreply.eml", "utf8_qp.eml", "duplicate.eml",
                        "malformed.eml", "attachments.eml", "koi8r_qp.eml", "html_only.eml", "bounce.eml"})
    dovecot.deliver(fixture(f));

  recording_sink sink;
  std::vector<std::string> log;
  {
    imap_source source(imap_for(dovecot), [&](source_log, const std::string& l) { log.push_back(l); });
    CHECK(source.poll_once(sink) == 10);
    CHECK(source.poll_once(sink) == 0);  // nothing new
  }
  INFO(dovecot.log());
  REQUIRE(sink.accepted.size() == 6);  // the duplicate, the auto-reply, the bounce and the malformed one are not
  CHECK(sink.accepted[0].thread == "chain-1@kedr-stroy.ru");
  CHECK(sink.accepted[1].subject == "Счёт за ноябрь");
  CHECK(sink.accepted[3].attachments.size() == 2);
  CHECK(sink.accepted[4].subject == "Декларация по НДС");
  REQUIRE(sink.rejected.size() == 3);
  INFO(sink.rejected[1].reason);
  CHECK(sink.rejected[0].reason.rfind("ignored: auto-reply", 0) == 0);
  CHECK(sink.rejected[1].reason.rfind("INBOX UID 6: malformed MIME", 0) == 0);
  CHECK(sink.rejected[2].reason.rfind("ignored: ", 0) == 0);
  CHECK(sink.rejected[2].reason.find("mailer-daemon@mx.romashka.ru") != std::string::npos);
  const auto cursor = sink.cursors.at("email/imap.INBOX");
  CHECK(cursor.substr(cursor.find(':')) == ":10");

  imap_client imap(imap_for(dovecot).imap);
  CHECK(imap.search("UNSEEN").empty());  // all committed, all marked \Seen
  CHECK(imap.status().uidvalidity == std::stoul(cursor.substr(0, cursor.find(':'))));

  // A restart (a new source, the same durable cursor) takes only what came since.
  dovecot.deliver(fixture("chain_2.eml"));
  imap_source restarted(imap_for(dovecot), {});
  CHECK(restarted.poll_once(sink) == 1);
  REQUIRE(sink.accepted.size() == 7);
  CHECK(sink.accepted[6].external_id == "chain-2@kedr-stroy.ru");
  CHECK(sink.case_of[6] == sink.case_of[0]);  // the reply joined the first message's case
  CHECK(sink.accepted[6].text == "Да, согласен на стоимость, выставляйте счёт.");
}

TEST_CASE("IMAP first start takes unseen mail only, an oversized message is a channel error", "[email][integration]") {
  dovecot_server dovecot(scratch("imap-unseen"));
  dovecot.deliver(fixture("utf8_qp.eml"));
  dovecot.deliver(fixture("cp1251_base64.eml"));
  dovecot.deliver(fixture("attachments.eml"));
  imap_client imap(imap_for(dovecot).imap);
  const auto status = imap.status();
  imap.set_seen(1, true);  // someone read the first one in a mail client before the daemon ran

  recording_sink sink;
  auto settings = imap_for(dovecot, "unseen");
  settings.limits.max_message_bytes = 20000;
  imap_source source(settings, {});
  CHECK(source.poll_once(sink) == 2);
  REQUIRE(sink.accepted.size() == 1);
  CHECK(sink.accepted[0].external_id == "cp1251-1@sidorov-ip.ru");
  REQUIRE(sink.rejected.size() == 1);
  CHECK(sink.rejected[0].reason.find("INBOX UID 3: message of") == 0);
  CHECK(sink.rejected[0].reason.find("over the limit of 20000 bytes") != std::string::npos);
  CHECK(sink.rejected[0].raw.find("Message-ID: <attach-1@romashka.ru>") != std::string::npos);
  CHECK(sink.rejected[0].raw.size() < 2000);  // only the header was fetched
  CHECK(sink.cursors.at("email/imap.INBOX") == std::to_string(status.uidvalidity) + ":3");
  CHECK(source.poll_once(sink) == 0);
}

TEST_CASE("IMAP: a message the sink could not commit stays unread and is taken on the next poll", "[email][integration]") {
  dovecot_server dovecot(scratch("imap-503"));
  dovecot.deliver(fixture("koi8r_qp.eml"));
  recording_sink sink;
  sink.next_errors = {{"database is busy", 503}};
  imap_source source(imap_for(dovecot, "unseen"), {});
  CHECK_THROWS_WITH(source.poll_once(sink), Catch::Contains("INBOX UID 1: not committed, will retry"));
  CHECK(sink.cursors.count("email/imap.INBOX") == 0);
  imap_client imap(imap_for(dovecot).imap);
  CHECK(imap.search("UNSEEN") == std::vector<std::uint32_t>{1});  // \Seen given back
  CHECK(source.poll_once(sink) == 1);
  REQUIRE(sink.accepted.size() == 1);
  imap_client fresh(imap_for(dovecot).imap);  // a new session sees the flag set by the source's
  CHECK(fresh.search("UNSEEN").empty());
}

TEST_CASE("IMAP errors say what and where: a wrong password, a server that is down", "[email][integration]") {
  dovecot_server dovecot(scratch("imap-auth"));
  auto settings = imap_for(dovecot);
  settings.imap.password = "wrong";
  recording_sink sink;
  imap_source source(settings, {});
  CHECK_THROWS_WITH(source.poll_once(sink), Catch::Contains("IMAP STATUS INBOX at " + dovecot.url()));
  settings.imap.server = "imap://127.0.0.1:" + std::to_string(free_port()) + "/";
  imap_source nowhere(settings, {});
  CHECK_THROWS_AS(nowhere.poll_once(sink), imap_error);
  CHECK(sink.cursors.empty());
}

TEST_CASE("SMTP delivers a threaded mail with an encoded Russian subject", "[email][integration]") {
  smtp_server smtp(scratch("smtp"), "office@buh-firm.ru:smtp-pass");
  smtp_settings s;
  s.url = smtp.url();
  s.starttls = false;  // the test server speaks plain SMTP on loopback
  s.username = "office@buh-firm.ru";
  s.password = "smtp-pass";
  s.compose = {"office@buh-firm.ru", "Бухгалтерия «Ромашка»", "buh-firm.ru", "Ваше обращение"};
  smtp_channel channel(s);
  CHECK(channel.name() == "email");

  reglament::outbound_message m;
  m.idempotency_key = "c1-m1";
  m.channel = "email";
  m.to = "volkov@kedr-stroy.ru";
  m.text = "Здравствуйте, Сергей!\nСпасибо за обращение. Справка будет готова завтра.\n.\nСтрока с точкой выше.";
  m.case_no = 1;
  m.thread = "chain-1@kedr-stroy.ru";
  m.in_reply_to = "chain-1@kedr-stroy.ru";
  m.subject = "Re: Нужна справка для банка";
  const auto st = channel.deliver(m);
  INFO(st.error);
  REQUIRE(st.ok);

  const auto got = smtp.received();
  REQUIRE(got.size() == 1);
  CHECK(got[0].rfind("X-Envelope-From: office@buh-firm.ru\r\nX-Envelope-To: volkov@kedr-stroy.ru\r\n", 0) == 0);
  const auto back = parse_mail(got[0]);
  REQUIRE(back.kind == parsed_mail::verdict::message);
  CHECK(back.subject == "Re: Нужна справка для банка [#1]");
  CHECK(back.from_name == "Бухгалтерия «Ромашка»");
  CHECK(back.message_id == intake::message_id_for("c1-m1", 1, "buh-firm.ru"));
  CHECK(back.in_reply_to == "chain-1@kedr-stroy.ru");
  CHECK(back.references == std::vector<std::string>{"chain-1@kedr-stroy.ru"});
  CHECK(back.original == m.text);  // the lone "." survived SMTP's dot-stuffing
  CHECK(header_of(got[0], "Subject").find("=?UTF-8?B?") != std::string::npos);
  CHECK_FALSE(header_of(got[0], "Date").empty());

  // A resend (after a crash) carries the same Message-ID.
  REQUIRE(channel.deliver(m).ok);
  REQUIRE(smtp.received().size() == 2);
  CHECK(parse_mail(smtp.received()[1]).message_id == back.message_id);
}

TEST_CASE("SMTP with a sent book never sends the same outbox message twice", "[email][integration]") {
  smtp_server smtp(scratch("smtp-book"));
  smtp_settings s;
  s.url = smtp.url();
  s.starttls = false;
  s.compose = {"office@buh-firm.ru", "Бухгалтерия «Ромашка»", "buh-firm.ru", "Ваше обращение"};
  std::map<std::string, std::pair<std::string, std::string>> book;  // key -> (to, Message-ID)
  sent_book b{[&](const std::string& key) { return book.count(key) > 0; },
              [&](const std::string& key, const std::string& to, const std::string& id) { book[key] = {to, id}; }};
  smtp_channel channel(s, nullptr, b);
  const reglament::outbound_message m{"c4-m2", "email", "anna@romashka.ru", "Счёт во вложении.", 4};

  REQUIRE(channel.deliver(m).ok);
  REQUIRE(book.count("c4-m2") == 1);
  CHECK(book["c4-m2"].first == "anna@romashka.ru");
  CHECK(book["c4-m2"].second == intake::message_id_for("c4-m2", 4, "buh-firm.ru"));
  // Offered again (its "sent" report was lost): reported sent, not sent again.
  CHECK(channel.deliver(m).ok);
  CHECK(smtp.received().size() == 1);
  // A refused message is not in the book, so a retry after the fault does send it.
  const reglament::outbound_message later{"c4-m3", "email", "full@romashka.ru", "Напоминание", 4};
  CHECK_FALSE(channel.deliver(later).ok);
  CHECK(book.count("c4-m3") == 0);
}

TEST_CASE("SMTP 5xx is permanent, 4xx and connection failures are transient", "[email][integration]") {
  smtp_server smtp(scratch("smtp-codes"));
  smtp_settings s;
  s.url = smtp.url();
  s.starttls = false;
  s.compose = {"office@buh-firm.ru", "Офис", "buh-firm.ru"};
  smtp_channel channel(s);
  reglament::outbound_message m{"c2-m1", "email", "nobody@romashka.ru", "Текст", 2};
  auto st = channel.deliver(m);
  CHECK_FALSE(st.ok);
  CHECK(st.permanent);
  CHECK(st.error.find("SMTP 550") != std::string::npos);
  m.to = "full@romashka.ru";
  st = channel.deliver(m);
  CHECK_FALSE(st.ok);
  CHECK_FALSE(st.permanent);
  CHECK(st.error.find("SMTP 452") != std::string::npos);
  m.to = "not an address";
  st = channel.deliver(m);
  CHECK(st.permanent);
  CHECK(smtp.received().empty());

  smtp.stop();
  m.to = "anna@romashka.ru";
  st = channel.deliver(m);
  CHECK_FALSE(st.ok);
  CHECK_FALSE(st.permanent);
  CHECK(st.error.find(s.url) != std::string::npos);
}

TEST_CASE("SMTP with a wrong password is retried, not dead-lettered", "[email][integration]") {
  smtp_server smtp(scratch("smtp-auth"), "office@buh-firm.ru:right");
  smtp_settings s;
  s.url = smtp.url();
  s.starttls = false;
  s.username = "office@buh-firm.ru";
  s.password = "wrong";
  s.compose = {"office@buh-firm.ru", "Офис", "buh-firm.ru"};
  smtp_channel channel(s);
  const auto st = channel.deliver({"c3-m1", "email", "anna@romashka.ru", "Текст", 3});
  CHECK_FALSE(st.ok);
  CHECK_FALSE(st.permanent);
  INFO(st.error);
  CHECK(st.error.find("SMTP 535") != std::string::npos);
  CHECK(smtp.received().empty());
}
