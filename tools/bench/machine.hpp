// A description of the machine a benchmark ran on: CPU, cores, memory, the disk under
// the benchmark's directory and what one fsync costs there, library versions. Read
// once per run of the program; it is a report, not a probe the engine uses.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace reglament::bench {

// (label, value) pairs in display order. Measures fsync on a scratch file in `dir`.
std::vector<std::pair<std::string, std::string>> describe_machine(const std::string& dir);

}  // namespace reglament::bench
