#include "engine/client_import.hpp"

#include "engine/client_yaml.hpp"
#include "engine/firm_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <span>
#include <sstream>

namespace reglament {
namespace {

void problem(diagnostics& out, source_pos pos, std::string message) {
  diagnostic d;
  d.pos = std::move(pos);
  d.message = std::move(message);
  out.push_back(std::move(d));
}

struct csv_field {
  std::string text;
  int line = 0, column = 0;  // where the field starts
};

// RFC 4180 records; a quoted field may hold the separator, quotes ("") and line breaks.
std::vector<std::vector<csv_field>> csv_records(std::string_view s, char sep, const std::string& name,
                                                diagnostics& problems) {
  std::vector<std::vector<csv_field>> records;
  std::vector<csv_field> record;
  int line = 1, column = 1;
  std::size_t i = 0;
  auto at_end_of_record = [&] { return i >= s.size() || s[i] == '\n' || s[i] == '\r'; };
  // Columns count characters, not bytes: UTF-8 continuation bytes do not move them.
  auto take = [&](csv_field& f) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) ++column;
    f.text += s[i++];
  };
  while (i < s.size()) {
    csv_field f{{}, line, column};
    if (s[i] == '"') {
      ++i, ++column;
      bool closed = false;
      while (i < s.size()) {
        if (s[i] == '"') {
          if (i + 1 < s.size() && s[i + 1] == '"') {
            f.text += '"';
            i += 2, column += 2;
            continue;
          }
          ++i, ++column;
          closed = true;
          break;
        }
        if (s[i] == '\n') ++line, column = 0;
        take(f);
      }
      if (!closed) {
        problem(problems, {name, f.line, f.column}, "a quoted field is not closed: expected \"");
        return records;
      }
      while (i < s.size() && s[i] != sep && s[i] != '\n' && s[i] != '\r') {
        if (s[i] != ' ') {
          problem(problems, {name, line, column}, "text after a closing quote: expected the separator");
          return records;
        }
        ++i, ++column;
      }
    } else {
      while (i < s.size() && s[i] != sep && s[i] != '\n' && s[i] != '\r') take(f);
    }
    record.push_back(std::move(f));
    if (i < s.size() && s[i] == sep) {
      ++i, ++column;
      if (at_end_of_record()) record.push_back({{}, line, column});
      if (!at_end_of_record()) continue;
    }
    if (i < s.size() && s[i] == '\r') ++i;
    if (i < s.size() && s[i] == '\n') ++i;
    ++line, column = 1;
    records.push_back(std::move(record));
    record.clear();
  }
  if (!record.empty()) records.push_back(std::move(record));
  return records;
}

std::string trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

std::vector<std::string> split_values(std::string_view cell) {
  std::vector<std::string> out;
  while (true) {
    auto semi = cell.find(';');
    if (auto v = trimmed(cell.substr(0, semi)); !v.empty()) out.push_back(std::move(v));
    if (semi == std::string_view::npos) break;
    cell.remove_prefix(semi + 1);
  }
  return out;
}

// "День бухгалтера 11-21" -> {name/title, "11-21"}: the date is the last word.
std::pair<std::string, std::string> text_and_date(const std::string& v) {
  auto sp = v.find_last_of(' ');
  if (sp == std::string::npos) return {"", v};
  return {trimmed(std::string_view(v).substr(0, sp)), v.substr(sp + 1)};
}

constexpr std::string_view scalar_columns[] = {"id",      "name",       "inn",      "address",
                                               "form",    "tariff",     "manager",  "accountant",
                                               "timezone", "language"};
constexpr std::string_view contact_columns[] = {"email", "telegram", "phone", "webchat", "api"};

bool is_one_of(std::string_view v, std::span<const std::string_view> list) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

std::string lower_ascii(std::string s) {
  for (auto& ch : s)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return s;
}

}  // namespace

