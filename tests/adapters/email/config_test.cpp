#include "adapters/email/config.hpp"

#include "tests/fakes/fake_channel.hpp"
#include "tests/fakes/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

using namespace reglament::email;
namespace rd = reglament::daemon;

namespace {

config read(const std::string& text) {
  rd::channel_settings s("email", toml::parse(text));
  auto c = read_config(s);
  s.check_unknown();
  return c;
}

std::string error_of(const std::string& text) {
  try {
    read(text);
  } catch (const rd::channel_config_error& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("email config reads every key and derives the mailbox and Message-ID domain", "[email]") {
  reglament::temp_dir dir;
  std::ofstream(dir.file("pw")) << "s3cret\n";
  ::setenv("REGLAMENT_TEST_SMTP_PW", "smtp-secret", 1);
  const auto c = read(R"(
imap_url = "imaps://imap.buh-firm.ru:993/Входящие"
smtp_url = "smtp://smtp.buh-firm.ru:587"
username = "office@buh-firm.ru"
password_file = ")" + dir.file("pw") + R"("
smtp_username = "relay"
smtp_password_env = "REGLAMENT_TEST_SMTP_PW"
from_address = "office@buh-firm.ru"
from_name = "Бухгалтерия «Ромашка»"
poll_interval = 30
initial = "all"
max_attachment_bytes = 1048576
)");
  CHECK(c.mailbox() == "Входящие");
  CHECK(c.imap_server() == "imaps://imap.buh-firm.ru:993/");
  CHECK(c.message_id_domain == "buh-firm.ru");
  CHECK(c.password == "s3cret");
  CHECK(c.smtp_password == "smtp-secret");
  CHECK(c.poll_interval == 30);
  CHECK(c.initial == "all");
  CHECK(c.limits.max_attachment_bytes == 1048576);
  CHECK(c.smtp_starttls);
}

TEST_CASE("email config errors name the key", "[email]") {
  CHECK(error_of("imap_url = \"http://x/\"").rfind("channels.email.imap_url: expected imap://", 0) == 0);
  CHECK(error_of("") == "channels.email.imap_url: set imap_url and/or smtp_url");
  CHECK(error_of("smtp_url = \"smtp://x\"") ==
        "channels.email.from_address: expected the firm's mailbox (name@domain) for outgoing mail");
  CHECK(error_of("imap_url = \"imap://x/\"\npoll_interval = 0") == "channels.email.poll_interval: expected 1..3600, got 0");
  CHECK(error_of("imap_url = \"imap://x/\"\ninitial = \"new\"") == "channels.email.initial: expected \"unseen\" or \"all\"");
  CHECK_THAT(error_of("imap_url = \"imap://x/\"\npassword = \"s\""), Catch::Contains("password_file"));
  CHECK_THAT(error_of("imap_url = \"imap://x/\"\npassword_file = \"/nonexistent/pw\""),
             Catch::StartsWith("channels.email.password_file: cannot read '/nonexistent/pw'"));
  CHECK_THAT(error_of("imap_url = \"imap://x/\"\npassword_env = \"REGLAMENT_NO_SUCH_VAR_42\""),
             Catch::Contains("REGLAMENT_NO_SUCH_VAR_42 is not set"));
  CHECK_THAT(error_of("imap_url = \"imap://x/\"\nfoo = 1"), Catch::StartsWith("channels.email.foo: unknown key"));
}

TEST_CASE("the email factory builds what is configured, a broken table does not stop the others", "[email]") {
  rd::channel_registry r;
  r.add("email", make_channel);
  r.add("other", [](rd::channel_settings&, const rd::channel_env&) {
    rd::channel_parts p;
    p.outbound = std::make_unique<reglament::fakes::fake_channel>("other");
    return p;
  });
  rd::logger log;
  rd::channel_env env;
  env.log = &log;

  auto both = r.build({{"email", toml::parse("imap_url = \"imap://127.0.0.1:1/INBOX\"\nsmtp_url = \"smtp://127.0.0.1:1\"\n"
                                             "from_address = \"office@buh-firm.ru\"")}},
                      env, log);
  REQUIRE(both.size() == 1);
  CHECK(both[0].parts.outbound->name() == "email");
  CHECK(both[0].parts.inbound->name() == "email");

  auto outbound_only =
      r.build({{"email", toml::parse("smtp_url = \"smtp://127.0.0.1:1\"\nfrom_address = \"office@buh-firm.ru\"")}}, env, log);
  REQUIRE(outbound_only.size() == 1);
  CHECK(outbound_only[0].parts.inbound == nullptr);

  // Logged at error level with the key at fault (stderr); the other channel is built.
  auto rest = r.build({{"email", toml::parse("imap_url = \"imap://x/\"\npassword_file = \"/nonexistent/pw\"")},
                       {"other", toml::table{}}},
                      env, log);
  REQUIRE(rest.size() == 1);
  CHECK(rest[0].name == "other");
}
