#include "daemon/config.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace reglament::daemon;

namespace {
std::string write_config(const std::string& text) {
  auto p = std::filesystem::temp_directory_path() / ("reglament-config-" + std::to_string(::getpid()) + ".toml");
  std::ofstream(p) << text;
  return p.string();
}
}  // namespace

TEST_CASE("defaults load without a file", "[config]") {
  auto c = load_config(std::nullopt, {});
  CHECK(c.store.path == "var/reglament.db");
  CHECK(c.store.synchronous == "full");
  CHECK(c.http.host == "127.0.0.1");
  CHECK(c.http.port == 8080);
  CHECK(c.http.threads == 2);
  CHECK(c.spool.dir == "var/spool");
  CHECK(c.spool.channels.size() == 5);
  CHECK_FALSE(c.playbooks.dir.empty());
  CHECK_FALSE(c.firm.file.empty());
}

TEST_CASE("a file and flags override the defaults", "[config]") {
  auto f = write_config("[http]\nlisten = \"0.0.0.0:9000\"\nthreads = 4\n[log]\nformat = \"json\"\n");
  overrides o;
  o.data_dir = "/tmp/x";
  o.playbooks = "/srv/books";
  auto c = load_config(f, o);
  CHECK(c.http.host == "0.0.0.0");
  CHECK(c.http.port == 9000);
  CHECK(c.http.threads == 4);
  CHECK(c.log.format == "json");
  CHECK(c.store.path == "/tmp/x/reglament.db");
  CHECK(c.spool.dir == "/tmp/x/spool");
  CHECK(c.playbooks.dir == "/srv/books");
  CHECK(c.firm.file == "/srv/books/firm.yaml");
  o = {};
  o.listen = "127.0.0.1:0";
  CHECK(load_config(f, o).http.port == 0);
}

TEST_CASE("a bad value names the file and the key", "[config]") {
  auto f = write_config("[http]\nlisten = \"8080\"\n");
  CHECK_THROWS_WITH(load_config(f, {}), "config " + f + ": http.listen: expected HOST:PORT, got '8080'");
  f = write_config("[http]\nthreads = \"two\"\n");
  CHECK_THROWS_WITH(load_config(f, {}), Catch::Contains("http.threads: expected an integer"));
  f = write_config("[store]\npaht = \"x\"\n");
  CHECK_THROWS_WITH(load_config(f, {}), Catch::Contains("store.paht: unknown key"));
  f = write_config("[spool]\nchannels = \"email\"\n");
  CHECK_THROWS_WITH(load_config(f, {}), Catch::Contains("spool.channels: expected an array"));
  f = write_config("[http\n");
  CHECK_THROWS_WITH(load_config(f, {}), Catch::Contains("line 1"));
  CHECK_THROWS_WITH(load_config(std::string("/nonexistent.toml"), {}), Catch::Contains("no such file"));
  overrides o;
  o.listen = "localhost";
  CHECK_THROWS_WITH(load_config(std::nullopt, o), Catch::Contains("--listen: expected HOST:PORT"));
}

TEST_CASE("listen addresses", "[config]") {
  std::string h;
  unsigned short p = 1;
  CHECK(parse_listen("[::1]:0", h, p));
  CHECK(h == "::1");
  CHECK(p == 0);
  CHECK_FALSE(parse_listen(":80", h, p));
  CHECK_FALSE(parse_listen("host:70000", h, p));
  CHECK_FALSE(parse_listen("host:", h, p));
}

TEST_CASE("working hours and the production calendar", "[config]") {
  auto c = load_config(std::nullopt, {});
  CHECK(c.calendar.utc_offset_minutes == 180);
  CHECK(c.calendar.week[0].start == 9 * 60);
  CHECK(c.calendar.week[0].end == 18 * 60);
  CHECK(c.calendar.week[4].lunch_start == 13 * 60);
  CHECK(c.calendar.week[5].start == c.calendar.week[5].end);  // Saturday off
  CHECK(std::filesystem::is_regular_file(c.calendar.file));

  auto f = write_config(
      "[calendar]\nfile = \"/srv/ru.yaml\"\ntimezone = \"+05:00\"\nfriday = \"09:00-16:45\"\n"
      "saturday = \"10:00-14:00\"\nlunch = \"\"\n");
  c = load_config(f, {});
  CHECK(c.calendar.file == "/srv/ru.yaml");
  CHECK(c.calendar.utc_offset_minutes == 300);
  CHECK(c.calendar.week[4].end == 16 * 60 + 45);
  CHECK(c.calendar.week[5].start == 10 * 60);
  CHECK(c.calendar.week[0].end == 18 * 60);  // the defaults stay for the days not named
  CHECK(c.calendar.week[0].lunch_start == c.calendar.week[0].lunch_end);
  CHECK(load_config(write_config("[calendar]\ntimezone = \"UTC-03:30\"\n"), {}).calendar.utc_offset_minutes == -210);
}

