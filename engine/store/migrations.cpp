#include "engine/store/migrations.hpp"

#include <array>

namespace reglament::sqlite_schema {
namespace {

// STRICT tables: a value bound with the wrong type is an error, not a silent conversion.
// Times are INTEGER milliseconds since the epoch (UTC).
constexpr const char* schema_v1 = R"sql(
CREATE TABLE journal(
  seq INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  step TEXT NOT NULL,
  data TEXT NOT NULL
) STRICT;
CREATE INDEX journal_by_case ON journal(case_id, seq);

CREATE TABLE cases(
  id INTEGER PRIMARY KEY,
  playbook TEXT NOT NULL,
  version INTEGER NOT NULL,
  status TEXT NOT NULL,
  step TEXT NOT NULL,
  channel TEXT NOT NULL,
  sender TEXT NOT NULL,
  thread TEXT NOT NULL,
  client_id TEXT NOT NULL,
  assignee TEXT NOT NULL,
  outcome TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  closed_at INTEGER,
  state TEXT NOT NULL
) STRICT;
CREATE INDEX cases_open_by_thread ON cases(channel, thread) WHERE status <> 'closed';
CREATE INDEX cases_by_status ON cases(status, id);

CREATE TABLE inbound(
  channel TEXT NOT NULL,
  external_id TEXT NOT NULL,
  case_id INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY(channel, external_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE outbox(
  case_id INTEGER NOT NULL,
  n INTEGER NOT NULL,
  channel TEXT NOT NULL,
  recipient TEXT NOT NULL,
  text TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  sent_at INTEGER,
  PRIMARY KEY(case_id, n)
) STRICT;
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);

CREATE TABLE timers(
  case_id INTEGER NOT NULL,
  n INTEGER NOT NULL,
  due_at INTEGER NOT NULL,
  step TEXT NOT NULL,
  purpose TEXT NOT NULL,
  PRIMARY KEY(case_id, n)
) STRICT;
CREATE INDEX timers_due ON timers(due_at, case_id, n);

CREATE TABLE tasks(
  case_id INTEGER PRIMARY KEY,
  assignee TEXT NOT NULL,
  step TEXT NOT NULL,
  waiting_for TEXT NOT NULL,
  since INTEGER NOT NULL
) STRICT;
CREATE INDEX tasks_by_assignee ON tasks(assignee, since);

CREATE TABLE quota_usage(
  client_id TEXT NOT NULL,
  service_id TEXT NOT NULL,
  period TEXT NOT NULL,
  used INTEGER NOT NULL,
  PRIMARY KEY(client_id, service_id, period)
) STRICT, WITHOUT ROWID;

CREATE TABLE playbook_versions(
  playbook TEXT NOT NULL,
  version INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  file TEXT NOT NULL,
  source TEXT NOT NULL,
  loaded_at INTEGER NOT NULL,
  PRIMARY KEY(playbook, version),
  UNIQUE(playbook, sha256)
) STRICT;
)sql";

// Invoices issued by cases (numbered per year, never reused), and reply buttons on
// outbound messages.
constexpr const char* schema_v2_invoices = R"sql(
CREATE TABLE invoices(
  number TEXT PRIMARY KEY,
  year INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  case_id INTEGER NOT NULL,
  client_id TEXT NOT NULL,
  amount_kopecks INTEGER NOT NULL,
  paid_kopecks INTEGER NOT NULL,
  currency TEXT NOT NULL,
  purpose TEXT NOT NULL,
  status TEXT NOT NULL,
  issued_at INTEGER NOT NULL,
  due_at INTEGER NOT NULL,
  due_date TEXT NOT NULL,
  paid_at INTEGER,
  cancelled_at INTEGER,
  UNIQUE(year, seq)
) STRICT;
CREATE INDEX invoices_by_status ON invoices(status, issued_at);
CREATE INDEX invoices_by_case ON invoices(case_id);
ALTER TABLE outbox ADD COLUMN buttons TEXT NOT NULL DEFAULT '';
)sql";

// When each scheduled playbook last started, per client or contact for congratulations
// ("" for the firm-wide ones): a restart neither repeats a start nor misses one.
constexpr const char* schema_v3_schedule_runs = R"sql(
CREATE TABLE schedule_runs(
  playbook TEXT NOT NULL,
  key TEXT NOT NULL,
  rule TEXT NOT NULL,
  due_at INTEGER NOT NULL,
  case_id INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  PRIMARY KEY(playbook, key)
) STRICT;
)sql";

