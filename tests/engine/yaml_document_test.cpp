#include "engine/yaml_document.hpp"

#include <catch2/catch.hpp>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

using namespace reglament;

namespace {

yaml_document parse_ok(std::string_view text) {
  yaml_error err;
  auto doc = yaml_document::parse(text, &err);
  INFO(text);
  INFO(err.mark.line << ":" << err.mark.column << " " << err.message);
  REQUIRE(doc);
  return std::move(*doc);
}

yaml_error parse_error(std::string_view text) {
  yaml_error err;
  auto doc = yaml_document::parse(text, &err);
  INFO(text);
  REQUIRE_FALSE(doc);
  return err;
}

bool at(const yaml_node& n, int line, int column) {
  INFO(n.mark().line << ":" << n.mark().column << ", expected " << line << ":" << column);
  return n.mark().line == line && n.mark().column == column;
}

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Checks that our tree is yaml-cpp's: the same kinds, texts and positions. Nulls'
// positions differ on purpose: yaml-cpp placed an empty value at the token after it
// (often the next line), we place it right after its key, where the owner wrote it.
void same_as_yaml_cpp(const yaml_node& ours, const YAML::Node& theirs, const std::string& where) {
  INFO(where << " at " << ours.mark().line << ":" << ours.mark().column << ", yaml-cpp "
             << theirs.Mark().line + 1 << ":" << theirs.Mark().column + 1);
  if (theirs.IsNull()) {
    CHECK(ours.is_null());
    return;
  }
  CHECK(ours.mark().line == theirs.Mark().line + 1);
  CHECK(ours.mark().column == theirs.Mark().column + 1);
  if (theirs.IsScalar()) {
    REQUIRE(ours.is_scalar());
    CHECK(ours.text() == theirs.Scalar());
    CHECK((ours.style() == yaml_style::plain) == (theirs.Tag() == "?"));
  } else if (theirs.IsSequence()) {
    REQUIRE(ours.is_sequence());
    REQUIRE(ours.size() == theirs.size());
    std::size_t i = 0;
    for (yaml_node item : ours.items()) {
      same_as_yaml_cpp(item, theirs[i], where + "[" + std::to_string(i) + "]");
      ++i;
    }
  } else {
    REQUIRE(ours.is_map());
    REQUIRE(ours.size() == theirs.size());
    auto it = theirs.begin();
    for (auto [key, value] : ours.entries()) {
      const std::string name = it->first.IsScalar() ? it->first.Scalar() : "?";
      same_as_yaml_cpp(key, it->first, where + " key " + name);
      same_as_yaml_cpp(value, it->second, where + "." + name);
      ++it;
    }
  }
}

}  // namespace

