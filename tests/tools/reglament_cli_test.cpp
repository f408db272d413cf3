// Runs the real `reglament` binary: exit codes, what the owner reads on the terminal,
// and a scripted rehearsal answered through stdin.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

struct run_result {
  int code = -1;
  std::string out;
};

// Runs `args` with `input` on stdin; stdout and stderr together.
run_result run(const std::string& args, const std::string& input = "") {
  namespace fs = std::filesystem;
  auto in = fs::temp_directory_path() / ("reglament-cli-in-" + std::to_string(::getpid()));
  std::ofstream(in) << input;
  std::string cmd = std::string(REGLAMENT_BINARY) + " " + args + " < " + in.string() + " 2>&1";
  run_result r;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::array<char, 4096> buf{};
  while (auto n = std::fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
  int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  fs::remove(in);
  return r;
}

const std::string src = REGLAMENT_SOURCE_DIR;

}  // namespace

TEST_CASE("validate: the shipped set is clean, a broken file is reported with its position", "[cli]") {
  auto ok = run("validate " + src + "/playbooks/bookkeeping");
  CHECK(ok.code == 0);
  CHECK_THAT(ok.out, Catch::Contains("0 errors"));

  auto bad = run("validate " + src + "/tests/engine/fixtures/missing_target.yaml");
  CHECK(bad.code == 1);
  CHECK_THAT(bad.out, Catch::Contains("missing_target.yaml:5:11: error: step greet"));
  CHECK_THAT(bad.out, Catch::Contains("finish"));  // the near match is suggested
}

TEST_CASE("graph: every branch of the intake playbook is an edge with its label", "[cli]") {
  auto r = run("graph " + src + "/playbooks/bookkeeping/intake.yaml --format dot");
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("digraph"));
  CHECK_THAT(r.out, Catch::Contains("Хочет срочно и бесплатно"));
  CHECK_THAT(r.out, Catch::Contains("Беру клиента на себя"));
}

TEST_CASE("test: the shipped stories pass with full coverage, the exit code says so", "[cli]") {
  auto r = run("test " + src + "/playbooks/bookkeeping --require-full-coverage");
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("(100%)"));
  CHECK_THAT(r.out, Catch::Contains("0 failures"));
}

TEST_CASE("rehearse: a newcomer walks the paid path to the end from the terminal", "[cli]") {
  // Client asks for an HR document (not in the tariff); manager quotes 1500, client agrees,
  // the invoice is issued with its number, payment arrives, the work waits a day, the
  // accountant is done.
  auto r = run("rehearse intake --client romashka",
               "Подготовьте приказ на отпуск\n1500\nзавтра\nДа, согласна\n1\n1\n");
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("Доброе утро, Анна Сергеевна!"));
  CHECK_THAT(r.out, Catch::Contains("Стоимость — 1500 руб., срок — завтра"));
  CHECK_THAT(r.out, Catch::Contains("Кнопки: [Да, согласен] [Нет]"));
  CHECK_THAT(r.out, Catch::Contains("выставили счёт № 2026-0001 на 1500 руб., оплатить до 30.11.2026"));
  CHECK_THAT(r.out, Catch::Contains("⏳ Прошло время: пн 23.11.2026 10:00 → вт 24.11.2026 10:00"));
  CHECK_THAT(r.out, Catch::Contains("Заявка 1 закрыта: done"));
}

TEST_CASE("rehearse: an unknown playbook is a clear error", "[cli]") {
  auto r = run("rehearse no_such_playbook");
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("playbook 'no_such_playbook'"));
}

TEST_CASE("cases: reads the daemon's database, a missing case is an error", "[cli]") {
  auto r = run("cases --db /nonexistent/dir/x.db list");
  CHECK(r.code == 1);
  CHECK_THAT(r.out, Catch::Contains("reglament: store /nonexistent/dir/x.db: open"));
}

