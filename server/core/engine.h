// Engine: the ACD state machine. It holds every live call, agent and queue,
// decides which agent is offered which call, and records each state change as
// an Event.
//
// Determinism: the engine reads no clock and starts no thread. Every command
// takes `now`; time only moves forward (an earlier `now` is treated as the
// latest one seen). Before a command is applied, deadlines that fell due up to
// `now` (offer timeouts, wrap-up ends) are processed, so a command sees the
// world as it is at `now`. The runtime arms one timer for NextDeadline() and
// calls AdvanceTo() when it fires; tests drive time by hand.
//
// Routing (this release): within a queue the longest-waiting call goes first;
// among the agents who can take it, the one idle longest. An agent serving
// several queues takes the longest-waiting call across them. A call goes only
// to an agent whose skills meet each of its required levels.
//
// Events: each change appends to an outbox with a gap-free, increasing `seq`;
// TakeEvents() drains it. Nothing is reported as done by the engine itself: the
// runtime persists the events before it acknowledges the command.
//
// Thread safety: none. One thread (the engine thread) owns an Engine.
#ifndef ACD_SERVER_CORE_ENGINE_H_
#define ACD_SERVER_CORE_ENGINE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/core/types.h"

namespace acd::core {

struct EnqueueRequest {
  std::string call_id;
  std::string queue;
  int priority = 0;
  SkillLevels required_skills;
  Attributes attributes;
};

struct EnqueueResult {
  Call call;
  // False when the request repeated an earlier one and got its call back.
  bool created = true;
};

struct QueueStats {
  std::string queue;
  // Live calls by state.
  int queued = 0;
  int offered = 0;
  int connected = 0;
  int wrap_up = 0;
  // Calls that finished in this queue since the engine started.
  int completed = 0;
  int abandoned = 0;
  // Member agents by state.
  int agents_logged_out = 0;
  int agents_available = 0;
  int agents_reserved = 0;
  int agents_busy = 0;
  int agents_wrap_up = 0;
  int agents_away = 0;
  absl::Duration longest_wait = absl::ZeroDuration();
};

struct EngineOptions {
  // Finished calls kept in memory for GetCall and idempotent retries; the
  // oldest are forgotten first (their records stay in the store).
  size_t max_finished_calls = 100000;
};

// Limits on what a client may send; longer values are INVALID_ARGUMENT.
inline constexpr size_t kMaxIdLength = 128;
inline constexpr int kMinPriority = 0;
inline constexpr int kMaxPriority = 100;

class Engine {
 public:
  explicit Engine(EngineOptions options = {});
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Replaces queues and agents. New queues and agents appear; changed ones take
  // their new settings (a new offer timeout applies to the next offer). A
  // removed queue must hold no live call, and a removed agent must not be on a
  // call (FAILED_PRECONDITION otherwise, and nothing changes); a removed agent
  // who is logged in is logged out first.
  absl::Status ApplyConfig(const RoutingConfig& config, absl::Time now);

  // --- Calls (integrator) ---
  absl::StatusOr<EnqueueResult> EnqueueCall(const EnqueueRequest& request, absl::Time now);
  // The caller hung up while QUEUED or OFFERED. Repeating it is harmless.
  absl::StatusOr<Call> AbandonCall(absl::string_view call_id, absl::string_view reason,
                                   absl::Time now);
  // The conversation of a CONNECTED call ended; the agent goes to wrap-up.
  absl::StatusOr<Call> EndCall(absl::string_view call_id, absl::Time now);

  // --- Agents (desktop) ---
  absl::StatusOr<Agent> Login(absl::string_view agent_id, bool ready, absl::Time now);
  absl::StatusOr<Agent> Logout(absl::string_view agent_id, absl::Time now);
  absl::StatusOr<Agent> SetAvailable(absl::string_view agent_id, absl::Time now);
  absl::StatusOr<Agent> SetAway(absl::string_view agent_id, absl::string_view reason,
                                absl::Time now);
  absl::StatusOr<Call> AcceptOffer(absl::string_view agent_id, absl::string_view call_id,
                                   absl::Time now);
  absl::StatusOr<Call> RejectOffer(absl::string_view agent_id, absl::string_view call_id,
                                   absl::string_view reason, absl::Time now);
  absl::StatusOr<Call> CompleteCall(absl::string_view agent_id, absl::string_view call_id,
                                    absl::string_view disposition, absl::string_view notes,
                                    absl::Time now);

  // --- Time ---
  // The earliest pending deadline, if any.
  std::optional<absl::Time> NextDeadline();
  // Processes every deadline at or before `now`, in time order.
  void AdvanceTo(absl::Time now);

  // --- Reads (no events) ---
  absl::StatusOr<Call> GetCall(absl::string_view call_id) const;
  absl::StatusOr<Agent> GetAgent(absl::string_view agent_id) const;
  // The outstanding offer of an agent, if one is out.
  std::optional<Call> OutstandingOffer(absl::string_view agent_id) const;
  std::vector<QueueConfig> Queues() const;
  absl::StatusOr<QueueStats> GetQueueStats(absl::string_view queue, absl::Time now) const;
  // Agents in id order; only members of `queue` if it is not empty.
  absl::StatusOr<std::vector<Agent>> ListAgents(absl::string_view queue) const;
  // Calls oldest first; `states` empty means the live states.
  absl::StatusOr<std::vector<Call>> ListCalls(absl::string_view queue,
                                              const std::vector<CallState>& states,
                                              size_t limit) const;

