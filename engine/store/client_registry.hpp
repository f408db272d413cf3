// The firm's clients kept in the SQLite database (tables clients, client_contacts): the
// client_directory the daemon runs on, and the operations that change it (import a
// file's batch, create or update one client, link a contact). Thread-safe: lookups read
// an immutable snapshot (a client_index behind a shared_ptr, swapped after each change),
// so the engine's hot find_by_contact never touches SQLite; changes are serialised on
// the registry's own connection. Not the firm file: stories and rehearsals keep theirs.
#pragma once

#include "engine/client_import.hpp"
#include "engine/client_index.hpp"
#include "engine/clock.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace reglament {

struct client_registry_options {
  bool read_only = false;      // no migrations, no changes (the CLI's list and show)
  int busy_timeout_ms = 5000;  // how long to wait for the daemon's writer
};

struct import_report {
  int added = 0, updated = 0, unchanged = 0;  // clients
  int contacts_added = 0;
};

enum class link_status { linked, already_linked, invalid, unknown_client, taken };

struct link_result {
  link_status status = link_status::invalid;
  std::string message;  // what went wrong, or what was done
  std::string owner;    // taken: the client the contact belongs to
};

// A one-time code that links a contact on `channel` to a client (Telegram: /start CODE).
struct link_code {
  std::string code;       // 10 characters from A-Z and 2-9 without look-alikes (no O/0, I/1)
  std::string client_id;
  std::string channel;
  timestamp created_at{};
  timestamp expires_at{};
};

enum class redeem_status { linked, already_linked, unknown_code, expired, used, taken };

struct redeem_result {
  redeem_status status = redeem_status::unknown_code;
  std::string client_id;    // linked, already_linked, taken (the code's client)
  std::string client_name;  // linked, already_linked
  std::string message;      // what happened, in English, for logs
};

class client_registry final : public client_directory {
 public:
  using options = client_registry_options;

  // Opens `path` (migrating it unless read-only). Throws store_error; ":memory:" is
  // refused, as the registry's connection is its own.
  explicit client_registry(const std::string& path, options opt = {});
  ~client_registry() override;
  client_registry(const client_registry&) = delete;
  client_registry& operator=(const client_registry&) = delete;

  client_ptr find(std::string_view client_id) const override;
  client_ptr find_by_contact(std::string_view channel, std::string_view sender) const override;
  std::optional<client_contact> preferred_contact(std::string_view client_id) const override;
  std::vector<client_info> all() const override;

  // The current snapshot: the clients with their contacts. Stays valid while held.
  std::shared_ptr<const client_index> snapshot() const;

  // Stores a batch all or nothing. Checks everything first (check_client_batch, and that
  // no contact belongs to a client outside the batch) and reports every problem at its
  // place; nothing is stored when there is one. Re-importing updates clients in place;
  // contacts are added, never removed. `tariffs` null: tariff ids are not checked.
  std::optional<import_report> import(const client_batch& batch, const std::set<std::string>* tariffs,
                                      diagnostics& problems);

  // Gives the contact to the client (what the manager does for an unknown sender).
  link_result link_contact(std::string_view channel, std::string_view address, std::string_view client_id);

  // Makes a one-time code for `client_id` on `channel` valid for `ttl`. Codes already
  // given stay valid until they expire or are used. nullopt: no such client (`message`
  // then says so).
  std::optional<link_code> create_link_code(std::string_view client_id, std::string_view channel,
                                            std::chrono::minutes ttl, timestamp now, std::string_view actor,
                                            std::string* message = nullptr);

  // Links `address` on `channel` to the client of `code` and uses the code up, in one
  // transaction. The code is matched ignoring case and spaces. A code already used by the
  // same address answers already_linked (a repeated /start after a crash); by another,
  // used. A contact that belongs to another client is `taken` and the code stays unused.
  redeem_result redeem_link_code(std::string_view code, std::string_view channel, std::string_view address,
                                 timestamp now);

  // Cases of the client that are not closed (from the cases table of the same database).
  std::int64_t open_cases(std::string_view client_id);

  // Reloads the snapshot if another connection (the CLI beside the daemon) changed the
  // clients since the last look; true when it did. Cheap: one row read otherwise.
  bool refresh();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace reglament
