#include "engine/clock.hpp"

#include <cstdio>

namespace reglament {

std::int64_t to_millis(timestamp t) { return t.time_since_epoch().count(); }

timestamp from_millis(std::int64_t ms) { return timestamp(std::chrono::milliseconds(ms)); }

std::string to_iso8601(timestamp t) {
  using namespace std::chrono;
  auto day = floor<days>(t);
  year_month_day ymd(day);
  hh_mm_ss<milliseconds> hms(t - day);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()), static_cast<int>(hms.subseconds().count()));
  return buf;
}

namespace {

// Reads exactly `n` digits at `i`; false if any is missing.
bool digits(std::string_view s, std::size_t& i, int n, int& out) {
  out = 0;
  for (int k = 0; k < n; ++k, ++i) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

bool expect(std::string_view s, std::size_t& i, char c) {
  if (i >= s.size() || s[i] != c) return false;
  ++i;
  return true;
}

}  // namespace

bool parse_iso8601(std::string_view s, timestamp& out) {
  using namespace std::chrono;
  std::size_t i = 0;
  int y, mo, d, h, mi, sec = 0, ms = 0;
  if (!digits(s, i, 4, y) || !expect(s, i, '-') || !digits(s, i, 2, mo) || !expect(s, i, '-') ||
      !digits(s, i, 2, d))
    return false;
  if (i >= s.size() || (s[i] != 'T' && s[i] != 't' && s[i] != ' ')) return false;
  ++i;
  if (!digits(s, i, 2, h) || !expect(s, i, ':') || !digits(s, i, 2, mi)) return false;
  if (i < s.size() && s[i] == ':' && !(++i, digits(s, i, 2, sec))) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int scale = 100, n = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      ms += (s[i] - '0') * scale;  // digits past milliseconds are dropped
      scale /= 10;
      ++i, ++n;
    }
    if (n == 0) return false;
  }
  int offset_minutes = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int sign = s[i] == '-' ? -1 : 1, oh, om;
    ++i;
    if (!digits(s, i, 2, oh)) return false;
    if (i < s.size() && s[i] == ':') ++i;
    if (!digits(s, i, 2, om)) return false;
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return false;  // a moment without a zone is ambiguous
  }
  if (i != s.size()) return false;
  year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return false;
  out = time_point_cast<milliseconds>(sys_days(ymd)) + hours(h) + minutes(mi) + seconds(sec) +
        milliseconds(ms) - minutes(offset_minutes);
  return true;
}

timestamp system_clock_source::now() const {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

}  // namespace reglament
