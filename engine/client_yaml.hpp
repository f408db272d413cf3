// Reading one client from a YAML map in the firm file's `clients:` shape (id, name, inn,
// address, form, tariff, manager, accountant, timezone, language, holiday, birthdays,
// contacts). Internal to engine/: it exposes yaml-cpp, which only the engine links.
// firm_file and the CSV reader share it so a client is read and checked one way.
#pragma once

#include "engine/client_index.hpp"

#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>

namespace reglament {

// Every field is checked (INN checksum, form, timezone, language, dates, contacts);
// `err` gets each problem with the node at fault. Tariff ids are not checked here.
client_def read_client(const YAML::Node& c, const std::function<void(const YAML::Node&, std::string)>& err);

}  // namespace reglament
