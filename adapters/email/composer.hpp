// Composing an outgoing email with GMime: UTF-8 text/plain in quoted-printable, the
// Subject and display names RFC 2047-encoded, From with the firm's name, a Message-ID
// derived from the outbox idempotency key (a resend after a crash carries the same id),
// In-Reply-To / References threading the client's mail client, and Date. Pure; thread-safe.
#pragma once

#include "engine/channel.hpp"

#include <ctime>
#include <string>

namespace reglament::email {

struct compose_options {
  std::string from_address;
  std::string from_name;
  std::string message_id_domain;
  std::string default_subject = "Ваше обращение";
};

struct composed_mail {
  std::string message_id;  // without <>
  std::string subject;     // decoded, as sent
  std::string raw;         // the message with CRLF line ends, ready for SMTP DATA
};

// `m.subject` (else the default) gets the case tag "[#<case_no>]" if it lacks one, so a
// reply from a mail client that drops In-Reply-To still finds the case.
composed_mail compose(const outbound_message& m, const compose_options& o, std::time_t date);

}  // namespace reglament::email
