// reglament rehearse PLAYBOOK: the source's "friend test" in a terminal. Walks a playbook
// as a newcomer manager would: shows each step's instruction and the message it sends,
// asks for the choices, plays the client and the director, and moves the clock when
// everyone waits. Runs on an in-memory store; nothing touches the daemon's database.
#include "engine/interpreter.hpp"
#include "engine/playbook_loader.hpp"
#include "engine/sandbox.hpp"
#include "engine/store/sqlite_store.hpp"
#include "tools/reglament/commands.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <iostream>

namespace reglament::cli {
namespace {

namespace fs = std::filesystem;

struct rehearsal_options {
  std::string playbook;
  std::string firm;
  std::string client;
  std::string channel = "email";
  std::string start = "2026-11-23 10:00";
};

class rehearsal {
 public:
  rehearsal(std::istream& in, std::ostream& out) : in_(in), out_(out) {}

  int run(const rehearsal_options& o);

 private:
  bool ask(const std::string& prompt, std::string& answer) {
    out_ << prompt << std::flush;
    if (!std::getline(in_, answer)) return false;
    if (answer == "q" || answer == "в") return false;
    return true;
  }

  // A number from 1..n, asked until it is one; 0 allowed when `zero` names it.
  bool ask_number(int n, const std::string& zero, int& pick) {
    for (;;) {
      std::string a;
      if (!ask(zero.empty() ? fmt::format("  Ваш выбор (1-{}): ", n) : fmt::format("  Ваш выбор (0-{}): ", n), a))
        return false;
      try {
        pick = std::stoi(a);
        if (pick >= (zero.empty() ? 1 : 0) && pick <= n) return true;
      } catch (...) {
      }
      out_ << "  Введите номер варианта (q — выйти).\n";
    }
  }

  std::string local(timestamp t) const {
    auto l = t + box_->calendar().utc_offset();
    auto days = std::chrono::floor<std::chrono::days>(l);
    std::chrono::year_month_day ymd{days};
    std::chrono::hh_mm_ss hms{std::chrono::floor<std::chrono::minutes>(l - days)};
    static const char* wd[] = {"вс", "пн", "вт", "ср", "чт", "пт", "сб"};
    return fmt::format("{} {:02}.{:02}.{} {:02}:{:02}", wd[std::chrono::weekday(days).c_encoding()],
                       static_cast<unsigned>(ymd.day()), static_cast<unsigned>(ymd.month()),
                       static_cast<int>(ymd.year()), hms.hours().count(), hms.minutes().count());
  }

  void show_messages(case_id id) {
    for (bool staff : {false, true})
      for (const auto& m : box_->unread(id, staff)) {
        box_->mark_read(m);
        out_ << (staff ? fmt::format("  ✉ Сотруднику {}: {}\n", m.to, m.text) : fmt::format("  → Клиенту: {}\n", m.text));
        // Reply buttons as a channel with buttons shows them; the client may type a label.
        if (!m.buttons.empty()) out_ << fmt::format("    Кнопки: [{}]\n", fmt::join(m.buttons, "] ["));
      }
  }

  void wait_for_time(case_id id) {
    auto before = box_->clock().now();
    if (!box_->advance_to_next_timer()) {
      out_ << "  Таймеров нет: ждать нечего.\n";
      return;
    }
    out_ << fmt::format("  ⏳ Прошло время: {} → {}\n", local(before), local(box_->clock().now()));
    show_messages(id);
  }

