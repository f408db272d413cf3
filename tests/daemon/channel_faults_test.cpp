// Integration: channel faults in the real reglamentd against real servers on loopback,
// and what the staff see of them (GET /api/v1/channels, the outbox, dead letters).
// An SMTP server that answers 451 for a while (the greeting is retried with backoff and
// delivered once), then 554 (a dead letter with the reason, sent once by the staff's
// retry after the fault is cleared); Dovecot stopped mid-run and started again (the
// email source shows failing with the error, then ok; nothing is lost or doubled); Dovecot
// answering NO (a refused login, a mailbox that does not exist); the
// fake Bot API answering 502 to getUpdates and 500 / 429 to sendMessage for a while.
// Also: staff notifications of an escalation and an overdue-step reminder reach the
// director and the manager by email and Telegram, through the outbox, once each.
#include "tests/adapters/email/mail_servers.hpp"
#include "tests/adapters/telegram/fake_bot_api.hpp"
#include "tests/daemon/daemon_process.hpp"
#include "tests/daemon/store_sql.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

using namespace reglament::testing;
namespace mail = reglament::email::testing;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

json body(const http_reply& r) {
  INFO(r.status << " " << r.body);
  return json::parse(r.body);
}

// Waits for `done` (a loaded machine may need a while; not a timing assertion).
bool eventually(const std::function<bool()>& done, std::chrono::seconds limit = 90s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done();
}

// A wait for the test's conditions that, when it runs out, fails showing `logs()`.
auto settler(std::function<std::string()> logs) {
  return [logs = std::move(logs)](const std::function<bool()>& done) {
    if (eventually(done)) return true;
    FAIL_CHECK(logs());
    return false;
  };
}

// One channel as GET /api/v1/channels shows it (null if it is not listed).
json channel(http_client& c, const std::string& name) {
  const auto r = c.get("/api/v1/channels");
  if (r.status != 200) return nullptr;
  const auto all = body(r);
  for (const auto& ch : all["channels"])
    if (ch["name"] == name) return ch;
  return nullptr;
}

std::string text_of(const json& j) { return j.is_string() ? j.get<std::string>() : std::string(); }

json inbound_email(const std::string& ext, const std::string& sender, const std::string& text) {
  return {{"channel", "email"}, {"external_id", ext}, {"sender", sender}, {"text", text}};
}

// What the SMTP server took for `to` (the envelope recipient).
std::vector<std::string> mail_to(const mail::smtp_server& smtp, const std::string& to) {
  std::vector<std::string> out;
  for (const auto& raw : smtp.received())
    if (raw.find("X-Envelope-To: " + to + "\r\n") != std::string::npos) out.push_back(raw);
  return out;
}

json outbox_rows(http_client& c, const std::string& state) {
  auto all = body(c.get("/api/v1/outbox?limit=1000&state=" + state));
  return all["outbox"];
}

json row_of_case(http_client& c, const std::string& state, long long id) {
  for (const auto& r : outbox_rows(c, state))
    if (r["case"] == id) return r;
  return nullptr;
}

bool outbox_settled(http_client& c) { return outbox_rows(c, "queued").empty() && outbox_rows(c, "failed").empty(); }

// sendMessage calls to `chat` so far (failed ones too: the fake records every call).
std::size_t send_calls(fake_bot_api& bot, const std::string& chat) {
  std::size_t n = 0;
  for (const auto& call : bot.calls("sendMessage"))
    if (call["params"]["chat_id"].dump() == chat || call["params"]["chat_id"] == chat) ++n;
  return n;
}

}  // namespace

