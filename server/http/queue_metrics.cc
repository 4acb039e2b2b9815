#include "server/http/queue_metrics.h"

#include <future>
#include <memory>
#include <string>
#include <utility>

#include "server/http/metric_family.h"

namespace acd::http {
namespace {

using prometheus::MetricType;

Labels Queue(const std::string& queue) { return {{"queue", queue}}; }
Labels Queue(const std::string& queue, std::string key, std::string value) {
  return {{"queue", queue}, {std::move(key), std::move(value)}};
}

void AddLive(const std::vector<QueueSnapshot>& queues, std::vector<prometheus::MetricFamily>* out) {
  FamilyBuilder calls("acd_queue_calls", "Live calls of the queue by state.", MetricType::Gauge);
  FamilyBuilder agents("acd_queue_agents", "Member agents of the queue by state.",
                       MetricType::Gauge);
  FamilyBuilder longest("acd_queue_longest_wait_seconds",
                        "Wait of the queue's oldest waiting call (0 when none waits).",
                        MetricType::Gauge);
  FamilyBuilder estimated("acd_queue_estimated_wait_seconds",
                          "What a call arriving now would wait; absent with no agent staffed.",
                          MetricType::Gauge);
  FamilyBuilder open("acd_queue_open", "1 while the queue's schedule has it open, else 0.",
                     MetricType::Gauge);
  FamilyBuilder callbacks("acd_callbacks_pending",
                          "Callbacks of the queue waiting for an agent or a retry.",
                          MetricType::Gauge);
  for (const QueueSnapshot& q : queues) {
    const core::QueueStats& s = q.stats;
    const std::pair<core::CallState, int> by_call_state[] = {
        {core::CallState::kQueued, s.queued},
        {core::CallState::kOffered, s.offered},
        {core::CallState::kConnected, s.connected},
        {core::CallState::kWrapUp, s.wrap_up}};
    for (const auto& [state, n] : by_call_state) {
      calls.Add(Queue(s.queue, "state", std::string(core::CallStateName(state))), n);
    }
    const std::pair<core::AgentState, int> by_agent_state[] = {
        {core::AgentState::kLoggedOut, s.agents_logged_out},
        {core::AgentState::kAvailable, s.agents_available},
        {core::AgentState::kReserved, s.agents_reserved},
        {core::AgentState::kBusy, s.agents_busy},
        {core::AgentState::kWrapUp, s.agents_wrap_up},
        {core::AgentState::kAway, s.agents_away}};
    for (const auto& [state, n] : by_agent_state) {
      agents.Add(Queue(s.queue, "state", std::string(core::AgentStateName(state))), n);
    }
    longest.Add(Queue(s.queue), Seconds(s.longest_wait));
    if (s.estimated_wait) estimated.Add(Queue(s.queue), Seconds(*s.estimated_wait));
    open.Add(Queue(s.queue), s.open ? 1 : 0);
    callbacks.Add(Queue(s.queue), s.callbacks_pending);
  }
  calls.AppendTo(out);
  agents.AppendTo(out);
  longest.AppendTo(out);
  estimated.AppendTo(out);
  open.AppendTo(out);
  callbacks.AppendTo(out);
}

void AddTraffic(const std::vector<QueueSnapshot>& queues,
                std::vector<prometheus::MetricFamily>* out) {
  FamilyBuilder offered("acd_calls_offered_total",
                        "Calls that entered the queue: arrivals, overflows and transfers in.",
                        MetricType::Counter);
  FamilyBuilder calls("acd_calls_total",
                      "Calls by what happened to them in the queue (config/README.md#kpis).",
                      MetricType::Counter);
  FamilyBuilder offers("acd_offers_total", "Offers of the queue's calls to agents, by result.",
                       MetricType::Counter);
  FamilyBuilder waits("acd_call_wait_seconds", "Waits of answered calls, from arrival.",
                      MetricType::Histogram);
  FamilyBuilder handles("acd_call_handle_seconds",
                        "Handle times (talk + wrap-up) of completed calls.", MetricType::Histogram);
  for (const QueueSnapshot& q : queues) {
    const std::string& name = q.stats.queue;
    const core::QueueTotals totals = q.totals.value_or(core::QueueTotals{});
    const core::CallTally& c = totals.calls;
    offered.Add(Queue(name), static_cast<double>(c.offered));
    // Abandons within the short-abandon threshold are misdials: their own outcome.
    const std::pair<const char*, int64_t> outcomes[] = {
        {"answered", c.answered},
        {"abandoned", c.abandoned - c.short_abandoned},
        {"short_abandoned", c.short_abandoned},
        {"timed_out", c.timed_out},
        {"overflowed", c.overflowed},
        {"rejected", q.stats.rejected},
        {"transferred_out", c.transfers},
        {"callback_requested", c.callbacks}};
    for (const auto& [outcome, n] : outcomes) {
      calls.Add(Queue(name, "outcome", outcome), static_cast<double>(n));
    }
    const core::OfferTally& o = totals.offers;
    const std::pair<const char*, int64_t> results[] = {{"accepted", o.accepted},
                                                       {"rejected", o.rejected},
                                                       {"timed_out", o.timed_out},
                                                       {"withdrawn", o.withdrawn}};
    for (const auto& [result, n] : results) {
      offers.Add(Queue(name, "result", result), static_cast<double>(n));
    }
    waits.Add(Queue(name), totals.answer_waits);
    handles.Add(Queue(name), totals.handle_times);
  }
  offered.AppendTo(out);
  calls.AppendTo(out);
  offers.AppendTo(out);
  waits.AppendTo(out);
  handles.AppendTo(out);
}

void AddKpis(const std::vector<QueueSnapshot>& queues, std::vector<prometheus::MetricFamily>* out) {
  FamilyBuilder service_level(
      "acd_queue_service_level_ratio",
      "Answered within the threshold / (answered + abandoned - short abandons).",
      MetricType::Gauge);
  FamilyBuilder abandonment("acd_queue_abandonment_ratio",
                            "(Abandoned - short abandons) / (offered - short abandons).",
                            MetricType::Gauge);
  FamilyBuilder asa("acd_queue_asa_seconds", "Average speed of answer.", MetricType::Gauge);
  FamilyBuilder aht("acd_queue_aht_seconds", "Average handle time (talk + wrap-up).",
                    MetricType::Gauge);
  FamilyBuilder occupancy("acd_queue_occupancy_ratio",
                          "Member agents' handling time / (handling + available time).",
                          MetricType::Gauge);
  for (const QueueSnapshot& q : queues) {
    if (!q.kpis) continue;
    const std::pair<const char*, const core::KpiFigures*> spans[] = {{"window", &q.kpis->window},
                                                                     {"today", &q.kpis->today}};
    for (const auto& [span, f] : spans) {
      Labels labels = Queue(q.stats.queue, "span", span);
      if (f->service_level) service_level.Add(labels, *f->service_level);
      if (f->abandonment_rate) abandonment.Add(labels, *f->abandonment_rate);
      if (f->asa) asa.Add(labels, Seconds(*f->asa));
      if (f->aht) aht.Add(labels, Seconds(*f->aht));
      if (f->occupancy) occupancy.Add(labels, *f->occupancy);
    }
  }
  service_level.AppendTo(out);
  abandonment.AppendTo(out);
  asa.AppendTo(out);
  aht.AppendTo(out);
  occupancy.AppendTo(out);
}

}  // namespace

std::vector<QueueSnapshot> TakeQueueSnapshot(const core::Engine& engine,
                                             const core::LiveStats& stats, absl::Time now) {
  std::vector<QueueSnapshot> queues;
  for (const core::QueueConfig& config : engine.Queues()) {
    absl::StatusOr<core::QueueStats> live = engine.GetQueueStats(config.name, now);
    if (!live.ok()) continue;
    QueueSnapshot& q = queues.emplace_back();
    q.stats = *std::move(live);
    q.kpis = stats.Queue(config.name, now);
    if (const core::QueueTotals* totals = stats.Totals(config.name)) q.totals = *totals;
  }
  return queues;
}

std::vector<prometheus::MetricFamily> QueueFamilies(const std::vector<QueueSnapshot>& queues) {
  std::vector<prometheus::MetricFamily> out;
  AddLive(queues, &out);
  AddTraffic(queues, &out);
  AddKpis(queues, &out);
  return out;
}

std::vector<prometheus::MetricFamily> QueueCollector::Collect() const {
  using Snapshot = std::vector<QueueSnapshot>;
  // Shared with the engine thread, which may answer after this gave up.
  auto answer = std::make_shared<std::promise<absl::StatusOr<Snapshot>>>();
  std::future<absl::StatusOr<Snapshot>> snapshot = answer->get_future();
  runtime::Runtime* runtime = runtime_;
  runtime_->Read<Snapshot>(
      [runtime](const core::Engine& engine, absl::Time now) -> absl::StatusOr<Snapshot> {
        return TakeQueueSnapshot(engine, runtime->live_stats(), now);
      },
      [answer](absl::StatusOr<Snapshot> result) { answer->set_value(std::move(result)); });
  if (snapshot.wait_for(absl::ToChronoNanoseconds(timeout_)) != std::future_status::ready) {
    return {};
  }
  absl::StatusOr<Snapshot> queues = snapshot.get();
  if (!queues.ok()) return {};
  return QueueFamilies(*queues);
}

}  // namespace acd::http
