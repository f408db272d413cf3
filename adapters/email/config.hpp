// The email channel's settings and its factory for reglamentd: [channels.email] of the
// daemon's TOML config, read through daemon::channel_settings so that every error names
// its key ("channels.email.poll_interval: expected 1..3600, got 0") and a misspelt key is
// refused. Plain value type; make_channel builds the SMTP channel and the IMAP source.
// Secrets are never in the file itself: password_file or password_env name where they are.
#pragma once

#include "adapters/email/intake.hpp"
#include "daemon/channel_registry.hpp"

#include <string>

namespace reglament::email {

struct config {
  // Inbound: "imap://host:143/INBOX" or "imaps://host:993/INBOX"; empty: no inbound.
  std::string imap_url;
  bool imap_starttls = false;  // imap:// only: require STARTTLS
  // Outbound: "smtp://host:587" (with smtp_starttls) or "smtps://host:465"; empty: no outbound.
  std::string smtp_url;
  bool smtp_starttls = true;  // smtp:// only: require STARTTLS
  std::string username;       // IMAP and SMTP login
  std::string password;       // from password_file / password_env
  std::string smtp_username;  // SMTP login if it differs (else username / password)
  std::string smtp_password;  // from smtp_password_file / smtp_password_env
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

// Reads and checks every key of the table (not `enabled`: the registry reads that);
// throws daemon::channel_config_error naming the key at fault.
config read_config(daemon::channel_settings& s);

// The daemon's factory (registered in daemon/channels.cpp): an SMTP channel when smtp_url
// is set, an IMAP source when imap_url is set. The source logs through env.log.
daemon::channel_parts make_channel(daemon::channel_settings& s, const daemon::channel_env& env);

}  // namespace reglament::email
