#include "adapters/spool/spool_channel.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

using namespace reglament;
namespace fs = std::filesystem;

namespace {

std::string fresh_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("reglament-spool-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  return d.string();
}

std::vector<nlohmann::json> lines(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  for (std::string l; std::getline(in, l);) out.push_back(nlohmann::json::parse(l));
  return out;
}

outbound_message msg(const std::string& key) { return {key, "email", "anna@example.ru", "Добрый день!", 12}; }

}  // namespace

TEST_CASE("a delivered message is one JSON line", "[spool]") {
  auto dir = fresh_dir("line");
  manual_clock clk(from_millis(1'800'000'000'000));
  spool::spool_channel ch(dir, "email", &clk);
  CHECK(ch.name() == "email");
  CHECK(ch.deliver(msg("c12-m1")).ok);
  auto ls = lines(ch.path());
  REQUIRE(ls.size() == 1);
  CHECK(ls[0]["key"] == "c12-m1");
  CHECK(ls[0]["channel"] == "email");
  CHECK(ls[0]["to"] == "anna@example.ru");
  CHECK(ls[0]["text"] == "Добрый день!");
  CHECK(ls[0]["case"] == 12);
  CHECK(ls[0]["at"] == to_iso8601(clk.now()));
}

TEST_CASE("a message offered again, even after a restart, is written once", "[spool]") {
  auto dir = fresh_dir("idem");
  {
    spool::spool_channel ch(dir, "telegram");
    CHECK(ch.deliver(msg("c1-m1")).ok);
    CHECK(ch.deliver(msg("c1-m1")).ok);
    CHECK(ch.deliver(msg("c1-m2")).ok);
  }
  spool::spool_channel again(dir, "telegram");  // as after a crash
  CHECK(again.size() == 2);
  CHECK(again.contains("c1-m1"));
  CHECK(again.deliver(msg("c1-m1")).ok);
  CHECK(again.deliver(msg("c1-m3")).ok);
  CHECK(lines(again.path()).size() == 3);
}

TEST_CASE("a torn last line is cut off on open", "[spool]") {
  auto dir = fresh_dir("torn");
  std::string path;
  {
    spool::spool_channel ch(dir, "email");
    ch.deliver(msg("c1-m1"));
    path = ch.path();
  }
  std::ofstream(path, std::ios::app) << R"({"key":"c1-m2","chan)";
  spool::spool_channel ch(dir, "email");
  CHECK(ch.size() == 1);
  CHECK_FALSE(ch.contains("c1-m2"));
  CHECK(ch.deliver(msg("c1-m2")).ok);
  CHECK(lines(path).size() == 2);
}

TEST_CASE("a message without a key is refused for good", "[spool]") {
  spool::spool_channel ch(fresh_dir("nokey"), "email");
  auto s = ch.deliver(msg(""));
  CHECK_FALSE(s.ok);
  CHECK(s.permanent);
}

TEST_CASE("a corrupt spool file stops start-up with its place", "[spool]") {
  auto dir = fresh_dir("corrupt");
  fs::create_directories(dir);
  std::ofstream(dir + "/email.jsonl") << "not json\n";
  CHECK_THROWS_WITH(spool::spool_channel(dir, "email"), Catch::Contains("email.jsonl:1"));
}
