#include "engine/store/client_registry.hpp"

#include "engine/duration.hpp"
#include "engine/store/sqlite_connection.hpp"
#include "engine/store/sqlite_store.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <array>
#include <random>
#include <map>

namespace reglament {
namespace {

using sqlite_db::connection;
using sqlite_db::query;
using sqlite_db::sql_def;
using sqlite_db::statement_cache;
using json = nlohmann::json;

enum registry_sql : std::size_t {
  r_begin,
  r_commit,
  r_rollback,
  r_version,
  r_bump_version,
  r_clients,
  r_contacts,
  r_upsert_client,
  r_contact_owner,
  r_next_contact_n,
  r_insert_contact,
  r_open_cases,
  r_insert_code,
  r_find_code,
  r_use_code,
  r_count_
};

constexpr std::array<sql_def, r_count_> registry_defs{{
    {"begin client change", "BEGIN IMMEDIATE"},
    {"commit client change", "COMMIT"},
    {"roll back client change", "ROLLBACK"},
    {"read clients version", "SELECT version FROM clients_version WHERE one = 1"},
    {"bump clients version", "UPDATE clients_version SET version = version + 1 WHERE one = 1"},
    {"read clients",
     "SELECT id, name, inn, address_as, informal, tariff, manager, accountant, utc_offset_minutes, "
     "language, holiday_title, holiday, birthdays, sla, tariff_changes FROM clients ORDER BY id"},
    {"read client contacts", "SELECT client_id, channel, address FROM client_contacts ORDER BY client_id, n"},
    {"store client",
     "INSERT INTO clients(id, name, inn, address_as, informal, tariff, manager, accountant, "
     "utc_offset_minutes, language, holiday_title, holiday, birthdays, sla, tariff_changes) "
     "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) "
     "ON CONFLICT(id) DO UPDATE SET name = excluded.name, inn = excluded.inn, "
     "address_as = excluded.address_as, informal = excluded.informal, tariff = excluded.tariff, "
     "manager = excluded.manager, accountant = excluded.accountant, "
     "utc_offset_minutes = excluded.utc_offset_minutes, language = excluded.language, "
     "holiday_title = excluded.holiday_title, holiday = excluded.holiday, birthdays = excluded.birthdays, "
     "sla = excluded.sla, tariff_changes = excluded.tariff_changes"},
    {"look up contact owner", "SELECT client_id FROM client_contacts WHERE channel = ?1 AND address = ?2"},
    {"number a contact", "SELECT coalesce(max(n), 0) + 1 FROM client_contacts WHERE client_id = ?1"},
    {"store contact", "INSERT INTO client_contacts(client_id, n, channel, address) VALUES(?1, ?2, ?3, ?4)"},
    {"count open cases", "SELECT count(*) FROM cases WHERE client_id = ?1 AND status <> 'closed'"},
    {"store link code",
     "INSERT INTO link_codes(code, client_id, channel, created_at, expires_at, created_by) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"},
    {"look up link code", "SELECT client_id, channel, expires_at, used_at, used_by FROM link_codes WHERE code = ?1"},
    {"use link code", "UPDATE link_codes SET used_at = ?2, used_by = ?3 WHERE code = ?1 AND used_at IS NULL"},
}};

// Easy to read aloud and type: no 0/O, 1/I/L.
constexpr std::string_view code_alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
constexpr std::size_t code_length = 10;

std::string random_code() {
  std::random_device rd;  // /dev/urandom on Linux
  std::uniform_int_distribution<std::size_t> pick(0, code_alphabet.size() - 1);
  std::string code;
  for (std::size_t i = 0; i < code_length; ++i) code += code_alphabet[pick(rd)];
  return code;
}

std::string canonical_code(std::string_view typed) {
  std::string out;
  for (char c : typed) {
    if (c == ' ' || c == '-' || c == '\t') continue;
    out += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  return out;
}

std::string annual(const annual_date& d) { return d.valid() ? fmt::format("{:02}-{:02}", d.month, d.day) : ""; }

annual_date annual_from(const std::string& s) {
  annual_date d;
  if (s.size() == 5 && s[2] == '-') {
    d.month = std::stoi(s.substr(0, 2));
    d.day = std::stoi(s.substr(3, 2));
  }
  return d;
}

std::string birthdays_json(const std::vector<contact_birthday>& list) {
  json out = json::array();
  for (const auto& b : list) out.push_back({{"name", b.name}, {"date", annual(b.date)}});
  return out.dump();
}

std::vector<contact_birthday> birthdays_from(const std::string& text) {
  std::vector<contact_birthday> out;
  auto j = json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& b : j)
    out.push_back({b.value("name", std::string{}), annual_from(b.value("date", std::string{}))});
  return out;
}

// The client's own SLA targets as written: {"first_reply": "30 рабочих минут", ...}.
std::string sla_json(const sla_terms& t) {
  json out = json::object();
  if (t.first_reply) out["first_reply"] = t.first_reply->text;
  if (t.idle) out["idle"] = t.idle->text;
  if (t.deadline) out["deadline"] = t.deadline->text;
  return out.dump();
}

sla_terms sla_from(const std::string& text) {
  sla_terms t;
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object()) return t;
  auto read = [&](const char* key) -> std::optional<duration> {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? parse_duration(it->get<std::string>()) : std::nullopt;
  };
  t.first_reply = read("first_reply");
  t.idle = read("idle");
  t.deadline = read("deadline");
  return t;
}

// Dated tariff switches as [[from, tariff], ...]; nlohmann writes a pair as an array.
std::string tariff_changes_json(const client_info& c) { return json(c.tariff_changes).dump(); }

std::vector<std::pair<std::string, std::string>> tariff_changes_from(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  std::vector<std::pair<std::string, std::string>> out;
  if (!j.is_array()) return out;
  for (const auto& e : j)
    if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string())
      out.emplace_back(e[0].get<std::string>(), e[1].get<std::string>());
  return out;
}