  // --- Events ---
  std::vector<Event> TakeEvents();
  // The seq the next event gets; set once at start-up, after recovery.
  void set_next_seq(int64_t seq) { next_seq_ = seq; }
  int64_t next_seq() const { return next_seq_; }

 private:
  struct CallEntry;
  struct AgentEntry;
  struct QueueEntry;

  // Waiting order within a queue: earliest arrival first.
  struct WaitKey {
    absl::Time enqueued_at;
    uint64_t arrival_order;
    CallEntry* call;
    bool operator<(const WaitKey& o) const {
      if (enqueued_at != o.enqueued_at) return enqueued_at < o.enqueued_at;
      return arrival_order < o.arrival_order;
    }
  };
  // Idle order among available agents: idle longest first.
  struct IdleKey {
    absl::Time idle_since;
    uint64_t ready_order;
    AgentEntry* agent;
    bool operator<(const IdleKey& o) const {
      if (idle_since != o.idle_since) return idle_since < o.idle_since;
      return ready_order < o.ready_order;
    }
  };

  struct CallEntry {
    Call call;
    // Bumped on every offer, so a stale offer-timeout deadline is ignored.
    uint64_t offer_generation = 0;
  };
  struct AgentEntry {
    Agent agent;
    uint64_t ready_order = 0;
    uint64_t wrap_up_generation = 0;
  };
  struct QueueEntry {
    QueueConfig config;
    absl::btree_set<WaitKey> waiting;
    absl::btree_set<IdleKey> available;
    std::vector<AgentEntry*> members;
    // Calls of this queue by state (live and finished).
    absl::flat_hash_map<CallState, int> call_counts;
  };

  enum class DeadlineKind { kOfferTimeout, kWrapUpEnd };
  struct Deadline {
    absl::Time at;
    uint64_t order;  // FIFO among equal times, for determinism
    DeadlineKind kind;
    std::string id;
    uint64_t generation;
    bool operator>(const Deadline& o) const {
      if (at != o.at) return at > o.at;
      return order > o.order;
    }
  };

  // Commands start here: clamps `now` to be monotonic and runs due deadlines.
  absl::Time Begin(absl::Time now);
  bool IsStale(const Deadline& d) const;
  void FireDeadline(const Deadline& d);
  void PushDeadline(absl::Time at, DeadlineKind kind, const std::string& id, uint64_t gen);

  absl::StatusOr<CallEntry*> FindCall(absl::string_view call_id);
  absl::StatusOr<const CallEntry*> FindCall(absl::string_view call_id) const;
  absl::StatusOr<AgentEntry*> FindAgent(absl::string_view agent_id);
  absl::StatusOr<const AgentEntry*> FindAgent(absl::string_view agent_id) const;
  // The call must be OFFERED to this agent.
  absl::StatusOr<CallEntry*> FindOfferedCall(absl::string_view agent_id, absl::string_view call_id);

  void SetCallState(CallEntry& entry, CallState state);
  void SetAgentState(AgentEntry& entry, AgentState state, absl::Time now);
  void MakeAvailable(AgentEntry& entry, absl::Time idle_since, absl::Time now);
  void Wait(CallEntry& entry);    // into its queue's waiting set
  void Unwait(CallEntry& entry);  // out of it
  void AddAvailable(AgentEntry& entry);
  void RemoveAvailable(AgentEntry& entry);

  bool Eligible(const AgentEntry& agent, const CallEntry& call) const;
  // Offers `call` to the best available agent, if any can take it.
  void RouteCall(CallEntry& call, absl::Time now);
  // Offers the best waiting call to `agent`, if it is available and any fits.
  void RouteAgent(AgentEntry& agent, absl::Time now);
  // Routes every waiting call (after a config change).
  void RouteAll(absl::Time now);
  void Offer(CallEntry& call, AgentEntry& agent, absl::Time now);
  // Takes an outstanding offer back: the call returns to its place and the
  // agent is freed. `missed` counts it against the agent.
  void ReturnOffer(CallEntry& call, AgentEntry& agent, EventType type, absl::string_view reason,
                   bool missed, absl::Time now);
  // Ends wrap-up: the call is COMPLETED and the agent available (or away).
  void FinishWrapUp(CallEntry& call, AgentEntry& agent, absl::string_view reason, absl::Time now);
  void Finish(CallEntry& entry);  // a call reached a final state

  void Emit(EventType type, absl::Time now, const CallEntry* call, const AgentEntry* agent,
            absl::string_view reason);

  Call CallView(const CallEntry& entry) const;  // with position filled in
  int PositionOf(const CallEntry& entry) const;

  EngineOptions options_;
  absl::Time now_ = absl::InfinitePast();
  int64_t next_seq_ = 1;
  uint64_t next_arrival_order_ = 1;
  uint64_t next_ready_order_ = 1;
  uint64_t next_deadline_order_ = 1;

  absl::flat_hash_map<std::string, std::unique_ptr<CallEntry>> calls_;
  absl::flat_hash_map<std::string, std::unique_ptr<AgentEntry>> agents_;
  absl::flat_hash_map<std::string, std::unique_ptr<QueueEntry>> queues_;
  std::deque<std::string> finished_;  // ids of finished calls, oldest first
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_;
  std::vector<Event> outbox_;
};

}  // namespace acd::core

#endif  // ACD_SERVER_CORE_ENGINE_H_
