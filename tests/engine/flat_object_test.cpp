#include "engine/flat_object.hpp"

#include "engine/json_text.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <random>

namespace reglament {
namespace {

using nlohmann::json;

TEST_CASE("a flat object spells the JSON text its tree would, for any values and key order", "[flat_object]") {
  // Random objects: keys in random order (some repeated), values of every kind, nested
  // arrays and objects; the text must be what json_text() gives for the same tree.
  const std::vector<std::string> keys{"", "a", "b", "outbox", "text", "ключ", "Z", "a b", "\"q\"", "aa", "a\n"};
  const std::vector<json> values{nullptr, true, false, 0, -1, 4000, std::int64_t{-9223372036854775807LL - 1},
                                 std::uint64_t{18446744073709551615ULL}, 0.702, 1.0, -1500.5, "",
                                 "Декларация 3-НДФЛ", std::string("bad \xC3\x28"), json::array({1, "два"}),
                                 json{{"inn", "7701"}, {"b", {1, 2}}}};
  std::mt19937 rng(20261204);
  int differ = 0;
  for (int t = 0; t < 5000; ++t) {
    json tree = json::object();
    flat_object flat;
    const auto n = rng() % 12;
    for (unsigned k = 0; k < n; ++k) {
      const auto& key = keys[rng() % keys.size()];
      const auto& v = values[rng() % values.size()];
      tree[key] = v;  // the last write wins in both
      flat.set(key, v);
    }
    if (flat.dump() != json_text(tree) && ++differ <= 3) CHECK(flat.dump() == json_text(tree));
    if (flat.to_json() != tree && ++differ <= 3) CHECK(flat.to_json() == tree);
    if (flat_object::from_json(tree) != flat && ++differ <= 3) CHECK(flat_object::from_json(tree).dump() == flat.dump());
  }
  CHECK(differ == 0);
}

TEST_CASE("a flat object's typed reads give the value of that kind or the default", "[flat_object]") {
  flat_object d{{"text", "Добрый день"}, {"outbox", 3}, {"price", 1500.5}, {"dead", true},
                {"buttons", json::array({"Да", "Нет"})}, {"none", nullptr}};
  CHECK(d.size() == 6);
  CHECK(d.text("text") == "Добрый день");
  CHECK(d.text("outbox").empty());  // not a string
  CHECK(d.text("missing").empty());
  CHECK(d.integer("outbox") == 3);
  CHECK(d.integer("price") == 1500);  // truncated, as get<int64_t>() would
  CHECK_FALSE(d.integer("text").has_value());
  CHECK(d.number("price") == 1500.5);
  CHECK(d.number("outbox") == 3.0);
  CHECK(d.flag("dead", false));
  CHECK(d.flag("missing", true));
  CHECK_FALSE(d.flag("outbox", false));  // a number is not a flag
  CHECK(d.value("text", "") == "Добрый день");
  CHECK(d.value("missing", "нет") == "нет");
  CHECK(d.value("outbox", 0) == 3);
  CHECK(d["buttons"] == json::array({"Да", "Нет"}));
  CHECK(d["none"].is_null());
  CHECK(d["missing"].is_null());
  CHECK(d.contains("none"));
  CHECK_FALSE(d.contains("missing"));
  // Keys come out sorted whatever order they went in, as a JSON object's.
  CHECK(d.dump() ==
        R"({"buttons":["Да","Нет"],"dead":true,"none":null,"outbox":3,"price":1500.5,"text":"Добрый день"})");
}

TEST_CASE("a flat object keeps the first of a key given twice in braces and the last one set", "[flat_object]") {
  flat_object d{{"a", 1}, {"a", 2}};
  CHECK(d.integer("a") == 1);  // as json{{"a", 1}, {"a", 2}} keeps it
  d.set("a", "два");
  CHECK(d.text("a") == "два");
  CHECK(d.size() == 1);
}

TEST_CASE("merging flat objects sets every field of the second, its values winning", "[flat_object]") {
  std::mt19937 rng(4);
  for (int t = 0; t < 2000; ++t) {
    flat_object a, b, expected;
    for (unsigned k = rng() % 10; k > 0; --k) {
      const auto key = std::string(1, static_cast<char>('a' + rng() % 12));
      a.set(key, static_cast<int>(rng() % 100));
      expected.set(key, a.integer(key).value());
    }
    for (unsigned k = rng() % 10; k > 0; --k) {
      const auto key = std::string(1, static_cast<char>('a' + rng() % 12));
      b.set(key, "b" + key);
      expected.set(key, "b" + key);
    }
    a.merge(std::move(b));
    INFO(a.dump());
    REQUIRE(a == expected);
  }
}

TEST_CASE("a flat object read from JSON that is not an object has no fields", "[flat_object]") {
  CHECK(flat_object::from_json(json::array({1, 2})).empty());
  CHECK(flat_object::from_json(json()).empty());
  CHECK(flat_object::from_json(json("text")).dump() == "{}");
  // Integers past int64 stay exact.
  auto big = flat_object::from_json(json{{"n", std::uint64_t{18446744073709551615ULL}}});
  CHECK(big.dump() == R"({"n":18446744073709551615})");
  CHECK(big.to_json() == json{{"n", std::uint64_t{18446744073709551615ULL}}});
}

TEST_CASE("a flat object finds each key and no other, small or large", "[flat_object]") {
  // Up to two dozen fields are scanned, more are searched in order: both find the same.
  for (int size : {0, 1, 5, 24, 25, 60}) {
    flat_object d;
    for (int i = 0; i < size; ++i) d.set(fmt::format("k{:03}", i * 2), i);
    INFO("fields: " << size);
    for (int i = 0; i < size; ++i) {
      REQUIRE(d.integer(fmt::format("k{:03}", i * 2)) == i);
      REQUIRE_FALSE(d.contains(fmt::format("k{:03}", i * 2 + 1)));  // between two keys
    }
    CHECK_FALSE(d.contains(""));
    CHECK_FALSE(d.contains("k"));
    CHECK_FALSE(d.contains("k0000"));  // a key's prefix or extension is another key
    CHECK_FALSE(d.contains("zzz"));
  }
}

}  // namespace
}  // namespace reglament
