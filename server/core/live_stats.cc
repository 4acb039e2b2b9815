#include "server/core/live_stats.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace acd::core {
namespace {

// The engine's reason on a call_queued event that overflowed at admission:
// "overflowed from a,b" (engine_calls.cc, EnqueueCall).
constexpr absl::string_view kQueuedViaPrefix = "overflowed from ";
// Overflow and transfer reasons end in " from <queue>" (engine_routing.cc,
// MoveToQueue): used only for a call LiveStats did not see arrive.
constexpr absl::string_view kFromMarker = " from ";

}  // namespace

absl::Duration AgentTime::Handling() const {
  return (*this)[AgentState::kReserved] + (*this)[AgentState::kBusy] + (*this)[AgentState::kWrapUp];
}

absl::Duration AgentTime::Idle() const { return (*this)[AgentState::kAvailable]; }

AgentTime& AgentTime::operator+=(const AgentTime& other) {
  for (int i = 0; i < kAgentStateCount; ++i) in_state[i] += other.in_state[i];
  return *this;
}

KpiSpan& KpiSpan::operator+=(const KpiSpan& other) {
  calls += other.calls;
  agent_time += other.agent_time;
  return *this;
}

KpiFigures Figures(const KpiSpan& span, absl::Time from) {
  KpiFigures f;
  f.from = from;
  f.calls = span.calls;
  f.agent_time = span.agent_time;
  f.service_level = ServiceLevel(span.calls);
  f.abandonment_rate = AbandonmentRate(span.calls);
  f.asa = AverageSpeedOfAnswer(span.calls);
  f.aht = AverageHandleTime(span.calls);
  f.occupancy = Occupancy(span.agent_time.Handling(), span.agent_time.Idle());
  return f;
}

void DurationHistogram::Add(absl::Duration d) {
  size_t bucket =
      static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), d) - bounds_.begin());
  ++counts_[bucket];
  ++count_;
  sum_ += d;
}

absl::Status ValidateStatsWindow(absl::Duration window) {
  if (window < kMinStatsWindow || window > kMaxStatsWindow ||
      window % absl::Minutes(1) != absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "stats window ", absl::FormatDuration(window), " must be whole minutes from ",
        absl::FormatDuration(kMinStatsWindow), " to ", absl::FormatDuration(kMaxStatsWindow)));
  }
  return absl::OkStatus();
}

// --- Ring ---

LiveStats::Ring::Ring(absl::Duration window, absl::Duration bucket) : bucket_(bucket) {
  absl::Duration rem;
  // The whole buckets of the window, plus the one in progress.
  int64_t whole = std::max<int64_t>(1, absl::IDivDuration(window, bucket, &rem));
  buckets_.resize(static_cast<size_t>(whole + 1));
}

int64_t LiveStats::Ring::Index(absl::Time t) const {
  absl::Duration rem;
  int64_t i = absl::IDivDuration(t - absl::UnixEpoch(), bucket_, &rem);
  if (rem < absl::ZeroDuration()) --i;  // floor before the epoch
  return i;
}

KpiSpan* LiveStats::Ring::At(absl::Time t) {
  int64_t i = Index(t);
  Bucket& b = Slot(i);
  if (b.index > i) return nullptr;  // t is older than the window kept
  if (b.index < i) {
    b.index = i;
    b.span = KpiSpan{};
  }
  return &b.span;
}

absl::Time LiveStats::Ring::Start(absl::Time now) const {
  int64_t first = Index(now) - static_cast<int64_t>(buckets_.size()) + 1;
  return absl::UnixEpoch() + bucket_ * first;
}

void LiveStats::Ring::AddTime(AgentState state, absl::Time from, absl::Time to) {
  absl::Time t = std::max(from, Start(to));
  // One step per bucket: at most buckets_.size() + 1 steps.
  while (t < to) {
    absl::Time bucket_end = absl::UnixEpoch() + bucket_ * (Index(t) + 1);
    absl::Time end = std::min(bucket_end, to);
    if (KpiSpan* span = At(t)) span->agent_time[state] += end - t;
    t = end;
  }
}

