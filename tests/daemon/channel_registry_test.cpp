#include "daemon/channel_registry.hpp"

#include "tests/fakes/fake_channel.hpp"
#include "tests/fakes/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

using namespace reglament;
using namespace reglament::daemon;

namespace {

toml::table parse(const std::string& text) { return toml::parse(text); }

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const channel_config_error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("channel settings read typed keys and name the key at fault", "[channels][config]") {
  channel_settings s("email", parse(R"(enabled = true
host = "mail.example.ru"
port = 993
tls = true
folders = ["INBOX", "Заявки"]
poll_interval = 30
)"));
  CHECK(s.enabled());
  CHECK(s.required_string("host") == "mail.example.ru");
  CHECK(s.integer("port", 143, 1, 65535) == 993);
  CHECK(s.boolean("tls", false));
  CHECK(s.strings("folders") == std::vector<std::string>{"INBOX", "Заявки"});
  CHECK(s.seconds("poll_interval", std::chrono::seconds(60), std::chrono::seconds(1), std::chrono::hours(1)) ==
        std::chrono::seconds(30));
  CHECK(s.string("missing", "fallback") == "fallback");
  CHECK_NOTHROW(s.check_unknown());

  CHECK(error_of([&] { s.integer("host", 0, 1, 2); }) == "channels.email.host: expected an integer 1..2");
  CHECK(error_of([&] { s.integer("port", 0, 1, 100); }) == "channels.email.port: expected 1..100, got 993");
  CHECK(error_of([&] { s.required_string("user"); }) == "channels.email.user: required");

  channel_settings typo("telegram", parse("enabled = true\ntoken_fille = \"/x\"\n"));
  typo.string("base_url", "");
  CHECK_THAT(error_of([&] { typo.check_unknown(); }),
             Catch::StartsWith("channels.telegram.token_fille: unknown key (this channel reads: enabled, base_url)"));
  channel_settings bad_enabled("webchat", parse("enabled = \"yes\"\n"));
  CHECK(error_of([&] { bad_enabled.enabled(); }) == "channels.webchat.enabled: expected true or false");
}

TEST_CASE("a secret comes from a file or an environment variable, never the config", "[channels][config]") {
  temp_dir dir;
  {
    std::ofstream(dir.file("pw")) << "s3cret\n";
  }
  channel_settings by_file("email", parse("password_file = \"" + dir.file("pw") + "\"\n"));
  CHECK(by_file.secret("password") == "s3cret");
  CHECK_NOTHROW(by_file.check_unknown());

  ::setenv("REGLAMENT_TEST_TOKEN", "123:abc", 1);
  channel_settings by_env("telegram", parse("token_env = \"REGLAMENT_TEST_TOKEN\"\n"));
  CHECK(by_env.secret("token") == "123:abc");

  channel_settings missing_file("email", parse("password_file = \"" + dir.file("nope") + "\"\n"));
  CHECK_THAT(error_of([&] { missing_file.secret("password"); }),
             Catch::StartsWith("channels.email.password_file: cannot read '"));
  channel_settings unset_env("telegram", parse("token_env = \"REGLAMENT_TEST_UNSET_VAR\"\n"));
  CHECK(error_of([&] { unset_env.secret("token"); }) ==
        "channels.telegram.token_env: environment variable REGLAMENT_TEST_UNSET_VAR is not set");
  channel_settings inline_secret("email", parse("password = \"hunter2\"\n"));
  CHECK_THAT(error_of([&] { inline_secret.secret("password"); }),
             Catch::StartsWith("channels.email.password: write the secret in a file"));
  channel_settings both("email", parse("password_file = \"/a\"\npassword_env = \"B\"\n"));
  CHECK_THAT(error_of([&] { both.secret("password"); }), Catch::Contains("not both"));
  channel_settings none("email", parse(""));
  CHECK(error_of([&] { none.secret("password"); }) ==
        "channels.email.password_file: required (or channels.email.password_env)");
  CHECK(none.secret("password", false).empty());
}

TEST_CASE("the registry builds enabled channels and skips a misconfigured one, logging the key", "[channels]") {
  channel_registry reg;
  reg.add("email", [](channel_settings& s, const channel_env&) {
    s.required_string("host");
    return channel_parts{std::make_unique<fakes::fake_channel>("email"), nullptr};
  });
  reg.add("telegram", [](channel_settings& s, const channel_env&) {
    s.secret("token");
    return channel_parts{std::make_unique<fakes::fake_channel>("telegram"), nullptr};
  });
  reg.add("webchat", [](channel_settings&, const channel_env&) {
    return channel_parts{std::make_unique<fakes::fake_channel>("webchat"), nullptr};
  });
  std::map<std::string, toml::table> tables{
      {"email", parse("enabled = true\nhost = \"mail\"\n")},
      {"telegram", parse("enabled = true\ntoken_file = \"/nonexistent/token\"\n")},
      {"webchat", parse("enabled = false\n")},
      {"fax", parse("enabled = true\n")},
  };
  temp_dir dir;
  logger log;
  auto built = reg.build(tables, channel_env{}, log);
  REQUIRE(built.size() == 1);
  CHECK(built[0].name == "email");
  CHECK(built[0].parts.outbound->name() == "email");

  std::map<std::string, toml::table> typo{{"email", parse("enabled = true\nhost = \"mail\"\nprot = 1\n")}};
  CHECK(reg.build(typo, channel_env{}, log).empty());
}
