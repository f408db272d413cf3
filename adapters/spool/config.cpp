#include "adapters/spool/config.hpp"

#include <fmt/format.h>

#include <regex>
#include <stdexcept>

namespace reglament::spool {

config read_config(const toml::table* section) {
  config cfg;
  if (!section) return cfg;
  for (const auto& [key, node] : *section) {
    const std::string k(key.str());
    if (k == "dir") {
      auto v = node.value<std::string>();
      if (!v || v->empty()) throw std::runtime_error("spool.dir: expected a non-empty string");
      cfg.dir = *v;
    } else if (k == "channels") {
      const auto* arr = node.as_array();
      if (!arr) throw std::runtime_error("spool.channels: expected an array of channel names");
      cfg.channels.clear();
      static const std::regex name_re("[a-z][a-z0-9_]*");
      for (const auto& item : *arr) {
        auto v = item.value<std::string>();
        if (!v || !std::regex_match(*v, name_re))
          throw std::runtime_error(
              "spool.channels: expected channel names like \"email\" (lower-case letters, digits, _)");
        cfg.channels.push_back(*v);
      }
    } else {
      throw std::runtime_error(fmt::format("spool.{}: unknown key (expected dir, channels)", k));
    }
  }
  return cfg;
}

std::vector<std::unique_ptr<spool_channel>> register_channels(const config& cfg,
                                                              reglament::outbox_dispatcher& d,
                                                              const reglament::clock* clk) {
  std::vector<std::unique_ptr<spool_channel>> out;
  for (const auto& name : cfg.channels) {
    out.push_back(std::make_unique<spool_channel>(cfg.dir, name, clk));
    d.add_channel(name, out.back().get());
  }
  return out;
}

}  // namespace reglament::spool