KpiSpan LiveStats::Ring::Sum(absl::Time now) const {
  int64_t last = Index(now);
  int64_t first = last - static_cast<int64_t>(buckets_.size()) + 1;
  KpiSpan sum;
  for (const Bucket& b : buckets_) {
    if (b.index >= first && b.index <= last) sum += b.span;
  }
  return sum;
}

std::vector<LiveStatsCheckpoint::Bucket> LiveStats::Ring::InUse() const {
  std::vector<LiveStatsCheckpoint::Bucket> in_use;
  for (const Bucket& b : buckets_) {
    if (b.index != INT64_MIN) in_use.push_back({b.index, b.span});
  }
  return in_use;
}

LiveStats::Ring::Bucket& LiveStats::Ring::Slot(int64_t index) {
  const int64_t n = static_cast<int64_t>(buckets_.size());
  return buckets_[static_cast<size_t>(((index % n) + n) % n)];
}

void LiveStats::Ring::Put(const LiveStatsCheckpoint::Bucket& bucket) {
  Bucket& b = Slot(bucket.index);
  if (b.index > bucket.index) return;
  b.index = bucket.index;
  b.span = bucket.span;
}

// --- Day ---

void LiveStats::Day::Roll(absl::Time t, absl::TimeZone zone) {
  absl::CivilDay d = absl::ToCivilDay(t, zone);
  if (start != absl::InfiniteFuture() && d == day) return;
  day = d;
  start = absl::FromCivil(d, zone);
  span = KpiSpan{};
}

void LiveStats::Day::AddTime(AgentState state, absl::Time from, absl::Time to) {
  absl::Time t = std::max(from, start);
  if (t < to) span.agent_time[state] += to - t;
}

std::pair<KpiSpan, absl::Time> LiveStats::TodayAt(const Day& day, absl::TimeZone zone,
                                                  absl::Time now) {
  absl::CivilDay d = absl::ToCivilDay(now, zone);
  absl::Time start = absl::FromCivil(d, zone);
  if (day.start != absl::InfiniteFuture() && day.day == d) return {day.span, start};
  return {KpiSpan{}, start};
}

// --- LiveStats ---

LiveStats::LiveStats(LiveStatsOptions options) : options_(options) {}

LiveStats::QueueSlot& LiveStats::QueueAt(const std::string& name) {
  auto it = queues_.find(name);
  if (it == queues_.end()) it = queues_.emplace(name, std::make_unique<QueueSlot>(options_)).first;
  return *it->second;
}

LiveStats::AgentSlot& LiveStats::AgentAt(const std::string& agent_id, absl::Time now) {
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) {
    it = agents_.emplace(agent_id, std::make_unique<AgentSlot>(options_)).first;
    it->second->since = now;
  }
  return *it->second;
}

void LiveStats::Configure(const RoutingConfig& config, const LiveStatsOptions& options,
                          absl::Time now) {
  bool new_window = options.window != options_.window || options.bucket != options_.bucket;
  options_ = options;
  if (new_window) {
    for (auto& [name, q] : queues_) q->ring = Ring(options_.window, options_.bucket);
    for (auto& [id, a] : agents_) a->ring = Ring(options_.window, options_.bucket);
  }
  absl::flat_hash_map<std::string, absl::TimeZone> zones;
  for (const Schedule& s : config.schedules) zones[s.name] = s.zone;
  for (auto& [name, q] : queues_) {
    q->members.clear();
    q->zone = options_.zone;
  }
  for (const QueueConfig& qc : config.queues) {
    QueueSlot& q = QueueAt(qc.name);
    q.thresholds = KpiThresholds{qc.service_level_threshold, qc.short_abandon};
    auto zone = zones.find(qc.schedule);
    q.zone = qc.schedule.empty() || zone == zones.end() ? options_.zone : zone->second;
  }
  for (auto& [id, a] : agents_) {
    Accrue(*a, now);  // time so far belongs to the old memberships
    a->queues.clear();
  }
  for (const AgentConfig& ac : config.agents) {
    AgentSlot& a = AgentAt(ac.agent_id, now);
    a.queues = ac.queues;
    for (const std::string& q : ac.queues) QueueAt(q).members.push_back(ac.agent_id);
  }
  for (auto& [name, q] : queues_) std::sort(q->members.begin(), q->members.end());
}