TEST_CASE("Every node kind comes with its line and column", "[yaml]") {
  auto doc = parse_ok(
      "id: intake\n"
      "count: 5\n"
      "quoted: \"5\"\n"
      "single: 'да'\n"
      "empty:\n"
      "tilde: ~\n"
      "list:\n"
      "  - a\n"
      "  - [b, {c: d}]\n"
      "map: {x: 1, y: }\n");
  yaml_node root = doc.root();
  REQUIRE(root.is_map());
  CHECK(at(root, 1, 1));
  CHECK(root.size() == 8);
  CHECK(root["id"].text() == "intake");
  CHECK(at(root["id"], 1, 5));
  CHECK(root["count"].style() == yaml_style::plain);
  CHECK(root["quoted"].text() == "5");
  CHECK(root["quoted"].style() == yaml_style::double_quoted);
  CHECK(root["single"].style() == yaml_style::single_quoted);
  CHECK(root["single"].text() == "да");
  CHECK(root["empty"].is_null());
  CHECK(at(root["empty"], 5, 7));  // right after the key, on its line
  CHECK(root["tilde"].is_null());
  CHECK(root["tilde"].text().empty());

  yaml_node list = root["list"];
  REQUIRE(list.is_sequence());
  CHECK(at(list, 8, 3));
  REQUIRE(list.size() == 2);
  std::vector<yaml_node> items(list.items().begin(), list.items().end());
  CHECK(items[0].text() == "a");
  CHECK(items[1].is_sequence());
  CHECK(at(items[1], 9, 5));
  CHECK(items[1].size() == 2);
  yaml_node inner = *++items[1].items().begin();
  CHECK(inner.is_map());
  CHECK(at(inner["c"], 9, 13));

  yaml_node map = root["map"];
  CHECK(at(map, 10, 6));
  CHECK(map["x"].text() == "1");
  CHECK(map["y"].is_null());

  // What is not there is absent, unlike a null; lookups on other kinds give absent too.
  CHECK_FALSE(root["nothing"]);
  CHECK(root["empty"]);
  CHECK_FALSE(root["id"]["x"]);
  CHECK_FALSE(list["a"]);
  CHECK(root["id"].size() == 0);
  CHECK(root["nothing"].mark().line == 0);
  CHECK(root["nothing"].text().empty());
  CHECK(list.items().begin() != list.items().end());
  CHECK(root["id"].items().begin() == root["id"].items().end());
  CHECK(root["id"].entries().begin() == root["id"].entries().end());
}

TEST_CASE("Nulls and tags are told apart as yaml-cpp did", "[yaml]") {
  auto doc = parse_ok(
      "a: ~\nb: null\nc: Null\nd: NULL\ne:\nf: nULL\ng: \"~\"\nh: ''\ni: !!str ~\nj: !custom null\n"
      "k: !!int 5\n");
  yaml_node r = doc.root();
  for (const char* key : {"a", "b", "c", "d", "e"}) {
    INFO(key);
    CHECK(r[key].is_null());
  }
  for (const char* key : {"f", "g", "h", "i", "j"}) {
    INFO(key);
    CHECK(r[key].is_scalar());
  }
  CHECK(r["g"].text() == "~");
  CHECK(r["h"].text().empty());
  CHECK(r["i"].tag() == "tag:yaml.org,2002:str");
  CHECK(r["j"].tag() == "!custom");
  CHECK(r["k"].tag() == "tag:yaml.org,2002:int");
  CHECK(r["k"].text() == "5");
  CHECK(r["a"].tag().empty());
}

TEST_CASE("Booleans are read exactly as yaml-cpp read them", "[yaml]") {
  const std::vector<std::string> words{
      "true", "false", "True", "False", "TRUE", "FALSE", "tRUE", "fAlse", "yes", "no", "Yes", "NO", "yES",
      "y", "n", "Y", "N", "on", "off", "On", "OFF", "oN", "1", "0", "", "t", "f", "да", "нет", "truee",
      " true", "true ", "enabled", "~", "null", "ON", "Off", "NO ", "nO"};
  for (const auto& w : words) {
    for (const char* quote : {"", "\"", "'"}) {
      const std::string text = std::string("v: ") + quote + w + quote + "\n";
      INFO(text);
      bool theirs = false;
      const bool theirs_ok = YAML::convert<bool>::decode(YAML::Load(text)["v"], theirs);
      auto doc = parse_ok(text);
      auto ours = doc.root()["v"].as_bool();
      CHECK(ours.has_value() == theirs_ok);
      if (ours && theirs_ok) CHECK(*ours == theirs);
    }
  }
  auto doc = parse_ok("m: {a: 1}\ns: [true]\n");
  CHECK_FALSE(doc.root()["m"].as_bool());
  CHECK_FALSE(doc.root()["s"].as_bool());
  CHECK_FALSE(doc.root()["absent"].as_bool());
}