// Everything a client row holds, to tell an update from a repeat.
std::string row_key(const client_info& c) {
  return fmt::format("{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}", c.name, c.inn,
                     c.address_as, c.informal, c.tariff_id, c.manager, c.accountant, c.utc_offset_minutes,
                     c.language, c.holiday_title, annual(c.holiday), birthdays_json(c.birthdays), sla_json(c.sla),
                     tariff_changes_json(c));
}

}  // namespace

struct client_registry::impl {
  connection conn;
  options opt;
  std::optional<statement_cache> st;
  std::mutex db_mutex;  // the connection: changes, refresh, counts
  std::int64_t version = -1;
  mutable std::mutex snapshot_mutex;  // only the pointer swap and copy
  std::shared_ptr<const client_index> current = std::make_shared<client_index>();

  ~impl() {
    st.reset();
    if (conn.db) sqlite3_close(conn.db);
  }

  query use(registry_sql id) { return st->use(id); }

  std::shared_ptr<const client_index> snap() const {
    std::lock_guard lock(snapshot_mutex);
    return current;
  }

  std::int64_t read_version() {
    auto q = use(r_version);
    return q.next() ? q.int64(0) : 0;
  }

  // REQUIRES: db_mutex held.
  void reload() {
    std::vector<client_def> clients;
    std::map<std::string, std::size_t> at;
    {
      auto q = use(r_clients);
      while (q.next()) {
        client_def d;
        auto& c = d.info;
        c.id = q.text(0);
        c.name = q.text(1);
        c.inn = q.text(2);
        c.address_as = q.text(3);
        c.informal = q.integer(4) != 0;
        c.tariff_id = q.text(5);
        c.manager = q.text(6);
        c.accountant = q.text(7);
        c.utc_offset_minutes = q.integer(8);
        c.language = q.text(9);
        c.holiday_title = q.text(10);
        c.holiday = annual_from(q.text(11));
        c.birthdays = birthdays_from(q.text(12));
        c.sla = sla_from(q.text(13));
        c.tariff_changes = tariff_changes_from(q.text(14));
        at.emplace(c.id, clients.size());
        clients.push_back(std::move(d));
      }
    }
    {
      auto q = use(r_contacts);
      while (q.next())
        if (auto it = at.find(q.text(0)); it != at.end())
          clients[it->second].contacts.push_back({q.text(1), q.text(2)});
    }
    auto fresh = std::make_shared<const client_index>(std::move(clients));
    std::lock_guard lock(snapshot_mutex);
    current = std::move(fresh);
  }

  std::string owner(const std::string& channel, const std::string& address) {
    auto q = use(r_contact_owner);
    q.bind(1, channel).bind(2, address);
    return q.next() ? q.text(0) : std::string{};
  }

  int add_contact(const std::string& client_id, const contact_def& k) {
    int n = 1;
    {
      auto q = use(r_next_contact_n);
      q.bind(1, client_id);
      if (q.next()) n = q.integer(0);
    }
    auto q = use(r_insert_contact);
    q.bind(1, client_id).bind(2, n).bind(3, k.channel).bind(4, k.address).run();
    return 1;
  }