template <typename Fn>
void LiveStats::CountQueue(const std::string& queue, absl::Time t, Fn count) {
  QueueSlot& q = QueueAt(queue);
  q.today.Roll(t, q.zone);
  count(q.today.span.calls, q.thresholds);
  if (KpiSpan* span = q.ring.At(t)) count(span->calls, q.thresholds);
  if (!replaying_) count(q.totals.calls, q.thresholds);
}

template <typename Fn>
void LiveStats::CountAgent(const std::string& agent_id, absl::Time t, Fn count) {
  AgentSlot& a = AgentAt(agent_id, t);
  a.today.Roll(t, options_.zone);
  count(a.today.span.calls);
  if (KpiSpan* span = a.ring.At(t)) count(span->calls);
}

void LiveStats::TrackAgent(const core::Agent& snapshot, absl::Time t) {
  AgentSlot& a = AgentAt(snapshot.agent_id, t);
  if (snapshot.state == a.state) return;
  Accrue(a, t);
  a.state = snapshot.state;
}

void LiveStats::Accrue(AgentSlot& a, absl::Time t) {
  if (a.since < t) {
    a.today.Roll(t, options_.zone);
    a.today.AddTime(a.state, a.since, t);
    a.ring.AddTime(a.state, a.since, t);
    for (const std::string& name : a.queues) {
      QueueSlot& q = QueueAt(name);
      q.today.Roll(t, q.zone);
      q.today.AddTime(a.state, a.since, t);
      q.ring.AddTime(a.state, a.since, t);
    }
    a.since = t;
  }
}

absl::Time LiveStats::Horizon(absl::Time now) const {
  auto midnight = [now](absl::TimeZone zone) {
    return absl::FromCivil(absl::ToCivilDay(now, zone), zone);
  };
  absl::Time earliest = std::min(now - options_.window - options_.bucket, midnight(options_.zone));
  for (const auto& [name, queue] : queues_) earliest = std::min(earliest, midnight(queue->zone));
  return earliest;
}

void LiveStats::OnEvent(const Event& e, Feed feed) {
  replaying_ = feed == Feed::kReplayed;
  if (e.agent) TrackAgent(*e.agent, e.time);
  if (e.call) {
    OnCallEvent(e);
    if (!replaying_) CountOffer(e);
  }
}

void LiveStats::CountOffer(const Event& e) {
  OfferTally& offers = QueueAt(e.call->queue).totals.offers;
  switch (e.type) {
    case EventType::kCallOffered:
      ++offers.made;
      break;
    case EventType::kCallConnected:
      ++offers.accepted;
      break;
    case EventType::kOfferRejected:
      ++offers.rejected;
      break;
    case EventType::kOfferTimedOut:
      ++offers.timed_out;
      break;
    case EventType::kOfferWithdrawn:
      ++offers.withdrawn;
      break;
    default:
      break;
  }
}

