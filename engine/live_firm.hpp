// The firm file the daemon runs on, replaceable while it runs: the studio deploys a new
// firm file (tariffs, service catalog) and new cases and checks see it at once, without
// a restart. It forwards each call to the current firm_file. Thread-safe: callers on any
// thread see either the old or the new file, never a mix within one call.
// Not the client directory: the daemon's clients live in the store (client_registry).
#pragma once

#include "engine/firm_file.hpp"

#include <memory>
#include <mutex>

namespace reglament {

class live_firm final : public tariff_book, public firm_profile {
 public:
  // REQUIRES: `first` is not null.
  explicit live_firm(std::shared_ptr<const firm_file> first) : current_(std::move(first)) {}

  std::shared_ptr<const firm_file> get() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  // REQUIRES: `next` is not null and validated (firm_file::parse gave no errors).
  void swap(std::shared_ptr<const firm_file> next) {
    std::lock_guard lock(mutex_);
    current_ = std::move(next);
  }

  tariff_check check(const client_info& client, const tariff_request& request,
                     const tariff_lookups& store) const override {
    return get()->check(client, request, store);
  }
  bool has_service(std::string_view service_id) const override { return get()->has_service(service_id); }
  std::string name(std::string_view language) const override { return get()->name(language); }
  std::optional<staff_member> staff(std::string_view login) const override { return get()->staff(login); }
  std::optional<staff_member> staff_with_role(std::string_view role) const override {
    return get()->staff_with_role(role);
  }
  sla_terms sla(const client_info& client) const override { return get()->sla(client); }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const firm_file> current_;
};

}  // namespace reglament
