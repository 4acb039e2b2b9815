// Domain types of the acd engine: calls, agents, queues, events and the routing
// config. Plain values with no behaviour beyond naming; the engine (engine.h)
// owns the live instances.
//
// Thread safety: values; copy freely. Nothing here reads a clock: every time is
// passed in by the caller.
#ifndef ACD_SERVER_CORE_TYPES_H_
#define ACD_SERVER_CORE_TYPES_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/core/compact.h"
#include "server/core/cow_map.h"
#include "server/core/schedule.h"

namespace acd::core {

// skill -> level (1..10). Ordered so output and comparisons are stable;
// copies share their entries (cow_map.h).
using SkillLevels = CowMap<absl::btree_map<std::string, int>>;
// Call attributes: caller number, dialled number, language, IVR choice ...
using Attributes = CowMap<absl::btree_map<std::string, std::string>>;

inline constexpr int kMinSkillLevel = 1;
inline constexpr int kMaxSkillLevel = 10;

enum class CallState {
  kQueued,
  kOffered,
  kConnected,
  kWrapUp,
  kCompleted,
  kAbandoned,
  kOverflowed,
  kTimedOut,
  kRejected,
  // A callback whose dial failed, waiting for its retry time (live: it
  // returns to QUEUED at its original place).
  kCallbackScheduled,
};

enum class AgentState { kLoggedOut, kAvailable, kReserved, kBusy, kWrapUp, kAway };

enum class EventType {
  kCallQueued,
  kCallOffered,
  kOfferRejected,
  kOfferTimedOut,
  kOfferWithdrawn,
  kCallConnected,
  kCallAbandoned,
  kCallEnded,
  kCallCompleted,
  kAgentLoggedIn,
  kAgentLoggedOut,
  kAgentStateChanged,
  kConfigApplied,
  kCallOverflowed,   // moved to another queue by a limit or the schedule
  kCallTimedOut,     // disconnected by a limit (reason says which)
  kCallEscalated,    // an escalation step relaxed its requirements
  kCallTransferred,  // sent to another queue or agent (reason says where)
  // Callbacks (virtual hold):
  kCallbackOffered,    // the IVR may offer the caller a callback (EWT over the threshold)
  kCallbackRequested,  // the caller hung up and keeps their place as a callback
  kCallbackDial,       // an agent took a callback: the integrator dials the number
  kCallbackFailed,     // a dial failed; reason says whether it will retry
  kCallbackWithdrawn,  // given up (window passed, attempts used up); reason says which
  // acdd restarted and restored the live state from the store (reason says how much).
  kStateRestored,
};

// Lower-case names used in logs, the store and the CLI ("queued", "wrap_up").
absl::string_view CallStateName(CallState state);
absl::string_view AgentStateName(AgentState state);
absl::string_view EventTypeName(EventType type);  // e.g. "call_queued"
// True for states a call never leaves (COMPLETED and the exits).
bool IsFinal(CallState state);

// The engine keeps one per live call, so rarely set fields are compact
// (compact.h) and small ones sit together.
struct Call {
  std::string call_id;
  std::string queue;
  // Offered to, connected to, or handled by.
  std::string agent_id;
  SkillLevels required_skills;
  // Required skills after escalation steps relaxed them.
  SkillLevels effective_skills;
  Attributes attributes;
  absl::Time enqueued_at;
  // When it entered its current queue (arrival, overflow, transfer, move):
  // its queue's limits count from here.
  absl::Time queue_entered_at;
  OptionalTime offered_at;
  OptionalTime connected_at;
  OptionalTime ended_at;
  OptionalTime completed_at;
  OptionalTime offer_expires_at;
  SparseString disposition;
  SparseString notes;
  SparseString end_reason;
  // While a transfer to a named agent is pending: the queue the call goes to
  // if that agent rejects or misses the offer.
  SparseString transfer_fallback;
  // Set once the caller asked to be called back: the number to dial, and how
  // many dials failed so far.
  SparseString callback_number;
  OptionalTime callback_requested_at;
  // A pending callback must reach an agent by this time (its queue's window
  // when it was requested); while CALLBACK_SCHEDULED, its next dial is due at
  // callback_retry_at.
  OptionalTime callback_window_end;
  OptionalTime callback_retry_at;
  // While waiting: how long until an agent takes it, by the method in
  // config/README.md; unset when no agent who could take it is staffed.
  // Filled in by reads (GetCall, ListCalls, the EnqueueCall reply) only.
  std::optional<absl::Duration> estimated_wait;
  // Unique, increasing as calls arrive: waiting calls of equal score are
  // served in this order.
  uint64_t arrival_order = 0;
  int priority = 0;
  CallState state = CallState::kQueued;
  int missed_offers = 0;
  // Times the call was transferred or moved.
  int transfers = 0;
  int callback_attempts = 0;
  // 1-based place in its queue while QUEUED, 0 otherwise. Filled in by reads
  // (GetCall, ListCalls) and EnqueueCall's reply; 0 on event snapshots.
  int position = 0;
  // A callback not yet reached by an agent (queued, offered, or waiting for
  // a retry); false once an agent took it (even if it is transferred later).
  bool callback_pending = false;

