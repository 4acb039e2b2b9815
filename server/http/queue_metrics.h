// The per-queue metrics of /metrics: live counts, traffic counters and
// histograms, and the live KPIs, labelled by queue only (never by call or
// agent: an agent's state is a count per queue and state).
//
//   live     acd_queue_calls{queue,state}, acd_queue_longest_wait_seconds,
//            acd_queue_estimated_wait_seconds, acd_queue_agents{queue,state},
//            acd_queue_open, acd_callbacks_pending
//   traffic  acd_calls_offered_total, acd_calls_total{queue,outcome},
//            acd_offers_total{queue,result}, acd_call_wait_seconds,
//            acd_call_handle_seconds (histograms)
//   KPIs     acd_queue_{service_level,abandonment,occupancy}_ratio{queue,span},
//            acd_queue_{asa,aht}_seconds{queue,span}, span = window | today
//
// The traffic counters are core::LiveStats' totals (the KPIs' counting
// rules, since the daemon started) plus the engine's rejections, so they
// agree with the live KPIs and, for calls that stay in one queue, with
// GetReport over the same span. A KPI with nothing to rate is absent, not 0.
//
// A scrape reads one snapshot of every queue on the engine thread
// (Runtime::Read): the engine thread takes no lock for metrics, and the
// scrape's thread waits at most `timeout` for it.
//
// Thread safety: Collect() may run on any thread, concurrently.
#ifndef ACD_SERVER_HTTP_QUEUE_METRICS_H_
#define ACD_SERVER_HTTP_QUEUE_METRICS_H_

#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "server/core/engine.h"
#include "server/core/live_stats.h"
#include "server/runtime/runtime.h"

namespace acd::http {

struct QueueSnapshot {
  core::QueueStats stats;
  std::optional<core::QueueKpis> kpis;
  std::optional<core::QueueTotals> totals;
};

// Engine thread: every queue of `engine`, in name order.
std::vector<QueueSnapshot> TakeQueueSnapshot(const core::Engine& engine,
                                             const core::LiveStats& stats, absl::Time now);

// The metric families of a snapshot.
std::vector<prometheus::MetricFamily> QueueFamilies(const std::vector<QueueSnapshot>& queues);

class QueueCollector : public prometheus::Collectable {
 public:
  QueueCollector(runtime::Runtime* runtime, absl::Duration timeout = absl::Seconds(5))
      : runtime_(runtime), timeout_(timeout) {}

  // The families of a fresh snapshot; none when the engine does not answer
  // (shutting down, or busier than `timeout`).
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  runtime::Runtime* const runtime_;
  const absl::Duration timeout_;
};

}  // namespace acd::http

#endif  // ACD_SERVER_HTTP_QUEUE_METRICS_H_
