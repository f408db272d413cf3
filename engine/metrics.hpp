// Metrics: counters, gauges and fixed-bucket histograms with labels, rendered in the
// Prometheus text exposition format for GET /metrics. A metric_registry is thread-safe:
// registration and rendering take a mutex, updates are lock-free atomics. References
// returned by the registry stay valid for its lifetime. This is not a time series store:
// it holds current values only.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace reglament {

// Label name/value pairs; order does not matter (they are sorted on registration).
using metric_labels = std::vector<std::pair<std::string, std::string>>;

class counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double d);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class histogram {
 public:
  // `bounds` are the upper bounds of the buckets, ascending; +Inf is implied.
  explicit histogram(std::vector<double> bounds);
  void observe(double v);
  // Adds `n` observations to the bucket with upper bound index `i` (bounds().size() is
  // +Inf) without a sum: for importing pre-bucketed counts such as writer_stats.
  void set_bucket_count(std::size_t i, std::uint64_t n, double sum_hint);

  const std::vector<double>& bounds() const { return bounds_; }
  std::vector<std::uint64_t> counts() const;  // per bucket, not cumulative; last is +Inf
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

class metric_registry {
 public:
  counter& get_counter(const std::string& name, const std::string& help, metric_labels labels = {});
  gauge& get_gauge(const std::string& name, const std::string& help, metric_labels labels = {});
  // The bounds of the first registration of `name` win for all its label sets.
  histogram& get_histogram(const std::string& name, const std::string& help,
                           std::vector<double> bounds, metric_labels labels = {});

  // Prometheus text format 0.0.4, families sorted by name.
  std::string render() const;

 private:
  enum class type { counter, gauge, histogram };
  struct family {
    type kind;
    std::string help;
    std::vector<double> bounds;
    std::map<metric_labels, std::unique_ptr<counter>> counters;
    std::map<metric_labels, std::unique_ptr<gauge>> gauges;
    std::map<metric_labels, std::unique_ptr<histogram>> histograms;
  };
  family& family_for(const std::string& name, const std::string& help, type kind);

  mutable std::mutex mutex_;
  std::map<std::string, family> families_;
};

// Escapes a label value for the text format: backslash, double quote and newline.
std::string escape_label_value(const std::string& v);

}  // namespace reglament