TEST_CASE("An alias is the node its anchor names", "[yaml]") {
  auto doc = parse_ok("base: &b {after: 2 дня, go: next}\ncopy: *b\nword: &w привет\nagain: *w\n");
  yaml_node r = doc.root();
  CHECK(at(r["copy"], 1, 7));
  CHECK(r["copy"]["after"].text() == "2 дня");
  CHECK(r["again"].text() == "привет");
  CHECK(at(r["again"], 3, 7));

  yaml_error unknown = parse_error("a: 1\nb: *nowhere\n");
  CHECK(unknown.mark.line == 2);
  CHECK(unknown.mark.column == 4);
  CHECK_THAT(unknown.message, Catch::Contains("*nowhere") && Catch::Contains("якорь"));

  yaml_error cycle = parse_error("a: &loop\n  - x\n  - *loop\n");
  CHECK(cycle.mark.line == 3);
  CHECK_THAT(cycle.message, Catch::Contains("не может содержать себя"));
}

TEST_CASE("Block scalars keep their lines as written", "[yaml]") {
  auto doc = parse_ok(
      "literal: |\n  строка 1\n  строка 2\n"
      "folded: >\n  одна\n  фраза\n\n  абзац\n"
      "strip: |-\n  без перевода\n"
      "keep: |+\n  с переводами\n\n"
      "next: x\n");
  yaml_node r = doc.root();
  CHECK(r["literal"].text() == "строка 1\nстрока 2\n");
  CHECK(r["literal"].style() == yaml_style::literal);
  CHECK(at(r["literal"], 1, 10));
  CHECK(r["folded"].text() == "одна фраза\nабзац\n");
  CHECK(r["folded"].style() == yaml_style::folded);
  CHECK(r["strip"].text() == "без перевода");
  CHECK(r["keep"].text() == "с переводами\n\n");
  CHECK(at(r["next"], 14, 7));
}

TEST_CASE("Columns count bytes, as diagnostics did with yaml-cpp", "[yaml]") {
  auto doc = parse_ok("ключ: значение\nты: \"Привет, {{имя}}\"\nсписок: [один, два]\n");
  yaml_node r = doc.root();
  CHECK(r["ключ"].text() == "значение");
  CHECK(at(r["ключ"], 1, 11));  // "ключ: " is 10 bytes
  CHECK(r["ты"].text() == "Привет, {{имя}}");
  CHECK(at(r["ты"], 2, 7));
  std::vector<yaml_node> items(r["список"].items().begin(), r["список"].items().end());
  REQUIRE(items.size() == 2);
  CHECK(at(items[1], 3, 26));

  // A byte order mark is not a column; Windows line ends are not either.
  auto bom = parse_ok("\xef\xbb\xbfid: x\r\nтитул: y\r\n");
  CHECK(at(bom.root()["id"], 1, 5));
  CHECK(at(bom.root()["титул"], 2, 13));
}

TEST_CASE("A UTF-16 text with its byte order mark is read, columns in characters", "[yaml]") {
  std::string text = "\xff\xfe";  // UTF-16LE
  for (char c : std::string("a: 1\nbb: [x]\n")) text += {c, '\0'};
  auto doc = parse_ok(text);
  CHECK(doc.root()["a"].text() == "1");
  CHECK(at(doc.root()["bb"], 2, 5));
}

TEST_CASE("Syntax errors say what and where", "[yaml]") {
  yaml_error flow = parse_error("id: broken\nsteps:\n  - id: greet\n    say: [незакрытый список\n  - id: done\n");
  CHECK(flow.mark.line == 5);
  CHECK(flow.mark.column == 7);
  CHECK(flow.message == "did not find expected ',' or ']' (while parsing a flow sequence started at line 4, column 10)");

  yaml_error indent = parse_error("a:\n  b: 1\n c: 2\n");
  CHECK(indent.mark.line == 3);
  CHECK_THAT(indent.message, Catch::Contains("block mapping"));

  yaml_error tab = parse_error("a:\n\tb: 1\n");
  CHECK(tab.mark.line == 2);

  yaml_error quote = parse_error("title: \"Привет\nsteps: []\n");
  CHECK(quote.mark.line == 3);
  CHECK_THAT(quote.message, Catch::Contains("quoted scalar"));

  yaml_error utf8 = parse_error("id: x\ntitle: \xff\xfe\n");
  CHECK(utf8.mark.line == 2);
  CHECK(utf8.mark.column == 8);
  CHECK_THAT(utf8.message, Catch::Contains("UTF-8"));
}

