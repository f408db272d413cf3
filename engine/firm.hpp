// What the engine needs to know about the firm's clients and tariffs, as read-only
// interfaces: client_directory (who wrote) and tariff_book (is this request in the
// client's tariff). Implementations must be thread-safe for concurrent reads. These
// are not the store: quota use is counted in the store and passed in.
#pragma once

#include "engine/clock.hpp"
#include "engine/duration.hpp"
#include "engine/service_catalog.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace reglament {

// A day of the year that repeats ("11-21" for 21 November), for congratulations.
struct annual_date {
  int month = 0;  // 1..12
  int day = 0;    // 1..31
  bool valid() const { return month >= 1 && month <= 12 && day >= 1 && day <= 31; }
};

struct contact_birthday {
  std::string name;  // how to address the person, "Анна Сергеевна"
  annual_date date;
};

// Service-level targets, counted in the firm's working time. Absent: no target.
struct sla_terms {
  std::optional<duration> first_reply;  // from the client's request to the first real reply
  std::optional<duration> idle;         // the case waits for the manager without an action
  std::optional<duration> deadline;     // from the client's request until the case closes
};

struct client_info {
  std::string id;
  std::string name;           // company, "ООО «Ромашка»"
  std::string address_as;     // how to address the contact, "Анна Сергеевна"
  bool informal = false;      // "ты" instead of "Вы"
  std::string tariff_id;      // the tariff since the client joined
  // Later tariffs, each from a date ("2026-12-01", the client's local date), ascending.
  std::vector<std::pair<std::string, std::string>> tariff_changes;  // {from, tariff id}
  std::string manager;        // login of the responsible client manager
  std::string accountant;     // login of the responsible accountant
  int utc_offset_minutes = 180;
  std::string inn;            // taxpayer number, 10 (company) or 12 (person) digits
  std::string language = "ru";  // language of messages to the client: ru, en
  std::string holiday_title;  // professional holiday, "День бухгалтера"
  annual_date holiday;        // invalid when the client has none
  std::vector<contact_birthday> birthdays;
  sla_terms sla;              // the client's own targets; each one set overrides the tariff's
};

struct client_contact {
  std::string channel;  // email, telegram, ...
  std::string address;
};

// A client as a directory holds it: shared and immutable, so that a lookup on the
// writer's path copies a pointer, not the client's dozen strings.
using client_ptr = std::shared_ptr<const client_info>;

class client_directory {
 public:
  virtual ~client_directory() = default;
  virtual client_ptr find(std::string_view client_id) const = 0;  // null: no such client
  virtual client_ptr find_by_contact(std::string_view channel, std::string_view sender) const = 0;
  // Where to write to a client when a case starts without a message from them (a
  // manual start): the first email contact, else the first contact. Directories that
  // keep no contacts answer nullopt, and such a case cannot `say:`.
  virtual std::optional<client_contact> preferred_contact(std::string_view client_id) const {
    (void)client_id;
    return std::nullopt;
  }
  // Every client, in id order (schedules walk them for holidays and birthdays).
  virtual std::vector<client_info> all() const { return {}; }
};

enum class tariff_outcome { in_tariff, over_quota, not_included, unknown };
const char* to_string(tariff_outcome o);

struct tariff_check {
  tariff_outcome outcome = tariff_outcome::unknown;
  std::string tariff_id;
  std::string service_id;      // empty when unknown
  std::string service_title;   // Russian
  double confidence = 0;       // 0..1
  int quota_used = 0;          // before this request
  int quota_limit = -1;        // -1: unlimited
  long price = 0;              // rubles, for paid extras
  std::string unit;            // "за документ", "за час"
  long urgent_price = 0;       // rubles when needed urgently: price plus the surcharge
  // The lowest price a manager may quote without the director: the list price less the
  // firm's manager discount limit (`pricing: manager_discount_limit`); equal to `price`
  // when the firm sets no limit.
  long min_price = 0;
  // The firm's payment terms (`pricing:` in the firm file) as written, "5 рабочих дней";
  // empty: the playbook's own defaults apply.
  std::string payment_due, payment_reminder_after, unpaid_close_after;
  int urgent_surcharge = 0;    // percent added for urgency; 0 when the list has none
  std::string urgent_within;   // what "urgent" means, "1 рабочий день"
  std::string period;          // billing period, "2026-11"
  std::string tariff_from;     // the tariff version checked against: in force from, "2026-12-01"
  std::string matched;         // what in the request pointed at the service, for the manager
  std::string alternative;     // another service the request may mean (lowers confidence)
  bool learned = false;        // the service comes from the manager's past corrections
};

// The tariff in force for a client on a local date ("2026-12-01").
std::string tariff_on(const client_info& client, std::string_view local_date);

// A person of the firm: client manager, accountant or director.
struct staff_member {
  std::string login;
  std::string name;     // full name for signatures, "Мария Иванова"
  std::string name_en;  // in English letters, "Maria Ivanova"; empty: use `name`
  std::string role;     // manager, accountant, director
  // How the person gets staff notifications (escalations, overdue tasks) besides the
  // staff app: channel names in order ("email", "telegram"), with their address there.
  std::vector<std::string> notify;
  std::string email;     // address for notify: email
  std::string telegram;  // chat id for notify: telegram
};

// The firm itself: its name, its people and the SLA targets of a client's tariff.
// Implementations must be thread-safe for concurrent reads.
class firm_profile {
 public:
  virtual ~firm_profile() = default;
  // The firm's name for signatures, in "ru" or "en" (falls back to Russian).
  virtual std::string name(std::string_view language) const = 0;
  virtual std::optional<staff_member> staff(std::string_view login) const = 0;
  // The first person with this role ("director"), if any.
  virtual std::optional<staff_member> staff_with_role(std::string_view role) const = 0;
  // The client's targets: the tariff's, with each one the client sets taking its place.
  virtual sla_terms sla(const client_info& client) const = 0;
};

// Quota already used by a client for a service in a billing period.
using quota_lookup = std::function<int(std::string_view client_id, std::string_view service_id,
                                       std::string_view period)>;

// The manager's past corrections for a client (see service_catalog.hpp), from the store.
using learned_lookup = std::function<std::vector<learned_service>(std::string_view client_id)>;

// What a check reads from the store; either may be empty (nothing used, nothing learned).
struct tariff_lookups {
  quota_lookup quota_used;
  learned_lookup learned;
};

struct tariff_request {
  std::string_view text;        // the client's words
  timestamp at;                 // picks the billing period and the tariff version in force
  std::string_view service_id;  // the manager's choice; empty: classify the text
  const std::vector<std::string>* stems = nullptr;  // the text's stems, when already known
};

class tariff_book {
 public:
  virtual ~tariff_book() = default;
  // An unknown `request.service_id` gives outcome unknown.
  virtual tariff_check check(const client_info& client, const tariff_request& request,
                             const tariff_lookups& store) const = 0;
  // Whether the firm lists the service.
  virtual bool has_service(std::string_view service_id) const = 0;
};

}  // namespace reglament
