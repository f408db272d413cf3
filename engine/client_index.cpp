#include "engine/client_index.hpp"

#include "engine/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace reglament {
namespace {

constexpr std::array<std::string_view, 5> contact_channels{"email", "telegram", "webchat", "api", "phone"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "8 (912) 345-67-89", "+7 912 345 67 89", "9123456789" -> "+79123456789"; "" otherwise.
std::string russian_phone(std::string_view s) {
  std::string digits;
  bool plus = false;
  for (char ch : s) {
    if (ch >= '0' && ch <= '9') {
      digits += ch;
    } else if (ch == '+' && digits.empty() && !plus) {
      plus = true;
    } else if (ch != ' ' && ch != '-' && ch != '(' && ch != ')' && ch != '.') {
      return {};
    }
  }
  if (digits.size() == 11 && digits[0] == '7') return "+" + digits;
  if (!plus && digits.size() == 11 && digits[0] == '8') return "+7" + digits.substr(1);
  if (!plus && digits.size() == 10 && digits[0] == '9') return "+7" + digits;
  return {};
}

std::string key(std::string_view channel, std::string_view address) {
  std::string k(channel);
  k += '\n';
  k += address;
  return k;
}

}  // namespace

bool known_contact_channel(std::string_view channel) {
  return std::find(contact_channels.begin(), contact_channels.end(), channel) != contact_channels.end();
}

std::string normalize_contact(std::string_view channel, std::string_view address) {
  address = trim(address);
  if (channel == "email") return fold_case(address);
  if (channel == "phone") {
    auto p = russian_phone(address);
    if (!p.empty()) return p;
  }
  return std::string(address);
}

std::optional<std::string> contact_problem(std::string_view channel, std::string_view address) {
  if (!known_contact_channel(channel))
    return fmt::format("unknown channel '{}' (known: email, telegram, webchat, api, phone)", channel);
  if (trim(address).empty()) return fmt::format("{}: empty address", channel);
  if (!valid_utf8(address)) return fmt::format("{}: the address is not valid UTF-8", channel);
  if (channel == "email") {
    auto at = address.find('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == address.size() || address.find(' ') != std::string_view::npos)
      return fmt::format("email {}: expected an address like name@example.ru", address);
  }
  if (channel == "phone" && russian_phone(address).empty())
    return fmt::format("phone {}: expected a Russian number like +7 912 345-67-89", address);
  return std::nullopt;
}

client_index::client_index(std::vector<client_def> clients) : clients_(std::move(clients)) {
  shared_.reserve(clients_.size());
  for (std::size_t i = 0; i < clients_.size(); ++i) {
    shared_.push_back(std::make_shared<const client_info>(clients_[i].info));
    by_id_.emplace(clients_[i].info.id, i);
    for (const auto& k : clients_[i].contacts) by_contact_.emplace(key(k.channel, k.address), i);
  }
}

const client_def* client_index::get(std::string_view client_id) const {
  auto it = by_id_.find(std::string(client_id));
  return it == by_id_.end() ? nullptr : &clients_[it->second];
}

client_ptr client_index::find(std::string_view client_id) const {
  const auto* c = get(client_id);
  return c ? shared_[static_cast<std::size_t>(c - clients_.data())] : nullptr;
}

const std::size_t* client_index::by_contact(std::string_view channel, std::string_view address) const {
  // Every message asks: the key is built in a buffer the thread keeps.
  thread_local std::string k;
  k.assign(channel).append(1, '\n').append(normalize_contact(channel, address));
  auto it = by_contact_.find(std::string_view(k));
  return it == by_contact_.end() ? nullptr : &it->second;
}

client_ptr client_index::find_by_contact(std::string_view channel, std::string_view sender) const {
  const auto* i = by_contact(channel, sender);
  return i ? shared_[*i] : nullptr;
}

std::string client_index::owner_of(std::string_view channel, std::string_view address) const {
  const auto* i = by_contact(channel, address);
  return i ? clients_[*i].info.id : std::string{};
}

std::optional<client_contact> client_index::preferred_contact(std::string_view client_id) const {
  const auto* c = get(client_id);
  if (!c || c->contacts.empty()) return std::nullopt;
  auto email = std::find_if(c->contacts.begin(), c->contacts.end(),
                            [](const contact_def& k) { return k.channel == "email"; });
  const auto& k = email != c->contacts.end() ? *email : c->contacts.front();
  return client_contact{k.channel, k.address};
}

std::vector<client_info> client_index::all() const {
  std::vector<client_info> out;
  out.reserve(clients_.size());
  for (const auto& c : clients_) out.push_back(c.info);
  std::sort(out.begin(), out.end(), [](const client_info& a, const client_info& b) { return a.id < b.id; });
  return out;
}

}  // namespace reglament