TEST_CASE("SMTP 4xx is retried with backoff and delivered once and 5xx is a dead letter the staff retry",
          "[integration][email]") {
  const auto dir = temp_dir("it-smtp-faults");
  mail::smtp_server smtp(dir + "/smtp");
  std::ofstream(dir + "/reglamentd.toml") << "[channels.email]\n"
                                          << mail::smtp_keys(smtp)
                                          << "[outbox]\nretry_first_seconds = 1\nretry_max_seconds = 2\n";
  daemon_process d(dir + "/data", {"--config", dir + "/reglamentd.toml"});
  http_client c(d.port());
  auto settled = settler([&] { return "reglamentd log:\n" + d.log(); });
  // Before anything was sent the channel is listed, with no news yet.
  auto email = channel(c, "email");
  REQUIRE(email.is_object());
  CHECK(email["state"] == "unknown");
  CHECK(email["inbound"].is_null());  // no imap_url: nothing is read
  CHECK(email["outbound"]["state"] == "unknown");

  // 1. The server says "try later": the greeting is retried, the channel shows failing.
  smtp.fail_with("451 4.3.0 Mailbox temporarily unavailable, try again later");
  auto r = c.post("/api/v1/inbound", inbound_email("<f1@romashka.ru>", "anna@romashka.ru", "Подготовьте приказ на отпуск").dump());
  REQUIRE(r.status == 201);
  const auto first = body(r)["case"].get<long long>();
  REQUIRE(settled([&] { return smtp.attempts() >= 3; }));  // the first try and two retries
  email = channel(c, "email");
  INFO(email.dump(2));
  CHECK(email["state"] == "failing");
  CHECK(email["outbound"]["state"] == "failing");
  CHECK_THAT(text_of(email["outbound"]["error"]), Catch::Contains("SMTP 451") && Catch::Contains(smtp.url()) &&
                                                         Catch::Contains("Mailbox temporarily unavailable"));
  CHECK(email["outbound"]["since"].is_string());
  CHECK(email["outbound"]["consecutive_failures"].get<int>() >= 2);
  CHECK(body(c.get("/api/v1/channels"))["failing"] == true);
  auto waiting = row_of_case(c, "failed", first);
  if (waiting.is_null()) waiting = row_of_case(c, "queued", first);  // between a failure and its report
  REQUIRE(waiting.is_object());
  CHECK(mail_to(smtp, "anna@romashka.ru").empty());

  // The fault clears: delivered once, the channel is ok again and keeps the last error.
  smtp.heal();
  REQUIRE(settled([&] { return mail_to(smtp, "anna@romashka.ru").size() == 1; }));
  REQUIRE(settled([&] { return outbox_settled(c); }));
  REQUIRE(settled([&] { return channel(c, "email")["state"] == "ok"; }));
  email = channel(c, "email");
  CHECK(email["outbound"]["next_retry"].is_null());
  CHECK_THAT(text_of(email["outbound"]["error"]), Catch::Contains("SMTP 451"));
  CHECK(email["outbound"]["dead"] == 0);

  // 2. The server refuses for good: a dead letter at once, with the server's code.
  const auto before = smtp.attempts();
  smtp.fail_with("554 5.7.1 Message refused by local policy");
  r = c.post("/api/v1/inbound", inbound_email("<f2@vektor-plus.ru>", "igor@vektor-plus.ru", "Нужна справка 2-НДФЛ").dump());
  REQUIRE(r.status == 201);
  const auto second = body(r)["case"].get<long long>();
  json dead;
  REQUIRE(settled([&] { return (dead = row_of_case(c, "dead", second)).is_object(); }));
  CHECK(dead["channel"] == "email");
  CHECK(dead["to"] == "igor@vektor-plus.ru");
  CHECK_THAT(dead["last_error"].get<std::string>(), Catch::Contains("SMTP 554") && Catch::Contains("refused by local policy"));
  CHECK(smtp.attempts() == before + 1);  // not retried
  REQUIRE(settled([&] { return channel(c, "email")["outbound"]["dead"] == 1; }));
  email = channel(c, "email");
  CHECK_THAT(text_of(email["outbound"]["last_dead_error"]), Catch::Contains("SMTP 554"));
  CHECK(email["state"] == "ok");  // the server answered: that message was refused, not the channel down
  CHECK(mail_to(smtp, "igor@vektor-plus.ru").empty());

  // The staff clear the cause and send it again: delivered once.
  smtp.heal();
  const auto retried = c.post(fmt::format("/api/v1/outbox/{}/{}/retry", second, dead["n"].get<int>()),
                              json{{"actor", "manager"}}.dump());
  REQUIRE(retried.status == 200);
  REQUIRE(settled([&] { return mail_to(smtp, "igor@vektor-plus.ru").size() == 1; }));
  REQUIRE(settled([&] { return outbox_settled(c); }));
  CHECK(row_of_case(c, "dead", second).is_null());
  CHECK(mail_to(smtp, "igor@vektor-plus.ru").size() == 1);
  CHECK(mail_to(smtp, "anna@romashka.ru").size() == 1);
}