  // Runs `change` in a write transaction; rolls back when it returns false or throws.
  // REQUIRES: db_mutex held.
  template <class F>
  bool in_transaction(F&& change) {
    use(r_begin).run();
    try {
      if (!change()) {
        use(r_rollback).run();
        return false;
      }
      use(r_bump_version).run();
      use(r_commit).run();
    } catch (...) {
      if (!sqlite3_get_autocommit(conn.db)) use(r_rollback).run();
      throw;
    }
    version = read_version();
    reload();
    return true;
  }
};

client_registry::client_registry(const std::string& path, options opt) : impl_(std::make_unique<impl>()) {
  impl_->opt = opt;
  sqlite_db::open_beside_store(impl_->conn, path, opt.read_only, opt.busy_timeout_ms, "client registry");
  impl_->conn.exec("PRAGMA foreign_keys = ON", "enable foreign keys");
  impl_->st.emplace(impl_->conn, registry_defs, "", true);
  std::lock_guard lock(impl_->db_mutex);
  impl_->version = impl_->read_version();
  impl_->reload();
}

client_registry::~client_registry() = default;

std::shared_ptr<const client_index> client_registry::snapshot() const { return impl_->snap(); }

client_ptr client_registry::find(std::string_view client_id) const {
  return impl_->snap()->find(client_id);
}

client_ptr client_registry::find_by_contact(std::string_view channel, std::string_view sender) const {
  return impl_->snap()->find_by_contact(channel, sender);
}

std::optional<client_contact> client_registry::preferred_contact(std::string_view client_id) const {
  return impl_->snap()->preferred_contact(client_id);
}

std::vector<client_info> client_registry::all() const { return impl_->snap()->all(); }

bool client_registry::refresh() {
  std::lock_guard lock(impl_->db_mutex);
  auto v = impl_->read_version();
  if (v == impl_->version) return false;
  impl_->version = v;
  impl_->reload();
  return true;
}

std::optional<import_report> client_registry::import(const client_batch& batch,
                                                      const std::set<std::string>* tariffs,
                                                      diagnostics& problems) {
  const auto before = problems.size();
  check_client_batch(batch, tariffs, problems);
  if (impl_->opt.read_only) {
    problems.push_back({severity::error, {impl_->conn.path, 0, 0}, "", "the database is open read-only"});
    return std::nullopt;
  }

  import_report report;
  std::lock_guard lock(impl_->db_mutex);
  bool stored = impl_->in_transaction([&] {
    // Inside the write lock the tables are what we compare with: reread them. Contacts
    // are checked even when the batch has problems already, so one run reports them all.
    impl_->reload();
    auto now = impl_->snap();
    for (std::size_t i = 0; i < batch.clients.size(); ++i) {
      const auto& c = batch.clients[i];
      for (const auto& k : c.contacts) {
        auto owner = impl_->owner(k.channel, k.address);
        if (!owner.empty() && owner != c.info.id)
          problems.push_back({severity::error, batch.positions[i], "",
                              fmt::format("client {}: {} {} is already a contact of client {}", c.info.id,
                                          k.channel, k.address, owner)});
      }
    }
    if (problems.size() != before) return false;
    for (const auto& c : batch.clients) {
      const auto* old = now->get(c.info.id);
      if (!old)
        ++report.added;
      else if (row_key(old->info) == row_key(c.info))
        ++report.unchanged;
      else
        ++report.updated;
      const auto& i = c.info;
      if (!old || row_key(old->info) != row_key(i)) {
        auto q = impl_->use(r_upsert_client);
        q.bind(1, i.id).bind(2, i.name).bind(3, i.inn).bind(4, i.address_as).bind(5, i.informal ? 1 : 0);
        q.bind(6, i.tariff_id).bind(7, i.manager).bind(8, i.accountant).bind(9, i.utc_offset_minutes);
        q.bind(10, i.language).bind(11, i.holiday_title).bind(12, annual(i.holiday));
        q.bind(13, birthdays_json(i.birthdays)).bind(14, sla_json(i.sla)).bind(15, tariff_changes_json(i)).run();
      }
      for (const auto& k : c.contacts)
        if (impl_->owner(k.channel, k.address).empty()) report.contacts_added += impl_->add_contact(i.id, k);
    }
    return true;
  });
  if (!stored) return std::nullopt;
  return report;
}

