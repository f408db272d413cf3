#include "engine/playbook_graph.hpp"

#include "engine/schedule.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <set>
#include <vector>

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

// Layout for the SVG picture: layers by breadth-first distance from the first step (so
// the main path reads top-down), nodes within a layer ordered by the mean position of
// their parents (fewer crossings), edges that go back or sideways curve around the right.
struct svg_box {
  double x = 0, y = 0, w = 0, h = 0;
  int layer = 0;
  std::vector<std::string> lines;
};

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Splits a title into lines of at most `width` characters at spaces (long words stay whole).
std::vector<std::string> wrap(const std::string& text, std::size_t width) {
  std::vector<std::string> lines;
  std::string line;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto sp = text.find(' ', pos);
    std::string word = text.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
    if (!line.empty() && utf8_length(line) + 1 + utf8_length(word) > width) {
      lines.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    if (sp == std::string::npos) break;
    pos = sp + 1;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

const char* svg_fill(const std::string& kind) {
  if (kind == "choice" || kind == "check_tariff" || kind == "condition") return "#fff6d6";
  if (kind == "wait_client" || kind == "wait_payment" || kind == "wait_time") return "#e4f0fb";
  if (kind == "escalate") return "#fde2e1";
  if (kind == "outcome" || kind == "end") return "#e3f5e1";
  if (kind == "missing") return "#ffffff";
  if (kind == "schedule") return "#efe7fb";
  return "#f4f4f4";
}

std::string render_svg(const playbook& book) {
  auto g = build_graph(book);
  constexpr double char_w = 7.2, line_h = 16, pad = 10, gap_x = 40, gap_y = 64, margin = 24;
  std::map<std::string, svg_box> boxes;
  std::map<std::string, std::size_t> order_in_file;
  for (std::size_t i = 0; i < g.nodes.size(); ++i) order_in_file[g.nodes[i].id] = i;
  std::map<std::string, std::vector<std::string>> out_edges;
  for (const auto& e : g.edges) out_edges[e.from].push_back(e.to);

  // Layers: the longest path from the entry over the edges that do not close a loop (a
  // depth-first search finds those), so every other edge points down; nodes not reached
  // go below, in file order.
  std::set<std::pair<std::string, std::string>> loop_edges;
  std::vector<std::string> postorder;
  {
    // Depth first with an explicit stack (node, next edge): a very long playbook must
    // not overflow the thread's stack.
    std::map<std::string, int> seen;  // 1: on the stack, 2: done
    std::vector<std::pair<std::string, std::size_t>> calls;
    auto enter = [&](const std::string& id) {
      seen[id] = 1;
      calls.emplace_back(id, 0);
    };
    if (!g.nodes.empty()) enter(g.nodes.front().id);
    while (!calls.empty()) {
      const std::string id = calls.back().first;
      const auto& outs = out_edges[id];
      if (calls.back().second < outs.size()) {
        const std::string t = outs[calls.back().second++];
        if (seen[t] == 1) loop_edges.insert({id, t});
        else if (!seen[t]) enter(t);
        continue;
      }
      seen[id] = 2;
      postorder.push_back(id);
      calls.pop_back();
    }
  }
  std::map<std::string, int> layer;
  for (auto it = postorder.rbegin(); it != postorder.rend(); ++it) {  // topological order
    if (!layer.count(*it)) layer[*it] = 0;
    for (const auto& t : out_edges[*it])
      if (!loop_edges.count({*it, t})) layer[t] = std::max(layer.count(t) ? layer[t] : 0, layer[*it] + 1);
  }
  int deepest = 0;
  for (const auto& [id, l] : layer) deepest = std::max(deepest, l);
  for (const auto& n : g.nodes)
    if (!layer.count(n.id)) layer[n.id] = ++deepest;

  std::vector<std::vector<std::string>> layers(static_cast<std::size_t>(deepest) + 1);
  for (const auto& n : g.nodes) layers[static_cast<std::size_t>(layer[n.id])].push_back(n.id);
  std::map<std::string, double> rank;  // position within its layer
  for (auto& row : layers) {
    std::map<std::string, double> key;
    for (const auto& id : row) {
      double sum = 0;
      int count = 0;
      for (const auto& e : g.edges)
        if (e.to == id && rank.count(e.from) && layer[e.from] < layer[id]) sum += rank[e.from], ++count;
      key[id] = count ? sum / count : 1e6 + static_cast<double>(order_in_file[id]);
    }
    std::stable_sort(row.begin(), row.end(), [&](const auto& a, const auto& b) { return key[a] < key[b]; });
    for (std::size_t i = 0; i < row.size(); ++i) rank[row[i]] = static_cast<double>(i);
  }

  // Sizes, then positions: each layer centred on the widest.
  double width = 0, y = margin + (book.title.empty() ? 0 : 28);
  for (const auto& n : g.nodes) {
    auto& b = boxes[n.id];
    b.lines = wrap(n.title, 26);
    if (!n.kind_title.empty()) b.lines.push_back(n.kind_title);
    std::size_t longest = 0;
    for (const auto& l : b.lines) longest = std::max(longest, utf8_length(l));
    b.w = std::max(90.0, static_cast<double>(longest) * char_w + 2 * pad);
    b.h = static_cast<double>(b.lines.size()) * line_h + 2 * pad;
    b.layer = layer[n.id];
  }
  std::vector<double> row_width(layers.size(), 0), row_height(layers.size(), 0);
  for (std::size_t i = 0; i < layers.size(); ++i)
    for (const auto& id : layers[i]) {
      row_width[i] += boxes[id].w + (row_width[i] > 0 ? gap_x : 0);
      row_height[i] = std::max(row_height[i], boxes[id].h);
    }
  for (double w : row_width) width = std::max(width, w);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    double x = margin + (width - row_width[i]) / 2;
    for (const auto& id : layers[i]) {
      auto& b = boxes[id];
      b.x = x;
      b.y = y + (row_height[i] - b.h) / 2;
      x += b.w + gap_x;
    }
    y += row_height[i] + gap_y;
  }
  const double detour = 60;  // room on the right for edges that go back up
  double total_w = width + 2 * margin + detour, total_h = y - gap_y + margin;

  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"playbook-graph\" width=\"{0:.0f}\" height=\"{1:.0f}\" "
      "viewBox=\"0 0 {0:.0f} {1:.0f}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
      "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
      "orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#555\"/></marker></defs>\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n",
      total_w, total_h);
  if (!book.title.empty())
    out += fmt::format("<text x=\"{:.0f}\" y=\"{:.0f}\" font-size=\"16\" font-weight=\"bold\">{}</text>\n", margin,
                       margin + 8, xml_escape(book.title));
  // Edges first, so boxes cover their ends; labels last, above everything.
  std::string labels;
  int back = 0;
  for (const auto& e : g.edges) {
    const auto& a = boxes[e.from];
    const auto& b = boxes[e.to];
    double lx, ly;
    std::string path;
    if (b.layer > a.layer) {
      double x1 = a.x + a.w / 2, y1 = a.y + a.h, x2 = b.x + b.w / 2, y2 = b.y;
      path = fmt::format("M {:.1f} {:.1f} C {:.1f} {:.1f}, {:.1f} {:.1f}, {:.1f} {:.1f}", x1, y1, x1, y1 + gap_y / 2,
                         x2, y2 - gap_y / 2, x2, y2);
      lx = (x1 + x2) / 2;
      ly = (y1 + y2) / 2;
    } else {  // back or sideways: out of the right side, around, into the right side
      double x1 = a.x + a.w, y1 = a.y + a.h / 2, x2 = b.x + b.w, y2 = b.y + b.h / 2;
      double xr = margin + width + 12 + (back++ % 4) * 12;
      path = fmt::format("M {:.1f} {:.1f} C {:.1f} {:.1f}, {:.1f} {:.1f}, {:.1f} {:.1f}", x1, y1, xr, y1, xr, y2, x2,
                         y2);
      lx = (x1 + xr) / 2 + 20;
      ly = (y1 + y2) / 2;
    }
    out += fmt::format(
        "<path class=\"edge\" data-from=\"{}\" data-to=\"{}\" d=\"{}\" fill=\"none\" stroke=\"#555\" "
        "stroke-width=\"1.2\" marker-end=\"url(#arrow)\"/>\n",
        xml_escape(e.from), xml_escape(e.to), path);
    if (!e.label.empty() && e.label != "next") {
      double lw = static_cast<double>(utf8_length(e.label)) * 6.4 + 8;
      labels += fmt::format(
          "<g class=\"edge-label\"><rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"16\" rx=\"3\" "
          "fill=\"#ffffff\" fill-opacity=\"0.9\"/><text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" "
          "text-anchor=\"middle\" fill=\"#333\">{}</text></g>\n",
          lx - lw / 2, ly - 11, lw, lx, ly + 1, xml_escape(e.label));
    }
  }
  for (const auto& n : g.nodes) {
    const auto& b = boxes[n.id];
    bool missing = n.kind == "missing";
    bool round = n.kind == "outcome" || n.kind == "end";
    out += fmt::format(
        "<g class=\"node\" data-id=\"{}\" data-kind=\"{}\" data-line=\"{}\"><rect x=\"{:.1f}\" y=\"{:.1f}\" "
        "width=\"{:.1f}\" height=\"{:.1f}\" rx=\"{}\" fill=\"{}\" stroke=\"{}\" stroke-width=\"1.2\"{}/>",
        xml_escape(n.id), xml_escape(n.kind), n.line, b.x, b.y, b.w, b.h, round ? 18 : 6, svg_fill(n.kind),
        missing ? "#c00" : "#777", missing ? " stroke-dasharray=\"5 3\"" : "");
    for (std::size_t i = 0; i < b.lines.size(); ++i) {
      bool kind_line = !n.kind_title.empty() && i + 1 == b.lines.size();
      out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\"{}>{}</text>", b.x + b.w / 2,
                         b.y + pad + line_h * static_cast<double>(i) + 12,
                         kind_line ? " font-size=\"10\" fill=\"#666\"" : "", xml_escape(b.lines[i]));
    }
    out += "</g>\n";
  }
  out += labels;
  out += "</svg>\n";
  return out;
}

}  // namespace

