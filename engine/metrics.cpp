#include "engine/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace reglament {

namespace {

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

std::string escape_help(const std::string& h) {
  std::string out;
  for (char c : h) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void append_labels(std::string& out, const metric_labels& labels,
                   const std::pair<std::string, std::string>* extra = nullptr) {
  if (labels.empty() && !extra) return;
  out += '{';
  bool first = true;
  auto one = [&](const std::pair<std::string, std::string>& l) {
    if (!first) out += ',';
    first = false;
    out += l.first;
    out += "=\"";
    out += escape_label_value(l.second);
    out += '"';
  };
  for (const auto& l : labels) one(l);
  if (extra) one(*extra);
  out += '}';
}

void atomic_add(std::atomic<double>& a, double d) {
  double old = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(old, old + d, std::memory_order_relaxed)) {
  }
}

}  // namespace

std::string escape_label_value(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void gauge::add(double d) { atomic_add(value_, d); }

histogram::histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end()))
    throw std::invalid_argument("histogram bounds must be ascending");
  for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void histogram::observe(double v) {
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);  // le: v <= bound
  counts_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_, v);
}

void histogram::set_bucket_count(std::size_t i, std::uint64_t n, double sum_hint) {
  if (i > bounds_.size()) throw std::out_of_range("histogram bucket index");
  counts_[i].store(n, std::memory_order_relaxed);
  if (i == bounds_.size()) sum_.store(sum_hint, std::memory_order_relaxed);
}

std::vector<std::uint64_t> histogram::counts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = counts_[i].load(std::memory_order_relaxed);
  return out;
}

metric_registry::family& metric_registry::family_for(const std::string& name,
                                                      const std::string& help, type kind) {
  auto [it, inserted] = families_.try_emplace(name);
  if (inserted) {
    it->second.kind = kind;
    it->second.help = help;
  } else if (it->second.kind != kind) {
    throw std::logic_error(fmt::format("metric {} registered twice with different types", name));
  }
  return it->second;
}

namespace {

// The series for `labels` in one family's map, created on first use.
template <class T, class... Args>
T& series(std::map<metric_labels, std::unique_ptr<T>>& m, const metric_labels& labels, Args&&... args) {
  auto& slot = m[labels];
  if (!slot) slot = std::make_unique<T>(std::forward<Args>(args)...);
  return *slot;
}

}  // namespace

counter& metric_registry::get_counter(const std::string& name, const std::string& help,
                                      metric_labels labels) {
  std::sort(labels.begin(), labels.end());
  std::lock_guard lock(mutex_);
  return series(family_for(name, help, type::counter).counters, labels);
}

gauge& metric_registry::get_gauge(const std::string& name, const std::string& help,
                                  metric_labels labels) {
  std::sort(labels.begin(), labels.end());
  std::lock_guard lock(mutex_);
  return series(family_for(name, help, type::gauge).gauges, labels);
}

histogram& metric_registry::get_histogram(const std::string& name, const std::string& help,
                                          std::vector<double> bounds, metric_labels labels) {
  std::sort(labels.begin(), labels.end());
  std::lock_guard lock(mutex_);
  auto& fam = family_for(name, help, type::histogram);
  if (fam.histograms.empty()) fam.bounds = std::move(bounds);
  return series(fam.histograms, labels, fam.bounds);
}

std::string metric_registry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, fam] : families_) {
    const char* type_name = fam.kind == type::counter ? "counter"
                            : fam.kind == type::gauge ? "gauge"
                                                      : "histogram";
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(fam.help), name, type_name);
    for (const auto& [labels, c] : fam.counters) {
      out += name;
      append_labels(out, labels);
      out += fmt::format(" {}\n", c->value());
    }
    for (const auto& [labels, g] : fam.gauges) {
      out += name;
      append_labels(out, labels);
      out += ' ' + format_value(g->value()) + '\n';
    }
    for (const auto& [labels, h] : fam.histograms) {
      auto counts = h->counts();
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < counts.size(); ++i) {
        cumulative += counts[i];
        std::pair<std::string, std::string> le{
            "le", i < h->bounds().size() ? format_value(h->bounds()[i]) : "+Inf"};
        out += name + "_bucket";
        append_labels(out, labels, &le);
        out += fmt::format(" {}\n", cumulative);
      }
      out += name + "_sum";
      append_labels(out, labels);
      out += ' ' + format_value(h->sum()) + '\n';
      out += name + "_count";
      append_labels(out, labels);
      out += fmt::format(" {}\n", cumulative);
    }
  }
  return out;
}

}  // namespace reglament
