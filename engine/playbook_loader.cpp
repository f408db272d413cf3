#include "engine/playbook_loader.hpp"

#include "engine/yaml_document.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_set>
#include <utility>

namespace reglament {

// SHA-256 (FIPS 180-4). Small enough to keep here rather than pull in a crypto library
// for hashing playbook files.
std::string sha256_hex(std::string_view bytes) {
  static constexpr std::array<std::uint32_t, 64> k{
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
      0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
      0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
      0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
      0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
      0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
      0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
  std::array<std::uint32_t, 8> h{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  auto rotr = [](std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); };
  auto compress = [&](const unsigned char* block) {
    std::array<std::uint32_t, 64> w;
    for (int i = 0; i < 16; ++i)
      w[i] = std::uint32_t{block[i * 4]} << 24 | std::uint32_t{block[i * 4 + 1]} << 16 |
             std::uint32_t{block[i * 4 + 2]} << 8 | std::uint32_t{block[i * 4 + 3]};
    for (int i = 16; i < 64; ++i) {
      std::uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      std::uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; ++i) {
      std::uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
      std::uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
  };

  // Whole blocks straight from the text; the rest, 0x80, zeros and the bit length in one
  // or two blocks of padding.
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t whole = bytes.size() / 64 * 64;
  for (std::size_t at = 0; at < whole; at += 64) compress(data + at);
  std::array<unsigned char, 128> tail{};
  const std::size_t rest = bytes.size() - whole;
  std::copy(data + whole, data + bytes.size(), tail.begin());
  tail[rest] = 0x80;
  const std::size_t padded = rest + 1 + 8 <= 64 ? 64 : 128;
  const std::uint64_t bit_length = static_cast<std::uint64_t>(bytes.size()) * 8;
  for (int i = 0; i < 8; ++i) tail[padded - 1 - i] = static_cast<unsigned char>(bit_length >> (i * 8));
  compress(tail.data());
  if (padded == 128) compress(tail.data() + 64);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (std::uint32_t word : h)
    for (int i = 28; i >= 0; i -= 4) out += hex[(word >> i) & 0xf];
  return out;
}

namespace {

constexpr std::array<std::string_view, 14> kind_keys{
    "say", "task", "choice", "form", "check_tariff", "wait", "if",
    "set", "assign", "notify", "escalate", "call", "end", "invoice"};

constexpr std::array<std::string_view, 3> common_keys{"id", "title", "instruction"};

// Keys a step of each kind may carry besides the common ones.
std::vector<std::string_view> kind_specific_keys(step_kind k) {
  switch (k) {
    case step_kind::say: return {"say", "buttons", "editable", "next"};
    case step_kind::task: return {"task", "next", "on_skip", "timeout"};
    case step_kind::choice: return {"choice", "options", "timeout"};
    case step_kind::form: return {"form", "fields", "next"};
    case step_kind::check_tariff:
      return {"check_tariff", "in_tariff", "over_quota", "not_included", "unknown"};
    case step_kind::wait_client:
      return {"wait", "if_yes", "if_no", "answers", "if_other", "if_reply", "timeout"};
    case step_kind::wait_payment: return {"wait", "if_paid", "timeout"};
    case step_kind::wait_time: return {"wait", "for", "go", "next"};
    case step_kind::condition: return {"if", "then", "else"};
    case step_kind::set: return {"set", "next"};
    case step_kind::assign: return {"assign", "next"};
    case step_kind::notify: return {"notify", "text", "next"};
    case step_kind::escalate: return {"escalate", "decisions", "timeout"};
    case step_kind::call: return {"call", "outcomes", "next"};
    case step_kind::end: return {"end", "say"};
    case step_kind::invoice: return {"invoice", "amount", "due", "next"};
  }
  return {};
}

std::string join(const std::vector<std::string_view>& items) {
  std::string out;
  for (auto s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

bool is_ascii_id(std::string_view id) {
  if (id.empty() || id[0] < 'a' || id[0] > 'z') return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

constexpr std::string_view id_rule = "латинские строчные буквы, цифры и _, первой — буква";

class loader {
 public:
  loader(const std::string& file, diagnostics& out) : file_(file), out_(out) {}

  void load(yaml_node root, playbook& book) {
    if (!root.is_map()) {
      error(root, {}, "ожидался словарь с ключами id, title, steps, ...");
      return;
    }
    static const std::vector<std::string_view> top{"id", "title", "description", "trigger",
                                                   "variables", "templates", "sla", "steps"};
    for (const auto& [key, value, key_node] : entries(root, {})) {
      if (std::find(top.begin(), top.end(), key) == top.end())
        error(key_node, {}, "неизвестный ключ «" + key + "» (ожидался один из: " + join(top) + ")");
    }
    book.pos = pos_of(root["id"], root);
    if (!root["id"]) {
      error(root, {}, "у регламента нет id (ожидалось id: " + std::string(id_rule) + ")");
    } else {
      book.id = scalar(root["id"], {}, "id");
      if (!book.id.empty() && !is_ascii_id(book.id))
        error(root["id"], {}, "id «" + book.id + "»: ожидались " + std::string(id_rule));
    }
    book.title = root["title"] ? scalar(root["title"], {}, "title") : book.id;
    if (book.title.empty()) book.title = book.id;
    if (root["description"]) book.description = scalar(root["description"], {}, "description");
    if (root["trigger"]) load_trigger(root["trigger"], book.on);
    if (root["variables"]) load_variables(root["variables"], book);
    if (root["templates"]) load_templates(root["templates"], book);
    if (root["sla"]) load_sla(root["sla"], book);
    if (!root["steps"]) {
      error(root, {}, "нет списка steps (ожидалось steps: с хотя бы одним шагом)");
      return;
    }
    load_steps(root["steps"], book);
  }

 private:
  struct entry {
    std::string key;
    yaml_node value;
    yaml_node key_node;
  };

  source_pos pos_of(yaml_node n, yaml_node fallback = {}) const {
    yaml_mark m = n.mark();
    if (m.line == 0) m = fallback.mark();
    return {file_, m.line, m.column};
  }

  void report(severity level, source_pos pos, const std::string& step, std::string message) {
    out_.push_back({level, std::move(pos), step, std::move(message)});
  }
  void error(yaml_node at, const std::string& step, std::string message) {
    report(severity::error, pos_of(at), step, std::move(message));
  }

  // Map entries in document order; a repeated key is an error (the document keeps both,
  // and a lookup finds the first).
  std::vector<entry> entries(yaml_node map, const std::string& step) {
    std::vector<entry> out;
    out.reserve(map.size());
    // Most maps have a handful of keys: a scan finds a repeat sooner than a set.
    const bool large = map.size() > 16;
    std::unordered_set<std::string_view> seen;  // views into the document
    for (auto [key_node, value] : map.entries()) {
      std::string_view key = key_node.text();
      const bool repeated = large ? !seen.insert(key).second
                                  : std::any_of(out.begin(), out.end(), [&](const entry& e) { return e.key == key; });
      if (repeated) error(key_node, step, "ключ «" + std::string(key) + "» повторяется");
      out.push_back({std::string(key), value, key_node});
    }
    return out;
  }

  std::string scalar(yaml_node n, const std::string& step, std::string_view what) {
    if (n.is_scalar()) return std::string(n.text());
    if (!n || n.is_null()) {
      error(n, step, "«" + std::string(what) + "»: пустое значение (ожидался текст)");
    } else {
      error(n, step, "«" + std::string(what) + "»: ожидался текст, а не " +
                         (n.is_map() ? "словарь" : "список"));
    }
    return {};
  }

  bool boolean(yaml_node n, std::string_view what) {
    if (auto value = n.as_bool()) return *value;
    error(n, {}, "«" + std::string(what) + "»: ожидалось true или false");
    return false;
  }

  void load_trigger(yaml_node n, trigger& on) {
    on.pos = pos_of(n);
    if (!n.is_map()) {
      error(n, {}, "trigger: ожидался словарь (message, from, schedule, manual, situation)");
      return;
    }
    for (const auto& [key, value, key_node] : entries(n, {})) {
      if (key == "message") {
        if (value.is_sequence()) {
          for (yaml_node ch : value.items()) on.channels.push_back(scalar(ch, {}, "trigger.message"));
        } else {
          on.channels.push_back(scalar(value, {}, "trigger.message"));
        }
      } else if (key == "from") {
        on.from = scalar(value, {}, "trigger.from");  // the validator checks the value
      } else if (key == "schedule") {
        on.schedule = scalar(value, {}, "trigger.schedule");
        on.schedule_pos = pos_of(value);
      } else if (key == "manual") {
        on.manual = boolean(value, "trigger.manual");
      } else if (key == "situation") {
        on.situation = boolean(value, "trigger.situation");
      } else {
        error(key_node, {}, "неизвестный ключ trigger «" + key +
                                "» (ожидался один из: message, from, schedule, manual, situation)");
      }
    }
  }

  void load_variables(yaml_node n, playbook& book) {
    if (!n.is_map()) {
      error(n, {}, "variables: ожидался словарь ИМЯ: { title, type, default }");
      return;
    }
    static const std::vector<std::string_view> types{"text", "number", "money", "date", "bool"};
    for (const auto& [name, value, key_node] : entries(n, {})) {
      variable_decl v;
      v.name = name;
      v.title = name;
      v.type = "text";
      v.pos = pos_of(key_node);
      if (value.is_scalar()) {
        v.title = value.text();  // `name: Title` is a short form
      } else if (value.is_map()) {
        for (const auto& [key, field, field_key] : entries(value, {})) {
          if (key == "title") v.title = scalar(field, {}, "title");
          else if (key == "type") v.type = scalar(field, {}, "type");
          else if (key == "default") v.default_value = field.is_null() ? "" : scalar(field, {}, "default");
          else
            error(field_key, {}, "переменная «" + name + "»: неизвестный ключ «" + key +
                                     "» (ожидался один из: title, type, default)");
        }
        if (std::find(types.begin(), types.end(), v.type) == types.end())
          error(value["type"], {}, "переменная «" + name + "»: неизвестный тип «" + v.type +
                                       "» (ожидался один из: " + join(types) + ")");
      } else if (!value.is_null()) {
        error(value, {}, "переменная «" + name + "»: ожидался словарь { title, type, default }");
      }
      book.variables.push_back(std::move(v));
    }
  }

  void load_templates(yaml_node n, playbook& book) {
    if (!n.is_map()) {
      error(n, {}, "templates: ожидался словарь ИМЯ: \"текст\"");
      return;
    }
    for (const auto& [name, value, key_node] : entries(n, {})) {
      book.template_pos[name] = pos_of(value, key_node);
      if (auto t = load_text(value, {}, "шаблон «" + name + "»")) book.templates[name] = std::move(*t);
    }
  }

  // A client message: "текст", or its variants {ru|вы: …, ты: …, en: …} (see "Languages
  // and forms of address" in docs/PLAYBOOKS.md). nullopt after reporting a problem.
  std::optional<message_template> load_text(yaml_node n, const std::string& step,
                                            const std::string& what) {
    auto parse = [&](yaml_node at, std::string_view variant) -> std::optional<message_template> {
      std::string err;
      auto t = message_template::parse(scalar(at, step, what), &err);
      if (!t) error(at, step, what + (variant.empty() ? "" : " (" + std::string(variant) + ")") + ": " + err);
      return t;
    };
    if (!n.is_map()) return parse(n, {});
    std::optional<message_template> formal, informal, english;
    bool have_formal = false;
    for (const auto& [k, value, key_node] : entries(n, step)) {
      if (k == "ru" || k == "вы" || k == "Вы") {
        if (have_formal) error(key_node, step, what + ": «ru» и «вы» — один и тот же текст, оставьте один");
        have_formal = true;
        formal = parse(value, k);
      } else if (k == "ты" || k == "Ты") {
        informal = parse(value, k);
      } else if (k == "en") {
        english = parse(value, k);
        if (english && english->has_form_choice())
          error(value, step, what + " (en): выбор {{вы: … | ты: …}} в английском тексте не нужен (в английском одна форма)");
      } else {
        error(key_node, step, what + ": неизвестный ключ «" + k + "» (ожидались ru или вы, ты, en)");
      }
    }
    if (!have_formal) {
      error(n, step, what + ": нет русского текста (ожидалось ru: или вы: рядом с ты:/en:)");
      return std::nullopt;
    }
    if (!formal) return std::nullopt;
    if (informal) formal->set_variant(message_template::variant::informal, std::move(*informal));
    if (english) formal->set_variant(message_template::variant::english, std::move(*english));
    return formal;
  }

  // say: TEXT, say: {ru: …, ты: …, en: …}, or say: {template: NAME}.
  void load_message(yaml_node n, step& s, std::string_view key) {
    std::string what = "«" + std::string(key) + "»";
    if (n.is_map() && n["template"]) {
      for (const auto& [k, value, key_node] : entries(n, s.id)) {
        if (k == "template") s.template_ref = scalar(value, s.id, "template");
        else error(key_node, s.id, what + ": неизвестный ключ «" + k +
                                       "» рядом с template: (варианты текста пишутся в самом шаблоне)");
      }
      return;
    }
    if (auto t = load_text(n, s.id, what)) s.text = std::move(*t);
  }

  // sla: on | { greeting_counts: BOOL, first_reply|idle|deadline: off | {remind, escalate, after} }
  void load_sla(yaml_node n, playbook& book) {
    sla_policy policy;
    for (const char* kind : {"first_reply", "idle", "deadline"}) {
      sla_rule r;
      r.kind = kind;
      r.pos = pos_of(n);
      policy.rules.push_back(std::move(r));
    }
    if (n.is_scalar()) {
      if (boolean(n, "sla")) book.sla = std::move(policy);
      return;
    }
    if (!n.is_map()) {
      error(n, {}, "sla: ожидалось on или словарь { first_reply, idle, deadline, greeting_counts }");
      return;
    }
    for (const auto& e : entries(n, {})) {
      // Named references, not a structured binding: clang 14 cannot capture one in a lambda.
      const auto& key = e.key;
      const auto& value = e.value;
      const auto& key_node = e.key_node;
      if (key == "greeting_counts") {
        policy.greeting_counts = boolean(value, "sla.greeting_counts");
        continue;
      }
      auto rule = std::find_if(policy.rules.begin(), policy.rules.end(), [&](const sla_rule& r) { return r.kind == key; });
      if (rule == policy.rules.end()) {
        error(key_node, {}, "sla: неизвестный ключ «" + key + "» (ожидались first_reply, idle, deadline, greeting_counts)");
        continue;
      }
      rule->pos = pos_of(value, key_node);
      if (value.is_scalar()) {
        rule->enabled = boolean(value, "sla." + key);
        continue;
      }
      if (!value.is_map()) {
        error(value, {}, "sla." + key + ": ожидалось off или { remind: КТО, escalate: КТО, after: СРОК }");
        continue;
      }
      for (const auto& [k, v, kn] : entries(value, {})) {
        if (k == "remind") rule->remind = scalar(v, {}, "sla." + key + ".remind");
        else if (k == "escalate") rule->escalate_to = scalar(v, {}, "sla." + key + ".escalate");
        else if (k == "after") rule->escalate_after = load_duration(v, {}, "sla." + key + ".after");
        else error(kn, {}, "sla." + key + ": неизвестный ключ «" + k + "» (ожидались remind, escalate, after)");
      }
    }
    book.sla = std::move(policy);
  }

  std::optional<duration> load_duration(yaml_node n, const std::string& step,
                                        std::string_view key) {
    std::string text = scalar(n, step, key);
    if (text.empty()) return std::nullopt;
    std::string err;
    auto d = parse_duration(text, &err);
    if (!d) error(n, step, "«" + std::string(key) + ": " + text + "»: " + err);
    return d;
  }

  // A duration, or the name of a variable that holds one at run time (`after: напомнить_через`).
  void load_duration_or_variable(yaml_node n, const std::string& step, std::string_view key,
                                 std::optional<duration>& d, std::string& variable) {
    std::string text(n.text());
    bool is_name = !text.empty() && text.find(' ') == std::string::npos &&
                   !(text[0] >= '0' && text[0] <= '9') && !parse_duration(text);
    if (is_name) variable = text;
    else d = load_duration(n, step, key);
  }

  std::string target_of(yaml_node n, const std::string& step, std::string_view key) {
    std::string target = scalar(n, step, key);
    if (target.rfind("end:", 0) == 0 && target.size() == 4)
      error(n, step, "«" + std::string(key) + ": end:» без итога (ожидалось, например, end:done)");
    return target;
  }

  // The exit gets `target` from `n`, or the following step's id when `n` is absent.
  void add_exit(step& s, std::string key, std::string label, yaml_node n,
                std::string_view yaml_key) {
    step_exit e;
    e.key = std::move(key);
    e.label = label.empty() ? e.key : std::move(label);
    if (n) {
      e.target = target_of(n, s.id, yaml_key);
      e.pos = pos_of(n);
    } else {
      e.pos = s.pos;
      defaulted_.push_back({current_index_, s.exits.size()});
    }
    s.exits.push_back(std::move(e));
  }

  void add_timeout(step& s, yaml_node n) {
    if (!n.is_map()) {
      error(n, s.id, "timeout: ожидалось { after: СРОК, go: ШАГ }");
      return;
    }
    for (const auto& [key, value, key_node] : entries(n, s.id))
      if (key != "after" && key != "go")
        error(key_node, s.id, "timeout: неизвестный ключ «" + key + "» (ожидались after и go)");
    if (!n["after"]) error(n, s.id, "timeout: нет after: СРОК (например, after: 2 рабочих дня)");
    else load_duration_or_variable(n["after"], s.id, "after", s.timeout, s.timeout_variable);
    if (!n["go"]) {
      error(n, s.id, "timeout: нет go: ШАГ (куда идти, когда срок вышел)");
      return;
    }
    std::string label = s.timeout                     ? "Через " + s.timeout->text
                        : !s.timeout_variable.empty() ? "Через " + s.timeout_variable
                                                      : "По истечении срока";
    add_exit(s, "timeout", label, n["go"], "go");
  }

  void add_map_exits(step& s, yaml_node n, std::string_view what) {
    if (n.is_null()) return;  // reported by the validator as "no options"
    if (!n.is_map()) {
      error(n, s.id, "«" + std::string(what) + "»: ожидался словарь НАДПИСЬ: ШАГ");
      return;
    }
    for (const auto& [label, value, key_node] : entries(n, s.id))
      add_exit(s, label, label, value, label);
  }

  // Exactly one of two spellings (if_other / if_reply, go / next).
  yaml_node either(yaml_node step_node, const std::string& id, const char* a,
                    const char* b) {
    if (step_node[a] && step_node[b])
      error(step_node[b], id, std::string("«") + a + "» и «" + b + "» означают одно и то же: оставьте одно");
    return step_node[a] ? step_node[a] : step_node[b];
  }

  std::optional<step_kind> kind_of(yaml_node n, step& s) {
    // The step's keys read once: a lookup by key walks the map.
    std::vector<std::string> keys;
    for (auto [key, value] : n.entries())
      if (key.is_scalar()) keys.emplace_back(key.text());
    auto has = [&keys](std::string_view key) { return std::find(keys.begin(), keys.end(), key) != keys.end(); };
    std::vector<std::string> found;
    for (auto key : kind_keys)
      if (has(key)) found.emplace_back(key);
    // `end` may carry a farewell `say`; anywhere else say is its own step.
    if (found.size() == 2 && has("end") && has("say")) found = {"end"};
    if (found.empty()) {
      std::string unknown;
      for (const auto& e : entries(n, s.id))
        if (std::find(common_keys.begin(), common_keys.end(), e.key) == common_keys.end()) {
          unknown = e.key;
          break;
        }
      std::string all = join({kind_keys.begin(), kind_keys.end()});
      error(n, s.id, unknown.empty() ? "у шага нет вида (ожидался один из ключей: " + all + ")"
                                     : "неизвестный вид шага «" + unknown + "» (ожидался один из: " + all + ")");
      return std::nullopt;
    }
    if (found.size() > 1) {
      bool with_say = std::find(found.begin(), found.end(), "say") != found.end();
      std::string other = found[0] == "say" ? found[1] : found[0];
      error(n[with_say ? "say" : found[1]], s.id,
            with_say ? "«say:» нельзя совмещать с «" + other +
                           ":» — вынесите сообщение в отдельный шаг (say: вместе с другим видом "
                           "допускается только у end:)"
                     : "у шага два вида: «" + found[0] + "» и «" + found[1] +
                           "» (в одном шаге — один вид)");
      if (!with_say) return std::nullopt;
      found = {other};
    }
    const std::string& key = found[0];
    if (key == "wait") {
      std::string what = scalar(n["wait"], s.id, "wait");
      if (what == "client") return step_kind::wait_client;
      if (what == "payment") return step_kind::wait_payment;
      if (what == "time") return step_kind::wait_time;
      error(n["wait"], s.id, "wait: «" + what + "» (ожидалось client, payment или time)");
      return std::nullopt;
    }
    static const std::map<std::string, step_kind, std::less<>> by_key{
        {"say", step_kind::say},       {"task", step_kind::task},
        {"choice", step_kind::choice}, {"form", step_kind::form},
        {"check_tariff", step_kind::check_tariff},
        {"if", step_kind::condition},  {"set", step_kind::set},
        {"assign", step_kind::assign}, {"notify", step_kind::notify},
        {"escalate", step_kind::escalate}, {"call", step_kind::call},
        {"end", step_kind::end},       {"invoice", step_kind::invoice}};
    return by_key.at(key);
  }

  void check_keys(yaml_node n, step& s) {
    auto allowed = kind_specific_keys(s.kind);
    for (const auto& [key, value, key_node] : entries(n, s.id)) {
      if (std::find(common_keys.begin(), common_keys.end(), key) != common_keys.end()) continue;
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      if (key == "say" && s.kind != step_kind::say && s.kind != step_kind::end) continue;  // reported
      std::vector<std::string_view> all(common_keys.begin(), common_keys.end());
      all.insert(all.end(), allowed.begin(), allowed.end());
      error(key_node, s.id, "неизвестный ключ «" + key + "» в шаге " + to_string(s.kind) +
                                " (допустимы: " + join(all) + ")");
    }
  }

  void load_answers(yaml_node n, step& s) {
    if (!n.is_sequence()) {
      error(n, s.id, "answers: ожидался список { says: [фразы], go: ШАГ }");
      return;
    }
    for (yaml_node item : n.items()) {
      client_answer a;
      a.exit_key = "answer" + std::to_string(s.answers.size() + 1);
      if (!item.is_map() || !item["says"] || !item["go"]) {
        error(item, s.id, "answers: ожидалось { says: [фразы], go: ШАГ }");
        continue;
      }
      for (const auto& [key, value, key_node] : entries(item, s.id))
        if (key != "says" && key != "go")
          error(key_node, s.id, "answers: неизвестный ключ «" + key + "» (ожидались says и go)");
      const yaml_node says = item["says"];
      if (says.is_sequence()) {
        for (yaml_node p : says.items()) a.phrases.push_back(scalar(p, s.id, "says"));
      } else {
        a.phrases.push_back(scalar(says, s.id, "says"));
      }
      std::string label = a.phrases.empty() ? a.exit_key : "«" + a.phrases.front() + "»";
      add_exit(s, a.exit_key, label, item["go"], "go");
      s.answers.push_back(std::move(a));
    }
  }

  void load_body(yaml_node n, step& s) {
    auto next = [&](std::string label = "Далее") { add_exit(s, "next", label, n["next"], "next"); };
    switch (s.kind) {
      case step_kind::say:
        load_message(n["say"], s, "say");
        if (n["buttons"]) load_buttons(n["buttons"], s);
        if (n["editable"]) s.editable = boolean(n["editable"], "editable");
        next();
        break;
      case step_kind::task:
        s.prompt = scalar(n["task"], s.id, "task");
        next();
        // Skipping goes where `next` goes unless the step says otherwise.
        if (n["on_skip"]) add_exit(s, "skip", "Пропустить", n["on_skip"], "on_skip");
        else if (n["next"]) add_exit(s, "skip", "Пропустить", n["next"], "next");
        else add_exit(s, "skip", "Пропустить", yaml_node(), "next");
        // A task or choice with a deadline: when it passes, the case goes to `go`.
        if (n["timeout"]) add_timeout(s, n["timeout"]);
        break;
      case step_kind::choice:
        s.prompt = scalar(n["choice"], s.id, "choice");
        if (n["options"]) add_map_exits(s, n["options"], "options");
        if (n["timeout"]) add_timeout(s, n["timeout"]);
        break;
      case step_kind::form: load_form(n, s); next(); break;
      case step_kind::check_tariff: {
        s.prompt = scalar(n["check_tariff"], s.id, "check_tariff");
        static const std::array<std::pair<const char*, const char*>, 4> outcomes{{
            {"in_tariff", "Входит в тариф"}, {"over_quota", "Сверх лимита"},
            {"not_included", "Не входит в тариф"}, {"unknown", "Услуга не определена"}}};
        for (auto [key, label] : outcomes)
          if (n[key]) add_exit(s, key, label, n[key], key);
        break;
      }
      case step_kind::wait_client:
        if (n["if_yes"]) add_exit(s, "yes", "Да", n["if_yes"], "if_yes");
        if (n["if_no"]) add_exit(s, "no", "Нет", n["if_no"], "if_no");
        if (n["answers"]) load_answers(n["answers"], s);
        // A reply nobody foresaw continues below unless if_other/if_reply says where.
        add_exit(s, "other", "Другой ответ", either(n, s.id, "if_other", "if_reply"), "if_other");
        if (n["timeout"]) add_timeout(s, n["timeout"]);
        break;
      case step_kind::wait_payment:
        add_exit(s, "paid", "Оплачено", n["if_paid"], "if_paid");
        if (n["timeout"]) add_timeout(s, n["timeout"]);
        break;
      case step_kind::wait_time: {
        if (n["for"]) s.pause = load_duration(n["for"], s.id, "for");
        else error(n, s.id, "пауза без длительности (ожидалось for: СРОК, например for: 2 часа)");
        std::string label = s.pause ? "Через " + s.pause->text : "Далее";
        add_exit(s, "next", label, either(n, s.id, "go", "next"), "go");
        break;
      }
      case step_kind::condition: {
        std::string text = scalar(n["if"], s.id, "if");
        std::string err;
        if (!text.empty()) {
          s.condition = expression::parse(text, &err);
          if (!s.condition) error(n["if"], s.id, "условие «" + text + "»: " + err);
        }
        if (n["then"]) add_exit(s, "then", "Да", n["then"], "then");
        if (n["else"]) add_exit(s, "else", "Нет", n["else"], "else");
        break;
      }
      case step_kind::set: load_set(n["set"], s); next(); break;
      case step_kind::assign:
        s.who = scalar(n["assign"], s.id, "assign");
        next();
        break;
      case step_kind::notify:
        s.who = scalar(n["notify"], s.id, "notify");
        if (n["text"]) load_message(n["text"], s, "text");
        else error(n, s.id, "notify: нет text: (ожидался текст сообщения сотруднику)");
        next();
        break;
      case step_kind::escalate:
        s.prompt = scalar(n["escalate"], s.id, "escalate");
        if (n["decisions"]) add_map_exits(s, n["decisions"], "decisions");
        if (n["timeout"]) add_timeout(s, n["timeout"]);
        break;
      case step_kind::call:
        s.callee = scalar(n["call"], s.id, "call");
        next();
        if (n["outcomes"]) add_map_exits(s, n["outcomes"], "outcomes");
        break;
      case step_kind::end:
        s.outcome = scalar(n["end"], s.id, "end");
        if (n["say"]) load_message(n["say"], s, "say");
        break;
      case step_kind::invoice: load_invoice(n, s); next(); break;
    }
  }

  // invoice: WHAT FOR + amount: EXPRESSION + due: DURATION (or a variable holding one).
  void load_invoice(yaml_node n, step& s) {
    s.prompt = scalar(n["invoice"], s.id, "invoice");
    std::string err;
    if (!s.prompt.empty() && !message_template::parse(s.prompt, &err))
      error(n["invoice"], s.id, "«invoice»: " + err);
    if (!n["amount"]) {
      error(n, s.id, "у счёта нет суммы (ожидалось amount: ВЫРАЖЕНИЕ, например amount: price)");
    } else {
      std::string text = scalar(n["amount"], s.id, "amount");
      if (!text.empty()) {
        s.amount = expression::parse(text, &err);
        if (!s.amount) error(n["amount"], s.id, "сумма «" + text + "»: " + err);
      }
    }
    if (!n["due"]) error(n, s.id, "у счёта нет срока оплаты (ожидалось due: СРОК, например due: 5 рабочих дней)");
    else load_duration_or_variable(n["due"], s.id, "due", s.due, s.due_variable);
  }

  void load_buttons(yaml_node n, step& s) {
    if (!n.is_sequence() || n.size() == 0) {
      error(n, s.id, "buttons: ожидался список надписей кнопок, например [\"Да, согласен\", \"Нет\"]");
      return;
    }
    for (yaml_node b : n.items()) {
      std::string label = scalar(b, s.id, "buttons");
      if (!label.empty()) s.buttons.push_back(std::move(label));
    }
  }

  // form: TITLE + fields: {VAR: LABEL}, or form: {VAR: LABEL} for short.
  void load_form(yaml_node n, step& s) {
    yaml_node fields = n["fields"];
    if (n["form"].is_map()) {
      if (fields) error(fields, s.id, "поля заданы дважды: в form: и в fields: (оставьте одно)");
      fields = n["form"];
    } else {
      s.prompt = scalar(n["form"], s.id, "form");
    }
    if (!fields || !fields.is_map() || fields.size() == 0) {
      error(fields ? fields : n, s.id, "у формы нет полей (ожидалось fields: { ПЕРЕМЕННАЯ: Надпись })");
      return;
    }
    for (const auto& [var, label, key_node] : entries(fields, s.id))
      s.fields.push_back({var, label.is_scalar() ? std::string(label.text()) : var, pos_of(key_node)});
  }

  void load_set(yaml_node n, step& s) {
    if (!n.is_map() || n.size() == 0) {
      error(n, s.id, "set: ожидался словарь ПЕРЕМЕННАЯ: ВЫРАЖЕНИЕ");
      return;
    }
    for (const auto& [var, value, key_node] : entries(n, s.id)) {
      std::string text = scalar(value, s.id, var);
      std::string err;
      auto e = expression::parse(text, &err);
      if (!e) {
        error(value, s.id, "«" + var + ": " + text + "»: " + err);
        continue;
      }
      s.assignments.push_back({var, std::move(*e), pos_of(key_node)});
    }
  }

  void load_steps(yaml_node n, playbook& book) {
    if (!n.is_sequence()) {
      error(n, {}, "steps: ожидался список шагов (каждый начинается с «- id: ...»)");
      return;
    }
    for (yaml_node node : n.items()) {
      current_index_ = book.steps.size();
      step s;
      s.pos = pos_of(node);
      if (!node.is_map()) {
        error(node, {}, "шаг должен быть словарём (id: ..., и один вид шага)");
        continue;
      }
      if (node["id"]) {
        s.id = scalar(node["id"], {}, "id");
        if (!s.id.empty() && !is_ascii_id(s.id))
          error(node["id"], s.id, "id шага «" + s.id + "»: ожидались " + std::string(id_rule));
      } else {
        s.id = "step" + std::to_string(current_index_ + 1);
        error(node, {}, "у шага №" + std::to_string(current_index_ + 1) +
                            " нет id (ожидалось id: " + std::string(id_rule) + ")");
      }
      s.title = node["title"] ? scalar(node["title"], s.id, "title") : s.id;
      if (node["instruction"]) s.instruction = scalar(node["instruction"], s.id, "instruction");
      auto kind = kind_of(node, s);
      if (!kind) {
        // Keep the flow going past a broken step so later checks stay meaningful.
        s.kind = step_kind::say;
        add_exit(s, "next", "Далее", yaml_node(), "next");
        book.steps.push_back(std::move(s));
        continue;
      }
      s.kind = *kind;
      check_keys(node, s);
      load_body(node, s);
      book.steps.push_back(std::move(s));
    }
    for (auto [step_index, exit_index] : defaulted_)
      if (step_index + 1 < book.steps.size())
        book.steps[step_index].exits[exit_index].target = book.steps[step_index + 1].id;
  }

  std::string file_;
  diagnostics& out_;
  std::size_t current_index_ = 0;
  std::vector<std::pair<std::size_t, std::size_t>> defaulted_;
};

}  // namespace

load_result load_playbook_text(std::string_view yaml, const std::string& file_name) {
  load_result result;
  yaml_error err;
  auto doc = yaml_document::parse(yaml, &err);
  if (!doc) {
    result.problems.push_back(
        {severity::error, {file_name, err.mark.line, err.mark.column}, {}, "ошибка YAML: " + err.message});
    return result;
  }
  playbook book;
  book.file = file_name;
  book.source = std::string(yaml);
  book.sha256 = sha256_hex(yaml);
  loader(file_name, result.problems).load(doc->root(), book);
  result.book = std::move(book);
  return result;
}

load_result load_playbook_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    load_result result;
    result.problems.push_back({severity::error, {path, 0, 0}, {}, "не удалось открыть файл"});
    return result;
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return load_playbook_text(bytes.str(), path);
}

}  // namespace reglament
