#include "engine/validator.hpp"

#include "engine/playbook_loader.hpp"
#include "engine/schedule.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <queue>
#include <set>
#include <string_view>
#include <tuple>
#include <unordered_map>

namespace reglament {

namespace {

constexpr std::string_view known_channels[] = {"email", "telegram", "webchat", "api", "phone"};

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// Names close to a misspelt one: a small edit away, or one starting the other.
std::string near_matches(std::string_view wrong, const std::vector<std::string>& names) {
  std::vector<std::pair<std::size_t, std::string>> scored;
  for (const auto& n : names) {
    std::size_t d = edit_distance(wrong, n);
    bool prefix = wrong.size() >= 3 && n.size() >= 3 &&
                  (n.rfind(wrong, 0) == 0 || wrong.rfind(n, 0) == 0);
    if (d <= 2 || prefix) scored.push_back({prefix ? std::min<std::size_t>(d, 2) : d, n});
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (std::size_t i = 0; i < scored.size() && i < 3; ++i) out += (i ? ", " : "") + scored[i].second;
  return out;
}

std::string builtin_names() {
  return "приветствие/greeting, обращение/address, клиент/client, менеджер/manager, "
         "номер/case_no, услуга/service, стоимость/price, срок/deadline, "
         "остаток/quota_left, лимит/quota_limit, подпись/signature, client_text, tariff, invoice_no, "
         "amount, sla_first_reply, sla_idle, sla_deadline (+ _target, _due)";
}

// A folder may also hold other YAML (the firm's clients and tariffs): only files with
// `id:` or `steps:` at the top are playbooks. A file that does not parse counts, so its
// syntax error is reported.
bool looks_like_playbook(const std::string& path) {
  try {
    YAML::Node root = YAML::LoadFile(path);
    return root.IsMap() && (root["id"] || root["steps"]);
  } catch (const YAML::Exception&) {
    return true;
  }
}

class checker {
 public:
  checker(const playbook& book, const std::set<std::string>* playbook_ids, diagnostics& out)
      : book_(book), ids_(playbook_ids), out_(out) {
    for (const auto& v : book.variables) declared_.insert(v.name);
    for (const auto& s : book.steps) {
      step_ids_.push_back(s.id);
      index_.emplace(s.id, step_ids_.size() - 1);  // the first of duplicate ids, as index_of()
      for (const auto& f : s.fields) declared_.insert(f.variable);
      for (const auto& a : s.assignments) declared_.insert(a.variable);
    }
  }

  void run() {
    if (book_.steps.empty()) {
      error(book_.pos, {}, "в регламенте нет шагов (ожидался список steps: с хотя бы одним шагом)");
      return;
    }
    bool unique = duplicate_steps();
    for (const auto& s : book_.steps) {
      exits(s);
      kind_rules(s);
      messages(s);
      expressions(s);
    }
    for (const auto& [name, t] : book_.templates) {
      auto it = book_.template_pos.find(name);
      template_variables(t, it != book_.template_pos.end() ? it->second : book_.pos, {},
                         "шаблоне «" + name + "»");
    }
    english_variants();
    // With two steps of one id every link to it is ambiguous, so the graph checks would
    // only add noise until the ids are fixed.
    if (unique) {
      reachability();
      loops_without_wait();
    }
    for (const auto& ch : book_.on.channels)
      if (std::find(std::begin(known_channels), std::end(known_channels), ch) == std::end(known_channels))
        out_.push_back({severity::warning, book_.on.pos, {},
                        "неизвестный канал «" + ch + "» в trigger (известны: email, telegram, webchat, api, phone)"});
    if (book_.on.from != "client" && book_.on.from != "unknown")
      error(book_.on.pos, {}, "trigger.from «" + book_.on.from + "»: ожидалось client или unknown");
    else if (book_.on.from == "unknown" && book_.on.channels.empty())
      error(book_.on.pos, {}, "trigger.from: unknown имеет смысл только вместе с message (ожидались каналы)");
    if (!book_.on.schedule.empty()) {
      std::string why;
      if (!parse_schedule(book_.on.schedule, &why))
        error(book_.on.schedule_pos, {}, "trigger.schedule «" + book_.on.schedule + "» не прочитано: " + why);
    }
  }

 private:
  void error(const source_pos& pos, const std::string& step, std::string message) {
    out_.push_back({severity::error, pos, step, std::move(message)});
  }

  bool duplicate_steps() {
    std::map<std::string, const step*> first;
    bool unique = true;
    for (const auto& s : book_.steps) {
      auto [it, fresh] = first.emplace(s.id, &s);
      if (!fresh)
        unique = false, error(s.pos, s.id, "id шага «" + s.id + "» уже занят шагом в строке " +
                               std::to_string(it->second->pos.line) + " (ожидался уникальный id)");
    }
    return unique;
  }

  void exits(const step& s) {
    std::vector<std::string> dead;
    for (const auto& e : s.exits) {
      if (e.target.empty()) {
        dead.push_back(e.key);
        continue;
      }
      if (e.target.rfind("end:", 0) == 0 || index_of(e.target) != std::string::npos) continue;
      std::string near = near_matches(e.target, step_ids_);
      error(e.pos, s.id, "переход «" + e.label + "» ведёт на несуществующий шаг «" + e.target + "» " +
                             (near.empty() ? "(ожидался id шага этого регламента или end:ИТОГ)"
                                           : "(похожие: " + near + ")"));
    }
    if (!dead.empty()) {
      std::string keys;
      for (const auto& k : dead) keys += (keys.empty() ? "" : ", ") + k;
      error(s.pos, s.id, "тупик: шаг последний, и переходу " + keys +
                             " некуда вести (ожидалось next: ШАГ или завершение шагом end:)");
    }
  }

  void kind_rules(const step& s) {
    auto has = [&](std::string_view key) { return s.find_exit(key) != nullptr; };
    switch (s.kind) {
      case step_kind::choice:
        if (s.exits.empty())
          error(s.pos, s.id, "у выбора нет вариантов (ожидалось options: { НАДПИСЬ: ШАГ, ... })");
        break;
      case step_kind::escalate:
        if (std::none_of(s.exits.begin(), s.exits.end(),
                         [](const step_exit& e) { return e.key != "timeout"; }))
          error(s.pos, s.id, "у эскалации нет решений (ожидалось decisions: { НАДПИСЬ: ШАГ, ... })");
        break;
      case step_kind::check_tariff:
        for (const char* key : {"in_tariff", "over_quota", "not_included", "unknown"})
          if (!has(key))
            error(s.pos, s.id, std::string("у проверки тарифа нет ветки ") + key +
                                   ": (ожидались все четыре: in_tariff, over_quota, not_included, unknown)");
        break;
      case step_kind::wait_client:
        if (!s.timeout && !has("timeout"))
          error(s.pos, s.id, "ожидание клиента без срока (ожидалось timeout: { after: СРОК, go: ШАГ })");
        break;
      case step_kind::condition:
        if (!has("then")) error(s.pos, s.id, "у условия нет ветки then: (ожидалось then: ШАГ)");
        if (!has("else")) error(s.pos, s.id, "у условия нет ветки else: (ожидалось else: ШАГ)");
        break;
      case step_kind::call:
        if (s.callee == book_.id)
          error(s.pos, s.id, "регламент вызывает сам себя (ожидался id другого регламента)");
        else if (ids_ && !s.callee.empty() && !ids_->count(s.callee))
          error(s.pos, s.id, "вызов несуществующего регламента «" + s.callee + "»" +
                                 [&] {
                                   std::string near = near_matches(
                                       s.callee, std::vector<std::string>(ids_->begin(), ids_->end()));
                                   return near.empty() ? std::string() : " (похожие: " + near + ")";
                                 }());
        break;
      default: break;
    }
  }

  void messages(const step& s) {
    if (!s.template_ref.empty() && !book_.templates.count(s.template_ref)) {
      std::vector<std::string> names;
      for (const auto& [name, t] : book_.templates) names.push_back(name);
      std::string near = near_matches(s.template_ref, names);
      error(s.pos, s.id, "шаблон «" + s.template_ref + "» не найден в templates: " +
                             (near.empty() ? "(ожидалось имя из templates:)" : "(похожие: " + near + ")"));
    }
    template_variables(s.text, s.pos, s.id, "сообщении");
  }

  bool known_variable(std::string_view name) const {
    std::string_view canonical = canonical_variable(name);
    return is_builtin_variable(canonical) || declared_.count(std::string(name)) ||
           declared_.count(std::string(canonical));
  }

  std::string unknown_message(const std::string& name, const std::string& where) const {
    std::vector<std::string> all(declared_.begin(), declared_.end());
    std::string near = near_matches(name, all);
    return "неизвестная переменная «" + name + "» в " + where +
           (near.empty() ? "" : " (похожие: " + near + ")") + " (ожидалась встроенная: " +
           builtin_names() + ", или объявленная в variables:, полях формы или set:)";
  }

  // Checks the text and each of its variants ("ты", English) alike.
  void template_variables(const message_template& t, const source_pos& pos, const std::string& step,
                          const std::string& where) {
    using v = message_template::variant;
    for (auto [text, label] : {std::pair{&t, ""}, std::pair{t.find_variant(v::informal), " (вариант «ты»)"},
                               std::pair{t.find_variant(v::english), " (вариант en)"}}) {
      if (!text) continue;
      for (const auto& p : text->parts())
        if (p.is_variable && !known_variable(p.text)) error(pos, step, unknown_message(p.text, where + label));
    }
  }

  // A client with `language: en` gets the Russian text where a message has no English
  // one: a warning, not an error, once the playbook is being translated (has any `en:`).
  // A playbook with no English at all is Russian-only by choice and is not flagged.
  void english_variants() {
    using v = message_template::variant;
    std::vector<std::pair<source_pos, std::string>> missing;  // where, what
    bool any = false;
    auto look = [&](const message_template& t, const source_pos& pos, const std::string& what) {
      if (t.find_variant(v::english)) any = true;
      else missing.push_back({pos, what});
    };
    for (const auto& s : book_.steps)
      if ((s.kind == step_kind::say || s.kind == step_kind::end) && !s.text.empty())
        look(s.text, s.pos, "шаг «" + s.id + "»");
    for (const auto& [name, t] : book_.templates) {
      auto it = book_.template_pos.find(name);
      look(t, it != book_.template_pos.end() ? it->second : book_.pos, "шаблон «" + name + "»");
    }
    if (!any) return;
    for (const auto& [pos, what] : missing)
      out_.push_back({severity::warning, pos, {},
                      what + ": нет английского варианта (en:), клиент с language: en получит русский текст"});
  }

  void expressions(const step& s) {
    if (s.condition)
      for (const auto& v : s.condition->variables())
        if (!known_variable(v)) error(s.pos, s.id, unknown_message(v, "условии"));
    for (const auto& a : s.assignments)
      for (const auto& v : a.value.variables())
        if (!known_variable(v)) error(a.pos, s.id, unknown_message(v, "выражении для " + a.variable));
    if (s.amount)
      for (const auto& v : s.amount->variables())
        if (!known_variable(v)) error(s.pos, s.id, unknown_message(v, "сумме счёта"));
    if (!s.timeout_variable.empty() && !known_variable(s.timeout_variable))
      error(s.pos, s.id, unknown_message(s.timeout_variable, "timeout.after (ожидался срок или переменная со сроком)"));
    if (!s.due_variable.empty() && !known_variable(s.due_variable))
      error(s.pos, s.id, unknown_message(s.due_variable, "due (ожидался срок или переменная со сроком)"));
    if (s.kind == step_kind::invoice && !s.prompt.empty())
      if (auto t = message_template::parse(s.prompt))
        template_variables(*t, s.pos, s.id, "назначении счёта");
  }

  // Step ids to positions: the graph checks look up every exit, so a linear search
  // made validating a 2,000-step playbook quadratic.
  std::size_t index_of(std::string_view id) const {
    auto it = index_.find(id);
    return it == index_.end() ? std::string::npos : it->second;
  }

  std::vector<std::size_t> successors(std::size_t i) const {
    std::vector<std::size_t> out;
    for (const auto& e : book_.steps[i].exits) {
      std::size_t j = index_of(e.target);
      if (j != std::string::npos) out.push_back(j);
    }
    return out;
  }

  void reachability() {
    std::vector<bool> seen(book_.steps.size());
    std::queue<std::size_t> todo;
    todo.push(0);
    seen[0] = true;
    while (!todo.empty()) {
      std::size_t i = todo.front();
      todo.pop();
      for (std::size_t j : successors(i))
        if (!seen[j]) seen[j] = true, todo.push(j);
    }
    for (std::size_t i = 0; i < seen.size(); ++i)
      if (!seen[i])
        error(book_.steps[i].pos, book_.steps[i].id,
              "шаг недостижим: ни один переход от первого шага к нему не ведёт "
              "(ожидался переход на него, иначе шаг лишний)");
  }

  // A cycle among steps that wait for nobody would spin forever in one event. Finds the
  // strongly connected components of that subgraph (Tarjan) and reports one cycle each.
  void loops_without_wait() {
    const std::size_t n = book_.steps.size();
    auto instant = [&](std::size_t i) { return wait_of(book_.steps[i].kind) == waits_for::nothing; };
    std::vector<int> index(n, -1), low(n, 0), component(n, -1);
    std::vector<bool> on_stack(n);
    std::vector<std::size_t> stack;
    int counter = 0, components = 0;
    // Tarjan's components with an explicit call stack: a chain of a hundred thousand
    // steps must not overflow the thread's stack.
    struct call {
      std::size_t v;
      std::vector<std::size_t> next;
      std::size_t at = 0;
    };
    std::vector<call> calls;
    auto open = [&](std::size_t v) {
      index[v] = low[v] = counter++;
      stack.push_back(v);
      on_stack[v] = true;
      calls.push_back({v, successors(v)});
    };
    auto connect = [&](std::size_t root) {
      open(root);
      while (!calls.empty()) {
        auto& c = calls.back();
        if (c.at < c.next.size()) {
          const std::size_t w = c.next[c.at++];
          if (!instant(w)) continue;
          if (index[w] < 0)
            open(w);  // `c` is not used after this
          else if (on_stack[w])
            low[c.v] = std::min(low[c.v], index[w]);
          continue;
        }
        const std::size_t v = c.v;
        calls.pop_back();
        if (!calls.empty()) low[calls.back().v] = std::min(low[calls.back().v], low[v]);
        if (low[v] == index[v]) {
          std::size_t w;
          do {
            w = stack.back();
            stack.pop_back();
            on_stack[w] = false;
            component[w] = components;
          } while (w != v);
          ++components;
        }
      }
    };
    for (std::size_t v = 0; v < n; ++v)
      if (instant(v) && index[v] < 0) connect(v);

    // A step alone in its component is on a cycle only through an exit to itself; the
    // search for a cycle (a pass over all steps) is left for components that can hold one.
    std::vector<int> component_size(static_cast<std::size_t>(components), 0);
    for (std::size_t v = 0; v < n; ++v)
      if (component[v] >= 0) ++component_size[static_cast<std::size_t>(component[v])];
    auto may_cycle = [&](std::size_t v) {
      if (component_size[static_cast<std::size_t>(component[v])] > 1) return true;
      for (std::size_t w : successors(v))
        if (w == v) return true;
      return false;
    };
    std::set<int> reported;
    for (std::size_t v = 0; v < n; ++v) {
      if (!instant(v) || reported.count(component[v]) || !may_cycle(v)) continue;
      std::vector<std::size_t> cycle = cycle_through(v, component);
      if (cycle.empty()) continue;
      reported.insert(component[v]);
      std::string path;
      for (std::size_t i : cycle) path += book_.steps[i].id + " → ";
      path += book_.steps[v].id;
      error(book_.steps[v].pos, book_.steps[v].id,
            "цикл без ожидания: " + path +
                " может повторяться бесконечно (ожидался в цикле шаг, который ждёт: "
                "choice, task, form, wait или escalate)");
    }
  }

  // Shortest path v → ... → v inside v's component; empty if v is on no cycle.
  std::vector<std::size_t> cycle_through(std::size_t v, const std::vector<int>& component) const {
    std::vector<std::size_t> parent(book_.steps.size(), std::string::npos);
    std::queue<std::size_t> todo;
    todo.push(v);
    while (!todo.empty()) {
      std::size_t i = todo.front();
      todo.pop();
      for (std::size_t j : successors(i)) {
        if (component[j] != component[v]) continue;
        if (j == v) {
          std::vector<std::size_t> path{i};
          while (path.back() != v) path.push_back(parent[path.back()]);
          std::reverse(path.begin(), path.end());
          return path;
        }
        if (parent[j] == std::string::npos) {
          parent[j] = i;
          todo.push(j);
        }
      }
    }
    return {};
  }

  const playbook& book_;
  const std::set<std::string>* ids_;
  diagnostics& out_;
  std::set<std::string> declared_;
  std::vector<std::string> step_ids_;
  std::unordered_map<std::string_view, std::size_t> index_;  // views into book_'s step ids
};

}  // namespace

diagnostics validate(const std::vector<const playbook*>& books) {
  diagnostics out;
  std::set<std::string> ids;
  std::map<std::string, const playbook*> first;
  for (const playbook* b : books) {
    ids.insert(b->id);
    auto [it, fresh] = first.emplace(b->id, b);
    if (!fresh && !b->id.empty())
      out.push_back({severity::error, b->pos, {},
                     "id регламента «" + b->id + "» уже занят файлом " + it->second->file +
                         " (ожидался уникальный id)"});
  }
  for (const playbook* b : books) checker(*b, &ids, out).run();
  return out;
}

diagnostics validate(const playbook& book) {
  diagnostics out;
  checker(book, nullptr, out).run();
  return out;
}

path_validation validate_path(const std::string& path) {
  namespace fs = std::filesystem;
  path_validation result;
  std::error_code ec;
  std::vector<std::string> files;
  bool folder = fs::is_directory(path, ec);
  if (folder) {
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it); it.increment(ec)) {
      std::string name = it->path().filename().string();
      auto ends = [&](std::string_view suffix) {
        return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
      };
      if (it->is_regular_file() && (ends(".yaml") || ends(".yml")) && !ends(".story.yaml") &&
          !ends(".story.yml") && looks_like_playbook(it->path().string()))
        files.push_back(it->path().string());
    }
    std::sort(files.begin(), files.end());
  } else if (fs::exists(path, ec)) {
    files.push_back(path);
  } else {
    result.problems.push_back({severity::error, {path, 0, 0}, {}, "нет такого файла или папки"});
    return result;
  }

  std::vector<playbook> books;
  for (const auto& f : files) {
    load_result loaded = load_playbook_file(f);
    ++result.files;
    result.problems.insert(result.problems.end(), loaded.problems.begin(), loaded.problems.end());
    if (loaded.book) books.push_back(std::move(*loaded.book));
  }
  if (folder && files.empty())
    result.problems.push_back({severity::warning, {path, 0, 0}, {}, "в папке нет регламентов (*.yaml)"});

  diagnostics checks;
  if (folder) {
    std::vector<const playbook*> set;
    for (const auto& b : books) set.push_back(&b);
    checks = validate(set);
  } else if (!books.empty()) {
    checks = validate(books.front());
  }
  result.problems.insert(result.problems.end(), checks.begin(), checks.end());
  std::stable_sort(result.problems.begin(), result.problems.end(),
                   [](const diagnostic& a, const diagnostic& b) {
                     return std::tie(a.pos.file, a.pos.line, a.pos.column) <
                            std::tie(b.pos.file, b.pos.line, b.pos.column);
                   });
  return result;
}

}  // namespace reglament