TEST_CASE("a bad calendar key stops with its name", "[config]") {
  auto f = write_config("[calendar]\nmonday = \"9-18\"\n");
  CHECK_THROWS_WITH(load_config(f, {}),
                    "config " + f + ": calendar.monday: expected \"HH:MM-HH:MM\" or \"\" (none), got '9-18'");
  f = write_config("[calendar]\ntuesday = \"18:00-09:00\"\n");
  CHECK_THROWS_WITH(load_config(f, {}), Catch::Contains("calendar.tuesday: '18:00-09:00' ends before it starts"));
  f = write_config("[calendar]\nlunch = \"13:00-25:00\"\n");
  CHECK_THROWS_WITH(load_config(f, {}), Catch::Contains("calendar.lunch: expected"));
  f = write_config("[calendar]\ntimezone = \"Moscow\"\n");
  CHECK_THROWS_WITH(load_config(f, {}), Catch::Contains("calendar.timezone: expected an offset from UTC"));
  f = write_config("[calendar]\ntimezone = \"+15:00\"\n");
  CHECK_THROWS_WITH(load_config(f, {}), Catch::Contains("calendar.timezone"));
  f = write_config("[calendar]\nmondey = \"09:00-18:00\"\n");
  CHECK_THROWS_WITH(load_config(f, {}), Catch::Contains("calendar.mondey: unknown key"));
  f = write_config("[calendar]\nsaturday = 0\n");
  CHECK_THROWS_WITH(load_config(f, {}), Catch::Contains("calendar.saturday: expected a string"));
  f = write_config("[calendar]\nfile = \"\"\n");
  CHECK_THROWS_WITH(load_config(f, {}), Catch::Contains("calendar.file: must not be empty"));
  f = write_config(
      "[calendar]\nmonday = \"\"\ntuesday = \"\"\nwednesday = \"\"\nthursday = \"\"\nfriday = \"\"\n");
  CHECK_THROWS_WITH(load_config(f, {}), Catch::Contains("calendar: no working hours on any weekday"));
}

TEST_CASE("channel tables are kept for their adapters, attachments have a dir and a limit", "[config]") {
  auto f = write_config(
      "[channels.email]\nenabled = true\nhost = \"mail\"\npassword_env = \"X\"\n"
      "[channels.telegram]\nenabled = false\n"
      "[attachments]\ndir = \"/srv/files\"\nmax_bytes = 1048576\n");
  auto c = load_config(f, {});
  REQUIRE(c.channels.size() == 2);
  CHECK(c.channels["email"]["host"].value<std::string>() == "mail");
  CHECK(c.channels["telegram"]["enabled"].value<bool>() == false);
  CHECK(c.attachments.dir == "/srv/files");
  CHECK(c.attachments.max_bytes == 1048576);
  overrides o;
  o.data_dir = "/tmp/x";
  CHECK(load_config(f, o).attachments.dir == "/tmp/x/attachments");
  CHECK(load_config(std::nullopt, {}).attachments.max_bytes == 25 * 1024 * 1024);

  f = write_config("[channels]\nemail = 1\n");
  CHECK_THROWS_WITH(load_config(f, {}), Catch::Contains("channels.email: expected a [channels.email] table"));
  f = write_config("[attachments]\nmax_bytes = 10\n");
  CHECK_THROWS_WITH(load_config(f, {}), Catch::Contains("attachments.max_bytes: expected 1024..4294967296 bytes, got 10"));
}

TEST_CASE("the [auth] section: session lifetimes, cookies, throttling, a bootstrap token", "[config]") {
  auto d = load_config(std::nullopt, {});
  CHECK(d.auth.session_idle == std::chrono::hours(8));
  CHECK(d.auth.session_max == std::chrono::hours(7 * 24));
  CHECK_FALSE(d.auth.secure_cookies);
  CHECK_FALSE(d.auth.public_metrics);
  CHECK(d.auth.login_failures == 5);
  CHECK(d.auth.bootstrap_token_file.empty());

  auto f = write_config(
      "[auth]\nsession_idle = \"30m\"\nsession_max = 3600\nsecure_cookies = true\npublic_metrics = true\n"
      "login_failures = 3\nlogin_wait = \"10s\"\nbootstrap_token_file = \"/run/token\"\n");
  overrides o;
  auto c = load_config(f, o);
  CHECK(c.auth.session_idle == std::chrono::minutes(30));
  CHECK(c.auth.session_max == std::chrono::seconds(3600));
  CHECK(c.auth.secure_cookies);
  CHECK(c.auth.public_metrics);
  CHECK(c.auth.login_failures == 3);
  CHECK(c.auth.login_wait == std::chrono::seconds(10));
  CHECK(c.auth.bootstrap_token_file == "/run/token");
  o.bootstrap_token_file = "/tmp/other";
  CHECK(load_config(f, o).auth.bootstrap_token_file == "/tmp/other");

  f = write_config("[auth]\nsession_idle = \"8 hours\"\n");
  CHECK_THROWS_WITH(load_config(f, {}), Catch::Contains("auth.session_idle: expected a duration"));
  f = write_config("[auth]\nsession_idle = \"0s\"\n");
  CHECK_THROWS_WITH(load_config(f, {}), Catch::Contains("auth.session_idle: expected at least 1 second"));
  f = write_config("[auth]\nsecure_cookies = \"yes\"\n");
  CHECK_THROWS_WITH(load_config(f, {}), Catch::Contains("auth.secure_cookies: expected true or false"));
  f = write_config("[auth]\nlogin_wait = \"10m\"\nlogin_max_wait = \"1m\"\n");
  CHECK_THROWS_WITH(load_config(f, {}), Catch::Contains("auth.login_max_wait"));
  f = write_config("[auth]\npassword = \"x\"\n");
  CHECK_THROWS_WITH(load_config(f, {}), Catch::Contains("auth.password: unknown key"));
}
