// A firm described in one YAML file: its name and staff, clients (with contacts), tariffs
// with included services, monthly quotas and SLA targets, extra prices, and a keyword
// service catalog. It implements client_directory, tariff_book and firm_profile for the engine until the tariffs issue
// brings them into the store. Immutable after load; thread-safe to read.
#pragma once

#include "engine/client_index.hpp"
#include "engine/diagnostic.hpp"
#include "engine/firm.hpp"
#include "engine/service_catalog.hpp"

#include <map>
#include <memory>
#include <unordered_map>
#include <string>
#include <vector>

namespace reglament {

struct service_def {
  std::string id;
  std::string title;
  std::vector<std::string> keywords;  // words and phrases as written: "выписка", "акт сверки"
  long price = 0;                     // rubles, when not included or over quota
  std::string unit;
  int urgent_surcharge = 0;           // percent on top of price for urgent work; 0: none listed
  std::string urgent_within;          // "1 рабочий день", as written
};

// Terms of a tariff from a date on: a new version replaces the whole list of included
// services; prices not listed stay as in the service catalog.
struct tariff_version {
  std::string from;                   // "2026-12-01", the client's local date
  std::map<std::string, int> quotas;  // service id -> per month (-1 unlimited)
  std::map<std::string, long> prices; // service id -> rubles for this version
};

struct tariff_def {
  std::string id;
  std::string title;
  std::map<std::string, int> quotas;  // the first terms: service id -> per month (-1 unlimited)
  std::vector<tariff_version> later;  // terms from later dates, ascending
  sla_terms sla;                      // response targets for the tariff's clients
};

class firm_file final : public client_directory, public tariff_book, public firm_profile {
 public:
  // Loads `path`; on failure returns nullptr and fills `problems` with positions.
  static std::unique_ptr<firm_file> load(const std::string& path, diagnostics& problems);
  static std::unique_ptr<firm_file> parse(const std::string& yaml, const std::string& name,
                                          diagnostics& problems);
  // Only the `clients:` list of a YAML document in this file's shape (tariff ids are not
  // checked: the caller knows its tariffs). `positions[i]` is where clients[i] starts.
  // Problems land in `problems`; the clients read are returned even then.
  static std::vector<client_def> parse_clients(const std::string& yaml, const std::string& name,
                                               diagnostics& problems,
                                               std::vector<source_pos>* positions = nullptr);

  // The firm file shipped beside a playbook folder: the first DIR/firm/*.yaml, or "".
  static std::string beside(const std::string& playbooks_dir);

  client_ptr find(std::string_view client_id) const override;
  client_ptr find_by_contact(std::string_view channel, std::string_view sender) const override;
  std::optional<client_contact> preferred_contact(std::string_view client_id) const override;
  std::vector<client_info> all() const override;
  tariff_check check(const client_info& client, const tariff_request& request,
                     const tariff_lookups& store) const override;
  bool has_service(std::string_view service_id) const override;

  std::string name(std::string_view language) const override;
  std::optional<staff_member> staff(std::string_view login) const override;
  std::optional<staff_member> staff_with_role(std::string_view role) const override;
  sla_terms sla(const client_info& client) const override;

  const std::vector<client_def>& clients() const { return clients_.clients(); }
  const std::vector<staff_member>& staff_list() const { return staff_; }
  const std::vector<service_def>& services() const { return services_; }
  const std::map<std::string, tariff_def>& tariffs() const { return tariffs_; }
  std::string firm_name;
  // pricing: manager_discount_limit — "15%" of the list price, or a sum in rubles.
  int discount_limit_percent() const { return discount_percent_; }
  long discount_limit_rubles() const { return discount_rubles_; }

 private:
  int discount_percent_ = 0;
  long discount_rubles_ = 0;
  std::string payment_due_, payment_reminder_after_, unpaid_close_after_;  // pricing: terms
  client_index clients_;
  std::vector<staff_member> staff_;
  std::string firm_name_en_;
  std::vector<service_def> services_;
  std::map<std::string, tariff_def> tariffs_;
  service_catalog catalog_;
};

}  // namespace reglament
