// A set of clients with their contacts, indexed for the engine's lookups (by id, and by
// channel and normalised address), and the rules for writing a contact address the one
// way it is stored. A client_index is immutable once built: safe to read from any
// number of threads. It is not a source of clients: firm_file and client_registry fill it.
#pragma once

#include "engine/firm.hpp"
#include "engine/text.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace reglament {

struct contact_def {
  std::string channel;
  std::string address;  // normalised: see normalize_contact
};

struct client_def {
  client_info info;
  std::vector<contact_def> contacts;  // in the order given; the first email is preferred
};

// The channels a contact may belong to (the same as a playbook's trigger channels).
bool known_contact_channel(std::string_view channel);

// The stored form of an address: email folded to lower case, a phone number written
// +7XXXXXXXXXX when it reads as a Russian number, anything else trimmed of spaces.
std::string normalize_contact(std::string_view channel, std::string_view address);

// nullopt when the (channel, address) pair can be stored; otherwise what is wrong:
// "phone 12-34: expected a Russian number like +7 912 345-67-89".
std::optional<std::string> contact_problem(std::string_view channel, std::string_view address);

class client_index {
 public:
  client_index() = default;
  // REQUIRES: ids unique and each normalised contact belongs to one client (the sources
  // validate this; a duplicate here keeps the first).
  explicit client_index(std::vector<client_def> clients);

  client_ptr find(std::string_view client_id) const;
  client_ptr find_by_contact(std::string_view channel, std::string_view sender) const;
  std::optional<client_contact> preferred_contact(std::string_view client_id) const;
  std::vector<client_info> all() const;  // in id order

  const client_def* get(std::string_view client_id) const;
  // The id of the client owning this contact, or "" (the address is normalised first).
  std::string owner_of(std::string_view channel, std::string_view address) const;
  const std::vector<client_def>& clients() const { return clients_; }

 private:
  std::vector<client_def> clients_;
  std::vector<client_ptr> shared_;  // clients_[i].info, as find() hands it out
  // Lookups run several times per event: indexes, not scans (see docs/BENCHMARKS.md).
  std::unordered_map<std::string, std::size_t> by_id_;
  const std::size_t* by_contact(std::string_view channel, std::string_view address) const;  // into clients_
  std::unordered_map<std::string, std::size_t, text_hash, std::equal_to<>> by_contact_;  // "channel\naddress"
};

}  // namespace reglament
