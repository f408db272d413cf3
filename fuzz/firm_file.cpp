// The firm file (firm, staff, clients, tariffs, service catalog) and the clients-only
// reading the import uses. A file that is refused must say why with an error at a place;
// one that loads answers lookups for every client and tariff it listed.
#include "engine/firm_file.hpp"
#include "fuzz/fuzz_check.hpp"
#include "tests/fakes/problems_text.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace reglament;
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  diagnostics problems;
  auto firm = firm_file::parse(yaml, "firm.yaml", problems);
  if (!firm) {
    FUZZ_CHECK(has_errors(problems), "a firm file that did not load has no error:\n" + problems_text(problems));
  } else {
    for (const auto& c : firm->clients()) {
      FUZZ_CHECK(firm->find(c.info.id) != nullptr, "a listed client is not found: " + c.info.id);
      (void)firm->sla(c.info);
      (void)firm->preferred_contact(c.info.id);
    }
    for (const auto& [id, t] : firm->tariffs()) FUZZ_CHECK(id == t.id, "tariff keyed by another id: " + id);
    (void)firm->name("ru");
    (void)firm->name("en");
  }
  diagnostics client_problems;
  std::vector<source_pos> positions;
  auto clients = firm_file::parse_clients(yaml, "clients.yaml", client_problems, &positions);
  FUZZ_CHECK(positions.size() == clients.size(), "not one position per client");
  return 0;
}
