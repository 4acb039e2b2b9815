// LiveStats: live KPIs per queue and per agent, over a sliding window and
// since local midnight, accumulated from the engine's events.
//
// Feeding: OnEvent() takes every event the engine emits, in seq order. Each
// event carries the call and/or agent after the change (types.h), which is all
// LiveStats needs; it reads no clock and keeps no deadline. Time only comes
// from event times and the `now` of reads. The formulas are kpi.h's.
//
// Counting rules (config/README.md#kpis says the same for operators):
//  - offered: in each queue a call enters: on arrival (and in every queue an
//    arriving call overflowed through at admission), on an overflow, on a
//    transfer (to a queue, or to an agent: then in the call's queue).
//  - overflowed: in the queue the call left. A transfer to an agent that the
//    agent did not take and that moves the call to its fallback queue counts
//    as an overflow of the queue it left (not as a second transfer).
//  - transfers: in the queue the call was answered in before it was sent on.
//  - answered / abandoned: in the queue where it happened, with the wait from
//    the call's arrival (or from its last transfer: a transferred call waits
//    anew, and its talk time is not waiting).
//  - timed out: disconnected by a limit, or a callback withdrawn.
//  - callbacks: callback_requested events. A callback that is later connected
//    is not counted as answered (its wait is the caller's choice, not the
//    queue's); its handle time counts in AHT.
//  - handled: completed calls (talk + wrap-up), in the call's queue and for
//    its agent.
//  - agent time: each agent's time in each state; a queue sums the time of
//    its member agents (an agent in two queues counts in both). Occupancy =
//    (reserved + busy + wrap-up) / (that + available).
//
// Totals: besides its spans, each queue keeps what it counted since this
// LiveStats started: the call tally, the offers by result and the
// distributions of answered calls' waits and completed calls' handle times.
// They only grow (Prometheus counters and histograms are read from them), so
// events replayed from the store after a restart (Feed::kReplayed), which
// rebuild the spans, do not count in them.
//
// Spans: the window is a ring of `bucket`-long buckets (aligned to the Unix
// epoch): the last `window` of whole buckets plus the bucket in progress, so
// it spans between window and window + bucket (15 min 0 s .. 15 min 59 s). "Today" starts at the
// last local midnight in the queue's schedule's zone (LiveStatsOptions::zone for queues without one
// and for agents); its counts restart at the first event or read after midnight. Agent time still
// running (the current state) is added at read time, clipped to the span.
//
// Costs: an event is O(buckets x queues of its agent) at worst; a queue read
// is O(buckets + member agents). Memory: a ring per queue and per agent.
//
// Thread safety: none; one thread (the engine thread) owns a LiveStats.
#ifndef ACD_SERVER_CORE_LIVE_STATS_H_
#define ACD_SERVER_CORE_LIVE_STATS_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "server/core/kpi.h"
#include "server/core/types.h"

namespace acd::core {

inline constexpr int kAgentStateCount = 6;  // AgentState values

// Agent time by state.
struct AgentTime {
  std::array<absl::Duration, kAgentStateCount> in_state{};

  absl::Duration& operator[](AgentState s) { return in_state[static_cast<int>(s)]; }
  absl::Duration operator[](AgentState s) const { return in_state[static_cast<int>(s)]; }
  // Reserved + busy + wrap-up: the "handling" of Occupancy().
  absl::Duration Handling() const;
  // Available: the "idle" of Occupancy().
  absl::Duration Idle() const;
  AgentTime& operator+=(const AgentTime& other);
};

// What one span (a bucket, a day) accumulated.
struct KpiSpan {
  CallTally calls;
  AgentTime agent_time;
  KpiSpan& operator+=(const KpiSpan& other);
};

// A span read out: its counts and the kpi.h figures (nullopt: nothing to rate).
struct KpiFigures {
  absl::Time from;  // where the span starts
  CallTally calls;
  AgentTime agent_time;
  std::optional<double> service_level;
  std::optional<double> abandonment_rate;
  std::optional<absl::Duration> asa;
  std::optional<absl::Duration> aht;
  std::optional<double> occupancy;
};
KpiFigures Figures(const KpiSpan& span, absl::Time from);

// How many durations fell in each bucket: counts()[i] those at most
// bounds()[i] (and above the bound before), the last count those above every
// bound. Not cumulative.
class DurationHistogram {
 public:
  explicit DurationHistogram(std::span<const absl::Duration> bounds)
      : bounds_(bounds), counts_(bounds.size() + 1) {}
  void Add(absl::Duration d);
  std::span<const absl::Duration> bounds() const { return bounds_; }
  const std::vector<int64_t>& counts() const { return counts_; }
  int64_t count() const { return count_; }
  absl::Duration sum() const { return sum_; }