TEST_CASE("A text without a document is a null without a place, only the first document counts", "[yaml]") {
  for (const char* text : {"", "# только комментарий\n", "\n\n"}) {
    auto doc = parse_ok(text);
    CHECK(doc.root().is_null());
    CHECK(doc.root().mark().line == 0);
  }
  auto dashes = parse_ok("---\n");
  CHECK(dashes.root().is_null());

  auto two = parse_ok("a: 1\n---\nb: 2\n--- [\n");
  CHECK(two.root()["a"].text() == "1");
  CHECK_FALSE(two.root()["b"]);
  auto scalar = parse_ok("--- просто текст\n...\n");
  CHECK(scalar.root().text() == "просто текст");
}

TEST_CASE("A repeated key is kept twice in order, a lookup finds the first, as yaml-cpp", "[yaml]") {
  auto doc = parse_ok("a: 1\nb: 2\na: 3\n? [complex]\n: 4\n");
  yaml_node r = doc.root();
  CHECK(r.size() == 4);
  CHECK(r["a"].text() == "1");
  std::vector<std::string> keys;
  for (auto [key, value] : r.entries()) keys.emplace_back(key.is_scalar() ? key.text() : "[]");
  CHECK(keys == std::vector<std::string>{"a", "b", "a", "[]"});
}

TEST_CASE("Deep nesting builds without recursion", "[yaml]") {
  const int depth = 100000;
  std::string text(depth, '[');
  text += "дно";
  text += std::string(depth, ']');
  auto doc = parse_ok(text);
  yaml_node n = doc.root();
  int levels = 0;
  while (n.is_sequence()) {
    REQUIRE(n.size() == 1);
    n = *n.items().begin();
    ++levels;
  }
  CHECK(levels == depth);
  CHECK(n.text() == "дно");

  std::string maps;
  for (int i = 0; i < 20000; ++i) maps += std::string(static_cast<std::size_t>(i), ' ') + "k:\n";
  auto deep_map = parse_ok(maps);
  CHECK(deep_map.root()["k"]["k"].is_map());
}

TEST_CASE("A moved document keeps its nodes valid", "[yaml]") {
  auto doc = parse_ok("a: [x, y]\n");
  yaml_node a = doc.root()["a"];
  yaml_document moved = std::move(doc);
  CHECK(a.size() == 2);
  CHECK((*a.items().begin()).text() == "x");
  CHECK(moved.root()["a"].size() == 2);
}

TEST_CASE("Every shipped playbook and test file reads as yaml-cpp read it", "[yaml]") {
  namespace fs = std::filesystem;
  const fs::path source(REGLAMENT_SOURCE_DIR);
  int files = 0;
  for (const char* dir : {"playbooks", "tests"}) {
    for (const auto& entry : fs::recursive_directory_iterator(source / dir)) {
      if (entry.path().string().find("node_modules") != std::string::npos) continue;
      if (entry.path().extension() != ".yaml") continue;
      const std::string text = read(entry.path());
      const std::string name = fs::relative(entry.path(), source).string();
      INFO(name);
      YAML::Node theirs;
      try {
        theirs = YAML::Load(text);
      } catch (const YAML::Exception& e) {
        yaml_error err;
        CHECK_FALSE(yaml_document::parse(text, &err));
        CHECK(err.mark.line == e.mark.line + 1);
        continue;
      }
      auto doc = parse_ok(text);
      same_as_yaml_cpp(doc.root(), theirs, name);
      ++files;
    }
  }
  CHECK(files > 50);
}
