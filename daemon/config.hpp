// The daemon's configuration: a TOML file over embedded defaults, then command-line
// overrides. Every value is checked at load; a bad one stops the daemon with one message
// naming the file and the key ("config /etc/reglament.toml: http.listen: expected
// HOST:PORT, got '8080'"). Plain value type; it does not watch the file for changes.
#pragma once

#include "adapters/spool/config.hpp"
#include "engine/working_calendar.hpp"

#include <toml++/toml.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

namespace reglament::daemon {

class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct daemon_config {
  std::string source = "(defaults)";  // the file read, for messages

  struct {
    std::string path = "var/reglament.db";
    std::string synchronous = "full";  // full | normal
  } store;
  struct {
    std::string dir;  // empty in the defaults: resolved by find_default_playbooks()
  } playbooks;
  struct {
    std::string file;  // empty: <playbooks dir>/firm.yaml, else <playbooks dir>/firm/*.yaml
  } firm;
  struct {
    // The production calendar; empty in the defaults: resolved like the playbooks dir
    // (the shipped playbooks/calendar/ru.yaml).
    std::string file;
    std::string timezone = "+03:00";
    int utc_offset_minutes = 180;
    // Monday first; every working day carries the `lunch` break.
    std::array<weekly_calendar::shift, 7> week;
  } calendar;
  struct {
    std::string host = "127.0.0.1";
    unsigned short port = 8080;
    int threads = 2;
    std::size_t body_limit = 64 * 1024;
    int read_timeout_seconds = 30;
  } http;
  spool::config spool;
  // Staff accounts and API access (docs/SECURITY.md).
  struct {
    std::chrono::seconds session_idle{8 * 3600};          // a session unused this long ends
    std::chrono::seconds session_max{7 * 24 * 3600};     // and every session ends this long after login
    bool secure_cookies = false;  // the session cookie only over HTTPS (behind a TLS proxy)
    bool public_metrics = false;  // /metrics without a token
    int login_failures = 5;       // per login before a wait; doubled wait per further failure
    int address_failures = 20;    // the same per client address
    std::chrono::seconds login_wait{60};
    std::chrono::seconds login_max_wait{15 * 60};
    // A file whose one line is a secret granted as an owner API token named "bootstrap"
    // at start (tests, provisioning); empty: none.
    std::string bootstrap_token_file;
  } auth;
  // The outbox dispatcher's retries (engine/outbox_dispatcher.hpp).
  struct {
    int retry_first_seconds = 30;
    int retry_max_seconds = 3600;
    int max_attempts = 8;
  } outbox;
  struct {
    std::string dir = "var/attachments";              // content-addressed files (sha256 names)
    std::uint64_t max_bytes = 25 * 1024 * 1024;       // one file larger than this is refused
  } attachments;
  // [channels.NAME] tables as written: each adapter reads its own (daemon/channel_registry.hpp),
  // so a mistake in one is that channel's error, not the daemon's.
  std::map<std::string, toml::table> channels;
  struct {
    // The staff web app (index.html, ES modules, CSS); empty in the defaults: resolved
    // like the playbooks dir (./web, <prefix>/share/reglament/web, the source tree).
    std::string dir;
  } web;
  struct {
    std::string level = "info";   // debug | info | warn | error
    std::string format = "text";  // text | json
  } log;
};

struct overrides {
  std::optional<std::string> listen;     // --listen ADDR:PORT
  std::optional<std::string> data_dir;   // --data-dir: store, spool and attachments under it
  std::optional<std::string> playbooks;  // --playbooks DIR
  std::optional<std::string> bootstrap_token_file;  // --bootstrap-token-file FILE
};

// The embedded defaults, as TOML (reglamentd --print-default-config).
const char* default_config_text();

// Reads `file` (none: the defaults only), applies `o`, resolves defaults that depend on
// other values (playbooks and firm paths). Throws config_error.
daemon_config load_config(const std::optional<std::string>& file, const overrides& o,
                          const std::string& executable_path = {});

// "127.0.0.1:8080" -> host, port; "[::1]:0" too. False if it is not HOST:PORT.
bool parse_listen(const std::string& text, std::string& host, unsigned short& port);

}  // namespace reglament::daemon
