#include "engine/playbook_graph.hpp"

#include "engine/schedule.hpp"

#include <map>

namespace reglament {

namespace {

// What the owner calls each kind on the picture.
const char* kind_title(step_kind k) {
  switch (k) {
    case step_kind::say: return "Сообщение клиенту";
    case step_kind::task: return "Задача менеджеру";
    case step_kind::choice: return "Выбор менеджера";
    case step_kind::form: return "Форма";
    case step_kind::check_tariff: return "Проверка тарифа";
    case step_kind::wait_client: return "Ожидание ответа клиента";
    case step_kind::wait_payment: return "Ожидание оплаты";
    case step_kind::wait_time: return "Пауза";
    case step_kind::condition: return "Условие";
    case step_kind::set: return "Вычисление";
    case step_kind::assign: return "Назначение";
    case step_kind::notify: return "Уведомление сотруднику";
    case step_kind::escalate: return "Решение руководителя";
    case step_kind::call: return "Вызов регламента";
    case step_kind::end: return "Завершение";
    case step_kind::invoice: return "Счёт клиенту";
  }
  return "";
}

std::string dot_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// Mermaid reads quotes and angle brackets inside labels; entity codes keep them text.
std::string mermaid_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "#quot;"; break;
      case '<': out += "#lt;"; break;
      case '>': out += "#gt;"; break;
      case '\n': out += "<br/>"; break;
      default: out += c;
    }
  }
  return out;
}

const char* dot_shape(step_kind k) {
  switch (k) {
    case step_kind::choice:
    case step_kind::check_tariff:
    case step_kind::condition: return "diamond";
    case step_kind::wait_client:
    case step_kind::wait_payment:
    case step_kind::wait_time: return "hexagon";
    case step_kind::escalate: return "octagon";
    case step_kind::end: return "doublecircle";
    default: return "box";
  }
}

// Node names: steps keep their ids in dot; Mermaid needs plain names, so n0, n1, ...
struct graph_nodes {
  std::map<std::string, std::string> ids;  // step id or end:X -> node name
  std::map<std::string, std::string> ends;  // end:X -> node name, in order of appearance
  std::map<std::string, std::string> missing;  // targets that are not steps

  graph_nodes(const playbook& book, bool numbered) {
    for (std::size_t i = 0; i < book.steps.size(); ++i)
      ids.emplace(book.steps[i].id, numbered ? "n" + std::to_string(i) : book.steps[i].id);
    for (const auto& s : book.steps)
      for (const auto& e : s.exits) {
        if (e.target.empty() || ids.count(e.target)) continue;
        bool is_end = !end_outcome(e.target).empty();
        auto& bucket = is_end ? ends : missing;
        std::string name = numbered ? (is_end ? "e" : "x") + std::to_string(bucket.size()) : e.target;
        if (bucket.emplace(e.target, name).second) ids.emplace(e.target, name);
      }
  }
};

// What starts a scheduled playbook, as the graph's entry node ("" for other triggers).
// Step ids start with a letter, so "_schedule" names no step.
std::string schedule_label(const playbook& book) {
  if (book.on.schedule.empty() || book.steps.empty()) return {};
  auto rule = parse_schedule(book.on.schedule, nullptr);
  return "По расписанию: " + (rule ? rule->describe() : book.on.schedule);
}

std::string render_dot(const playbook& book) {
  graph_nodes nodes(book, false);
  std::string out = "digraph \"" + dot_escape(book.id) + "\" {\n";
  out += "  label=\"" + dot_escape(book.title) + "\";\n  labelloc=t;\n";
  out += "  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=10];\n";
  for (const auto& s : book.steps)
    out += "  \"" + dot_escape(s.id) + "\" [label=\"" + dot_escape(s.title + "\n" + kind_title(s.kind)) +
           "\", shape=" + dot_shape(s.kind) + "];\n";
  for (const auto& [target, name] : nodes.ends)
    out += "  \"" + dot_escape(name) + "\" [label=\"" +
           dot_escape("Итог: " + std::string(end_outcome(target))) + "\", shape=doublecircle];\n";
  for (const auto& [target, name] : nodes.missing)
    out += "  \"" + dot_escape(name) + "\" [label=\"" + dot_escape("нет шага «" + target + "»") +
           "\", shape=box, style=dashed, color=red];\n";
  if (auto start = schedule_label(book); !start.empty())
    out += "  \"_schedule\" [label=\"" + dot_escape(start) + "\", shape=cds];\n  \"_schedule\" -> \"" +
           dot_escape(book.steps.front().id) + "\";\n";
  for (const auto& s : book.steps)
    for (const auto& e : s.exits) {
      if (e.target.empty()) continue;
      out += "  \"" + dot_escape(s.id) + "\" -> \"" + dot_escape(nodes.ids.at(e.target)) +
             "\" [label=\"" + dot_escape(e.label) + "\"];\n";
    }
  out += "}\n";
  return out;
}

std::string mermaid_node(const std::string& name, const std::string& label, step_kind k) {
  std::string text = "\"" + mermaid_escape(label) + "\"";
  switch (k) {
    case step_kind::choice:
    case step_kind::check_tariff:
    case step_kind::condition: return name + "{" + text + "}";
    case step_kind::wait_client:
    case step_kind::wait_payment:
    case step_kind::wait_time: return name + "{{" + text + "}}";
    case step_kind::end: return name + "([" + text + "])";
    default: return name + "[" + text + "]";
  }
}

std::string render_mermaid(const playbook& book) {
  graph_nodes nodes(book, true);
  std::string out = "---\ntitle: \"" + mermaid_escape(book.title) + "\"\n---\nflowchart TD\n";
  for (const auto& s : book.steps)
    out += "  " + mermaid_node(nodes.ids.at(s.id), s.title + "\n" + kind_title(s.kind), s.kind) + "\n";
  for (const auto& [target, name] : nodes.ends)
    out += "  " + mermaid_node(name, "Итог: " + std::string(end_outcome(target)), step_kind::end) + "\n";
  for (const auto& [target, name] : nodes.missing)
    out += "  " + name + "[\"" + mermaid_escape("нет шага «" + target + "»") + "\"]\n";
  if (auto start = schedule_label(book); !start.empty())
    out += "  _schedule>\"" + mermaid_escape(start) + "\"] --> " + nodes.ids.at(book.steps.front().id) + "\n";
  for (const auto& s : book.steps)
    for (const auto& e : s.exits) {
      if (e.target.empty()) continue;
      out += "  " + nodes.ids.at(s.id) + " -->|\"" + mermaid_escape(e.label) + "\"| " +
             nodes.ids.at(e.target) + "\n";
    }
  if (!nodes.missing.empty()) {
    out += "  classDef missing stroke:#c00,stroke-dasharray:4;\n";
    for (const auto& [target, name] : nodes.missing) out += "  class " + name + " missing\n";
  }
  return out;
}

}  // namespace

std::string render_graph(const playbook& book, graph_format format) {
  return format == graph_format::dot ? render_dot(book) : render_mermaid(book);
}

}  // namespace reglament
