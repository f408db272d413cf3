#include "adapters/email/config.hpp"

#include "tests/fakes/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

using namespace reglament::email;

namespace {

config read(const std::string& text) {
  auto t = toml::parse(text);
  return read_config(t["channels"]["email"].as_table());
}

std::string error_of(const std::string& text) {
  try {
    read(text);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("email config reads every key and derives the mailbox and Message-ID domain", "[email]") {
  const auto c = read(R"(
[channels.email]
imap_url = "imaps://imap.buh-firm.ru:993/Входящие"
smtp_url = "smtp://smtp.buh-firm.ru:587"
username = "office@buh-firm.ru"
password_env = "REGLAMENT_MAIL_PASSWORD"
from_address = "office@buh-firm.ru"
from_name = "Бухгалтерия «Ромашка»"
poll_interval = 30
initial = "all"
max_attachment_bytes = 1048576
)");
  CHECK(c.enabled);
  CHECK(c.mailbox() == "Входящие");
  CHECK(c.imap_server() == "imaps://imap.buh-firm.ru:993/");
  CHECK(c.message_id_domain == "buh-firm.ru");
  CHECK(c.poll_interval == 30);
  CHECK(c.initial == "all");
  CHECK(c.limits.max_attachment_bytes == 1048576);
  CHECK(c.smtp_starttls);
  CHECK_FALSE(read("").enabled);
}

TEST_CASE("email config errors name the key", "[email]") {
  CHECK(error_of("[channels.email]\nimap_url = \"http://x/\"").rfind("channels.email.imap_url: expected imap://", 0) == 0);
  CHECK(error_of("[channels.email]\nsmtp_url = \"smtp://x\"") ==
        "channels.email.from_address: expected the firm's mailbox (name@domain) for outgoing mail");
  CHECK(error_of("[channels.email]\nimap_url = \"imap://x/\"\npoll_interval = 0") ==
        "channels.email.poll_interval: expected an integer from 1 to 3600");
  CHECK(error_of("[channels.email]\nimap_url = \"imap://x/\"\npassword = \"s\"").find("password_file or password_env") !=
        std::string::npos);
  CHECK(error_of("[channels.email]\nimap_url = \"imap://x/\"\nfoo = 1").rfind("channels.email.foo: unknown key", 0) == 0);
  CHECK(error_of("[channels.email]\nenabled = false\nfoo = 1").rfind("channels.email.foo: unknown key", 0) == 0);
  CHECK(error_of("[channels.email]\nenabled = false").empty());
}

TEST_CASE("read_secret takes a file's first line or an environment variable", "[email]") {
  reglament::temp_dir dir;
  std::ofstream(dir.file("pw")) << "s3cret\nignored\n";
  CHECK(read_secret(dir.file("pw"), "", "channels.email.password_file") == "s3cret");
  ::setenv("REGLAMENT_TEST_MAIL_PW", "from-env", 1);
  CHECK(read_secret("", "REGLAMENT_TEST_MAIL_PW", "x") == "from-env");
  CHECK(read_secret("", "", "x").empty());
  CHECK_THROWS_WITH(read_secret(dir.file("none"), "", "channels.email.password_file"),
                    Catch::Contains("cannot read the password file"));
  CHECK_THROWS_WITH(read_secret("", "REGLAMENT_NO_SUCH_VAR_42", "channels.email.password_env"),
                    Catch::Contains("REGLAMENT_NO_SUCH_VAR_42 is not set"));
}