  friend bool operator==(const Call&, const Call&) = default;
};

struct Agent {
  std::string agent_id;
  std::string name;
  SkillLevels skills;
  std::vector<std::string> queues;
  AgentState state = AgentState::kLoggedOut;
  absl::Time state_since = absl::UnixEpoch();
  // Meaningful while AVAILABLE: the longest idle agent is offered first.
  absl::Time idle_since = absl::UnixEpoch();
  std::string away_reason;
  std::string call_id;
  std::optional<absl::Time> wrap_up_until;
  int calls_handled = 0;
  absl::Duration talk_time = absl::ZeroDuration();
  int consecutive_missed_offers = 0;
  std::string pending_away_reason;

  friend bool operator==(const Agent&, const Agent&) = default;
};

// A new call as the integrator asked for it (before routing rules): kept so
// a retried EnqueueCall can be told from a different call with the same id.
struct EnqueueRequest {
  std::string call_id;
  std::string queue;
  int priority = 0;
  SkillLevels required_skills;
  Attributes attributes;

  friend bool operator==(const EnqueueRequest&, const EnqueueRequest&) = default;
};

// One state change. `seq` is assigned by the engine: gap-free, increasing.
struct Event {
  int64_t seq = 0;
  absl::Time time;
  EventType type = EventType::kCallQueued;
  std::string call_id;
  std::string agent_id;
  std::string queue;
  std::string reason;
  // The call / agent after the change, where the event concerns one.
  std::optional<Call> call;
  std::optional<Agent> agent;
  // On the call_queued event that creates a call: the request it came from.
  std::optional<EnqueueRequest> request;

