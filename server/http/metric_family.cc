#include "server/http/metric_family.h"

#include <limits>

namespace acd::http {

FamilyBuilder& FamilyBuilder::Add(Labels labels, double value) {
  prometheus::ClientMetric& m = family_.metric.emplace_back();
  m.label = std::move(labels);
  switch (family_.type) {
    case prometheus::MetricType::Counter:
      m.counter.value = value;
      break;
    case prometheus::MetricType::Gauge:
      m.gauge.value = value;
      break;
    default:
      m.untyped.value = value;
      break;
  }
  return *this;
}

FamilyBuilder& FamilyBuilder::Add(Labels labels, const core::DurationHistogram& histogram) {
  prometheus::ClientMetric& m = family_.metric.emplace_back();
  m.label = std::move(labels);
  m.histogram.sample_count = static_cast<uint64_t>(histogram.count());
  m.histogram.sample_sum = Seconds(histogram.sum());
  uint64_t cumulative = 0;
  for (size_t i = 0; i < histogram.counts().size(); ++i) {
    cumulative += static_cast<uint64_t>(histogram.counts()[i]);
    const double bound = i < histogram.bounds().size() ? Seconds(histogram.bounds()[i])
                                                       : std::numeric_limits<double>::infinity();
    m.histogram.bucket.push_back({.cumulative_count = cumulative, .upper_bound = bound});
  }
  return *this;
}

void FamilyBuilder::AppendTo(std::vector<prometheus::MetricFamily>* out) {
  if (!family_.metric.empty()) out->push_back(std::move(family_));
  family_.metric.clear();
}

}  // namespace acd::http
