// The benchmark's synthetic workload: a firm with many clients on the demo firm's
// tariffs and services, and client requests written the way clients write them, in
// Russian, across the service catalog. Built once, read-only afterwards: threads may
// share it. It is not a fixture for tests: the texts are tuned for volume, not coverage.
#pragma once

#include "engine/case_event.hpp"
#include "engine/firm_file.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace reglament::bench {

// YAML text of a firm with `clients` clients, spread over the tariffs of `demo` and
// reusing its services and prices; each client has an email and a Telegram contact.
std::string synthetic_firm_yaml(const firm_file& demo, int clients, std::uint64_t seed);

// `count` email requests, each from a random client's email contact and each on its own
// thread (so each opens a new case). External ids are unique within the list.
std::vector<inbound_message> synthetic_messages(const firm_file& firm, int count, std::uint64_t seed);

}  // namespace reglament::bench