playbook_graph build_graph(const playbook& book) {
  playbook_graph g;
  graph_nodes names(book, false);
  if (auto start = schedule_label(book); !start.empty()) {
    g.nodes.push_back({"_schedule", start, "schedule", "", book.on.schedule_pos.line});
    g.edges.push_back({"_schedule", book.steps.front().id, ""});
  }
  for (const auto& s : book.steps)
    g.nodes.push_back({s.id, s.title.empty() ? s.id : s.title, to_string(s.kind), kind_title(s.kind), s.pos.line});
  for (const auto& [target, name] : names.ends)
    g.nodes.push_back({name, "Итог: " + std::string(end_outcome(target)), "outcome", "", 0});
  for (const auto& [target, name] : names.missing)
    g.nodes.push_back({name, "нет шага «" + target + "»", "missing", "", 0});
  for (const auto& s : book.steps)
    for (const auto& e : s.exits)
      if (!e.target.empty()) g.edges.push_back({s.id, names.ids.at(e.target), e.label});
  return g;
}

std::string render_graph(const playbook& book, graph_format format) {
  switch (format) {
    case graph_format::dot: return render_dot(book);
    case graph_format::mermaid: return render_mermaid(book);
    case graph_format::svg: return render_svg(book);
  }
  return {};
}

}  // namespace reglament
