// Reads a MIME fixture from tests/adapters/email/fixtures/ as raw bytes. Test-only.
#pragma once

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace reglament::email::testing {

inline std::string fixture(const std::string& name) {
  const std::string path = std::string(REGLAMENT_SOURCE_DIR) + "/tests/adapters/email/fixtures/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read fixture " + path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace reglament::email::testing
