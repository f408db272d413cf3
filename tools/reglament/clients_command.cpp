// reglament clients import|list|show|link: the firm's clients in the daemon's database.
// Import checks the whole file first and stores all of it or nothing; list and show open
// the database read-only (safe while the daemon runs, which sees an import within a second).
#include "engine/firm_file.hpp"
#include "engine/store/client_registry.hpp"
#include "tools/reglament/commands.hpp"

#include <fmt/format.h>

#include <iostream>
#include <set>

namespace reglament::cli {
namespace {

std::string offset_text(int minutes) {
  const int a = minutes < 0 ? -minutes : minutes;
  return fmt::format("UTC{}{:02}:{:02}", minutes < 0 ? '-' : '+', a / 60, a % 60);
}

std::string annual_text(const annual_date& d) { return fmt::format("{:02}-{:02}", d.month, d.day); }

void import_file(const std::string& db, const std::string& file, const std::string& firm) {
  std::set<std::string> tariffs;
  if (!firm.empty()) {
    diagnostics firm_problems;
    auto f = firm_file::load(firm, firm_problems);
    for (const auto& d : firm_problems) std::cerr << d.to_string() << "\n";
    if (!f) {
      std::cerr << fmt::format("firm file {} cannot be used for its tariffs\n", firm);
      throw CLI::RuntimeError(2);
    }
    for (const auto& [id, t] : f->tariffs()) tariffs.insert(id);
  }
  diagnostics problems;
  auto batch = read_clients_file(file, problems);
  std::optional<import_report> r;
  if (problems.empty()) {
    client_registry reg(db);
    r = reg.import(batch, firm.empty() ? nullptr : &tariffs, problems);
  } else {
    check_client_batch(batch, firm.empty() ? nullptr : &tariffs, problems);  // every problem in one run
  }
  if (!r) {
    for (const auto& d : problems) std::cerr << d.to_string() << "\n";
    std::cerr << fmt::format("nothing imported: {} problem{} in {}\n", problems.size(),
                             problems.size() == 1 ? "" : "s", file);
    throw CLI::RuntimeError(1);
  }
  if (firm.empty()) std::cout << "tariff ids not checked: give --firm FILE to check them against the firm's tariffs\n";
  std::cout << fmt::format("{}: {} clients added, {} updated, {} unchanged; {} contacts added\n", file, r->added,
                           r->updated, r->unchanged, r->contacts_added);
}

void list_clients(const std::string& db, const std::string& tariff, const std::string& manager) {
  client_registry reg(db, {.read_only = true});
  auto snap = reg.snapshot();
  std::cout << fmt::format("{:<16} {:<32} {:<12} {:<10} {:<12} {:<14} {}\n", "id", "name", "inn", "tariff",
                           "manager", "accountant", "contacts");
  int shown = 0;
  for (const auto& c : snap->all()) {
    if ((!tariff.empty() && c.tariff_id != tariff) || (!manager.empty() && c.manager != manager)) continue;
    std::cout << fmt::format("{:<16} {:<32} {:<12} {:<10} {:<12} {:<14} {}\n", c.id, c.name, c.inn, c.tariff_id,
                             c.manager, c.accountant, snap->get(c.id)->contacts.size());
    ++shown;
  }
  std::cout << fmt::format("{} clients\n", shown);
}

void show_client(const std::string& db, const std::string& id) {
  client_registry reg(db, {.read_only = true});
  auto snap = reg.snapshot();
  const auto* d = snap->get(id);
  if (!d) {
    std::cerr << fmt::format("client {} is not in {}\n", id, db);
    throw CLI::RuntimeError(1);
  }
  const auto& c = d->info;
  auto line = [](const char* label, const std::string& value) {
    std::cout << fmt::format("{:<12} {}\n", label, value.empty() ? "—" : value);
  };
  line("id", c.id);
  line("name", c.name);
  line("inn", c.inn);
  line("address as", c.address_as);
  line("form", c.informal ? "ты" : "Вы");
  line("tariff", c.tariff_id);
  for (const auto& [from, tariff] : c.tariff_changes) line("", fmt::format("{} from {}", tariff, from));
  line("manager", c.manager);
  line("accountant", c.accountant);
  line("timezone", offset_text(c.utc_offset_minutes));
  line("language", c.language);
  line("holiday", c.holiday.valid() ? fmt::format("{} {}", annual_text(c.holiday), c.holiday_title) : "");
  std::string birthdays;
  for (const auto& b : c.birthdays) birthdays += (birthdays.empty() ? "" : "; ") + b.name + " " + annual_text(b.date);
  line("birthdays", birthdays);
  line("open cases", std::to_string(reg.open_cases(id)));
  std::cout << fmt::format("contacts ({})\n", d->contacts.size());
  for (const auto& k : d->contacts) std::cout << fmt::format("  {:<10} {}\n", k.channel, k.address);
}

void link(const std::string& db, const std::string& channel, const std::string& address, const std::string& id) {
  client_registry reg(db);
  auto r = reg.link_contact(channel, address, id);
  switch (r.status) {
    case link_status::linked:
    case link_status::already_linked:
      std::cout << r.message << "\n";
      return;
    case link_status::invalid:
    case link_status::unknown_client:
    case link_status::taken:
      std::cerr << r.message << "\n";
      throw CLI::RuntimeError(1);
  }
}

void telegram_code(const std::string& db, const std::string& id, const std::string& bot, int hours) {
  client_registry reg(db);
  system_clock_source clock;
  std::string why;
  auto code = reg.create_link_code(id, "telegram", std::chrono::hours(hours), clock.now(), "cli", &why);
  if (!code) {
    std::cerr << why << "\n";
    throw CLI::RuntimeError(1);
  }
  std::cout << "Код для клиента " << id << ": " << code->code << " (действует до " << to_iso8601(code->expires_at)
            << ", один раз)\n";
  if (!bot.empty()) std::cout << "Ссылка: https://t.me/" << bot << "?start=" << code->code << "\n";
  std::cout << "Клиент открывает ссылку и нажимает «Запустить» или отправляет боту: /start " << code->code << "\n";
}

}  // namespace

void add_clients_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("clients", "Клиенты фирмы в базе: загрузка из файла, список, карточка, контакты");
  auto db = std::make_shared<std::string>("var/reglament.db");
  cmd->add_option("--db", *db, "Файл базы данных демона")->capture_default_str();
  cmd->require_subcommand(1);

