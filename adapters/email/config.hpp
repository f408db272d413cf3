// The email channel's settings, from the daemon's TOML section [channels.email]. Plain
// value type. read_config checks every key and throws std::runtime_error whose message
// starts with the key ("channels.email.poll_interval: expected an integer from 5 to 3600").
// Secrets are never in the file itself: password_file or password_env name where they are.
#pragma once

#include "adapters/email/intake.hpp"

#include <toml++/toml.h>

#include <string>

namespace reglament::email {

struct config {
  bool enabled = true;
  // Inbound: "imap://host:143/INBOX" or "imaps://host:993/INBOX"; empty: no inbound.
  std::string imap_url;
  bool imap_starttls = false;  // imap:// only: require STARTTLS
  // Outbound: "smtp://host:587" (with smtp_starttls) or "smtps://host:465"; empty: no outbound.
  std::string smtp_url;
  bool smtp_starttls = true;  // smtp:// only: require STARTTLS
  std::string username;       // IMAP and SMTP login
  std::string password_file;  // a file holding the password (first line)
  std::string password_env;   // or an environment variable holding it
  std::string smtp_username;  // SMTP login if it differs (else username / password)
  std::string smtp_password_file;
  std::string smtp_password_env;
  std::string ca_file;  // extra CA bundle for a private server certificate
  std::string from_address;       // the firm's mailbox, e.g. "office@romashka-buh.ru"
  std::string from_name;          // the firm's display name, e.g. "Бухгалтерия «Ромашка»"
  std::string message_id_domain;  // default: the domain of from_address
  std::string default_subject = "Ваше обращение";
  int poll_interval = 60;
  int timeout_seconds = 60;
  // What the first start takes from a mailbox the daemon has never read: "unseen" mail,
  // or "all" of it. Later starts continue after the last UID committed.
  std::string initial = "unseen";
  intake_limits limits;

  std::string mailbox() const;     // from imap_url ("INBOX")
  std::string imap_server() const; // imap_url without the mailbox, ending in "/"
};

config read_config(const toml::table* section);

// The password from `file` (its first line) or the environment variable `env`; "" if
// neither is set. Throws std::runtime_error naming `what` when the one named is missing.
std::string read_secret(const std::string& file, const std::string& env, const std::string& what);

}  // namespace reglament::email
