// reglament users add|list|passwd|disable|enable|role and users token add|list|revoke:
// staff accounts and API tokens in the daemon's database. Safe beside a running daemon,
// which checks every request against the database (a disabled user is out at once).
// Passwords come from a file (--password-file) or are asked for twice without echo;
// they are never printed. A new token's secret is printed once and is not kept.
#include "engine/auth.hpp"
#include "engine/store/account_store.hpp"
#include "tools/reglament/commands.hpp"

#include <fmt/format.h>

#include <fstream>
#include <iostream>

#include <termios.h>
#include <unistd.h>

namespace reglament::cli {
namespace {

[[noreturn]] void fail(const std::string& message, int code = 1) {
  std::cerr << "reglament users: " << message << "\n";
  throw CLI::RuntimeError(code);
}

std::string read_line_quietly(const std::string& prompt) {
  const bool tty = ::isatty(STDIN_FILENO);
  termios old{};
  if (tty) {
    std::cerr << prompt << std::flush;
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  const bool got = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
  }
  if (!got) fail("no password given (use --password-file FILE or type it)");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// From the file's first line, else asked for (twice on a terminal, once from a pipe).
std::string new_password(const std::string& file) {
  std::string pw;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) fail(fmt::format("cannot read the password file '{}'", file));
    std::getline(in, pw);
    if (!pw.empty() && pw.back() == '\r') pw.pop_back();
  } else {
    pw = read_line_quietly("Пароль / password: ");
    if (::isatty(STDIN_FILENO) && read_line_quietly("Ещё раз / again: ") != pw) fail("the passwords differ");
  }
  if (auto why = auth::check_password(pw); !why.empty()) fail(why);
  return pw;
}

auth::role parse_role(const std::string& text, bool token) {
  auto r = auth::role_from_string(text);
  if (!r || (!token && !auth::is_staff(*r)))
    fail(token ? fmt::format("unknown role '{}' (integration, manager, director or owner)", text)
               : fmt::format("unknown role '{}' (manager, director or owner)", text));
  return *r;
}

void print_user(const user_record& u) {
  std::cout << fmt::format("{:<20} {:<9} {:<3} {:<9} {}\n", u.login, auth::to_string(u.role), u.language,
                           u.disabled ? "disabled" : "active", u.name);
}

timestamp now() { return system_clock_source().now(); }

CLI::App* with_db(CLI::App* cmd, const std::shared_ptr<std::string>& db) {
  cmd->add_option("--db", *db, "Файл базы данных демона")->capture_default_str();
  return cmd;
}

}  // namespace