TEST_CASE("Dovecot stopped mid-run: the email source shows failing, then ok with nothing lost or doubled",
          "[integration][email]") {
  const auto dir = temp_dir("it-imap-outage");
  mail::dovecot_server dovecot(dir + "/dovecot");
  mail::smtp_server smtp(dir + "/smtp");
  std::ofstream(dir + "/imap-password") << mail::dovecot_server::password << "\n";
  std::ofstream(dir + "/reglamentd.toml") << "[channels.email]\n"
                                          << mail::imap_keys(dovecot, dir + "/imap-password")
                                          << mail::smtp_keys(smtp)
                                          << "poll_interval = 1\n"
                                          << "initial = \"all\"\n";
  daemon_process d(dir + "/data", {"--config", dir + "/reglamentd.toml"});
  http_client c(d.port());
  auto settled = settler([&] { return "reglamentd log:\n" + d.log() + "\ndovecot log:\n" + dovecot.log(); });
  auto cases = [&] {
    auto all = body(c.get("/api/v1/cases?limit=1000"));
    return all["cases"];
  };

  dovecot.deliver(mail::plain_mail("Анна <anna@romashka.ru>", "o1@romashka.ru", "Приказ", "Подготовьте приказ на отпуск"));
  REQUIRE(settled([&] { return cases().size() == 1; }));
  REQUIRE(settled([&] { return channel(c, "email")["inbound"]["state"] == "ok"; }));

  // The server goes away; mail keeps landing in the maildir.
  dovecot.stop();
  dovecot.deliver(mail::plain_mail("Игорь <igor@vektor-plus.ru>", "o2@vektor-plus.ru", "Справка", "Нужна справка 2-НДФЛ"));
  dovecot.deliver(mail::plain_mail("Елена <smirnova.ev@mail.ru>", "o3@mail.ru", "Декларация", "Когда будет декларация?"));
  json email;
  REQUIRE(settled([&] {
    email = channel(c, "email");
    return email["inbound"]["state"] == "failing";
  }));
  {
    INFO(email.dump(2));
    CHECK(email["state"] == "failing");
    CHECK_THAT(text_of(email["inbound"]["error"]),
               Catch::Contains("IMAP") && Catch::Contains("127.0.0.1:" + std::to_string(dovecot.port())));
    CHECK(email["inbound"]["since"].is_string());
    CHECK(email["inbound"]["next_retry"].is_string());
  }
  // Everything else goes on: the API answers, a message from another way is taken.
  CHECK(c.get("/healthz").status == 200);
  REQUIRE(c.post("/api/v1/inbound", inbound_email("<api-1@sever-ao.ru>", "buh@sever-ao.ru", "Вопрос по налогам").dump())
              .status == 201);
  // Backoff: the failures grow the wait (1 s, 2 s, ...), not a poll a second.
  REQUIRE(settled([&] { return channel(c, "email")["inbound"]["consecutive_failures"].get<int>() >= 2; }));

  dovecot.start();
  REQUIRE(settled([&] { return cases().size() == 4; }));
  REQUIRE(settled([&] { return channel(c, "email")["inbound"]["state"] == "ok"; }));
  email = channel(c, "email");
  CHECK(email["state"] == "ok");
  CHECK(email["inbound"]["next_retry"].is_null());
  CHECK_THAT(text_of(email["inbound"]["error"]), Catch::Contains("IMAP"));  // the last error stays to read

  // Each mail in exactly one case, each answered once.
  std::map<std::string, int> seen;
  for (const auto& k : cases()) {
    const auto one = body(c.get("/api/v1/cases/" + std::to_string(k["id"].get<long long>())));
    for (const auto& f : one["journal"])
      if (f["kind"] == "message_received") ++seen[f["data"]["external_id"].get<std::string>()];
  }
  CHECK(seen == std::map<std::string, int>{{"<api-1@sever-ao.ru>", 1}, {"o1@romashka.ru", 1}, {"o2@vektor-plus.ru", 1}, {"o3@mail.ru", 1}});
  REQUIRE(settled([&] { return mail_to(smtp, "smirnova.ev@mail.ru").size() == 1 && outbox_settled(c); }));
  for (const auto* to : {"anna@romashka.ru", "igor@vektor-plus.ru", "smirnova.ev@mail.ru"}) CHECK(mail_to(smtp, to).size() == 1);
}