  std::istream& in_;
  std::ostream& out_;
  std::unique_ptr<sandbox> box_;
};

int rehearsal::run(const rehearsal_options& o) {
  // The playbook may be a file or an id in the shipped folder; its folder is loaded so
  // that calls to other playbooks work.
  fs::path file = o.playbook;
  if (!fs::exists(file)) file = fs::path(REGLAMENT_SOURCE_DIR) / "playbooks/bookkeeping" / (o.playbook + ".yaml");
  if (!fs::exists(file)) {
    std::cerr << fmt::format("playbook '{}': no such file, and no {}\n", o.playbook, file.string());
    return 2;
  }
  auto loaded = load_playbook_file(file.string());
  if (!loaded.book) {
    for (const auto& d : loaded.problems) std::cerr << d.to_string() << "\n";
    return 2;
  }
  sqlite_store st(":memory:");
  playbook_library books;
  auto problems = books.load_directory(file.parent_path().string(), &st, timestamp{});
  if (has_errors(problems)) {
    for (const auto& d : problems) std::cerr << d.to_string() << "\n";
    std::cerr << "Исправьте ошибки (reglament validate) и повторите репетицию.\n";
    return 2;
  }
  auto book = books.latest(loaded.book->id);
  std::string firm_path = o.firm;
  if (firm_path.empty()) firm_path = firm_file::beside(file.parent_path().string());
  diagnostics firm_problems;
  std::unique_ptr<firm_file> firm = firm_path.empty() ? nullptr : firm_file::load(firm_path, firm_problems);
  for (const auto& d : firm_problems) std::cerr << d.to_string() << "\n";

  int y, mo, d, h, mi;
  if (std::sscanf(o.start.c_str(), "%d-%d-%d %d:%d", &y, &mo, &d, &h, &mi) != 5) {
    std::cerr << "--start: expected \"YYYY-MM-DD HH:MM\"\n";
    return 2;
  }
  weekly_calendar cal;
  auto start = std::chrono::time_point_cast<std::chrono::milliseconds>(
      std::chrono::sys_days(std::chrono::year_month_day{std::chrono::year(y), std::chrono::month(mo), std::chrono::day(d)}) +
      std::chrono::hours(h) + std::chrono::minutes(mi) - cal.utc_offset());
  box_ = std::make_unique<sandbox>(st, books, firm.get(), start);
  interpreter interp(box_->engine().context());

  std::string sender = "client@example.org";
  std::string client_name = "неизвестный отправитель";
  if (firm) {
    const client_def* c = nullptr;
    for (const auto& x : firm->clients())
      if (x.info.id == o.client || (o.client.empty() && !c)) c = &x;
    if (c) {
      client_name = c->info.name;
      for (const auto& k : c->contacts)
        if (k.channel == o.channel) {
          sender = k.address;
          break;
        }
    }
  }

  out_ << fmt::format("Репетиция: «{}» (версия {})\n{}\n", book->title, book->version, book->description);
  out_ << fmt::format("Клиент: {} <{}>, канал {}, время {}.\nВ любой момент: q — выйти.\n\n", client_name, sender,
                      o.channel, local(start));
  std::string text;
  if (!ask("Клиент пишет: ", text)) return 0;
  int external = 0;
  auto r = box_->inbound({o.channel, fmt::format("rehearsal-{}", ++external), sender, "", text});
  if (!r.error.empty()) {
    std::cerr << r.error << "\n";
    return 1;
  }
  case_id id = r.id;
  std::string last_step;
  for (;;) {
    show_messages(id);
    auto s = st.load_case(id);
    if (s->closed()) {
      out_ << fmt::format("\n✔ Заявка {} закрыта: {}. Шагов пройдено: {}.\n", id, s->outcome, s->steps_run);
      return 0;
    }
    auto pb = books.version(s->playbook, s->version, &st);
    const step* stp = pb ? pb->find_step(s->step) : nullptr;
    if (!stp) {
      out_ << "Шаг " << s->step << " не найден в регламенте.\n";
      return 1;
    }
    auto render = [&](const std::string& t) {
      auto tpl = message_template::parse(t);
      return tpl ? interp.render(*s, *pb, *tpl) : t;
    };
    if (stp->id != last_step) {
      out_ << fmt::format("\n[{}] Шаг «{}»\n", local(box_->clock().now()), stp->title);
      if (!stp->prompt.empty()) out_ << "  " << render(stp->prompt) << "\n";
      if (!stp->instruction.empty()) out_ << "  Подсказка: " << render(stp->instruction) << "\n";
      last_step = stp->id;
    }
    if (!s->error.empty()) out_ << "  ⚠ Ошибка выполнения: " << s->error << "\n";

    staff_action a;
    a.step = s->step;
    a.actor = "rehearsal";
    std::vector<const step_exit*> options;
    for (const auto& e : stp->exits)
      if (e.key != "timeout") options.push_back(&e);
    auto list = [&](const std::string& zero) {
      for (std::size_t i = 0; i < options.size(); ++i) out_ << fmt::format("   {}. {}\n", i + 1, options[i]->label);
      if (!zero.empty()) out_ << "   0. " << zero << "\n";
    };
    int pick = 0;
    switch (s->status) {
      case case_status::waiting_manager:
        if (stp->kind == step_kind::form) {
          a.what = staff_action::kind::submit;
          for (const auto& f : stp->fields) {
            std::string v;
            do {
              if (!ask(fmt::format("  {}: ", f.label), v)) return 0;
            } while (v.empty());
            a.values[f.variable] = v;
          }
        } else if (stp->kind == step_kind::say) {
          // An editable reply: shown as prepared; an empty answer sends it unchanged.
          out_ << "  Подготовленный ответ клиенту:\n  «" << s->vars.value("prepared_reply", "") << "»\n";
          std::string text;
          if (!ask("  Ваш текст (пусто — отправить как есть): ", text)) return 0;
          a.what = staff_action::kind::send;
          if (!text.empty()) a.values["text"] = text;
        } else if (stp->kind == step_kind::task) {
          out_ << "   1. Выполнено\n   2. Пропустить (с причиной)\n";
          if (!ask_number(2, "", pick)) return 0;
          a.what = pick == 1 ? staff_action::kind::done : staff_action::kind::skip;
          if (pick == 2 && !ask("  Причина: ", a.reason)) return 0;
        } else {
          list("");
          if (!ask_number(static_cast<int>(options.size()), "", pick)) return 0;
          a.what = staff_action::kind::choose;
          a.option = options[pick - 1]->label;
        }
        break;
      case case_status::waiting_client: {
        if (!ask("Клиент отвечает (пусто — клиент молчит, время идёт): ", text)) return 0;
        if (text.empty()) {
          wait_for_time(id);
        } else {
          box_->inbound({o.channel, fmt::format("rehearsal-{}", ++external), sender, "", text});
          auto after = st.load_case(id);
          if (after->step == s->step && after->status == case_status::waiting_client)
            out_ << "  (ответ не распознан как «да» или «нет»: заявка ждёт дальше)\n";
        }
        continue;
      }
      case case_status::waiting_payment:
        out_ << "   1. Оплата поступила\n   0. Клиент не платит (время идёт)\n";
        if (!ask_number(1, "time", pick)) return 0;
        if (pick == 0) {
          wait_for_time(id);
          continue;
        }
        a.what = staff_action::kind::paid;
        break;
      case case_status::waiting_director:
        out_ << "  Решение руководителя:\n";
        list("Руководитель пока не ответил (время идёт)");
        if (!ask_number(static_cast<int>(options.size()), "time", pick)) return 0;
        if (pick == 0) {
          wait_for_time(id);
          continue;
        }
        a.what = staff_action::kind::decide;
        a.option = options[pick - 1]->label;
        a.actor = "director";
        break;
      case case_status::waiting_timer:
        wait_for_time(id);
        continue;
      default:
        out_ << "  Заявка в состоянии " << to_string(s->status) << ".\n";
        return 1;
    }
    auto res = box_->act(id, a);
    if (!res.error.empty()) out_ << "  ✗ Не принято: " << res.error << "\n";
  }
}

}  // namespace

void add_rehearse_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("rehearse",
                                 "Репетиция регламента в терминале («проверка на подруге»): шаги, сообщения, выборы");
  auto o = std::make_shared<rehearsal_options>();
  cmd->add_option("PLAYBOOK", o->playbook, "Файл регламента или его id из playbooks/bookkeeping")->required();
  cmd->add_option("--client", o->client, "id клиента из файла фирмы (по умолчанию первый)");
  cmd->add_option("--channel", o->channel, "Канал, по которому пишет клиент")->capture_default_str();
  cmd->add_option("--firm", o->firm, "Файл фирмы с клиентами и тарифами (по умолчанию firm/*.yaml рядом)");
  cmd->add_option("--start", o->start, "Время начала, «ГГГГ-ММ-ДД ЧЧ:ММ» по Москве")->capture_default_str();
  cmd->callback([o] {
    rehearsal r(std::cin, std::cout);
    int code = r.run(*o);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace reglament::cli