link_result client_registry::link_contact(std::string_view channel, std::string_view address,
                                          std::string_view client_id) {
  link_result r;
  if (auto why = contact_problem(channel, address)) {
    r.message = *why;
    return r;
  }
  const contact_def k{std::string(channel), normalize_contact(channel, address)};
  const std::string id(client_id);
  if (impl_->opt.read_only) {
    r.message = "the database is open read-only";
    return r;
  }
  std::lock_guard lock(impl_->db_mutex);
  impl_->in_transaction([&] {
    impl_->reload();
    if (!impl_->snap()->get(id)) {
      r.status = link_status::unknown_client;
      r.message = fmt::format("no client '{}'", id);
      return false;
    }
    auto owner = impl_->owner(k.channel, k.address);
    if (owner == id) {
      r.status = link_status::already_linked;
      r.message = fmt::format("{} {} is already a contact of client {}", k.channel, k.address, id);
      return false;
    }
    if (!owner.empty()) {
      r.status = link_status::taken;
      r.owner = owner;
      r.message = fmt::format("{} {} is a contact of client {}", k.channel, k.address, owner);
      return false;
    }
    impl_->add_contact(id, k);
    r.status = link_status::linked;
    r.message = fmt::format("{} {} is now a contact of client {}", k.channel, k.address, id);
    return true;
  });
  return r;
}

std::optional<link_code> client_registry::create_link_code(std::string_view client_id, std::string_view channel,
                                                          std::chrono::minutes ttl, timestamp now, std::string_view actor,
                                                          std::string* message) {
  if (impl_->opt.read_only) {
    if (message) *message = "the database is open read-only";
    return std::nullopt;
  }
  std::lock_guard lock(impl_->db_mutex);
  std::optional<link_code> made;
  impl_->in_transaction([&] {
    impl_->reload();
    if (!impl_->snap()->get(std::string(client_id))) {
      if (message) *message = fmt::format("no client '{}'", client_id);
      return false;
    }
    link_code c{random_code(), std::string(client_id), std::string(channel), now, now + ttl};
    auto q = impl_->use(r_insert_code);
    q.bind(1, c.code).bind(2, c.client_id).bind(3, c.channel).bind(4, c.created_at).bind(5, c.expires_at).bind(6, actor).run();
    made = std::move(c);
    return true;
  });
  return made;
}

redeem_result client_registry::redeem_link_code(std::string_view typed, std::string_view channel,
                                                std::string_view address, timestamp now) {
  redeem_result r;
  const std::string code = canonical_code(typed);
  const contact_def k{std::string(channel), normalize_contact(channel, address)};
  std::lock_guard lock(impl_->db_mutex);
  impl_->in_transaction([&] {
    std::string client, code_channel, used_by;
    timestamp expires{};
    bool used = false;
    {
      auto q = impl_->use(r_find_code);
      q.bind(1, code);
      if (!q.next()) {
        r.message = fmt::format("no link code '{}'", code);
        return false;
      }
      client = q.text(0);
      code_channel = q.text(1);
      expires = q.time(2);
      used = !q.null(3);
      used_by = q.text(4);
    }
    r.client_id = client;
    if (code_channel != k.channel) {
      r.status = redeem_status::unknown_code;
      r.message = fmt::format("link code '{}' is for {}, not {}", code, code_channel, k.channel);
      return false;
    }
    impl_->reload();
    const auto* c = impl_->snap()->get(client);
    if (c) r.client_name = c->info.name;
    const std::string owner = impl_->owner(k.channel, k.address);
    if (used) {
      r.status = used_by == k.address && owner == client ? redeem_status::already_linked : redeem_status::used;
      r.message = fmt::format("link code '{}' was used by {} {}", code, k.channel, used_by);
      return false;
    }
    if (now >= expires) {
      r.status = redeem_status::expired;
      r.message = fmt::format("link code '{}' expired at {}", code, to_iso8601(expires));
      return false;
    }
    if (!c) {
      r.status = redeem_status::unknown_code;
      r.message = fmt::format("link code '{}' names client '{}', who is gone", code, client);
      return false;
    }
    if (!owner.empty() && owner != client) {
      r.status = redeem_status::taken;
      r.message = fmt::format("{} {} is a contact of client {}; code '{}' left unused", k.channel, k.address, owner, code);
      return false;
    }
    if (owner == client) {
      r.status = redeem_status::already_linked;
      r.message = fmt::format("{} {} was already a contact of client {}; code '{}' used up", k.channel, k.address, client, code);
    } else {
      impl_->add_contact(client, k);
      r.status = redeem_status::linked;
      r.message = fmt::format("{} {} is now a contact of client {} (code '{}')", k.channel, k.address, client, code);
    }
    auto q = impl_->use(r_use_code);
    q.bind(1, code).bind(2, now).bind(3, k.address).run();
    return true;
  });
  return r;
}

std::int64_t client_registry::open_cases(std::string_view client_id) {
  std::lock_guard lock(impl_->db_mutex);
  auto q = impl_->use(r_open_cases);
  q.bind(1, client_id);
  return q.next() ? q.int64(0) : 0;
}

}  // namespace reglament