TEST_CASE("IMAP answering NO: a refused login and a missing mailbox are shown with the server's words and "
          "the mail waiting meanwhile is taken once when they are put right",
          "[integration][email]") {
  const auto dir = temp_dir("it-imap-refused");
  mail::dovecot_server dovecot(dir + "/dovecot");
  mail::smtp_server smtp(dir + "/smtp");
  const auto password_file = dir + "/imap-password";
  const auto config = dir + "/reglamentd.toml";
  const auto write_config = [&](const std::string& mailbox) {
    std::ofstream(config) << "[channels.email]\n"
                          << "imap_url = \"" << dovecot.url() << mailbox << "\"\n"
                          << "username = \"" << mail::dovecot_server::user << "\"\n"
                          << "password_file = \"" << password_file << "\"\n"
                          << mail::smtp_keys(smtp) << "poll_interval = 1\n"
                          << "initial = \"all\"\n";
  };
  const auto cases = [](http_client& c) {
    auto all = body(c.get("/api/v1/cases?limit=1000"));
    return all["cases"];
  };
  // The email channel's status once its inbound side has failed `times` in a row.
  const auto failing_email = [&](daemon_process& d, http_client& c, int times) {
    json email;
    settler([&] { return "reglamentd log:\n" + d.log() + "\ndovecot log:\n" + dovecot.log(); })([&] {
      email = channel(c, "email");
      return email["inbound"]["state"] == "failing" && email["inbound"]["consecutive_failures"].get<int>() >= times;
    });
    return email;
  };
  dovecot.deliver(mail::plain_mail("Анна <anna@romashka.ru>", "r1@romashka.ru", "Приказ", "Подготовьте приказ на отпуск"));

  {
    // A wrong password: Dovecot answers NO [AUTHENTICATIONFAILED].
    std::ofstream(password_file) << "не-тот-пароль\n";
    write_config("INBOX");
    daemon_process d(dir + "/data", {"--config", config});
    http_client c(d.port());
    const auto email = failing_email(d, c, 2);
    INFO(email.dump(2));
    CHECK(email["state"] == "failing");
    const auto error = text_of(email["inbound"]["error"]);
    CHECK_THAT(error, Catch::Contains("IMAP") && Catch::Contains("127.0.0.1:" + std::to_string(dovecot.port())));
    // libcurl's summary and the server's own words.
    CHECK_THAT(error, Catch::Contains("Login denied") && Catch::Contains("NO [AUTHENTICATIONFAILED]"));
    CHECK(email["inbound"]["next_retry"].is_string());
    // The password is a secret: neither the status nor the log shows it.
    CHECK_THAT(email.dump(), !Catch::Contains("не-тот-пароль"));
    CHECK_THAT(d.log(), !Catch::Contains("не-тот-пароль"));
    CHECK(cases(c).empty());
    // The rest of the daemon serves on.
    CHECK(c.get("/healthz").status == 200);
    REQUIRE(c.post("/api/v1/inbound", inbound_email("<api-r@sever-ao.ru>", "buh@sever-ao.ru", "Вопрос по налогам").dump())
                .status == 201);
    CHECK(d.kill(SIGTERM) == 0);
  }
  {
    // The password put right, but the mailbox named in the URL does not exist: NO to SELECT/EXAMINE.
    std::ofstream(password_file) << mail::dovecot_server::password << "\n";
    write_config("Archive2025");
    daemon_process d(dir + "/data", {"--config", config});
    http_client c(d.port());
    const auto email = failing_email(d, c, 1);
    INFO(email.dump(2));
    CHECK_THAT(text_of(email["inbound"]["error"]),
               Catch::Contains("IMAP STATUS Archive2025") && Catch::Contains("NO Mailbox doesn't exist: Archive2025"));
    CHECK(cases(c).size() == 1);  // only the API's message
    CHECK(d.kill(SIGTERM) == 0);
  }
  {
    // Both right: the mail that waited through both faults is taken, once, and answered once.
    write_config("INBOX");
    daemon_process d(dir + "/data", {"--config", config});
    http_client c(d.port());
    auto settled = settler([&] { return "reglamentd log:\n" + d.log() + "\ndovecot log:\n" + dovecot.log(); });
    REQUIRE(settled([&] { return cases(c).size() == 2; }));
    REQUIRE(settled([&] { return channel(c, "email")["inbound"]["state"] == "ok"; }));
    REQUIRE(settled([&] { return mail_to(smtp, "anna@romashka.ru").size() == 1 && outbox_settled(c); }));
    dovecot.deliver(mail::plain_mail("Игорь <igor@vektor-plus.ru>", "r2@vektor-plus.ru", "Справка", "Нужна справка 2-НДФЛ"));
    REQUIRE(settled([&] { return cases(c).size() == 3; }));
    CHECK(mail_to(smtp, "anna@romashka.ru").size() == 1);
  }
}

