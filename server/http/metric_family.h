// Metric families built by hand, for collectors that read their values at
// scrape time (the engine's snapshot, the daemon's counters) rather than
// keeping prometheus-cpp instruments up to date on a hot path.
//
// Thread safety: a value type; one thread builds it.
#ifndef ACD_SERVER_HTTP_METRIC_FAMILY_H_
#define ACD_SERVER_HTTP_METRIC_FAMILY_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "prometheus/metric_family.h"
#include "server/core/live_stats.h"

namespace acd::http {

using Labels = std::vector<prometheus::ClientMetric::Label>;

class FamilyBuilder {
 public:
  FamilyBuilder(std::string name, std::string help, prometheus::MetricType type) {
    family_.name = std::move(name);
    family_.help = std::move(help);
    family_.type = type;
  }

  // A gauge's or a counter's sample.
  FamilyBuilder& Add(Labels labels, double value);
  // A histogram of durations, in seconds.
  FamilyBuilder& Add(Labels labels, const core::DurationHistogram& histogram);

  // Moves the family to the end of `out`, unless it has no sample
  // (Prometheus then shows the metric absent, as it should be).
  void AppendTo(std::vector<prometheus::MetricFamily>* out);

 private:
  prometheus::MetricFamily family_;
};

inline double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

}  // namespace acd::http

#endif  // ACD_SERVER_HTTP_METRIC_FAMILY_H_