// The manager's corrections of the service a tariff check found: for a client, requests
// with these content words (stems, sorted) are this service. Folded from service_corrected.
constexpr const char* schema_v4_service_corrections = R"sql(
CREATE TABLE service_corrections(
  client_id TEXT NOT NULL,
  phrase_key TEXT NOT NULL,
  service_id TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY(client_id, phrase_key, service_id)
) STRICT, WITHOUT ROWID;
)sql";

// The firm's clients and their contacts, managed by `reglament clients` and the API.
// A contact (channel, normalised address) belongs to one client at most.
constexpr const char* schema_v5_clients = R"sql(
CREATE TABLE clients(
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  inn TEXT NOT NULL,
  address_as TEXT NOT NULL,
  informal INTEGER NOT NULL,
  tariff TEXT NOT NULL,
  manager TEXT NOT NULL,
  accountant TEXT NOT NULL,
  utc_offset_minutes INTEGER NOT NULL,
  language TEXT NOT NULL,
  holiday_title TEXT NOT NULL,
  holiday TEXT NOT NULL,
  birthdays TEXT NOT NULL,
  sla TEXT NOT NULL,
  tariff_changes TEXT NOT NULL DEFAULT '[]'  -- [[from, tariff], ...]: dated tariff switches
) STRICT;
CREATE TABLE client_contacts(
  client_id TEXT NOT NULL REFERENCES clients(id),
  n INTEGER NOT NULL,
  channel TEXT NOT NULL,
  address TEXT NOT NULL,
  PRIMARY KEY(client_id, n),
  UNIQUE(channel, address)
) STRICT;
-- Bumped by every change to the two tables above: a daemon polls it to see another
-- process's import without reloading the clients on every commit of the database.
CREATE TABLE clients_version(
  one INTEGER PRIMARY KEY CHECK(one = 1),
  version INTEGER NOT NULL
) STRICT;
INSERT INTO clients_version VALUES(1, 0);
)sql";

// The owner's decisions on managers' proposals ("not covered" notes: form_submitted facts
// with a `proposal` value). The proposals themselves stay in the journal; `seq` is the
// fact's. Not derived from the journal: a decision is the owner's, not a case's.
constexpr const char* schema_v6_proposal_states = R"sql(
CREATE TABLE proposal_states(
  seq INTEGER PRIMARY KEY,
  state TEXT NOT NULL CHECK(state IN ('dismissed', 'branched')),
  playbook TEXT NOT NULL,
  version INTEGER,
  note TEXT NOT NULL,
  actor TEXT NOT NULL,
  at INTEGER NOT NULL
) STRICT;
CREATE INDEX journal_forms ON journal(seq) WHERE kind = 'form_submitted';
)sql";