TEST_CASE("the Bot API answering 5xx and 429 for a while: shown, retried, each message once", "[integration][telegram]") {
  fake_bot_api bot(fake_bot_api::test_token);
  const auto dir = temp_dir("it-telegram-faults");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/telegram-token") << fake_bot_api::test_token << "\n";
  std::ofstream(dir + "/reglamentd.toml") << "[channels.telegram]\n"
                                          << "api_url = \"" << bot.url() << "\"\n"
                                          << "token_file = \"" << dir << "/telegram-token\"\n"
                                          << "poll_timeout = 1\n"
                                          << "[outbox]\nretry_first_seconds = 1\nretry_max_seconds = 2\n";
  // getUpdates fails three times from the start; the first two greetings fail too.
  bot.fail("getUpdates", 502, 3, 0, "Bad Gateway");
  bot.fail("sendMessage", 500, 2, 0, "Internal Server Error");
  daemon_process d(dir + "/data", {"--config", dir + "/reglamentd.toml"});
  http_client c(d.port());
  auto settled = settler([&] { return "reglamentd log:\n" + d.log(); });

  json tg;
  REQUIRE(settled([&] {
    tg = channel(c, "telegram");
    return tg.is_object() && tg["inbound"]["state"] == "failing";
  }));
  {
    INFO(tg.dump(2));
    CHECK_THAT(text_of(tg["inbound"]["error"]), Catch::Contains("502") && Catch::Contains(bot.url()));
    CHECK_THAT(text_of(tg["inbound"]["error"]), !Catch::Contains(fake_bot_api::test_token));  // the token is never shown
    CHECK(tg["inbound"]["next_retry"].is_string());
  }
  bot.update(fake_bot_api::text_message(100001, "Подготовьте приказ на отпуск", 1));
  REQUIRE(settled([&] { return channel(c, "telegram")["inbound"]["state"] == "ok"; }));
  CHECK(channel(c, "telegram")["inbound"]["failures"] == 3);

  // The greeting: two 500s, then sent; the channel shows failing meanwhile, then ok.
  REQUIRE(settled([&] { return send_calls(bot, "100001") == 3; }));
  REQUIRE(settled([&] { return outbox_settled(c) && channel(c, "telegram")["outbound"]["state"] == "ok"; }));
  tg = channel(c, "telegram");
  CHECK(tg["outbound"]["failures"] == 2);
  CHECK(tg["outbound"]["successes"] == 1);
  CHECK_THAT(text_of(tg["outbound"]["error"]), Catch::Contains("500"));

  // 429 with retry_after: the next greeting waits that long, then goes once.
  bot.fail("sendMessage", 429, 1, 2, "Too Many Requests: retry after 2");
  bot.update(fake_bot_api::text_message(100002, "Нужна справка 2-НДФЛ", 1, "Игорь", "Смирнов"));
  REQUIRE(settled([&] { return channel(c, "telegram")["outbound"]["state"] == "failing"; }));
  CHECK_THAT(text_of(channel(c, "telegram")["outbound"]["error"]), Catch::Contains("429"));
  REQUIRE(settled([&] { return send_calls(bot, "100002") == 2 && outbox_settled(c); }));
  const auto calls = bot.calls("sendMessage");
  std::vector<double> at;
  for (const auto& call : calls)
    if (call["params"]["chat_id"] == "100002" || call["params"]["chat_id"].dump() == "100002") at.push_back(call["at"]);
  REQUIRE(at.size() == 2);
  CHECK(at[1] - at[0] >= 2.0);  // no sooner than retry_after (a lower bound, not a timing race)
  REQUIRE(settled([&] { return channel(c, "telegram")["state"] == "ok"; }));
  CHECK(send_calls(bot, "100001") == 3);
}

