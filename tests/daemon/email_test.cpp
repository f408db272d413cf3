// Integration: the email channel in the real reglamentd, against a real Dovecot (IMAP) and
// aiosmtpd (SMTP) on loopback. A Russian mail in windows-1251 becomes a case for the right
// client and the greeting goes out threaded with an encoded Russian subject; a KOI8-R
// reply joins the case; a duplicate and an auto-reply start nothing; a killed and
// restarted daemon fetches and sends nothing twice; an IMAP server that goes away is
// logged and the daemon serves on and catches up when it is back. Also: a broken
// [channels.email] table is logged by key and the daemon runs.
#include "tests/daemon/daemon_process.hpp"

#include "adapters/email/mime_parser.hpp"
#include "tests/adapters/email/mail_servers.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <regex>
#include <set>

using namespace reglament::testing;
namespace mail = reglament::email;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

json body(const http_reply& r) { return json::parse(r.body); }

std::string fixture(const std::string& name) {
  return mail::testing::read_file(REGLAMENT_SOURCE_DIR "/tests/daemon/fixtures/email/" + name);
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

// Waits for `done` (a loaded machine may need a while; not a timing assertion).
bool wait_for(const std::function<bool()>& done) {
  for (int i = 0; i < 3000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

std::vector<json> cases_of(http_client& c, const std::string& client) {
  std::vector<json> out;
  const auto list = body(c.get("/api/v1/cases?limit=1000"));
  for (const auto& cs : list["cases"])
    if (cs["client"] == client) out.push_back(cs);
  return out;
}

std::vector<json> received_messages(http_client& c, long long id) {
  std::vector<json> out;
  const auto cs = body(c.get("/api/v1/cases/" + std::to_string(id)));
  for (const auto& f : cs["journal"])
    if (f["kind"] == "message_received") out.push_back(f["data"]);
  return out;
}

bool nothing_queued_for_email(http_client& c) {
  for (const auto& state : {"queued", "failed"}) {
    const auto list = body(c.get(std::string("/api/v1/outbox?limit=1000&state=") + state));
    for (const auto& row : list["outbox"])
      if (row["channel"] == "email") return false;
  }
  return true;
}

// What aiosmtpd received, parsed back with GMime; `to` from the envelope.
struct sent_mail {
  std::string to;
  std::string raw;
  mail::parsed_mail parsed;
};

std::vector<sent_mail> sent(const mail::testing::smtp_server& smtp) {
  std::vector<sent_mail> out;
  for (const auto& raw : smtp.received()) {
    sent_mail m;
    const auto at = raw.find("X-Envelope-To: ");
    m.to = raw.substr(at + 15, raw.find("\r\n", at) - at - 15);
    m.raw = raw;
    m.parsed = mail::parse_mail(raw);
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<sent_mail> sent_to(const mail::testing::smtp_server& smtp, const std::string& to) {
  auto all = sent(smtp);
  all.erase(std::remove_if(all.begin(), all.end(), [&](const sent_mail& m) { return m.to != to; }), all.end());
  return all;
}

std::string raw_header(const std::string& raw, const std::string& name) {
  const auto at = raw.find("\r\n" + name + ": ");
  if (at == std::string::npos) return {};
  return raw.substr(at + 4 + name.size(), raw.find("\r\n", at + 2) - at - 4 - name.size());
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

}  // namespace

TEST_CASE("reglamentd takes clients' email by IMAP and answers by SMTP", "[integration][email]") {
  auto dir = temp_dir("it-email");
  mail::testing::dovecot_server dovecot(dir + "/dovecot");
  mail::testing::smtp_server smtp(dir + "/smtp", "relay:relay-secret");
  std::ofstream(dir + "/imap-password") << mail::testing::dovecot_server::password << "\n";
  std::ofstream(dir + "/smtp-password") << "relay-secret\n";
  std::ofstream(dir + "/reglamentd.toml")
      << "[channels.email]\n"
      << "imap_url = \"" << dovecot.url() << "INBOX\"\n"
      << "username = \"" << mail::testing::dovecot_server::user << "\"\n"
      << "password_file = \"" << dir << "/imap-password\"\n"
      << "smtp_url = \"" << smtp.url() << "\"\n"
      << "smtp_starttls = false\n"
      << "smtp_username = \"relay\"\n"
      << "smtp_password_file = \"" << dir << "/smtp-password\"\n"
      << "from_address = \"office@balans-buh.ru\"\n"
      << "from_name = \"Бухгалтерия «Баланс»\"\n"
      << "poll_interval = 1\n"
      << "initial = \"all\"\n";
  const std::vector<std::string> args{"--config", dir + "/reglamentd.toml"};
  auto d = std::make_unique<daemon_process>(dir + "/data", args);
  http_client c(d->port());
  // On a failed wait, the daemon's and Dovecot's logs as they are then.
  auto settled = [&](const std::function<bool()>& done) {
    if (wait_for(done)) return true;
    FAIL_CHECK("reglamentd log:\n" << d->log() << "\ndovecot log:\n" << dovecot.log());
    return false;
  };

  // 1. A request in windows-1251 becomes a case for ООО «Ромашка».
  dovecot.deliver(fixture("request_cp1251.eml"));
  REQUIRE(settled([&] { return cases_of(c, "romashka").size() == 1; }));
  const auto id = cases_of(c, "romashka")[0]["id"].get<long long>();
  auto cs = body(c.get("/api/v1/cases/" + std::to_string(id)));
  CHECK(cs["case"]["playbook"] == "intake");
  CHECK(cs["case"]["channel"] == "email");
  auto in = received_messages(c, id);
  REQUIRE(in.size() == 1);
  CHECK(in[0]["subject"] == "Акт сверки с ООО «Вектор» за III квартал");
  CHECK(in[0]["sender_name"] == "Анна Петрова");
  CHECK_THAT(in[0]["text"].get<std::string>(), Catch::Contains("Прошу подготовить акт сверки с ООО «Вектор»"));
  CHECK_THAT(in[0]["text"].get<std::string>(), !Catch::Contains("главный бухгалтер"));  // the signature is cut
  CHECK_THAT(in[0]["original"].get<std::string>(), Catch::Contains("главный бухгалтер ООО «Ромашка»"));

  // 2. The greeting reaches the SMTP server, threaded, with an encoded Russian subject.
  REQUIRE(settled([&] { return !sent_to(smtp, "anna@romashka.ru").empty(); }));
  const auto greeting = sent_to(smtp, "anna@romashka.ru")[0];
  INFO(greeting.raw);
  CHECK(greeting.parsed.kind == mail::parsed_mail::verdict::message);
  CHECK(greeting.parsed.from_address == "office@balans-buh.ru");
  CHECK(greeting.parsed.from_name == "Бухгалтерия «Баланс»");
  CHECK_FALSE(greeting.parsed.message_id.empty());
  CHECK(greeting.parsed.in_reply_to == "cp1251-request-1@romashka.ru");
  CHECK(std::count(greeting.parsed.references.begin(), greeting.parsed.references.end(),
                   "cp1251-request-1@romashka.ru") == 1);
  CHECK(greeting.parsed.subject == "Re: Акт сверки с ООО «Вектор» за III квартал [#" + std::to_string(id) + "]");
  CHECK_THAT(raw_header(greeting.raw, "Subject"), Catch::Contains("=?UTF-8?B?"));  // RFC 2047 on the wire
  CHECK_FALSE(raw_header(greeting.raw, "Date").empty());
  CHECK_THAT(greeting.parsed.text, Catch::Contains("Анна Сергеевна"));
  CHECK_THAT(greeting.parsed.text, Catch::Contains(std::to_string(id)));

  // 3. Her reply (KOI8-R, quoting us) joins the same case; the quote is cut from the text.
  std::string refs = "<cp1251-request-1@romashka.ru> <" + greeting.parsed.message_id + ">";
  dovecot.deliver(replace_all(replace_all(fixture("reply_koi8r.eml.in"), "@IN_REPLY_TO@",
                                          "<" + greeting.parsed.message_id + ">"),
                              "@REFERENCES@", refs));
  REQUIRE(settled([&] { return received_messages(c, id).size() == 2; }));
  in = received_messages(c, id);
  CHECK(in[1]["subject"] == "Re: Акт сверки");
  CHECK_THAT(in[1]["text"].get<std::string>(), Catch::Contains("в двух экземплярах"));
  CHECK_THAT(in[1]["text"].get<std::string>(), !Catch::Contains("Спасибо за заявку"));
  CHECK(cases_of(c, "romashka").size() == 1);

  // 4. The same request again (a second copy in the mailbox) is a duplicate: no second case.
  dovecot.deliver(fixture("request_cp1251.eml"));
  REQUIRE(settled([&] { return d->log().find("is a duplicate (case " + std::to_string(id) + ")") != std::string::npos; }));
  CHECK(cases_of(c, "romashka").size() == 1);
  CHECK(received_messages(c, id).size() == 2);

  // 5. Her out-of-office answer starts no case and no reply: it is kept as an ignored item.
  dovecot.deliver(replace_all(fixture("autoreply.eml.in"), "@IN_REPLY_TO@", "<" + greeting.parsed.message_id + ">"));
  auto ignored = [&] {
    const auto list = body(c.get("/api/v1/channel-errors?all=1"));
    for (const auto& e : list["channel_errors"])
      if (e["external_id"] == "autoreply-1@romashka.ru") return e;
    return json();
  };
  REQUIRE(settled([&] { return ignored().is_object(); }));
  CHECK(ignored()["channel"] == "email");
  CHECK_THAT(ignored()["reason"].get<std::string>(), Catch::Contains("ignored:"));
  CHECK_THAT(ignored()["reason"].get<std::string>(), Catch::Contains("Auto-Submitted"));
  CHECK(cases_of(c, "romashka").size() == 1);
  CHECK(received_messages(c, id).size() == 2);
  // The source logs the item after saving its cursor: from then on a kill cannot make it
  // read the item again (before, it may, and the channel error would be kept once more).
  static const std::regex logged_after_cursor(R"(msg="email: INBOX UID [0-9]+ ignored: auto-reply)");
  REQUIRE(settled([&] { return std::regex_search(d->log(), logged_after_cursor); }));

  // 6. Killed and restarted: nothing fetched or sent twice.
  REQUIRE(settled([&] { return nothing_queued_for_email(c); }));
  const auto sent_before = sent(smtp).size();
  CHECK(d->kill(SIGKILL) == 128 + SIGKILL);
  const auto log_before = d->log().size();
  d = std::make_unique<daemon_process>(dir + "/data", args);
  c.retarget(d->port());
  dovecot.deliver(fixture("later_utf8.eml"));
  REQUIRE(settled([&] { return cases_of(c, "vektor").size() == 1; }));
  REQUIRE(settled([&] { return !sent_to(smtp, "igor@vektor-plus.ru").empty(); }));
  REQUIRE(settled([&] { return nothing_queued_for_email(c); }));
  {
    const auto after = d->log().substr(log_before);
    INFO(after);
    CHECK(count(after, "accepted into case") == 1);  // only the new message
    CHECK(count(after, "is a duplicate") == 0);
    CHECK(count(after, "ignored:") == 0);
    std::set<std::string> ids;
    for (const auto& m : sent(smtp)) CHECK(ids.insert(m.parsed.message_id).second);  // nothing sent twice
    for (std::size_t i = sent_before; i < sent(smtp).size(); ++i) CHECK(sent(smtp)[i].to != "anna@romashka.ru");
    CHECK(cases_of(c, "romashka").size() == 1);
    CHECK(received_messages(c, id).size() == 2);
  }

  // 7. The IMAP server goes away: logged, the daemon serves on, and catches up after.
  const auto log_at_outage = d->log().size();
  dovecot.stop();
  dovecot.deliver(fixture("outage_koi8r.eml"));  // lands in the maildir meanwhile
  REQUIRE(settled([&] {
    const auto tail = d->log().substr(log_at_outage);
    return tail.find(" error msg=\"email: IMAP") != std::string::npos;
  }));
  CHECK_THAT(d->log().substr(log_at_outage), Catch::Contains("retrying in"));
  CHECK(c.get("/healthz").status == 200);
  CHECK(c.get("/api/v1/cases/" + std::to_string(id)).status == 200);
  dovecot.start();
  REQUIRE(settled([&] { return cases_of(c, "ip_smirnova").size() == 1; }));
  const auto sid = cases_of(c, "ip_smirnova")[0]["id"].get<long long>();
  auto outage = received_messages(c, sid);
  REQUIRE(outage.size() == 1);
  CHECK(outage[0]["subject"] == "Декларация по УСН");
  CHECK_THAT(outage[0]["text"].get<std::string>(), Catch::Contains("Когда будет готова декларация"));
  CHECK(settled([&] { return !sent_to(smtp, "smirnova.ev@mail.ru").empty(); }));
}

TEST_CASE("a broken [channels.email] table is logged by key and the daemon runs without it", "[integration][email]") {
  auto dir = temp_dir("it-email-config");
  std::ofstream(dir + "/reglamentd.toml") << "[spool]\nchannels = [\"email\", \"telegram\"]\n"
                                          << "[channels.email]\n"
                                          << "imap_url = \"imap://127.0.0.1:1/INBOX\"\n"
                                          << "password_file = \"" << dir << "/no-such-password\"\n";
  daemon_process d(dir + "/data", {"--config", dir + "/reglamentd.toml"});
  http_client c(d.port());
  CHECK(c.get("/healthz").status == 200);
  CHECK_THAT(d.log(), Catch::Contains("channel not started: its configuration is wrong; the other channels go on"));
  CHECK_THAT(d.log(), Catch::Contains("channels.email.password_file: cannot read '" + dir + "/no-such-password'"));
  // The rest runs: a message on another channel opens a case and its greeting is delivered.
  auto opened = c.post("/api/v1/inbound", json{{"channel", "telegram"}, {"external_id", "t1"}, {"sender", "100001"},
                                               {"text", "Добрый день"}}.dump());
  REQUIRE(opened.status == 201);
  CHECK(wait_for([&] {
    return mail::testing::read_file(dir + "/data/spool/telegram.jsonl").find("\"to\":\"100001\"") != std::string::npos;
  }));
}
