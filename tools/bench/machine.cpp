#include "tools/bench/machine.hpp"

#include <fmt/format.h>
#include <sqlite3.h>
#ifdef REGLAMENT_MIMALLOC
#include <mimalloc.h>
#endif

#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace reglament::bench {
namespace {

std::string trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

// The value of the first "key : value" line of a /proc file.
std::string proc_field(const char* file, std::string_view key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return trim(line.substr(colon + 1));
    }
  return "unknown";
}

// Output of a shell command, lines joined with "; " (only fixed commands with a quoted path).
std::string shell(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen((cmd + " 2>/dev/null").c_str(), "r")) {
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) {
      auto line = trim(buf);
      if (line.empty()) continue;
      if (!out.empty()) out += "; ";
      out += line;
    }
    pclose(p);
  }
  return out.empty() ? "unknown" : out;
}

std::string quote_path(const std::string& p) {
  std::string out = "'";
  for (char c : p) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// 1,000 write+fsync pairs of one 4 KiB page: the median is what a commit costs at least,
// the tail is what no engine on this disk can beat in its own latency tail.
std::string fsync_cost(const std::string& dir) {
  const auto path = (std::filesystem::path(dir) / "reglament-bench-fsync.tmp").string();
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
  if (fd < 0) return "unknown";
  std::vector<double> ms;
  char page[4096] = {};
  for (int i = 0; i < 1000; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    if (::pwrite(fd, page, sizeof page, 0) != static_cast<ssize_t>(sizeof page) || ::fsync(fd) != 0) break;
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  ::close(fd);
  std::filesystem::remove(path);
  if (ms.empty()) return "unknown";
  std::sort(ms.begin(), ms.end());
  const auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * static_cast<double>(ms.size())))]; };
  return fmt::format("{:.3f} ms median, {:.2f} ms p99, {:.2f} ms max ({} 4 KiB write+fsync)", at(0.5), at(0.99), ms.back(),
                     ms.size());
}

// Which malloc serves the process: a block from plain malloc() tells whether mimalloc
// really replaced it (it does only when it comes before libc in the link).
std::string allocator() {
#ifdef REGLAMENT_MIMALLOC
  void* p = std::malloc(64);
  const bool replaced = mi_is_in_heap_region(p);
  std::free(p);
  const int v = mi_version();
  return fmt::format("mimalloc {}.{}.{}{}", v / 100, v / 10 % 10, v % 10, replaced ? "" : " (linked, but malloc is libc's)");
#else
  return "glibc malloc";
#endif
}

}  // namespace

std::vector<std::pair<std::string, std::string>> describe_machine(const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> d;
  d.emplace_back("CPU", proc_field("/proc/cpuinfo", "model name"));
  d.emplace_back("Cores", fmt::format("{} (hardware threads)", std::thread::hardware_concurrency()));
  const auto mem = proc_field("/proc/meminfo", "MemTotal");  // "24683620 kB"
  d.emplace_back("Memory", std::isdigit(static_cast<unsigned char>(mem[0]))
                               ? fmt::format("{:.1f} GiB", std::stod(mem) / (1024.0 * 1024.0))
                               : mem);
  utsname u{};
  if (uname(&u) == 0) d.emplace_back("Kernel", fmt::format("{} {} {}", u.sysname, u.release, u.machine));
  const auto q = quote_path(dir);
  d.emplace_back("Benchmark directory", dir);
  d.emplace_back("File system (df)", shell("df -hT " + q + " | tail -n 1"));
  d.emplace_back("Disk (lsblk)", shell("lsblk -dno NAME,SIZE,ROTA,TYPE,MODEL \"$(df --output=source " + q +
                                       " | tail -n 1)\""));
  d.emplace_back("fsync", fsync_cost(dir));
  d.emplace_back("SQLite", sqlite3_libversion());
  d.emplace_back("Compiler", __VERSION__);
  d.emplace_back("Build type", REGLAMENT_BUILD_TYPE);
  d.emplace_back("Allocator", allocator());
  return d;
}

}  // namespace reglament::bench