  // By hand: libstdc++ 12's std::optional comparisons are ambiguous for a
  // type with a defaulted operator== under clang, which deletes the default.
  friend bool operator==(const Event& a, const Event& b) {
    auto same = [](const auto& x, const auto& y) {
      return x.has_value() == y.has_value() && (!x.has_value() || *x == *y);
    };
    return a.seq == b.seq && a.time == b.time && a.type == b.type && a.call_id == b.call_id &&
           a.agent_id == b.agent_id && a.queue == b.queue && a.reason == b.reason &&
           same(a.call, b.call) && same(a.agent, b.agent) && same(a.request, b.request);
  }
};

// How a queue picks among the eligible available agents for a call.
enum class Strategy {
  kLongestIdle,    // idle longest first (default)
  kLeastCalls,     // fewest calls handled, then idle longest
  kLeastTalkTime,  // least talk time, then idle longest
  kRoundRobin,     // next member after the last one offered, in config order
  kBestSkill,      // highest summed level on the call's required skills, then idle longest
  kRandom,         // uniformly at random (seeded, so runs repeat)
};
absl::string_view StrategyName(Strategy strategy);

// What happens to a call when a limit or the schedule turns it away.
struct LimitAction {
  enum class Kind {
    kReject,      // refused at enqueue (RESOURCE_EXHAUSTED or FAILED_PRECONDITION)
    kOverflow,    // moved to `queue`, keeping its arrival time and priority
    kDisconnect,  // leaves with a reason the integrator sees on WatchEvents
    kKeep,        // stays where it is (only for calls waiting when a queue closes)
  };
  Kind kind = Kind::kReject;
  std::string queue;  // for kOverflow
};

// After `after` of waiting, a call's requirements relax: like bullseye rings.
struct EscalationStep {
  absl::Duration after = absl::ZeroDuration();
  SkillLevels relax;                    // skill -> new, lower minimum level
  std::vector<std::string> drop;        // skills no longer required
  std::vector<std::string> add_queues;  // agents of these queues may take it too
};

// Callbacks of a queue (virtual hold): a caller hangs up and keeps their
// place; when it comes up, an agent takes it and the integrator dials.
struct CallbackPolicy {
  bool enabled = false;
  // Offer a callback to a new caller whose estimated wait is over this (and
  // who could be called back within `window`); zero never offers one, though
  // callers may still ask.
  absl::Duration offer_over = absl::ZeroDuration();
  // A callback must be served within this time of its request, or it is
  // withdrawn.
  absl::Duration window = absl::Hours(2);
  // After a failed dial, the next attempt waits this long ...
  absl::Duration retry_interval = absl::Minutes(5);
  // ... up to this many dials in all.
  int max_attempts = 3;
  // Callbacks pending in the queue at most; 0 means no limit.
  int max_pending = 0;
};

struct QueueConfig {
  std::string name;
  // How long an agent has to accept an offer.
  absl::Duration offer_timeout = absl::Seconds(20);
  // Wrap-up after a call ends; CompleteCall ends it sooner. Zero completes the
  // call as soon as it ends.
  absl::Duration wrap_up_time = absl::Seconds(30);
  // Consecutive missed offers (rejected or timed out) after which an agent is
  // put AWAY with reason "missed_offers"; 0 never does.
  int max_missed_offers = 3;
  // Between queues competing for one agent, the higher weight goes first.
  int weight = 1;
  Strategy strategy = Strategy::kLongestIdle;
  // Effective priority = priority + aging_per_minute x minutes waited.
  double aging_per_minute = 0;
  // Calls waiting (queued or offered) at most; 0 means no limit.
  int max_size = 0;
  LimitAction on_full;  // kReject or kOverflow
  // Longest wait in this queue; zero means no limit.
  absl::Duration max_wait = absl::ZeroDuration();
  LimitAction on_timeout{LimitAction::Kind::kDisconnect, ""};  // kOverflow or kDisconnect
  // How long a call may wait while no logged-in agent could ever take it; zero
  // means no limit.
  absl::Duration max_wait_no_agent = absl::ZeroDuration();
  LimitAction on_no_agent{LimitAction::Kind::kDisconnect, ""};  // kOverflow or kDisconnect
  std::vector<EscalationStep> escalation;                       // ordered by `after`
  // Name of a schedule; empty means always open.
  std::string schedule;
  LimitAction on_closed;                                     // kReject or kOverflow
  LimitAction closed_waiting{LimitAction::Kind::kKeep, ""};  // kKeep or kOverflow
  // Seed for Strategy::kRandom.
  uint64_t random_seed = 1;
  // KPIs (kpi.h): a call answered within `service_level_threshold` counts
  // toward the service level; one abandoned within `short_abandon` is left
  // out of it (and of the abandonment rate).
  absl::Duration service_level_threshold = absl::Seconds(20);
  absl::Duration short_abandon = absl::Seconds(5);
  // Mean handle time (talk + wrap-up) assumed for the estimated wait until
  // calls of this queue have completed; then recent calls count.
  absl::Duration expected_handle_time = absl::Minutes(3);
  CallbackPolicy callback;
};

struct AgentConfig {
  std::string agent_id;
  std::string name;
  SkillLevels skills;
  // Queues the agent serves, in config order.
  std::vector<std::string> queues;
  // queue -> penalty (0 when absent): calls go to lower-penalty agents first,
  // and a free agent serves its lower-penalty queues first.
  absl::btree_map<std::string, int> penalties;
};

class Expr;  // expr.h

// The first rule whose `when` matches a call's attributes sets its queue,
// priority and skills (for calls enqueued without a queue).
struct RoutingRule {
  std::string name;
  std::shared_ptr<const Expr> when;  // null matches every call
  std::string queue;
  std::optional<int> priority;  // unset keeps the request's
  SkillLevels skills;           // added to the request's (the higher level wins)
};

// The routing part of the config: what the engine needs. Validated by the
// config layer before it reaches the engine.
struct RoutingConfig {
  std::vector<QueueConfig> queues;
  std::vector<AgentConfig> agents;
  std::vector<RoutingRule> rules;
  std::vector<Schedule> schedules;
};

}  // namespace acd::core

#endif  // ACD_SERVER_CORE_TYPES_H_