 private:
  std::span<const absl::Duration> bounds_;
  std::vector<int64_t> counts_;
  int64_t count_ = 0;
  absl::Duration sum_ = absl::ZeroDuration();
};

// Bucket bounds of the waits of answered calls (service-level thresholds are
// usually 10, 15, 20, 30 or 60 s) and of handle times.
inline constexpr absl::Duration kAnswerWaitBounds[] = {
    absl::Seconds(1),   absl::Seconds(2),  absl::Seconds(5),   absl::Seconds(10),
    absl::Seconds(15),  absl::Seconds(20), absl::Seconds(30),  absl::Seconds(45),
    absl::Seconds(60),  absl::Seconds(90), absl::Seconds(120), absl::Seconds(180),
    absl::Seconds(300), absl::Seconds(600)};
inline constexpr absl::Duration kHandleTimeBounds[] = {
    absl::Seconds(10),  absl::Seconds(30),   absl::Seconds(60),   absl::Seconds(120),
    absl::Seconds(180), absl::Seconds(300),  absl::Seconds(420),  absl::Seconds(600),
    absl::Seconds(900), absl::Seconds(1200), absl::Seconds(1800), absl::Seconds(3600)};

// Offers made to agents, by how they ended.
struct OfferTally {
  int64_t made = 0;
  int64_t accepted = 0;
  int64_t rejected = 0;
  int64_t timed_out = 0;
  int64_t withdrawn = 0;  // taken back: the caller hung up, the call moved, the agent left
};

// What a queue counted since the LiveStats started (see "Totals" above).
struct QueueTotals {
  CallTally calls;
  OfferTally offers;
  DurationHistogram answer_waits{kAnswerWaitBounds};
  DurationHistogram handle_times{kHandleTimeBounds};
};

struct QueueKpis {
  std::string queue;
  KpiFigures window;
  KpiFigures today;
};

struct AgentKpis {
  std::string agent_id;
  AgentState state = AgentState::kLoggedOut;
  absl::Time state_since;
  KpiFigures window;
  KpiFigures today;
};

// What replaying events rebuilds in a LiveStats: each queue's and agent's
// spans, each agent's running state and each live call's track. Kept in the
// store now and then, it lets a restart resume from it and replay only the
// events after it rather than the whole day's (LiveStats::Checkpoint, Resume).
// Totals are not in it: they count what this process saw.
struct LiveStatsCheckpoint {
  struct Bucket {
    int64_t index = 0;  // since the Unix epoch, in `bucket`s
    KpiSpan span;
  };
  struct Spans {
    std::vector<Bucket> window;  // the buckets in use
    absl::CivilDay day;
    absl::Time day_start = absl::InfiniteFuture();  // InfiniteFuture: not started
    KpiSpan today;
  };
  struct QueueEntry {
    std::string queue;
    Spans spans;
  };
  struct AgentEntry {
    std::string agent_id;
    Spans spans;
    AgentState state = AgentState::kLoggedOut;
    absl::Time since;  // in `state` since, booked up to here
  };
  struct CallEntry {
    std::string call_id;
    std::string queue;
    int transfers = 0;
    absl::Time wait_from;
  };
  absl::Duration bucket = absl::ZeroDuration();
  std::vector<QueueEntry> queues;
  std::vector<AgentEntry> agents;
  std::vector<CallEntry> calls;
};

struct LiveStatsOptions {
  // Window length and bucket size; window is a whole number of buckets.
  absl::Duration window = absl::Minutes(15);
  absl::Duration bucket = absl::Minutes(1);
  // "Today" for queues without a schedule, and for agents.
  absl::TimeZone zone = absl::UTCTimeZone();
};

inline constexpr absl::Duration kMinStatsWindow = absl::Minutes(1);
inline constexpr absl::Duration kMaxStatsWindow = absl::Hours(1);
// InvalidArgument naming the value unless a whole number of minutes in
// [kMinStatsWindow, kMaxStatsWindow].
absl::Status ValidateStatsWindow(absl::Duration window);

class LiveStats {
 public:
  explicit LiveStats(LiveStatsOptions options = {});

  // Takes thresholds, time zones and memberships from `config`. Counts are
  // kept; a new window length starts the windows afresh. Queues and agents
  // that events name but the config does not get defaults (UTC, 20 s / 5 s).
  void Configure(const RoutingConfig& config, const LiveStatsOptions& options, absl::Time now);

  // Where an event comes from: the engine now, or the store after a restart.
  enum class Feed { kLive, kReplayed };
  void OnEvent(const Event& event, Feed feed = Feed::kLive);
  // The earliest event time that still counts at `now` (in the window, or
  // since a local midnight of a zone in use): after a restart, replaying the
  // stored events from there rebuilds every figure.
  absl::Time Horizon(absl::Time now) const;

  // What replaying events would rebuild, to Resume() from. O(queues + agents
  // + live calls).
  LiveStatsCheckpoint Checkpoint() const;
  // Takes the checkpoint's spans, agent states and call tracks in place of
  // this one's; the configuration and the totals stay. Window buckets of
  // another bucket size are left out (the window starts afresh). Call after
  // Configure, then feed the events after the checkpoint as kReplayed.
  void Resume(const LiveStatsCheckpoint& checkpoint);