void LiveStats::OnCallEvent(const Event& e) {
  const Call& call = *e.call;
  const absl::Time t = e.time;
  auto offered = [](CallTally& c, const KpiThresholds&) { ++c.offered; };
  auto overflowed = [](CallTally& c, const KpiThresholds&) { ++c.overflowed; };
  auto tracked = calls_.find(call.call_id);
  switch (e.type) {
    case EventType::kCallQueued: {
      if (absl::StartsWith(e.reason, kQueuedViaPrefix)) {
        for (absl::string_view via :
             absl::StrSplit(e.reason.substr(kQueuedViaPrefix.size()), ',', absl::SkipEmpty())) {
          CountQueue(std::string(via), t, offered);
          CountQueue(std::string(via), t, overflowed);
        }
      }
      CountQueue(call.queue, t, offered);
      calls_[call.call_id] = CallTrack{call.queue, call.transfers, call.enqueued_at};
      break;
    }
    case EventType::kCallOverflowed: {
      std::string from;
      if (tracked != calls_.end()) {
        from = tracked->second.queue;
      } else if (size_t at = absl::string_view(e.reason).rfind(kFromMarker);
                 at != std::string::npos) {
        from = e.reason.substr(at + kFromMarker.size());
      }
      if (!from.empty()) CountQueue(from, t, overflowed);
      CountQueue(call.queue, t, offered);
      CallTrack& track = calls_[call.call_id];
      if (tracked == calls_.end()) track = CallTrack{"", call.transfers, call.enqueued_at};
      track.queue = call.queue;
      break;
    }
    case EventType::kCallTransferred: {
      if (tracked == calls_.end()) {
        // Not seen arriving: count what the event alone says.
        CountQueue(call.queue, t, offered);
        calls_[call.call_id] = CallTrack{call.queue, call.transfers, t};
        break;
      }
      CallTrack& track = tracked->second;
      if (call.transfers > track.transfers) {
        CountQueue(track.queue, t, [](CallTally& c, const KpiThresholds&) { ++c.transfers; });
        CountQueue(call.queue, t, offered);
        track.wait_from = t;
      } else if (call.queue != track.queue) {
        // A transfer to an agent not taken, moving on to its fallback queue.
        CountQueue(track.queue, t, overflowed);
        CountQueue(call.queue, t, offered);
      }
      track.queue = call.queue;
      track.transfers = call.transfers;
      break;
    }
    case EventType::kCallConnected: {
      if (call.callback_requested_at) break;  // counted as a callback
      absl::Time from = tracked != calls_.end() ? tracked->second.wait_from : call.enqueued_at;
      CountQueue(call.queue, t, [wait = t - from](CallTally& c, const KpiThresholds& th) {
        c.AddAnswered(wait, th);
      });
      if (!replaying_) QueueAt(call.queue).totals.answer_waits.Add(t - from);
      break;
    }
    case EventType::kCallAbandoned: {
      absl::Time from = tracked != calls_.end() ? tracked->second.wait_from : call.enqueued_at;
      CountQueue(call.queue, t, [wait = t - from](CallTally& c, const KpiThresholds& th) {
        c.AddAbandoned(wait, th);
      });
      if (tracked != calls_.end()) calls_.erase(tracked);
      break;
    }
    case EventType::kCallTimedOut:
    case EventType::kCallbackWithdrawn:
      CountQueue(call.queue, t, [](CallTally& c, const KpiThresholds&) { ++c.timed_out; });
      if (tracked != calls_.end()) calls_.erase(tracked);
      break;
    case EventType::kCallbackRequested:
      CountQueue(call.queue, t, [](CallTally& c, const KpiThresholds&) { ++c.callbacks; });
      break;
    case EventType::kCallCompleted: {
      absl::Duration talk = absl::ZeroDuration();
      absl::Duration wrap_up = absl::ZeroDuration();
      if (call.connected_at && call.ended_at) talk = *call.ended_at - *call.connected_at;
      if (call.ended_at && call.completed_at) wrap_up = *call.completed_at - *call.ended_at;
      CountQueue(call.queue, t,
                 [&](CallTally& c, const KpiThresholds&) { c.AddHandled(talk, wrap_up); });
      if (!replaying_) QueueAt(call.queue).totals.handle_times.Add(talk + wrap_up);
      if (!e.agent_id.empty()) {
        CountAgent(e.agent_id, t, [&](CallTally& c) { c.AddHandled(talk, wrap_up); });
      }
      if (tracked != calls_.end()) calls_.erase(tracked);
      break;
    }
    default:
      break;
  }
}

void LiveStats::AddRunning(const AgentSlot& agent, absl::Time window_start, absl::Time today_start,
                           absl::Time now, KpiSpan* window, KpiSpan* today) const {
  absl::Time w = std::max(agent.since, window_start);
  if (w < now) window->agent_time[agent.state] += now - w;
  absl::Time d = std::max(agent.since, today_start);
  if (d < now) today->agent_time[agent.state] += now - d;
}