// What the channels keep outside the journal: inbound items that could not become a
// message (with their raw form, for the staff), each source's durable position, and the
// stored attachment files. None of these is derived from the journal.
constexpr const char* schema_v7_channels = R"sql(
CREATE TABLE channel_errors(
  id INTEGER PRIMARY KEY,
  channel TEXT NOT NULL,
  external_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  raw BLOB NOT NULL,           -- as received, cut to the store's limit
  raw_size INTEGER NOT NULL,   -- the size before cutting
  received_at INTEGER NOT NULL,
  resolved INTEGER NOT NULL DEFAULT 0,
  resolved_at INTEGER,
  resolved_by TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX channel_errors_by_state ON channel_errors(resolved, id);
-- A source that fetches the same broken item again (after a restart) keeps one row.
CREATE UNIQUE INDEX channel_errors_once ON channel_errors(channel, external_id) WHERE external_id <> '';
CREATE TABLE channel_cursors(
  channel TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY(channel, key)
) STRICT, WITHOUT ROWID;
CREATE TABLE attachments(
  sha256 TEXT PRIMARY KEY,
  name TEXT NOT NULL,          -- the first name it came with
  content_type TEXT NOT NULL,  -- as declared; served only if on the allow-list
  size INTEGER NOT NULL,
  stored_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
)sql";

// One-time codes a manager gives a client to link a contact on a channel (Telegram:
// /start CODE) to the client; and what a channel sent for an outbox message (Telegram's
// message id and the buttons under it), so a retry after a crash does not send it again
// and a pressed button can be mapped back to its label.
constexpr const char* schema_v8_link_codes = R"sql(
CREATE TABLE link_codes(
  code TEXT PRIMARY KEY,
  client_id TEXT NOT NULL REFERENCES clients(id),
  channel TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  used_at INTEGER,
  used_by TEXT
) STRICT;
CREATE TABLE channel_sent(
  channel TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  thread TEXT NOT NULL,
  external_id TEXT NOT NULL,
  buttons TEXT NOT NULL,  -- JSON array of the labels under the message
  sent_at INTEGER NOT NULL,
  PRIMARY KEY(channel, idempotency_key)
) STRICT;
CREATE INDEX channel_sent_message ON channel_sent(channel, thread, external_id);
)sql";

// Staff accounts (docs/SECURITY.md): people with a role and an argon2id password hash,
// their sessions and the API tokens of other programs, both kept only as digests, and
// failed logins for throttling. Not journalled: accounts are not part of any case.
constexpr const char* schema_v9_accounts = R"sql(
CREATE TABLE users(
  id INTEGER PRIMARY KEY,
  login TEXT NOT NULL UNIQUE COLLATE NOCASE,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK(role IN ('manager', 'director', 'owner')),
  password_hash TEXT NOT NULL,
  language TEXT NOT NULL CHECK(language IN ('ru', 'en')),
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  password_changed_at INTEGER NOT NULL
) STRICT;
CREATE TABLE sessions(
  digest TEXT PRIMARY KEY,            -- of the cookie's secret, never the secret
  user_id INTEGER NOT NULL REFERENCES users(id),
  csrf TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,        -- the absolute limit; the idle one is checked too
  address TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions(user_id);
CREATE TABLE api_tokens(
  id INTEGER PRIMARY KEY,
  digest TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK(role IN ('manager', 'director', 'owner', 'integration')),
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
) STRICT;
CREATE TABLE login_attempts(
  key TEXT NOT NULL,                  -- 'login:<login>' or 'address:<ip>'
  at INTEGER NOT NULL
) STRICT;
CREATE INDEX login_attempts_by_key ON login_attempts(key, at);
)sql";

constexpr std::array<migration, 9> all{{
    {1, "create the schema", schema_v1},
    {2, "invoices and reply buttons", schema_v2_invoices},
    {3, "schedule runs", schema_v3_schedule_runs},
    {4, "service corrections", schema_v4_service_corrections},
    {5, "clients and their contacts", schema_v5_clients},
    {6, "proposal states", schema_v6_proposal_states},
    {7, "channel errors, cursors and attachments", schema_v7_channels},
    {8, "link codes and what channels sent", schema_v8_link_codes},
    {9, "staff accounts, sessions, API tokens and login attempts", schema_v9_accounts},
}};

constexpr std::array<derived_table, 7> derived{{
    {"cases", "case {0}"},
    {"outbox", "case {0} outbox {1}"},
    {"timers", "case {0} timer {1}"},
    {"tasks", "case {0} task"},
    {"quota_usage", "quota {0}/{1}/{2}"},
    {"invoices", "invoice {0}"},
    {"service_corrections", "correction {0}/{1}/{2}"},
}};

}  // namespace

std::span<const migration> migrations() { return all; }
int latest_version() { return all.back().version; }
std::span<const derived_table> derived_tables() { return derived; }

}  // namespace reglament::sqlite_schema