client_batch parse_clients_csv(const std::string& text, const std::string& name, diagnostics& problems) {
  std::string_view s = text;
  if (s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
  const auto first_line = s.substr(0, s.find('\n'));
  const char sep = first_line.find(',') == std::string_view::npos && first_line.find(';') != std::string_view::npos ? ';' : ',';
  client_batch batch;
  auto records = csv_records(s, sep, name, problems);
  if (records.empty()) {
    problem(problems, {name, 1, 1}, "empty file: expected a header row such as id,name,inn,tariff,email");
    return batch;
  }
  std::vector<std::string> columns;
  bool header_ok = true;
  for (const auto& f : records.front()) {
    auto col = lower_ascii(trimmed(f.text));
    if (!is_one_of(col, scalar_columns) && !is_one_of(col, contact_columns) && col != "holiday" && col != "birthdays") {
      problem(problems, {name, f.line, f.column},
              fmt::format("unknown column '{}' (known: id, name, inn, address, form, tariff, manager, accountant, "
                          "timezone, language, email, telegram, phone, webchat, api, holiday, birthdays)", col));
      header_ok = false;
    } else if (std::find(columns.begin(), columns.end(), col) != columns.end()) {
      problem(problems, {name, f.line, f.column}, fmt::format("column '{}' appears twice", col));
      header_ok = false;
    }
    columns.push_back(col);
  }
  if (std::find(columns.begin(), columns.end(), "id") == columns.end()) {
    problem(problems, {name, 1, 1}, "the header has no 'id' column");
    header_ok = false;
  }
  if (!header_ok) return batch;

  for (std::size_t r = 1; r < records.size(); ++r) {
    const auto& rec = records[r];
    if (std::all_of(rec.begin(), rec.end(), [](const csv_field& f) { return trimmed(f.text).empty(); })) continue;
    const source_pos row_pos{name, rec.front().line, rec.front().column};
    if (rec.size() != columns.size()) {
      problem(problems, row_pos, fmt::format("{} fields, expected {} as in the header", rec.size(), columns.size()));
      continue;
    }
    // The row as the YAML map read_client reads, remembering which cell made which node.
    YAML::Node node(YAML::NodeType::Map);
    std::vector<std::pair<YAML::Node, const csv_field*>> cells;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const auto& col = columns[c];
      const auto value = trimmed(rec[c].text);
      if (value.empty()) continue;
      if (is_one_of(col, scalar_columns)) {
        node[col] = value;
        cells.emplace_back(node[col], &rec[c]);
      } else if (is_one_of(col, contact_columns)) {
        for (const auto& v : split_values(value)) {
          YAML::Node a(v);
          node["contacts"][col].push_back(a);
          cells.emplace_back(node["contacts"][col][node["contacts"][col].size() - 1], &rec[c]);
        }
      } else if (col == "holiday") {
        auto [title, date] = text_and_date(value);
        node["holiday"]["title"] = title;
        node["holiday"]["date"] = date;
        cells.emplace_back(node["holiday"], &rec[c]);
      } else {  // birthdays
        for (const auto& v : split_values(value)) {
          auto [who, date] = text_and_date(v);
          YAML::Node b(YAML::NodeType::Map);
          b["name"] = who;
          b["date"] = date;
          node["birthdays"].push_back(b);
          cells.emplace_back(node["birthdays"][node["birthdays"].size() - 1], &rec[c]);
        }
      }
    }
    auto err = [&](const YAML::Node& at, std::string msg) {
      source_pos pos = row_pos;
      for (const auto& [n, f] : cells)
        if (n.is(at)) pos = {name, f->line, f->column};
      problem(problems, pos, std::move(msg));
    };
    batch.clients.push_back(read_client(node, err));
    batch.positions.push_back(row_pos);
  }
  return batch;
}

client_batch parse_clients_yaml(const std::string& text, const std::string& name, diagnostics& problems) {
  client_batch batch;
  batch.clients = firm_file::parse_clients(text, name, problems, &batch.positions);
  return batch;
}

client_batch parse_client_document(const std::string& text, const std::string& name, diagnostics& problems) {
  auto at = [&](const YAML::Mark& m) { return source_pos{name, m.line + 1, m.column + 1}; };
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    problem(problems, at(e.mark), e.msg);
    return {};
  }
  if (!root.IsMap()) {
    problem(problems, at(root.Mark()), "expected one client: a map with id, name, inn, tariff, contacts, ...");
    return {};
  }
  client_batch batch;
  batch.clients.push_back(read_client(root, [&](const YAML::Node& n, std::string msg) {
    problem(problems, at(n.Mark()), std::move(msg));
  }));
  batch.positions.push_back(at(root.Mark()));
  return batch;
}

client_batch read_clients_file(const std::string& path, diagnostics& problems) {
  auto dot = path.find_last_of('.');
  auto ext = lower_ascii(dot == std::string::npos ? std::string{} : path.substr(dot + 1));
  if (ext != "csv" && ext != "yaml" && ext != "yml") {
    problem(problems, {path, 0, 0}, "expected a .csv or .yaml file");
    return {};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    problem(problems, {path, 0, 0}, "cannot open the file");
    return {};
  }
  std::stringstream buf;
  buf << in.rdbuf();
  return ext == "csv" ? parse_clients_csv(buf.str(), path, problems) : parse_clients_yaml(buf.str(), path, problems);
}

void check_client_batch(const client_batch& batch, const std::set<std::string>* tariffs, diagnostics& problems) {
  std::map<std::string, std::size_t> ids;
  std::map<std::pair<std::string, std::string>, std::size_t> contacts;
  for (std::size_t i = 0; i < batch.clients.size(); ++i) {
    const auto& c = batch.clients[i];
    const auto& pos = batch.positions[i];
    const auto& id = c.info.id;
    if (!id.empty() && (id.size() > 64 || !std::all_of(id.begin(), id.end(), [](char ch) {
          return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '_' || ch == '-' || ch == '.';
        })))
      problem(problems, pos, fmt::format("client {}: id: expected up to 64 Latin letters, digits, '_', '-' or '.'", id));
    if (c.info.name.empty()) problem(problems, pos, fmt::format("client {}: expected a name", id));
    if (c.info.tariff_id.empty())
      problem(problems, pos, fmt::format("client {}: expected a tariff", id));
    else if (tariffs && !tariffs->count(c.info.tariff_id))
      problem(problems, pos, fmt::format("client {}: unknown tariff '{}'", id, c.info.tariff_id));
    if (!id.empty()) {
      auto [it, fresh] = ids.emplace(id, i);
      if (!fresh)
        problem(problems, pos, fmt::format("client {}: the id is also used at line {}", id, batch.positions[it->second].line));
    }
    for (const auto& k : c.contacts) {
      auto [it, fresh] = contacts.emplace(std::pair{k.channel, k.address}, i);
      if (!fresh && batch.clients[it->second].info.id != id)
        problem(problems, pos, fmt::format("client {}: {} {} is also a contact of client {} at line {}", id, k.channel,
                                           k.address, batch.clients[it->second].info.id,
                                           batch.positions[it->second].line));
    }
  }
}

}  // namespace reglament
