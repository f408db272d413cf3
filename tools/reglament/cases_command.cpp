// reglament cases [list|show ID]: reads the daemon's database (read-only, safe while
// the daemon runs) and prints open cases or one case's journal.
#include "engine/store/sqlite_store.hpp"
#include "tools/reglament/commands.hpp"

#include <fmt/format.h>

#include <iostream>

namespace reglament::cli {

void add_cases_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("cases", "Заявки в базе: список и журнал одной заявки");
  auto db = std::make_shared<std::string>("var/reglament.db");
  cmd->add_option("--db", *db, "Файл базы данных демона")->capture_default_str();
  cmd->require_subcommand(1);

  auto* list = cmd->add_subcommand("list", "Список заявок, новые сверху");
  auto open_only = std::make_shared<bool>(false);
  auto status = std::make_shared<std::string>();
  auto limit = std::make_shared<int>(50);
  list->add_flag("--open", *open_only, "Только открытые");
  list->add_option("--status", *status, "Только в этом состоянии (waiting_client, closed, ...)");
  list->add_option("--limit", *limit, "Сколько показать")->capture_default_str();
  list->callback([db, open_only, status, limit] {
    sqlite_store st(*db, {.read_only = true});
    case_filter f;
    f.open_only = *open_only;
    f.status = *status;
    f.limit = *limit;
    auto rows = st.cases(f);
    std::cout << fmt::format("{:>6}  {:<17} {:<12} {:<22} {:<28} {}\n", "case", "status", "playbook", "step", "sender", "updated");
    for (const auto& c : rows)
      std::cout << fmt::format("{:>6}  {:<17} {:<12} {:<22} {:<28} {}\n", c.id, c.status,
                               fmt::format("{} v{}", c.playbook, c.version), c.step, c.sender, to_iso8601(c.updated_at));
    std::cout << fmt::format("{} cases\n", rows.size());
  });

  auto* show = cmd->add_subcommand("show", "Журнал заявки: всё, что с ней происходило");
  auto id = std::make_shared<long long>(0);
  show->add_option("ID", *id, "Номер заявки")->required();
  show->callback([db, id] {
    sqlite_store st(*db, {.read_only = true});
    auto c = st.load_case(*id);
    if (!c) {
      std::cerr << fmt::format("case {} is not in {}\n", *id, *db);
      throw CLI::RuntimeError(1);
    }
    std::cout << fmt::format("case {} · {} v{} · {} · step {}{}\n", c->id, c->playbook, c->version,
                             to_string(c->status), c->step, c->closed() ? " · outcome " + c->outcome : "");
    std::cout << fmt::format("client {} · {} {} · assignee {}\n\n", c->client_id.empty() ? "(unknown)" : c->client_id,
                             c->channel, c->sender, c->assignee);
    for (const auto& e : st.journal(*id))
      std::cout << fmt::format("{:>8}  {}  {:<18} {:<22} {}\n", e.seq, to_iso8601(e.what.at), to_string(e.what.kind),
                               e.what.step, e.what.data.dump());
  });
}

}  // namespace reglament::cli