void add_users_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("users", "Сотрудники (менеджер, директор, владелец) и API-токены");
  cmd->require_subcommand(1);
  auto db = std::make_shared<std::string>("var/reglament.db");

  auto* add = with_db(cmd->add_subcommand("add", "Добавить сотрудника"), db);
  auto login = std::make_shared<std::string>();
  auto role = std::make_shared<std::string>();
  auto name = std::make_shared<std::string>();
  auto language = std::make_shared<std::string>("ru");
  auto password_file = std::make_shared<std::string>();
  add->add_option("--login", *login, "Логин (латиница, цифры, . _ -)")->required();
  add->add_option("--role", *role, "manager, director или owner")->required();
  add->add_option("--name", *name, "Имя, как его видят в приложении");
  add->add_option("--language", *language, "Язык приложения: ru или en")->capture_default_str();
  add->add_option("--password-file", *password_file, "Файл с паролем (первая строка); без него пароль спросят");
  add->callback([=] {
    if (auto why = auth::check_login(*login); !why.empty()) fail(why);
    if (*language != "ru" && *language != "en") fail(fmt::format("language '{}': expected ru or en", *language));
    user_record u;
    u.login = *login;
    u.role = parse_role(*role, false);
    u.name = name->empty() ? *login : *name;
    u.language = *language;
    auto hash = auth::hash_password(new_password(*password_file));
    account_store accounts(*db);
    auto added = accounts.add_user(u, hash, now());
    if (!added) fail(fmt::format("the login '{}' is taken", *login));
    std::cout << fmt::format("added {} ({})\n", added->login, auth::to_string(added->role));
  });

  auto* list = with_db(cmd->add_subcommand("list", "Список сотрудников"), db);
  list->callback([=] {
    account_store accounts(*db, {.read_only = true});
    auto all = accounts.users();
    for (const auto& u : all) print_user(u);
    std::cout << fmt::format("{} users\n", all.size());
  });

  auto* passwd = with_db(cmd->add_subcommand("passwd", "Сменить пароль сотрудника (его сеансы закончатся)"), db);
  auto passwd_login = std::make_shared<std::string>();
  passwd->add_option("--login", *passwd_login, "Логин")->required();
  passwd->add_option("--password-file", *password_file, "Файл с паролем (первая строка); без него пароль спросят");
  passwd->callback([=] {
    account_store accounts(*db);
    if (!accounts.user(*passwd_login)) fail(fmt::format("no user '{}'", *passwd_login));
    user_change c;
    c.password_hash = auth::hash_password(new_password(*password_file));
    accounts.update_user(*passwd_login, c, now());
    std::cout << fmt::format("password of {} changed; their sessions ended\n", *passwd_login);
  });

  for (bool disable : {true, false}) {
    auto* sub = with_db(cmd->add_subcommand(disable ? "disable" : "enable",
                                            disable ? "Отключить сотрудника (сеансы закончатся сразу)"
                                                    : "Снова включить сотрудника"),
                        db);
    auto who = std::make_shared<std::string>();
    sub->add_option("--login", *who, "Логин")->required();
    sub->callback([=] {
      account_store accounts(*db);
      auto u = accounts.user(*who);
      if (!u) fail(fmt::format("no user '{}'", *who));
      if (disable && u->role == auth::role::owner && !u->disabled && accounts.enabled_owners() <= 1)
        fail(fmt::format("'{}' is the only owner left: make someone else owner first", u->login));
      user_change c;
      c.disabled = disable;
      accounts.update_user(*who, c, now());
      std::cout << fmt::format("{} {}\n", u->login, disable ? "disabled" : "enabled");
    });
  }

  auto* set_role = with_db(cmd->add_subcommand("role", "Сменить роль сотрудника"), db);
  auto role_login = std::make_shared<std::string>();
  auto new_role = std::make_shared<std::string>();
  set_role->add_option("--login", *role_login, "Логин")->required();
  set_role->add_option("--role", *new_role, "manager, director или owner")->required();
  set_role->callback([=] {
    account_store accounts(*db);
    auto u = accounts.user(*role_login);
    if (!u) fail(fmt::format("no user '{}'", *role_login));
    user_change c;
    c.role = parse_role(*new_role, false);
    if (u->role == auth::role::owner && *c.role != auth::role::owner && !u->disabled && accounts.enabled_owners() <= 1)
      fail(fmt::format("'{}' is the only owner left: make someone else owner first", u->login));
    accounts.update_user(*role_login, c, now());
    std::cout << fmt::format("{} is now {}\n", u->login, auth::to_string(*c.role));
  });

  auto* token = cmd->add_subcommand("token", "API-токены для других программ");
  token->require_subcommand(1);
  auto* token_add = with_db(token->add_subcommand("add", "Выпустить токен (секрет печатается один раз)"), db);
  auto token_name = std::make_shared<std::string>();
  auto token_role = std::make_shared<std::string>("integration");
  token_add->add_option("--name", *token_name, "Для чего токен (банк, мониторинг...)")->required();
  token_add->add_option("--role", *token_role, "integration, manager, director или owner")->capture_default_str();
  token_add->callback([=] {
    auto r = parse_role(*token_role, true);
    if (token_name->empty() || token_name->size() > auth::max_name_bytes) fail("a token needs a name of 1..200 bytes");
    auto secret = auth::random_secret("rgl_");
    account_store accounts(*db);
    auto t = accounts.add_token(*token_name, r, auth::secret_digest(secret), "cli", now());
    std::cerr << fmt::format("token {} ({}, {}); the secret below is shown only now:\n", t.id, t.name,
                             auth::to_string(t.role));
    std::cout << secret << "\n";
  });
  auto* token_list = with_db(token->add_subcommand("list", "Список токенов (без секретов)"), db);
  token_list->callback([=] {
    account_store accounts(*db, {.read_only = true});
    for (const auto& t : accounts.tokens())
      std::cout << fmt::format("{:>4}  {:<24} {:<12} {:<25} {}\n", t.id, t.name, auth::to_string(t.role),
                               to_iso8601(t.created_at), t.revoked_at ? "revoked" : "active");
  });
  auto* token_revoke = with_db(token->add_subcommand("revoke", "Отозвать токен"), db);
  auto token_id = std::make_shared<long long>(0);
  token_revoke->add_option("id", *token_id, "Номер токена (users token list)")->required();
  token_revoke->callback([=] {
    account_store accounts(*db);
    if (!accounts.revoke_token(*token_id, now())) fail(fmt::format("no active token {}", *token_id));
    std::cout << fmt::format("token {} revoked\n", *token_id);
  });
}

}  // namespace reglament::cli
