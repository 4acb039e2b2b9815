// DaemonMetrics: the metrics of acdd itself, read at scrape time from the
// parts that keep them (lock-free counters and atomics):
//
//   acd_store_up, acd_store_events_committed_total, acd_store_uncommitted_events,
//   acd_streams_open{kind}, acd_stream_cutoffs_total{kind},
//   acd_config_reloads_total{result}, acd_config_info{sha256}
//
// The instruments updated as things happen live in the daemon's registry
// beside it: acd_store_commit_seconds and acd_store_batch_events (store
// thread, MakeCommitObserver), acd_grpc_* (rpc::RequestObserver),
// acd_build_info and acd_restore_seconds.
//
// Thread safety: Collect() may run on any thread; the sources must outlive
// the collector.
#ifndef ACD_SERVER_APP_DAEMON_METRICS_H_
#define ACD_SERVER_APP_DAEMON_METRICS_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/time/time.h"
#include "prometheus/collectable.h"
#include "prometheus/registry.h"
#include "server/rpc/stream_limiter.h"
#include "server/runtime/config_manager.h"
#include "server/runtime/runtime.h"

namespace acd::app {

class DaemonMetrics : public prometheus::Collectable {
 public:
  // `first_seq`: the store's last seq when the daemon started, so committed
  // events count from 0 at each start, as Prometheus counters do.
  DaemonMetrics(const runtime::Runtime* runtime, const runtime::ConfigManager* config,
                const rpc::StreamLimiter* streams, int64_t first_seq)
      : runtime_(runtime), config_(config), streams_(streams), first_seq_(first_seq) {}

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const runtime::Runtime* const runtime_;
  const runtime::ConfigManager* const config_;
  const rpc::StreamLimiter* const streams_;
  const int64_t first_seq_;
};

// A StoreOptions::observe_commit that records each commit's duration and
// events in histograms of `registry` (which must outlive it).
std::function<void(size_t events, absl::Duration took)> MakeCommitObserver(
    prometheus::Registry& registry);

// Sets acd_build_info{version} and acd_restore_seconds in `registry`.
void RecordStartup(prometheus::Registry& registry, absl::Duration restore);

}  // namespace acd::app

#endif  // ACD_SERVER_APP_DAEMON_METRICS_H_