TEST_CASE("staff notifications: an escalation and an overdue reminder reach the director and the manager by email "
          "and Telegram, once each",
          "[integration][email][telegram]") {
  fake_bot_api bot(fake_bot_api::test_token);
  const auto dir = temp_dir("it-staff-notify");
  const auto data = dir + "/data";
  mail::smtp_server smtp(dir + "/smtp");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/telegram-token") << fake_bot_api::test_token << "\n";
  // The demo firm, with the director and Maria asking for email and Telegram notices.
  auto firm = mail::read_file(REGLAMENT_SOURCE_DIR "/playbooks/bookkeeping/firm/demo-firm.yaml");
  auto with_notify = [&](const std::string& login, const std::string& extra) {
    const std::regex line("(- \\{ login: " + login + ",[^\\n]*)( \\})");
    firm = std::regex_replace(firm, line, "$1, " + extra + "$2");
  };
  with_notify("director", "notify: [email, telegram], email: director@balans-buh.ru, telegram: \"555001\"");
  with_notify("manager", "notify: [email, telegram], email: maria@balans-buh.ru, telegram: \"555002\"");
  REQUIRE(firm.find("director@balans-buh.ru") != std::string::npos);
  REQUIRE(firm.find("maria@balans-buh.ru") != std::string::npos);
  std::ofstream(dir + "/firm.yaml") << firm;
  std::ofstream(dir + "/reglamentd.toml") << "[firm]\nfile = \"" << dir << "/firm.yaml\"\n"
                                          << "[channels.email]\n"
                                          << mail::smtp_keys(smtp)
                                          << "[channels.telegram]\n"
                                          << "api_url = \"" << bot.url() << "\"\n"
                                          << "token_file = \"" << dir << "/telegram-token\"\n"
                                          << "poll_timeout = 1\n";
  const std::vector<std::string> args{"--config", dir + "/reglamentd.toml"};
  auto d = std::make_unique<daemon_process>(data, args);
  http_client c(d->port());
  auto settled = settler([&] { return "reglamentd log:\n" + d->log(); });
  auto staff_rows = [&] {
    json out = json::array();
    for (const auto* state : {"sent", "queued", "failed", "dead"})
      for (const auto& r : outbox_rows(c, state))
        if (r["channel"] == "staff") out.push_back(r);
    return out;
  };
  auto all_staff_sent = [&] {
    for (const auto& r : staff_rows())
      if (r["state"] != "sent") return false;
    return true;
  };

  // A request the tariff check cannot place; the manager asks the director.
  auto r = c.post("/api/v1/inbound",
                  inbound_email("<n1@romashka.ru>", "anna@romashka.ru", "Хотим открыть обособленное подразделение").dump());
  REQUIRE(r.status == 201);
  const auto id = body(r)["case"].get<long long>();
  REQUIRE(settled([&] { return body(c.get("/api/v1/cases/" + std::to_string(id)))["case"]["step"]["id"] == "manager_decides"; }));
  CHECK(staff_rows().empty());
  auto act = c.post("/api/v1/cases/" + std::to_string(id) + "/actions",
                    json{{"action", "choose"}, {"step", "manager_decides"}, {"option", "Нужен руководитель"}, {"actor", "manager"}}.dump());
  REQUIRE(act.status == 200);

  // The escalation reaches the director by email and by Telegram.
  REQUIRE(settled([&] { return mail_to(smtp, "director@balans-buh.ru").size() == 1 && send_calls(bot, "555001") == 1; }));
  REQUIRE(settled(all_staff_sent));
  {
    const auto mail_text = mail_to(smtp, "director@balans-buh.ru")[0];
    CHECK_THAT(mail_text, Catch::Contains("Reglament") || Catch::Contains("=?UTF-8?"));
    const auto tg = bot.calls("sendMessage");
    std::string text;
    for (const auto& call : tg)
      if (call["params"]["chat_id"] == "555001") text = call["params"]["text"];
    CHECK_THAT(text, Catch::Contains("ждёт вашего решения") && Catch::Contains("не может определить"));
    const auto rows = staff_rows();
    REQUIRE(rows.size() == 1);
    CHECK(rows[0]["to"] == "director");
  }

  // The first-reply target passes while the daemon is down: the manager is reminded.
  REQUIRE(d->kill(SIGTERM) == 0);
  const auto past = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch()).count() - 60'000;
  run_sql(data + "/reglament.db",
      fmt::format("UPDATE timers SET due_at = {} WHERE case_id = {} AND purpose = 'sla:first_reply'", past, id));
  d = std::make_unique<daemon_process>(data, args);
  c.retarget(d->port());
  REQUIRE(settled([&] { return mail_to(smtp, "maria@balans-buh.ru").size() == 1 && send_calls(bot, "555002") == 1; }));
  REQUIRE(settled([&] { return staff_rows().size() == 2 && all_staff_sent(); }));
  {
    std::string text;
    for (const auto& call : bot.calls("sendMessage"))
      if (call["params"]["chat_id"] == "555002") text = call["params"]["text"];
    CHECK_THAT(text, Catch::Contains("клиент всё ещё ждёт первого ответа"));
    std::set<std::string> to;
    for (const auto& row : staff_rows()) to.insert(row["to"].get<std::string>());
    CHECK(to == std::set<std::string>{"director", "manager"});
  }

  // Once each, also after a restart (the dispatcher finds nothing left to send).
  REQUIRE(d->kill(SIGTERM) == 0);
  d = std::make_unique<daemon_process>(data, args);
  c.retarget(d->port());
  REQUIRE(settled([&] { return channel(c, "staff")["state"] != "failing" && outbox_settled(c); }));
  CHECK(mail_to(smtp, "director@balans-buh.ru").size() == 1);
  CHECK(mail_to(smtp, "maria@balans-buh.ru").size() == 1);
  CHECK(send_calls(bot, "555001") == 1);
  CHECK(send_calls(bot, "555002") == 1);
  CHECK(staff_rows().size() == 2);
}