  // nullopt for a queue / agent neither configured nor seen in an event.
  std::optional<QueueKpis> Queue(absl::string_view queue, absl::Time now) const;
  std::optional<AgentKpis> Agent(absl::string_view agent_id, absl::Time now) const;
  // Null for a queue neither configured nor seen in an event. Valid until
  // the next call that feeds or configures this LiveStats.
  const QueueTotals* Totals(absl::string_view queue) const;
  // Agent ids, sorted; only members of `queue` when it is not empty.
  std::vector<std::string> Agents(absl::string_view queue) const;

  const LiveStatsOptions& options() const { return options_; }

 private:
  // The sliding window: ring_[i % size] holds bucket i (since the epoch).
  class Ring {
   public:
    Ring(absl::Duration window, absl::Duration bucket);
    // The bucket holding t; null if t is older than the window kept.
    KpiSpan* At(absl::Time t);
    // Spreads [from, to) over the buckets still in the window at `to`.
    void AddTime(AgentState state, absl::Time from, absl::Time to);
    // The first instant the window covers at `now`.
    absl::Time Start(absl::Time now) const;
    KpiSpan Sum(absl::Time now) const;
    absl::Duration bucket() const { return bucket_; }
    std::vector<LiveStatsCheckpoint::Bucket> InUse() const;
    // Puts a bucket of this ring's size back, unless a later one holds its place.
    void Put(const LiveStatsCheckpoint::Bucket& bucket);

   private:
    int64_t Index(absl::Time t) const;
    struct Bucket {
      int64_t index = INT64_MIN;
      KpiSpan span;
    };
    // The slot of bucket `index` (since the epoch; negative too).
    Bucket& Slot(int64_t index);
    absl::Duration bucket_;
    std::vector<Bucket> buckets_;
  };

  // Since local midnight.
  struct Day {
    absl::CivilDay day;
    absl::Time start = absl::InfiniteFuture();  // InfiniteFuture: not started
    KpiSpan span;
    // Starts a new day if t is past midnight.
    void Roll(absl::Time t, absl::TimeZone zone);
    void AddTime(AgentState state, absl::Time from, absl::Time to);
  };
  static LiveStatsCheckpoint::Spans SpansOf(const Ring& ring, const Day& day);
  static void RestoreSpans(const LiveStatsCheckpoint::Spans& spans, absl::Duration bucket,
                           Ring* ring, Day* day);

  struct QueueSlot {
    explicit QueueSlot(const LiveStatsOptions& o) : ring(o.window, o.bucket), zone(o.zone) {}
    Ring ring;
    Day today;
    absl::TimeZone zone;
    KpiThresholds thresholds;
    std::vector<std::string> members;  // agent ids, sorted
    QueueTotals totals;
  };

  struct AgentSlot {
    explicit AgentSlot(const LiveStatsOptions& o) : ring(o.window, o.bucket) {}
    Ring ring;
    Day today;
    AgentState state = AgentState::kLoggedOut;
    absl::Time since = absl::InfinitePast();
    std::vector<std::string> queues;
  };

  // A live call: where it is, for overflows and transfers.
  struct CallTrack {
    std::string queue;
    int transfers = 0;
    absl::Time wait_from;
  };

  QueueSlot& QueueAt(const std::string& name);
  AgentSlot& AgentAt(const std::string& agent_id, absl::Time now);
  // Runs `count` on the queue's window bucket and today's tally at t.
  template <typename Fn>
  void CountQueue(const std::string& queue, absl::Time t, Fn count);
  template <typename Fn>
  void CountAgent(const std::string& agent_id, absl::Time t, Fn count);
  void TrackAgent(const core::Agent& snapshot, absl::Time t);
  // Books the agent's current state from `since` to t into its spans and its
  // queues' spans; the state then runs on from t.
  void Accrue(AgentSlot& agent, absl::Time t);
  void OnCallEvent(const Event& e);
  void CountOffer(const Event& e);
  // Adds the running state of `agent` up to `now` into `window` and `today`.
  void AddRunning(const AgentSlot& agent, absl::Time window_start, absl::Time today_start,
                  absl::Time now, KpiSpan* window, KpiSpan* today) const;
  // Today's span and its start at `now`, in `zone`.
  static std::pair<KpiSpan, absl::Time> TodayAt(const Day& day, absl::TimeZone zone,
                                                absl::Time now);

  LiveStatsOptions options_;
  absl::flat_hash_map<std::string, std::unique_ptr<QueueSlot>> queues_;
  absl::btree_map<std::string, std::unique_ptr<AgentSlot>> agents_;
  absl::flat_hash_map<std::string, CallTrack> calls_;
  // While feeding a replayed event: totals stay as they are.
  bool replaying_ = false;
};

}  // namespace acd::core

#endif  // ACD_SERVER_CORE_LIVE_STATS_H_
