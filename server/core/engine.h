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
// Routing: a call goes only to an agent whose skills meet each of its
// (effective) required levels. Within a queue the highest effective priority
// goes first (priority + aging x minutes waited), then the longest wait; among
// the eligible available agents the lowest penalty, then the queue's strategy
// decides. A free agent takes, across its queues, the call of the queue where
// its penalty is lowest, then of the highest-weight queue, then the highest
// effective priority, then the longest wait. Escalation steps relax a call's
// requirements as it waits; limits and schedules overflow or end it. See
// routing_index.h for how a decision avoids scanning.
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
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/core/deadline_queue.h"
#include "server/core/limits.h"
#include "server/core/routing_index.h"
#include "server/core/types.h"

namespace acd::core {

// Live state of a queue, an agent, a call (defined in engine_state.h).
struct QueueSlot;
struct Membership;

struct EnqueueResult {
  Call call;
  // False when the request repeated an earlier one and got its call back.
  bool created = true;
  // The IVR may offer this caller a callback: the estimated wait is over the
  // queue's `callback.offer_over` and a callback could be served within its
  // window at current capacity (a callback_offered event says so too).
  bool callback_offered = false;
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
  int timed_out = 0;   // disconnected by max_wait or max_wait_no_agent
  int overflowed = 0;  // moved on to another queue
  // Calls routed here and refused at arrival (full or closed, with nowhere
  // to overflow): no call was made, so no event records them.
  int rejected = 0;
  bool open = true;  // by its schedule
  // Member agents by state.
  int agents_logged_out = 0;
  int agents_available = 0;
  int agents_reserved = 0;
  int agents_busy = 0;
  int agents_wrap_up = 0;
  int agents_away = 0;
  absl::Duration longest_wait = absl::ZeroDuration();
  // What a call arriving now would wait (see Engine::EstimateWait); unset
  // when no member agent is staffed.
  std::optional<absl::Duration> estimated_wait;
  // Callbacks waiting for an agent or a retry.
  int callbacks_pending = 0;
};

// The live state of an earlier run, as the store last recorded it (read at
// start-up, see store/live_state.h), for Engine::Restore.
struct RestoredCall {
  Call call;  // its latest snapshot; a live state
  // The request it came from; absent in logs written before requests were
  // kept (then the call's own fields stand in for it).
  std::optional<EnqueueRequest> request;
};
struct RestoredState {
  std::vector<RestoredCall> calls;
  // The latest calls that had finished, oldest first (as many as the store
  // reads back, store::LiveStateLimits): kept as finished calls are, for
  // GetCall and retries of their EnqueueCall.
  std::vector<RestoredCall> finished;
  std::vector<Agent> agents;  // the latest snapshot of each agent
  // Queue -> handle times of its latest completed calls, oldest first (for
  // the estimated wait).
  absl::btree_map<std::string, std::vector<absl::Duration>> handle_times;
};

struct EngineOptions {
  // Finished calls kept in memory for GetCall and idempotent retries; the
  // oldest are forgotten first (their records stay in the store).
  size_t max_finished_calls = 100000;
};

class Engine {
 public:
  explicit Engine(EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Replaces queues and agents. New queues and agents appear; changed ones take
  // their new settings (a new offer timeout applies to the next offer). A
  // removed queue must hold no live call nor be the fallback of a transfer
  // in progress, and a removed agent must not be on a call
  // (FAILED_PRECONDITION otherwise, and nothing changes); a removed agent who
  // is logged in is logged out first. A pending callback keeps the window it
  // was requested with.
  absl::Status ApplyConfig(const RoutingConfig& config, absl::Time now);

  // Restores an earlier run's live state after a restart (crash or not):
  // after the first ApplyConfig, before any other command. The rules, per
  // state (README "Crash recovery" says the same for operators):
  //  - QUEUED: back at its place (arrival time and order kept); limits count
  //    from when it entered its queue, escalation from its arrival, so a
  //    deadline that passed while acdd was down applies at once.
  //  - OFFERED: the offer is withdrawn (offer_withdrawn, not a miss) and the
  //    call waits at its place again (a transfer to a named agent goes on to
  //    its fallback); the agent is available again, keeping its idle place.
  //  - CONNECTED / WRAP_UP: stay with their agent; a wrap-up ends when it
  //    was due.
  //  - Callbacks keep their window; one waiting for a retry dials when due.
  //  - Agents: logins and states (available, away with its reason) kept; one
  //    whose call is no longer live is made available.
  //  - Finished calls (`state.finished`) are kept as before the restart: for
  //    GetCall, and a retried EnqueueCall gets its call back. They count in no
  //    queue's stats (those count from the engine's start).
  // Emits state_restored, then whatever the restored world does at `now`.
  // FAILED_PRECONDITION, with nothing changed, when the config has no queue
  // for a restored call (or its transfer fallback) or no agent for a
  // connected or wrap-up call: the config must take what the store holds.
  absl::Status Restore(const RestoredState& state, absl::Time now);

  // --- Calls (integrator) ---
  absl::StatusOr<EnqueueResult> EnqueueCall(const EnqueueRequest& request, absl::Time now);
  // The caller hung up while QUEUED or OFFERED. Repeating it is harmless.
  absl::StatusOr<Call> AbandonCall(absl::string_view call_id, absl::string_view reason,
                                   absl::Time now);
  // The conversation of a CONNECTED call ended; the agent goes to wrap-up.
  absl::StatusOr<Call> EndCall(absl::string_view call_id, absl::Time now);
  // Sends a CONNECTED call on (a blind transfer: the agent is free at once).
  // To a queue: it waits there with its arrival time, its priority raised to
  // `priority` if that is higher. To an agent: it is offered to that agent
  // alone, who must be available; on reject or timeout it goes to `fallback`
  // (default: its current queue).
  absl::StatusOr<Call> TransferToQueue(absl::string_view call_id, absl::string_view queue,
                                       std::optional<int> priority, absl::Time now);
  absl::StatusOr<Call> TransferToAgent(absl::string_view call_id, absl::string_view agent_id,
                                       absl::string_view fallback, absl::Time now);
  // A supervisor moves a QUEUED or OFFERED call to another queue (an offer out
  // is withdrawn). It keeps its arrival time; limits of the new queue restart.
  absl::StatusOr<Call> MoveCall(absl::string_view call_id, absl::string_view queue, absl::Time now);

  // --- Callbacks (virtual hold) ---
  // The caller of a QUEUED call hangs up and is called back at `number` when
  // the call reaches an agent; it keeps its place. Limits (max_wait,
  // max_wait_no_agent) stop applying: the queue's callback window does.
  // Repeating it with the same number is harmless.
  absl::StatusOr<Call> RequestCallback(absl::string_view call_id, absl::string_view number,
                                       absl::Time now);
  // The integrator could not reach the customer of an accepted callback. The
  // agent is free at once; the callback is retried after the queue's
  // retry_interval at its original place, or withdrawn when its attempts or
  // its window are used up.
  absl::StatusOr<Call> CallbackFailed(absl::string_view call_id, absl::string_view reason,
                                      absl::Time now);

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

  // Checks the engine's invariants: a call is offered to at most one agent and
  // an agent holds at most one call, each matching the other; the indexes hold
  // exactly the waiting calls and available agents; no available agent could
  // take a waiting call; per-queue live counts match the calls. O(calls x
  // agents): for tests. Returns INTERNAL naming the first violation.
  absl::Status CheckInvariants() const;

  // --- Events ---
  // The events since the last call, in seq order.
  std::vector<Event> TakeEvents();
  // The seq the next event gets; set once at start-up, after recovery.
  void set_next_seq(int64_t seq) { next_seq_ = seq; }
  int64_t next_seq() const { return next_seq_; }

 private:
  // Commands start here: clamps `now` to be monotonic and runs due deadlines.
  absl::Time Begin(absl::Time now);
  bool IsStale(const Deadline& d) const;
  void FireDeadline(const Deadline& d);
  void PushDeadline(absl::Time at, DeadlineKind kind, const std::string& id, uint64_t gen);

  absl::StatusOr<CallSlot*> FindCall(absl::string_view call_id);
  absl::StatusOr<const CallSlot*> FindCall(absl::string_view call_id) const;
  // The call with this id, which must be there.
  CallSlot* CallAt(absl::string_view call_id) const;
  absl::StatusOr<AgentSlot*> FindAgent(absl::string_view agent_id);
  absl::StatusOr<const AgentSlot*> FindAgent(absl::string_view agent_id) const;
  absl::StatusOr<CallSlot*> FindOfferedCall(absl::string_view agent_id, absl::string_view call_id);
  QueueSlot* Queue(absl::string_view name) const;

  // Resolves queue, priority and skills from the request and the rules.
  absl::StatusOr<EnqueueRequest> ApplyRules(const EnqueueRequest& request) const;
  // Follows on_full / on_closed overflows from `queue` to the queue that takes
  // the call, or the refusal (RESOURCE_EXHAUSTED / FAILED_PRECONDITION).
  absl::StatusOr<QueueSlot*> Admit(QueueSlot* queue, absl::Time now, std::string* via) const;
  // Counts a call as overflowed out of each queue in Admit's `via`.
  void CountOverflows(absl::string_view via);

  void SetCallState(CallSlot& call, CallState state);
  // The same, with the call's queue looked up already.
  void SetCallState(QueueSlot* queue, CallSlot& call, CallState state);
  void SetAgentState(AgentSlot& agent, AgentState state, absl::Time now);
  void MakeAvailable(AgentSlot& agent, absl::Time idle_since, absl::Time now);
  // Into / out of the waiting indexes of its queue and widened queues.
  void Wait(CallSlot& call);
  void Unwait(CallSlot& call);
  void AddAvailable(AgentSlot& agent);
  void RemoveAvailable(AgentSlot& agent);
  AgentKey KeyFor(const AgentSlot& agent, const Membership& m);

  // Starts the clock on a call's limits and escalation in its current queue
  // (`restoring`: a call from the store, whose earlier checks were made).
  void ArmCallDeadlines(CallSlot& call, absl::Time now, bool restoring = false);
  // Keeps what a retry of `request` is compared with.
  void KeepRequest(CallSlot& call, const EnqueueRequest& request);
  // Sets the call's effective skills and signature.
  void SetEffectiveSkills(CallSlot& call, const SkillLevels& skills);
  // Takes the escalation steps due by `now`; returns what changed.
  std::vector<std::string> TakeEscalationSteps(CallSlot& call, absl::Time now);
  void ApplyEscalation(CallSlot& call, absl::Time now);
  // A call back in its queue after an offer: applies max_wait if it fell due
  // meanwhile (it does not interrupt an offer).
  void CheckOverdue(CallSlot& call, absl::Time now);
  // Applies an overflow or disconnect to a waiting call.
  void ApplyLimit(CallSlot& call, const LimitAction& action, absl::string_view reason,
                  absl::Time now);
  void MoveToQueue(CallSlot& call, QueueSlot& target, absl::string_view reason, absl::Time now,
                   EventType type = EventType::kCallOverflowed);
  // A connected call's agent lets go of it (transfer): the agent is freed.
  void ReleaseAgent(CallSlot& call, AgentSlot& agent, absl::string_view why, absl::Time now);
  bool AnyAgentCouldServe(const CallSlot& call) const;
  void ArmScheduleEdge(QueueSlot& queue, absl::Time now);
  void OnScheduleEdge(QueueSlot& queue, absl::Time now);

  // Offers `call` to the best available agent, if any can take it.
  void RouteCall(CallSlot& call, absl::Time now);
  // Offers the best waiting call to `agent`, if it is available and any fits.
  void RouteAgent(AgentSlot& agent, absl::Time now);
  // The waiting call RouteAgent would offer to (available) `agent`, and the
  // queue it was found in; valid until the index next changes.
  struct CallChoice {
    const CallKey* key = nullptr;
    QueueSlot* queue = nullptr;
  };
  CallChoice BestCallFor(AgentSlot& agent, absl::Time now);
  // Prefetch hints (prefetch.h) for what an offer reads, each step once the
  // lines of the step before have had time to load. The agent (whose slot the
  // caller prefetches): its groups, skills and queues; then its groups'
  // trees, heads and links. `PrefetchChoice`: the chosen call's slot and its
  // position block, found from the group head's key (so without waiting for
  // the slot; the queue's position index is asked for with the agent's
  // groups). `PrefetchOffer`: the call's skills and attributes, and its place
  // in every queue it waits in.
  void PrefetchAgent(const AgentSlot& agent, bool deep);
  void PrefetchChoice(const CallChoice& choice);
  void PrefetchOffer(const CallSlot& call);
  void RouteAll(absl::Time now);
  void Offer(CallSlot& call, AgentSlot& agent, absl::Time now);
  void ReturnOffer(CallSlot& call, AgentSlot& agent, EventType type, absl::string_view reason,
                   bool missed, absl::Time now);
  void FinishWrapUp(CallSlot& call, AgentSlot& agent, absl::string_view reason, absl::Time now);
  void Finish(CallSlot& call);
  // Drops the oldest finished calls beyond max_finished_calls.
  void ForgetOldestFinished();

  void Emit(EventType type, absl::Time now, const CallSlot* call, const AgentSlot* agent,
            absl::string_view reason);
  // The call as reads show it; `with_position` fills in its place in line.
  Call CallView(const CallSlot& call, bool with_position = true) const;
  // CallView plus what only reads report (the estimated wait).
  Call ReadView(const CallSlot& call) const;

  // Estimated wait of a waiting call at 1-based `position`: the position x
  // the queue's mean handle time / the staffed member agents who could take it.
  std::optional<absl::Duration> EstimateWait(const CallSlot& call, int position) const;
  // Whether to offer a callback to a new call estimated to wait `wait`.
  bool ShouldOfferCallback(const CallSlot& call, std::optional<absl::Duration> wait,
                           absl::Time now) const;
  // Ends a callback that can no longer be served (window, attempts).
  void WithdrawCallback(CallSlot& call, absl::string_view reason, absl::Time now);
  void SetCallbackPending(CallSlot& call, bool pending);
  // Before an agent's state changes to `next`: if it starts or stops being
  // staffed, counts it in or out of its agent group in each of its queues
  // (the estimated wait sums those counts).
  void NoteStaffing(AgentSlot& agent, AgentState next);
  // The membership's agent group in its queue's index, looked up once.
  AgentGroup& HomeGroup(const AgentSlot& agent, Membership& m);

  // Generations tell a live deadline from a stale one. One counter for all,
  // so a reused call id or queue name never matches an old deadline.
  uint64_t NextGeneration() { return next_generation_++; }

  EngineOptions options_;
  absl::Time now_ = absl::InfinitePast();
  uint64_t next_generation_ = 1;
  int64_t next_seq_ = 1;
  uint64_t next_arrival_order_ = 1;
  uint64_t next_ready_order_ = 1;

  SkillInterner skills_;
  std::vector<RoutingRule> rules_;
  std::vector<Schedule> schedules_;
  // Calls by id, keyed by the slot's own call_id (a slot never changes its
  // id), so that an entry costs one pointer rather than a copy of the id.
  struct CallIdHash {
    using is_transparent = void;
    size_t operator()(absl::string_view id) const { return absl::Hash<absl::string_view>()(id); }
    size_t operator()(const std::unique_ptr<CallSlot>& slot) const;
  };
  struct CallIdEq {
    using is_transparent = void;
    static absl::string_view Id(absl::string_view id) { return id; }
    static absl::string_view Id(const std::unique_ptr<CallSlot>& slot);
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return Id(a) == Id(b);
    }
  };
  absl::flat_hash_set<std::unique_ptr<CallSlot>, CallIdHash, CallIdEq> calls_;
  // The queue names requests named, once each: a call keeps a pointer to its
  // request's (8 bytes rather than a string's 32). Bounded by the names
  // configs have held.
  absl::node_hash_set<std::string> request_queues_;
  absl::flat_hash_map<std::string, std::unique_ptr<AgentSlot>> agents_;
  absl::flat_hash_map<std::string, std::unique_ptr<QueueSlot>> queues_;
  std::deque<std::string> finished_;  // ids of finished calls, oldest first
  DeadlineQueue deadlines_;
  std::vector<Event> outbox_;
};

}  // namespace acd::core

#endif  // ACD_SERVER_CORE_ENGINE_H_
