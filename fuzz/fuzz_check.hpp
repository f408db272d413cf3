// What a fuzz target asserts beyond "does not crash": a property that must hold for every
// input. A failed check prints what and aborts, so libFuzzer keeps the input as a crash.
// Header-only; for fuzz targets only.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace reglament::fuzz {

[[noreturn]] inline void check_failed(const char* what, const std::string& detail, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n%s\n", file, line, what, detail.c_str());
  std::abort();
}

}  // namespace reglament::fuzz

#define FUZZ_CHECK(cond, detail) \
  do {                           \
    if (!(cond)) ::reglament::fuzz::check_failed(#cond, (detail), __FILE__, __LINE__); \
  } while (0)