TEST_CASE("clients: import a CSV, list, show, link, and a bad file imports nothing", "[cli]") {
  namespace fs = std::filesystem;
  auto dir = fs::temp_directory_path() / ("reglament-cli-clients-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto db = (dir / "r.db").string();
  const auto csv = (dir / "clients.csv").string();
  std::ofstream(csv) << "id,name,inn,address,form,tariff,manager,email,telegram,phone,holiday\n"
                        "romashka,ООО «Ромашка»,5260181598,Анна Сергеевна,Вы,standard,manager,anna@romashka.ru,"
                        "100001,8 912 345-67-89,День бухгалтера 11-21\n"
                        "ip_smirnova,ИП Смирнова Е. В.,796030824605,Елена,ты,start,manager2,,100003,,\n";
  const auto firm = " --firm " + src + "/playbooks/bookkeeping/firm/demo-firm.yaml";
  const auto clients = "clients --db " + db + " ";

  auto imported = run(clients + "import " + csv + firm);
  INFO(imported.out);
  REQUIRE(imported.code == 0);
  CHECK_THAT(imported.out, Catch::Contains("2 clients added, 0 updated, 0 unchanged; 4 contacts added"));
  auto again = run(clients + "import " + csv + firm);
  CHECK_THAT(again.out, Catch::Contains("0 clients added, 0 updated, 2 unchanged; 0 contacts added"));

  auto list = run(clients + "list");
  CHECK(list.code == 0);
  CHECK_THAT(list.out, Catch::Contains("ООО «Ромашка»"));
  CHECK_THAT(list.out, Catch::Contains("2 clients"));
  auto start = run(clients + "list --tariff start");
  CHECK_THAT(start.out, Catch::Contains("ip_smirnova"));
  CHECK_THAT(start.out, !Catch::Contains("romashka"));
  CHECK_THAT(start.out, Catch::Contains("1 clients"));
  CHECK_THAT(run(clients + "list --manager manager2").out, Catch::Contains("ip_smirnova"));

  auto show = run(clients + "show romashka");
  CHECK(show.code == 0);
  CHECK_THAT(show.out, Catch::Contains("inn          5260181598"));
  CHECK_THAT(show.out, Catch::Contains("holiday      11-21 День бухгалтера"));
  CHECK_THAT(show.out, Catch::Contains("open cases   0"));
  CHECK_THAT(show.out, Catch::Contains("phone      +79123456789"));
  auto missing = run(clients + "show nobody");
  CHECK(missing.code == 1);
  CHECK_THAT(missing.out, Catch::Contains("client nobody is not in"));

  auto link = run(clients + "link telegram 777001 ip_smirnova");
  CHECK(link.code == 0);
  CHECK_THAT(link.out, Catch::Contains("telegram 777001 is now a contact of client ip_smirnova"));
  auto taken = run(clients + "link telegram 777001 romashka");
  CHECK(taken.code == 1);
  CHECK_THAT(taken.out, Catch::Contains("telegram 777001 is a contact of client ip_smirnova"));
  CHECK_THAT(run(clients + "show ip_smirnova").out, Catch::Contains("telegram   777001"));

  auto code = run(clients + "telegram-code romashka --bot reglament_bot --hours 24");
  CHECK(code.code == 0);
  CHECK_THAT(code.out, Catch::Contains("Код для клиента romashka: "));
  CHECK_THAT(code.out, Catch::Contains("https://t.me/reglament_bot?start="));
  CHECK_THAT(code.out, Catch::Contains("/start "));
  auto no_client = run(clients + "telegram-code nobody");
  CHECK(no_client.code == 1);
  CHECK_THAT(no_client.out, Catch::Contains("no client 'nobody'"));

  const auto bad = (dir / "bad.csv").string();
  std::ofstream(bad) << "id,name,inn,tariff,telegram\n"
                        "vektor,ООО «Вектор»,1860913905,business,200002\n"
                        "kvadrat,ООО «Квадрат»,7707083894,gold,100001\n";
  auto refused = run(clients + "import " + bad + firm);
  CHECK(refused.code == 1);
  CHECK_THAT(refused.out, Catch::Contains("bad.csv:3:23: error: client kvadrat: INN 7707083894: check digit 4 expected 3"));
  CHECK_THAT(refused.out, Catch::Contains("bad.csv:3:1: error: client kvadrat: unknown tariff 'gold'"));
  CHECK_THAT(refused.out, Catch::Contains("nothing imported: 2 problems in " + bad));
  CHECK_THAT(run(clients + "show vektor").out, Catch::Contains("client vektor is not in"));
  fs::remove_all(dir);
}

TEST_CASE("users: add people and tokens, list them without secrets, disable, reset", "[cli]") {
  namespace fs = std::filesystem;
  auto dir = fs::temp_directory_path() / ("reglament-cli-users-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto db = (dir / "r.db").string();
  const auto pw = (dir / "pw").string();
  std::ofstream(pw) << "owner-secret-pass-31\n";
  const auto users = "users ";
  const auto on = " --db " + db;

  auto added = run(users + std::string("add") + on + " --login olga --role owner --name Ольга --password-file " + pw);
  INFO(added.out);
  REQUIRE(added.code == 0);
  CHECK_THAT(added.out, Catch::Contains("added olga (owner)"));
  CHECK(run(users + std::string("add") + on + " --login OLGA --role manager --password-file " + pw).code == 1);
  auto bad_role = run(users + std::string("add") + on + " --login anna --role admin --password-file " + pw);
  CHECK(bad_role.code == 1);
  CHECK_THAT(bad_role.out, Catch::Contains("unknown role 'admin'"));
  // Without a file the password comes from stdin (a terminal would be asked twice, unechoed).
  auto weak = run(users + std::string("add") + on + " --login anna --role manager", "short\n");
  CHECK(weak.code == 1);
  CHECK_THAT(weak.out, Catch::Contains("at least 8 characters"));
  REQUIRE(run(users + std::string("add") + on + " --login anna --role manager", "manager-pass-77\n").code == 0);

  auto list = run(users + std::string("list") + on);
  REQUIRE(list.code == 0);
  CHECK_THAT(list.out, Catch::Contains("olga"));
  CHECK_THAT(list.out, Catch::Contains("anna"));
  CHECK_THAT(list.out, Catch::Contains("2 users"));
  CHECK_THAT(list.out, !Catch::Contains("owner-secret-pass-31"));
  CHECK_THAT(list.out, !Catch::Contains("manager-pass-77"));

  auto last = run(users + std::string("disable") + on + " --login olga");
  CHECK(last.code == 1);
  CHECK_THAT(last.out, Catch::Contains("only owner left"));
  CHECK(run(users + std::string("disable") + on + " --login anna").code == 0);
  CHECK_THAT(run(users + std::string("list") + on).out, Catch::Contains("disabled"));
  CHECK(run(users + std::string("passwd") + on + " --login anna --password-file " + pw).code == 0);
  CHECK(run(users + std::string("passwd") + on + " --login nobody --password-file " + pw).code == 1);

  auto token = run(users + std::string("token add") + on + " --name bank");
  REQUIRE(token.code == 0);
  auto at = token.out.find("rgl_");
  REQUIRE(at != std::string::npos);
  const auto secret = token.out.substr(at, token.out.find('\n', at) - at);
  CHECK(secret.size() == 47);
  auto tokens = run(users + std::string("token list") + on);
  CHECK_THAT(tokens.out, Catch::Contains("bank"));
  CHECK_THAT(tokens.out, Catch::Contains("integration"));
  CHECK_THAT(tokens.out, !Catch::Contains(secret));
  CHECK(run(users + std::string("token revoke") + on + " 1").code == 0);
  CHECK(run(users + std::string("token revoke") + on + " 1").code == 1);
  CHECK_THAT(run(users + std::string("token list") + on).out, Catch::Contains("revoked"));
  fs::remove_all(dir);
}