std::optional<QueueKpis> LiveStats::Queue(absl::string_view name, absl::Time now) const {
  auto it = queues_.find(name);
  if (it == queues_.end()) return std::nullopt;
  const QueueSlot& q = *it->second;
  absl::Time window_start = q.ring.Start(now);
  KpiSpan window = q.ring.Sum(now);
  auto [today, today_start] = TodayAt(q.today, q.zone, now);
  for (const std::string& id : q.members) {
    auto a = agents_.find(id);
    if (a != agents_.end()) AddRunning(*a->second, window_start, today_start, now, &window, &today);
  }
  return QueueKpis{std::string(name), Figures(window, window_start), Figures(today, today_start)};
}

std::optional<AgentKpis> LiveStats::Agent(absl::string_view agent_id, absl::Time now) const {
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) return std::nullopt;
  const AgentSlot& a = *it->second;
  absl::Time window_start = a.ring.Start(now);
  KpiSpan window = a.ring.Sum(now);
  auto [today, today_start] = TodayAt(a.today, options_.zone, now);
  AddRunning(a, window_start, today_start, now, &window, &today);
  return AgentKpis{std::string(agent_id), a.state, a.since, Figures(window, window_start),
                   Figures(today, today_start)};
}

const QueueTotals* LiveStats::Totals(absl::string_view queue) const {
  auto it = queues_.find(queue);
  return it == queues_.end() ? nullptr : &it->second->totals;
}

std::vector<std::string> LiveStats::Agents(absl::string_view queue) const {
  if (!queue.empty()) {
    auto it = queues_.find(queue);
    return it == queues_.end() ? std::vector<std::string>{} : it->second->members;
  }
  std::vector<std::string> ids;
  ids.reserve(agents_.size());
  for (const auto& [id, a] : agents_) ids.push_back(id);
  return ids;
}

// --- Checkpoints ---

LiveStatsCheckpoint::Spans LiveStats::SpansOf(const Ring& ring, const Day& day) {
  return {ring.InUse(), day.day, day.start, day.span};
}

void LiveStats::RestoreSpans(const LiveStatsCheckpoint::Spans& spans, absl::Duration bucket,
                             Ring* ring, Day* day) {
  day->day = spans.day;
  day->start = spans.day_start;
  day->span = spans.today;
  if (bucket != ring->bucket()) return;
  for (const LiveStatsCheckpoint::Bucket& b : spans.window) ring->Put(b);
}

LiveStatsCheckpoint LiveStats::Checkpoint() const {
  LiveStatsCheckpoint checkpoint;
  checkpoint.bucket = options_.bucket;
  checkpoint.queues.reserve(queues_.size());
  for (const auto& [name, q] : queues_) {
    checkpoint.queues.push_back({name, SpansOf(q->ring, q->today)});
  }
  checkpoint.agents.reserve(agents_.size());
  for (const auto& [id, a] : agents_) {
    checkpoint.agents.push_back({id, SpansOf(a->ring, a->today), a->state, a->since});
  }
  checkpoint.calls.reserve(calls_.size());
  for (const auto& [id, track] : calls_) {
    checkpoint.calls.push_back({id, track.queue, track.transfers, track.wait_from});
  }
  return checkpoint;
}

void LiveStats::Resume(const LiveStatsCheckpoint& checkpoint) {
  for (const LiveStatsCheckpoint::QueueEntry& e : checkpoint.queues) {
    QueueSlot& q = QueueAt(e.queue);
    q.ring = Ring(options_.window, options_.bucket);
    RestoreSpans(e.spans, checkpoint.bucket, &q.ring, &q.today);
  }
  for (const LiveStatsCheckpoint::AgentEntry& e : checkpoint.agents) {
    AgentSlot& a = AgentAt(e.agent_id, e.since);
    a.ring = Ring(options_.window, options_.bucket);
    RestoreSpans(e.spans, checkpoint.bucket, &a.ring, &a.today);
    a.state = e.state;
    a.since = e.since;
  }
  calls_.clear();
  calls_.reserve(checkpoint.calls.size());
  for (const LiveStatsCheckpoint::CallEntry& e : checkpoint.calls) {
    calls_[e.call_id] = CallTrack{e.queue, e.transfers, e.wait_from};
  }
}

}  // namespace acd::core
