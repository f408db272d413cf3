// reglament backup | restore: an online copy of the daemon's database while it runs
// (SQLite's backup API, one consistent snapshot, checked before it is kept), and putting
// a copy back after checking it opens, is whole and replays to the same derived tables.
#include "engine/store/migrations.hpp"
#include "engine/store/sqlite_store.hpp"
#include "tools/reglament/commands.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>

namespace reglament::cli {
namespace {

namespace fs = std::filesystem;

// "[backup] 40% 1,024 of 2,560 pages" on one terminal line, rewritten in place.
auto progress_line(const char* what) {
  return [what, last = -1](int copied, int total) mutable {
    const int pct = total > 0 ? copied * 100 / total : 100;
    if (pct == last) return;
    last = pct;
    std::cerr << fmt::format("\r[{}] {:3}% {} of {} pages", what, pct, copied, total) << std::flush;
    if (copied >= total) std::cerr << "\n";
  };
}

std::string describe(sqlite_store& st) {
  const auto size = fs::exists(st.path()) ? fs::file_size(st.path()) : 0;
  return fmt::format("schema v{}, {} facts, {:.1f} MiB", st.schema_version(), st.journal_size(),
                     static_cast<double>(size) / (1 << 20));
}

// Opens a copy and proves it is usable: it opens read-only at a schema this binary knows,
// and its derived tables equal a replay of its journal.
void check_copy(const std::string& path) {
  sqlite_store copy(path, {.read_only = true});
  if (copy.schema_version() > sqlite_schema::latest_version())
    throw std::runtime_error(fmt::format("{}: schema v{} is newer than this reglament (v{})", path,
                                         copy.schema_version(), sqlite_schema::latest_version()));
  const auto r = copy.verify_replay();
  if (!r.differences.empty())
    throw std::runtime_error(fmt::format("{}: derived tables differ from a replay of the journal: {}", path,
                                         r.differences.front()));
  std::cout << fmt::format("checked {}: {}; replay of {} cases equals the tables\n", path, describe(copy), r.cases);
}

}  // namespace

void add_backup_command(CLI::App& app) {
  auto* backup = app.add_subcommand("backup", "Резервная копия базы на ходу, без остановки демона");
  auto db = std::make_shared<std::string>("var/reglament.db");
  auto to = std::make_shared<std::string>();
  auto verify = std::make_shared<bool>(false);
  backup->add_option("--db", *db, "Файл базы данных демона")->capture_default_str();
  backup->add_option("--to", *to, "Куда записать копию (по умолчанию var/backups/reglament-ДАТА.db)");
  backup->add_flag("--verify", *verify, "Проверить копию повторным проигрыванием журнала");
  backup->callback([db, to, verify] {
    if (!fs::exists(*db)) {
      std::cerr << fmt::format("reglament backup: {} does not exist\n", *db);
      throw CLI::RuntimeError(1);
    }
    std::string target = *to;
    if (target.empty()) {
      const auto now = std::chrono::system_clock::now();
      target = fmt::format("{}/backups/reglament-{:%Y%m%dT%H%M%S}.db", fs::path(*db).parent_path().string(),
                           std::chrono::floor<std::chrono::seconds>(now));
    }
    const auto t0 = std::chrono::steady_clock::now();
    sqlite_store src(*db, {.read_only = true});
    src.backup_to(target, progress_line("backup"));
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    sqlite_store copy(target, {.read_only = true});
    std::cout << fmt::format("backup {} → {} in {:.0f} ms: {}\n", *db, target, ms, describe(copy));
    if (*verify) check_copy(target);
  });

  auto* restore = app.add_subcommand("restore", "Вернуть базу из резервной копии (демон остановлен)");
  auto from = std::make_shared<std::string>();
  auto into = std::make_shared<std::string>("var/reglament.db");
  auto force = std::make_shared<bool>(false);
  restore->add_option("FROM", *from, "Файл резервной копии")->required();
  restore->add_option("--db", *into, "Какую базу заменить")->capture_default_str();
  restore->add_flag("--force", *force, "Заменить существующую базу (её копия останется рядом: .before-restore)");
  restore->callback([from, into, force] {
    if (!fs::exists(*from)) {
      std::cerr << fmt::format("reglament restore: {} does not exist\n", *from);
      throw CLI::RuntimeError(1);
    }
    check_copy(*from);  // never replace a working database with a broken copy
    if (fs::exists(*into)) {
      if (!*force) {
        std::cerr << fmt::format("reglament restore: {} exists; stop the daemon and add --force to replace it\n", *into);
        throw CLI::RuntimeError(1);
      }
      // Keep what is replaced, whole (its WAL folded in), until the owner deletes it.
      sqlite_store old(*into);
      old.backup_to(*into + ".before-restore");
    }
    {
      sqlite_store src(*from, {.read_only = true});
      src.backup_to(*into + ".restoring", progress_line("restore"));
    }
    for (const char* suffix : {"-wal", "-shm"}) fs::remove(*into + suffix);
    fs::rename(*into + ".restoring", *into);
    sqlite_store restored(*into);
    std::cout << fmt::format("restored {} from {}: {}\n", *into, *from, describe(restored));
  });
}

}  // namespace reglament::cli