  auto* imp = cmd->add_subcommand("import", "Загрузить клиентов из CSV или YAML: всё или ничего, повторно — обновить");
  auto file = std::make_shared<std::string>();
  auto firm = std::make_shared<std::string>();
  imp->add_option("FILE", *file, "clients.csv или clients.yaml (колонки — docs/CLIENTS.md)")->required();
  imp->add_option("--firm", *firm, "Файл фирмы: проверить тарифы клиентов по его списку тарифов");
  imp->callback([db, file, firm] { import_file(*db, *file, *firm); });

  auto* list = cmd->add_subcommand("list", "Список клиентов");
  auto tariff = std::make_shared<std::string>();
  auto manager = std::make_shared<std::string>();
  list->add_option("--tariff", *tariff, "Только на этом тарифе");
  list->add_option("--manager", *manager, "Только этого менеджера (логин)");
  list->callback([db, tariff, manager] { list_clients(*db, *tariff, *manager); });

  auto* show = cmd->add_subcommand("show", "Карточка клиента: все поля, контакты, открытые заявки");
  auto id = std::make_shared<std::string>();
  show->add_option("ID", *id, "Код клиента")->required();
  show->callback([db, id] { show_client(*db, *id); });

  auto* lnk = cmd->add_subcommand("link", "Привязать контакт к клиенту (неизвестный отправитель оказался клиентом)");
  auto channel = std::make_shared<std::string>();
  auto address = std::make_shared<std::string>();
  auto client = std::make_shared<std::string>();
  lnk->add_option("CHANNEL", *channel, "email, telegram, phone, webchat, api")->required();
  lnk->add_option("ADDRESS", *address, "Адрес, id или номер")->required();
  lnk->add_option("CLIENT_ID", *client, "Код клиента")->required();
  lnk->callback([db, channel, address, client] { link(*db, *channel, *address, *client); });

  auto* tg = cmd->add_subcommand("telegram-code", "Одноразовый код, которым клиент привяжет свой Telegram (/start КОД)");
  auto tg_client = std::make_shared<std::string>();
  auto bot = std::make_shared<std::string>();
  auto hours = std::make_shared<int>(72);
  tg->add_option("ID", *tg_client, "Код клиента")->required();
  tg->add_option("--bot", *bot, "Имя бота без @ (для ссылки t.me/…)");
  tg->add_option("--hours", *hours, "Сколько часов действует код")->capture_default_str()->check(CLI::Range(1, 2160));
  tg->callback([db, tg_client, bot, hours] { telegram_code(*db, *tg_client, *bot, *hours); });
}

}  // namespace reglament::cli
