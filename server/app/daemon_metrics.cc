#include "server/app/daemon_metrics.h"

#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "server/http/metric_family.h"

#ifndef ACD_VERSION
#define ACD_VERSION "unknown"
#endif

namespace acd::app {

using http::FamilyBuilder;
using prometheus::MetricType;

std::vector<prometheus::MetricFamily> DaemonMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  FamilyBuilder("acd_store_up",
                "1 while the store commits, 0 from a failed commit until one succeeds.",
                MetricType::Gauge)
      .Add({}, runtime_->store_healthy() ? 1 : 0)
      .AppendTo(&out);
  const int64_t committed = runtime_->committed_seq();
  FamilyBuilder("acd_store_events_committed_total", "Events committed to the store by this run.",
                MetricType::Counter)
      .Add({}, static_cast<double>(committed - first_seq_))
      .AppendTo(&out);
  FamilyBuilder("acd_store_uncommitted_events", "Events handed to the store and not yet committed.",
                MetricType::Gauge)
      .Add({}, static_cast<double>(std::max<int64_t>(0, runtime_->appended_seq() - committed)))
      .AppendTo(&out);

  FamilyBuilder open("acd_streams_open", "Open server streams, by kind.", MetricType::Gauge);
  FamilyBuilder cutoffs("acd_stream_cutoffs_total",
                        "Streams cut off for falling too far behind, by kind.",
                        MetricType::Counter);
  FamilyBuilder buffered("acd_stream_buffered_bytes",
                         "Bytes of messages waiting in acdd for stream clients, by kind.",
                         MetricType::Gauge);
  for (rpc::StreamKind kind : rpc::kStreamKinds) {
    http::Labels labels = {{"kind", std::string(rpc::StreamKindName(kind))}};
    open.Add(labels, streams_->live(kind));
    cutoffs.Add(labels, static_cast<double>(streams_->cutoffs(kind)));
    buffered.Add(labels, static_cast<double>(streams_->buffered_bytes(kind)));
  }
  open.AppendTo(&out);
  cutoffs.AppendTo(&out);
  buffered.AppendTo(&out);

  FamilyBuilder("acd_config_reloads_total", "Config reloads by result.", MetricType::Counter)
      .Add({{"result", "applied"}}, static_cast<double>(config_->reloads_applied()))
      .Add({{"result", "refused"}}, static_cast<double>(config_->reloads_refused()))
      .AppendTo(&out);
  FamilyBuilder("acd_config_info", "The config in force: 1, labelled with its SHA-256.",
                MetricType::Gauge)
      .Add({{"sha256", config_->current_hash()}}, 1)
      .AppendTo(&out);
  return out;
}

std::function<void(size_t events, absl::Duration took)> MakeCommitObserver(
    prometheus::Registry& registry) {
  prometheus::Histogram& seconds =
      prometheus::BuildHistogram()
          .Name("acd_store_commit_seconds")
          .Help("Time to commit one transaction of events (group commit), fsync included.")
          .Register(registry)
          .Add({}, prometheus::Histogram::BucketBoundaries{0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                           0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                           1});
  prometheus::Histogram& events =
      prometheus::BuildHistogram()
          .Name("acd_store_batch_events")
          .Help("Events per committed transaction.")
          .Register(registry)
          .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256, 512,
                                                           1024, 2048, 4096});
  return [&seconds, &events](size_t n, absl::Duration took) {
    seconds.Observe(absl::ToDoubleSeconds(took));
    events.Observe(static_cast<double>(n));
  };
}

void RecordStartup(prometheus::Registry& registry, absl::Duration restore) {
  prometheus::BuildGauge()
      .Name("acd_build_info")
      .Help("The running acdd: 1, labelled with its version.")
      .Register(registry)
      .Add({{"version", ACD_VERSION}})
      .Set(1);
  prometheus::BuildGauge()
      .Name("acd_restore_seconds")
      .Help("Time the last start took to restore the live state and KPIs from the store.")
      .Register(registry)
      .Add({})
      .Set(absl::ToDoubleSeconds(restore));
}

}  // namespace acd::app
