#include "server/core/engine.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <random>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/core/expr.h"
#include "server/core/prefetch.h"

namespace acd::core {
namespace {

constexpr absl::string_view kReasonLoggedIn = "logged_in";
constexpr absl::string_view kReasonMissedOffers = "missed_offers";
constexpr absl::string_view kReasonRestarted = "acdd_restarted";
// Overflow chains longer than this are refused (and config cycles end here).
constexpr int kMaxOverflowHops = 4;

std::string Quote(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

bool SameRequest(const EnqueueRequest& a, const EnqueueRequest& b) {
  return a.queue == b.queue && a.priority == b.priority && a.required_skills == b.required_skills &&
         a.attributes == b.attributes;
}

// Names the first difference between an earlier request and a repeated one.
std::string FirstDifference(const EnqueueRequest& was, const EnqueueRequest& now) {
  if (was.queue != now.queue)
    return absl::StrCat("queue ", Quote(was.queue), " vs ", Quote(now.queue));
  if (was.priority != now.priority) {
    return absl::StrCat("priority ", was.priority, " vs ", now.priority);
  }
  if (was.required_skills != now.required_skills) return "required_skills differ";
  return "attributes differ";
}

std::string FormatLocal(absl::Time t, const absl::TimeZone& zone) {
  return absl::FormatTime("%Y-%m-%d %H:%M %Z", t, zone);
}

// True if skills `have` meet every level `need` requires.
bool Meets(const SkillLevels& have, const SkillLevels& need) {
  for (const auto& [skill, level] : need) {
    auto it = have.find(skill);
    if (it == have.end() || it->second < level) return false;
  }
  return true;
}

bool IsStaffed(AgentState state) {
  return state == AgentState::kAvailable || state == AgentState::kReserved ||
         state == AgentState::kBusy || state == AgentState::kWrapUp;
}

// Mean handle time over this many of a queue's latest completed calls.
constexpr size_t kHandleTimeSamples = 20;

// Events whose room the outbox keeps between commands (TakeEvents).
constexpr size_t kMaxKeptOutbox = 64;

}  // namespace

// ---------------------------------------------------------------------------
// Internal state

// Live calls of a queue by state: an array in the queue's slot, read and
// written on every change of a call's state.
class CallCounts {
 public:
  int& operator[](CallState state) { return counts_[Index(state)]; }
  int at(CallState state) const { return counts_[Index(state)]; }

 private:
  static constexpr size_t kStates = 16;  // room for the states of types.h
  static_assert(static_cast<size_t>(CallState::kCallbackScheduled) < kStates);
  static size_t Index(CallState state) { return static_cast<size_t>(state); }
  std::array<int, kStates> counts_{};
};

struct QueueSlot {
  QueueConfig config;
  QueueIndex index;
  std::vector<AgentSlot*> members;  // config order
  CallCounts call_counts;
  int overflowed_out = 0;
  int timed_out = 0;
  int rejected = 0;  // refused at arrival: full or closed, nowhere to overflow
  const Schedule* schedule = nullptr;
  bool open = true;
  uint64_t schedule_generation = 0;
  int64_t round_robin_last = -1;  // member index of the last agent offered a call
  std::mt19937_64 random;
  int callbacks_pending = 0;
  // Handle times (talk + wrap-up) of the latest completed calls, for the
  // estimated wait.
  std::deque<absl::Duration> handle_times;
  absl::Duration handle_time_sum = absl::ZeroDuration();

  absl::Duration MeanHandleTime() const {
    if (handle_times.empty()) return config.expected_handle_time;
    return handle_time_sum / static_cast<int64_t>(handle_times.size());
  }
  void AddHandleTime(absl::Duration d) {
    handle_times.push_back(d);
    handle_time_sum += d;
    if (handle_times.size() > kHandleTimeSamples) {
      handle_time_sum -= handle_times.front();
      handle_times.pop_front();
    }
  }

  QueueSlot(const QueueConfig& c, SkillInterner* skills)
      : config(c), index(skills), random(c.random_seed) {}
};

struct Membership {
  QueueSlot* queue;
  int penalty;
  int member_index;
  bool round_robin = false;  // the queue's strategy, here so an offer need not read the queue
  // Its agent group in the queue's index, once looked up: the agent's place
  // while available, and where it counts as staffed.
  AgentGroup* home = nullptr;
  AgentGroup* group = nullptr;  // `home` while available
  AgentKey key{};
};

struct Placement {
  QueueSlot* queue;
  CallGroup* group;
  CallKey key;
};

struct AgentSlot {
  Agent agent;
  SkillSetId profile = 0;
  // Inline (a few queues each): read on every routing decision of the agent.
  absl::InlinedVector<Membership, 3> memberships;
  uint64_t ready_order = 0;
  uint64_t wrap_up_generation = 0;
};

struct CallSlot {
  Call call;
  // The request as received, for idempotent retries, less what the call
  // keeps itself: its id and attributes, which never change. The queue it
  // named is one of Engine::request_queues_ (null for none).
  const std::string* requested_queue = nullptr;
  SkillLevels requested_skills;
  int requested_priority = 0;
  SkillSetId signature = 0;
  size_t next_step = 0;  // next escalation step of its queue
  std::vector<std::string> extra_queues;
  // Inline: one placement is usual, and it is read on every offer.
  absl::InlinedVector<Placement, 1> placements;
  // Bumped so that stale deadlines of an earlier offer / queue are ignored.
  uint64_t offer_generation = 0;
  uint64_t queue_generation = 0;
  uint64_t callback_generation = 0;  // its retry deadline
  uint64_t window_generation = 0;    // its window deadline

  // The end of a callback's window (call.callback_window_end), by its queue's
  // settings when it was asked: a later reload or move does not change it
  // (else the deadline and the checks when an offer returns would disagree,
  // and a callback could outlive both).
  absl::Time window_end() const {
    return call.callback_window_end.value_or(absl::InfiniteFuture());
  }

  EnqueueRequest Request() const {
    return {call.call_id, requested_queue != nullptr ? *requested_queue : std::string(),
            requested_priority, requested_skills, call.attributes};
  }
};

namespace {

// Round robin offers to the members after the last one offered a call first.
std::optional<int64_t> RoundRobinAfter(const QueueSlot& queue) {
  if (queue.config.strategy != Strategy::kRoundRobin) return std::nullopt;
  return queue.round_robin_last;
}

// The request a restored call came from; its own fields stand in for one from
// a log written before requests were kept.
EnqueueRequest RequestOf(const RestoredCall& rc) {
  if (rc.request) return *rc.request;
  const Call& c = rc.call;
  return EnqueueRequest{c.call_id, c.queue, c.priority, c.required_skills, c.attributes};
}

}  // namespace

Engine::Engine(EngineOptions options) : options_(options) {
  // The call just finished must survive Finish(): callers still read it.
  options_.max_finished_calls = std::max<size_t>(options_.max_finished_calls, 1);
}

Engine::~Engine() = default;

// ---------------------------------------------------------------------------
// Config

absl::Status Engine::ApplyConfig(const RoutingConfig& config, absl::Time now) {
  now = Begin(now);
  absl::flat_hash_set<std::string> new_queues;
  for (const QueueConfig& q : config.queues) new_queues.insert(q.name);
  absl::flat_hash_set<std::string> schedules;
  for (const Schedule& s : config.schedules) schedules.insert(s.name);
  auto known = [&](const LimitAction& a) {
    return a.kind != LimitAction::Kind::kOverflow || new_queues.contains(a.queue);
  };
  for (const QueueConfig& q : config.queues) {
    for (const LimitAction* a :
         {&q.on_full, &q.on_timeout, &q.on_no_agent, &q.on_closed, &q.closed_waiting}) {
      if (!known(*a)) {
        return absl::InvalidArgumentError(
            absl::StrCat("queue ", Quote(q.name), " overflows to unknown queue ", Quote(a->queue)));
      }
    }
    for (const EscalationStep& step : q.escalation) {
      for (const std::string& extra : step.add_queues) {
        if (!new_queues.contains(extra)) {
          return absl::InvalidArgumentError(
              absl::StrCat("queue ", Quote(q.name), " escalates to unknown queue ", Quote(extra)));
        }
      }
    }
    if (!q.schedule.empty() && !schedules.contains(q.schedule)) {
      return absl::InvalidArgumentError(
          absl::StrCat("queue ", Quote(q.name), " names unknown schedule ", Quote(q.schedule)));
    }
  }
  absl::flat_hash_set<std::string> new_agents;
  for (const AgentConfig& a : config.agents) {
    new_agents.insert(a.agent_id);
    for (const std::string& q : a.queues) {
      if (!new_queues.contains(q)) {
        return absl::InvalidArgumentError(
            absl::StrCat("agent ", Quote(a.agent_id), " names unknown queue ", Quote(q)));
      }
    }
  }
  for (const RoutingRule& r : config.rules) {
    if (!new_queues.contains(r.queue)) {
      return absl::InvalidArgumentError(
          absl::StrCat("rule ", Quote(r.name), " names unknown queue ", Quote(r.queue)));
    }
  }
  // Refuse before changing anything.
  for (const auto& [name, queue] : queues_) {
    if (new_queues.contains(name)) continue;
    int live = queue->call_counts[CallState::kQueued] + queue->call_counts[CallState::kOffered] +
               queue->call_counts[CallState::kConnected] + queue->call_counts[CallState::kWrapUp] +
               queue->call_counts[CallState::kCallbackScheduled];
    if (live > 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "queue ", Quote(name), " cannot be removed: it holds ", live, " live call(s)"));
    }
    // A transfer to an agent in progress goes there if the agent does not take it.
    int fallbacks = 0;
    for (const auto& call : calls_) {
      fallbacks += !IsFinal(call->call.state) && call->call.transfer_fallback == name;
    }
    if (fallbacks > 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("queue ", Quote(name), " cannot be removed: it is the fallback of ",
                       fallbacks, " transfer(s) in progress"));
    }
  }
  for (const auto& [id, agent] : agents_) {
    if (new_agents.contains(id)) continue;
    AgentState s = agent->agent.state;
    if (s == AgentState::kBusy || s == AgentState::kWrapUp) {
      return absl::FailedPreconditionError(
          absl::StrCat("agent ", Quote(id), " cannot be removed while ", AgentStateName(s),
                       " with call ", Quote(agent->agent.call_id)));
    }
  }

  // Removed agents are logged out (their offers go back) and forgotten.
  std::vector<std::string> removed_agents;
  for (const auto& [id, agent] : agents_) {
    if (!new_agents.contains(id)) removed_agents.push_back(id);
  }
  std::sort(removed_agents.begin(), removed_agents.end());
  for (const std::string& id : removed_agents) {
    if (agents_[id]->agent.state != AgentState::kLoggedOut) {
      absl::StatusOr<Agent> out = Logout(id, now);
      if (!out.ok()) return out.status();  // not reached: checked above
    }
    agents_.erase(id);
  }

  // The indexes are rebuilt from scratch: take every waiting call and every
  // available agent out, swap the config in, and put them back.
  // Hash maps iterate in an order that differs between processes; everything
  // that arms deadlines or draws random keys goes in a fixed order instead,
  // so the same commands give the same events anywhere.
  std::vector<CallSlot*> waiting;
  std::vector<CallSlot*> offered;
  for (const auto& call : calls_) {
    if (call->call.state == CallState::kQueued) {
      Unwait(*call);
      waiting.push_back(call.get());
    } else if (call->call.state == CallState::kOffered ||
               call->call.state == CallState::kCallbackScheduled) {
      // A callback waiting for its retry comes back under the new settings
      // too (never into a queue escalation widened it to that is gone).
      offered.push_back(call.get());
    }
  }
  auto by_arrival = [](const CallSlot* a, const CallSlot* b) {
    return a->call.arrival_order < b->call.arrival_order;
  };
  std::sort(waiting.begin(), waiting.end(), by_arrival);
  std::sort(offered.begin(), offered.end(), by_arrival);
  for (auto& [id, agent] : agents_) {
    if (agent->agent.state == AgentState::kAvailable) RemoveAvailable(*agent);
    agent->memberships.clear();
  }

  rules_ = config.rules;
  schedules_ = config.schedules;
  absl::flat_hash_map<std::string, std::unique_ptr<QueueSlot>> old = std::move(queues_);
  queues_.clear();
  for (const QueueConfig& q : config.queues) {
    auto state = std::make_unique<QueueSlot>(q, &skills_);
    if (auto it = old.find(q.name); it != old.end()) {
      // Counters and the round-robin pointer survive a reload.
      state->call_counts = std::move(it->second->call_counts);
      state->overflowed_out = it->second->overflowed_out;
      state->timed_out = it->second->timed_out;
      state->rejected = it->second->rejected;
      state->round_robin_last = it->second->round_robin_last;
      state->callbacks_pending = it->second->callbacks_pending;
      state->handle_times = std::move(it->second->handle_times);
      state->handle_time_sum = it->second->handle_time_sum;
    }
    // A fresh generation: edges armed for an earlier queue of this name are stale.
    state->schedule_generation = NextGeneration();
    for (const Schedule& s : schedules_) {
      if (s.name == q.schedule) state->schedule = &s;
    }
    state->open = state->schedule == nullptr || IsOpen(*state->schedule, now);
    queues_.emplace(q.name, std::move(state));
  }

  // Agents: settings from config, live state kept.
  for (const AgentConfig& a : config.agents) {
    auto& slot = agents_[a.agent_id];
    if (!slot) {
      slot = std::make_unique<AgentSlot>();
      slot->agent.agent_id = a.agent_id;
      slot->wrap_up_generation = NextGeneration();
      slot->agent.state_since = now;
    }
    slot->agent.name = a.name.empty() ? a.agent_id : a.name;
    slot->agent.skills = a.skills;
    slot->agent.queues = a.queues;
    slot->profile = skills_.Intern(a.skills);
    for (const std::string& q : a.queues) {
      QueueSlot& queue = *queues_.at(q);
      auto p = a.penalties.find(q);
      slot->memberships.push_back(
          Membership{.queue = &queue,
                     .penalty = p == a.penalties.end() ? 0 : p->second,
                     .member_index = static_cast<int>(queue.members.size()),
                     .round_robin = queue.config.strategy == Strategy::kRoundRobin});
      queue.members.push_back(slot.get());
      if (IsStaffed(slot->agent.state)) HomeGroup(*slot, slot->memberships.back()).staffed++;
    }
  }
  // Members in config order: the round-robin order.
  for (auto& [name, queue] : queues_) {
    std::vector<AgentSlot*> ordered;
    for (const AgentConfig& a : config.agents) {
      for (const std::string& q : a.queues) {
        if (q == name) ordered.push_back(agents_.at(a.agent_id).get());
      }
    }
    queue->members = std::move(ordered);
  }
  std::vector<AgentSlot*> agents_by_id;
  for (auto& [id, agent] : agents_) agents_by_id.push_back(agent.get());
  std::sort(agents_by_id.begin(), agents_by_id.end(), [](const AgentSlot* a, const AgentSlot* b) {
    return a->agent.agent_id < b->agent.agent_id;
  });
  for (AgentSlot* agent : agents_by_id) {
    if (agent->agent.state == AgentState::kAvailable) AddAvailable(*agent);
  }
  // Waiting calls (queued or offered) restart their limits and escalation
  // under the new settings; deadlines armed under the old ones go stale.
  auto restart = [&](CallSlot& call) {
    call.queue_generation = NextGeneration();
    call.next_step = 0;
    SetEffectiveSkills(call, call.call.required_skills);
    call.extra_queues.clear();
    if (call.call.state == CallState::kQueued) Wait(call);
    // A callback waiting for its retry arms them when it comes back.
    if (call.call.state != CallState::kCallbackScheduled) ArmCallDeadlines(call, now);
  };
  for (CallSlot* call : offered) restart(*call);
  for (CallSlot* call : waiting) restart(*call);
  for (const QueueConfig& q : config.queues) ArmScheduleEdge(*queues_.at(q.name), now);

  Emit(EventType::kConfigApplied, now, nullptr, nullptr,
       absl::StrCat(config.queues.size(), " queues, ", config.agents.size(), " agents, ",
                    config.rules.size(), " rules"));
  RouteAll(now);
  return absl::OkStatus();
}

absl::Status Engine::Restore(const RestoredState& state, absl::Time now) {
  now = Begin(now);
  if (!calls_.empty()) {
    return absl::FailedPreconditionError("restore must come before any call is taken");
  }
  auto live = [](const Call& c) { return !IsFinal(c.state); };
  // Refuse before changing anything: the config must take every live call.
  absl::btree_map<std::string, int> missing_queues;
  absl::btree_map<std::string, std::string> missing_agents;  // agent -> call
  for (const RestoredCall& rc : state.calls) {
    const Call& c = rc.call;
    if (!live(c)) continue;
    if (Queue(c.queue) == nullptr) missing_queues[c.queue]++;
    if (!c.transfer_fallback.empty() && Queue(c.transfer_fallback) == nullptr) {
      missing_queues[c.transfer_fallback]++;
    }
    if ((c.state == CallState::kConnected || c.state == CallState::kWrapUp) &&
        !agents_.contains(c.agent_id)) {
      missing_agents[c.agent_id] = c.call_id;
    }
  }
  if (!missing_queues.empty() || !missing_agents.empty()) {
    std::vector<std::string> parts;
    for (const auto& [queue, n] : missing_queues) {
      parts.push_back(absl::StrCat("queue ", Quote(queue), " (", n, " live call(s))"));
    }
    for (const auto& [agent, call] : missing_agents) {
      parts.push_back(absl::StrCat("agent ", Quote(agent), " (on call ", Quote(call), ")"));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "the store holds live calls that the config cannot take: ", absl::StrJoin(parts, ", "),
        " not configured; put them back, then move or finish those calls before removing them"));
  }

  std::vector<const RestoredCall*> ordered;
  for (const RestoredCall& rc : state.calls) {
    if (live(rc.call)) ordered.push_back(&rc);
  }
  std::sort(ordered.begin(), ordered.end(), [](const RestoredCall* a, const RestoredCall* b) {
    return std::pair(a->call.arrival_order, a->call.enqueued_at) <
           std::pair(b->call.arrival_order, b->call.enqueued_at);
  });
  // Which agent holds which call: the calls say (an agent's snapshot may be
  // a step behind if a crash split a command's events across commits).
  absl::flat_hash_map<std::string, const Call*> held;
  for (const RestoredCall* rc : ordered) {
    CallState s = rc->call.state;
    if ((s == CallState::kOffered || s == CallState::kConnected || s == CallState::kWrapUp) &&
        agents_.contains(rc->call.agent_id)) {
      held[rc->call.agent_id] = &rc->call;
    }
  }

  // Agents first, so calls find their agents in place. Fixed order, as in
  // ApplyConfig: available agents are indexed in idle order.
  std::vector<const Agent*> snapshots;
  absl::flat_hash_map<absl::string_view, const Agent*> by_id;
  for (const Agent& a : state.agents) {
    if (!agents_.contains(a.agent_id)) continue;
    snapshots.push_back(&a);
    by_id[a.agent_id] = &a;
  }
  std::sort(snapshots.begin(), snapshots.end(), [](const Agent* a, const Agent* b) {
    if (a->idle_since != b->idle_since) return a->idle_since < b->idle_since;
    return a->agent_id < b->agent_id;
  });
  int logged_in = 0;
  std::vector<AgentSlot*> orphaned;  // held a call that is no longer live
  for (const Agent* snapshot : snapshots) {
    AgentSlot& agent = *agents_.at(snapshot->agent_id);
    Agent& a = agent.agent;
    a.calls_handled = snapshot->calls_handled;
    a.talk_time = snapshot->talk_time;
    a.consecutive_missed_offers = snapshot->consecutive_missed_offers;
    a.pending_away_reason = snapshot->pending_away_reason;
    AgentState next = snapshot->state;
    if (auto it = held.find(a.agent_id); it != held.end()) {
      next = it->second->state == CallState::kOffered  ? AgentState::kReserved
             : it->second->state == CallState::kWrapUp ? AgentState::kWrapUp
                                                       : AgentState::kBusy;
    } else if (next == AgentState::kReserved || next == AgentState::kBusy ||
               next == AgentState::kWrapUp) {
      orphaned.push_back(&agent);
      next = AgentState::kAvailable;
    }
    if (next == AgentState::kLoggedOut) continue;
    ++logged_in;
    if (next == AgentState::kAvailable) {
      MakeAvailable(agent, snapshot->idle_since, now);
    } else {
      SetAgentState(agent, next, now);
      a.idle_since = snapshot->idle_since;
      if (next == AgentState::kAway) a.away_reason = snapshot->away_reason;
    }
    a.state_since = snapshot->state_since;
  }
  // Agents logged in at the crash but not in the snapshots (none in a
  // consistent log) stay logged out; an agent holding a call is logged in.
  for (const auto& [id, call] : held) {
    AgentSlot& agent = *agents_.at(id);
    if (agent.agent.state != AgentState::kLoggedOut) continue;
    ++logged_in;
    SetAgentState(agent,
                  call->state == CallState::kOffered  ? AgentState::kReserved
                  : call->state == CallState::kWrapUp ? AgentState::kWrapUp
                                                      : AgentState::kBusy,
                  now);
  }

  std::vector<std::pair<CallSlot*, AgentSlot*>> offers;
  for (const RestoredCall* rc : ordered) {
    auto slot = std::make_unique<CallSlot>();
    CallSlot& call = *slot;
    call.call = rc->call;
    Call& c = call.call;
    c.position = 0;
    c.estimated_wait.reset();
    KeepRequest(call, RequestOf(*rc));
    // Escalation is taken again from the arrival (silently: the steps up to
    // the crash were announced then; those due while down apply now).
    SetEffectiveSkills(call, c.required_skills);
    call.offer_generation = NextGeneration();
    call.queue_generation = NextGeneration();
    // The index tells waiting calls apart by arrival order: one a log shares
    // with another (written before the order was kept) takes the next.
    if (c.arrival_order < next_arrival_order_) c.arrival_order = next_arrival_order_;
    next_arrival_order_ = c.arrival_order + 1;
    QueueSlot& queue = *Queue(c.queue);
    queue.call_counts[c.state]++;
    calls_.insert(std::move(slot));
    c.callback_pending = false;  // counted in its queue by SetCallbackPending
    if (rc->call.callback_pending) {
      SetCallbackPending(call, true);
      call.window_generation = NextGeneration();
      PushDeadline(call.window_end(), DeadlineKind::kCallbackWindow, c.call_id,
                   call.window_generation);
    }
    AgentSlot* agent = nullptr;
    if (auto it = agents_.find(c.agent_id); it != agents_.end()) agent = it->second.get();
    switch (c.state) {
      case CallState::kQueued:
        c.agent_id.clear();
        TakeEscalationSteps(call, now);
        Wait(call);
        ArmCallDeadlines(call, now, /*restoring=*/true);
        break;
      case CallState::kOffered:
        TakeEscalationSteps(call, now);
        ArmCallDeadlines(call, now, /*restoring=*/true);
        if (agent != nullptr) {
          agent->agent.call_id = c.call_id;
          offers.emplace_back(&call, agent);
        } else {
          // Offered to an agent the config no longer has: back in line.
          SetCallState(call, CallState::kQueued);
          c.agent_id.clear();
          c.offer_expires_at.reset();
          std::string fallback = std::move(c.transfer_fallback);
          c.transfer_fallback.clear();
          Wait(call);
          Emit(EventType::kOfferWithdrawn, now, &call, nullptr, kReasonRestarted);
          if (!fallback.empty()) {
            MoveToQueue(call, *Queue(fallback), "transfer not taken", now,
                        EventType::kCallTransferred);
          }
        }
        break;
      case CallState::kConnected:
        agent->agent.call_id = c.call_id;
        break;
      case CallState::kWrapUp: {
        agent->agent.call_id = c.call_id;
        absl::Time until = c.ended_at.value_or(now) + queue.config.wrap_up_time;
        if (auto it = by_id.find(c.agent_id);
            it != by_id.end() && it->second->call_id == c.call_id && it->second->wrap_up_until) {
          until = *it->second->wrap_up_until;
        }
        agent->agent.wrap_up_until = until;
        agent->wrap_up_generation = NextGeneration();
        PushDeadline(until, DeadlineKind::kWrapUpEnd, agent->agent.agent_id,
                     agent->wrap_up_generation);
        break;
      }
      case CallState::kCallbackScheduled:
        c.agent_id.clear();
        call.callback_generation = NextGeneration();
        PushDeadline(c.callback_retry_at.value_or(now), DeadlineKind::kCallbackRetry, c.call_id,
                     call.callback_generation);
        break;
      default:
        break;  // final states were left out above
    }
  }
  for (const auto& [queue, times] : state.handle_times) {
    if (QueueSlot* q = Queue(queue)) {
      for (absl::Duration d : times) q->AddHandleTime(d);
    }
  }
  // Finished calls, oldest first as Finish() keeps them; in no queue's counts.
  for (const RestoredCall& rc : state.finished) {
    if (live(rc.call) || calls_.contains(rc.call.call_id)) continue;
    auto slot = std::make_unique<CallSlot>();
    slot->call = rc.call;
    slot->call.position = 0;
    slot->call.estimated_wait.reset();
    slot->call.callback_pending = false;
    KeepRequest(*slot, RequestOf(rc));
    // Its effective skills as it finished; no signature: a finished call is
    // never indexed.
    next_arrival_order_ = std::max(next_arrival_order_, rc.call.arrival_order + 1);
    finished_.push_back(rc.call.call_id);
    calls_.insert(std::move(slot));
  }
  ForgetOldestFinished();

  Emit(EventType::kStateRestored, now, nullptr, nullptr,
       absl::StrCat(ordered.size(), " live calls, ", logged_in, " agents logged in"));
  for (AgentSlot* agent : orphaned) {
    Emit(EventType::kAgentStateChanged, now, nullptr, agent, kReasonRestarted);
  }
  // Offers out at the crash: the desktops that had them are gone.
  for (auto& [call, agent] : offers) {
    ReturnOffer(*call, *agent, EventType::kOfferWithdrawn, kReasonRestarted, /*missed=*/false, now);
    CheckOverdue(*call, now);
  }
  // Whatever fell due while acdd was down (limits, wrap-up ends, retries,
  // windows), then routing as usual.
  AdvanceTo(now);
  RouteAll(now);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Calls

absl::StatusOr<EnqueueRequest> Engine::ApplyRules(const EnqueueRequest& request) const {
  if (!request.queue.empty()) return request;
  for (const RoutingRule& rule : rules_) {
    if (rule.when != nullptr && !rule.when->Evaluate(request.attributes)) continue;
    EnqueueRequest routed = request;
    routed.queue = rule.queue;
    if (rule.priority) routed.priority = *rule.priority;
    if (!rule.skills.empty()) {
      SkillLevels::map_type skills = routed.required_skills.map();
      for (const auto& [skill, level] : rule.skills) {
        int& have = skills[skill];
        have = std::max(have, level);
      }
      routed.required_skills = std::move(skills);
    }
    return routed;
  }
  std::vector<std::string> attrs;
  for (const auto& [k, v] : request.attributes)
    attrs.push_back(absl::StrCat(k, "=", QuoteValue(v)));
  return absl::InvalidArgumentError(
      absl::StrCat("no queue given and no routing rule matches the attributes {",
                   absl::StrJoin(attrs, ", "), "}"));
}

absl::StatusOr<QueueSlot*> Engine::Admit(QueueSlot* queue, absl::Time now, std::string* via) const {
  for (int hop = 0; hop <= kMaxOverflowHops; ++hop) {
    const QueueConfig& c = queue->config;
    const LimitAction* action = nullptr;
    absl::Status refusal;
    if (!queue->open) {
      std::optional<absl::Time> opens = NextOpen(*queue->schedule, now);
      refusal = absl::FailedPreconditionError(absl::StrCat(
          "queue ", Quote(c.name), " is closed",
          opens ? absl::StrCat("; it opens at ", FormatLocal(*opens, queue->schedule->zone))
                : "; its schedule never opens"));
      action = &c.on_closed;
    } else if (c.max_size > 0 &&
               queue->call_counts[CallState::kQueued] + queue->call_counts[CallState::kOffered] >=
                   c.max_size) {
      refusal = absl::ResourceExhaustedError(absl::StrCat(
          "queue ", Quote(c.name), " is full (max_size ", c.max_size, " calls waiting)"));
      action = &c.on_full;
    } else {
      return queue;
    }
    if (action->kind != LimitAction::Kind::kOverflow) return refusal;
    absl::StrAppend(via, via->empty() ? "" : ",", c.name);
    queue = Queue(action->queue);
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("overflow chain ", *via, " is longer than ", kMaxOverflowHops, " queues"));
}

void Engine::CountOverflows(absl::string_view via) {
  // Each queue a call overflowed from on its way in counts it as moved on.
  for (absl::string_view name : absl::StrSplit(via, ',', absl::SkipEmpty())) {
    Queue(name)->overflowed_out++;
  }
}

absl::StatusOr<EnqueueResult> Engine::EnqueueCall(const EnqueueRequest& request, absl::Time now) {
  now = Begin(now);
  if (absl::Status s = ValidateId("call_id", request.call_id); !s.ok()) return s;
  // Its entry's lines load during the other checks: looked up next, written
  // later.
  calls_.prefetch(request.call_id);
  if (request.priority < kMinPriority || request.priority > kMaxPriority) {
    return absl::InvalidArgumentError(absl::StrCat("priority ", request.priority,
                                                   " is out of range [", kMinPriority, ", ",
                                                   kMaxPriority, "]"));
  }
  if (absl::Status s = ValidateOptionalId("queue", request.queue); !s.ok()) return s;
  if (absl::Status s = ValidateRequiredSkills(request.required_skills); !s.ok()) return s;
  if (absl::Status s = ValidateAttributes(request.attributes); !s.ok()) return s;
  if (auto it = calls_.find(request.call_id); it != calls_.end()) {
    const EnqueueRequest was = (*it)->Request();
    if (SameRequest(was, request)) return EnqueueResult{ReadView(**it), false};
    return absl::AlreadyExistsError(absl::StrCat("call ", Quote(request.call_id),
                                                 " already exists with different content (",
                                                 FirstDifference(was, request), ")"));
  }
  absl::StatusOr<EnqueueRequest> routed = ApplyRules(request);
  if (!routed.ok()) return routed.status();
  QueueSlot* home = Queue(routed->queue);
  if (home == nullptr) {
    return absl::NotFoundError(absl::StrCat("unknown queue ", Quote(routed->queue)));
  }
  std::string via;
  absl::StatusOr<QueueSlot*> admitted = Admit(home, now, &via);
  if (!admitted.ok()) {
    home->rejected++;
    return admitted.status();
  }

  auto slot = std::make_unique<CallSlot>();
  CallSlot& ref = *slot;
  KeepRequest(ref, request);
  Call& call = ref.call;
  call.call_id = request.call_id;
  call.queue = (*admitted)->config.name;
  call.priority = routed->priority;
  call.required_skills = routed->required_skills;
  call.attributes = routed->attributes;
  call.state = CallState::kQueued;
  call.enqueued_at = now;
  call.arrival_order = next_arrival_order_++;
  SetEffectiveSkills(ref, call.required_skills);
  // Shared with the interned copy rather than kept once more.
  call.required_skills = call.effective_skills;
  if (ref.requested_skills == call.required_skills) ref.requested_skills = call.required_skills;
  call.queue_entered_at = now;
  // Fresh generations: deadlines of an earlier call with this id are stale.
  ref.offer_generation = NextGeneration();
  ref.queue_generation = NextGeneration();
  calls_.insert(std::move(slot));
  (*admitted)->call_counts[CallState::kQueued]++;
  CountOverflows(via);
  // A call an available agent can take is offered without entering the
  // waiting indexes (which would make and drop its group); the events are
  // those of queued-then-offered all the same.
  QueueSlot& queue = **admitted;
  const AgentKey* taker = queue.index.BestAgent(
      ref.signature, queue.config.strategy == Strategy::kBestSkill, RoundRobinAfter(queue));
  if (taker == nullptr) {
    Wait(ref);
  } else {
    // The agent's lines load while the call_queued event is built.
    PrefetchObject(*taker->agent);
    PrefetchAgent(*taker->agent, /*deep=*/false);
  }
  Emit(EventType::kCallQueued, now, &ref, nullptr,
       via.empty() ? "" : absl::StrCat("overflowed from ", via));
  // The store keeps the request, so a retry after a restart is still a retry.
  outbox_.back().request = request;
  if (taker != nullptr) PrefetchAgent(*taker->agent, /*deep=*/true);
  ArmCallDeadlines(ref, now);
  if (taker != nullptr) Offer(ref, *taker->agent, now);
  EnqueueResult result{ReadView(ref), true};
  if (ShouldOfferCallback(ref, result.call.estimated_wait, now)) {
    result.callback_offered = true;
    Emit(EventType::kCallbackOffered, now, &ref, nullptr,
         absl::StrCat("estimated wait ", absl::FormatDuration(absl::Trunc(
                                             *result.call.estimated_wait, absl::Seconds(1)))));
  }
  return result;
}

absl::StatusOr<Call> Engine::AbandonCall(absl::string_view call_id, absl::string_view reason,
                                         absl::Time now) {
  now = Begin(now);
  if (absl::Status s = ValidateText("reason", reason, kMaxReasonLength); !s.ok()) return s;
  absl::StatusOr<CallSlot*> found = FindCall(call_id);
  if (!found.ok()) return found.status();
  CallSlot& call = **found;
  std::string why = reason.empty() ? "caller_hangup" : std::string(reason);
  if (call.call.callback_pending) {
    return absl::FailedPreconditionError(
        absl::StrCat("call ", Quote(call_id), " is a callback to ", call.call.callback_number.str(),
                     ": the caller has hung up already; it ends when served or withdrawn"));
  }
  AgentSlot* freed = nullptr;
  switch (call.call.state) {
    case CallState::kAbandoned:
      return CallView(call);  // a retry
    case CallState::kQueued:
      Unwait(call);
      break;
    case CallState::kOffered: {
      freed = agents_.at(call.call.agent_id).get();
      call.call.transfer_fallback.clear();  // the caller is gone: no fallback
      ReturnOffer(call, *freed, EventType::kOfferWithdrawn, why, /*missed=*/false, now);
      Unwait(call);
      break;
    }
    default:
      return absl::FailedPreconditionError(
          absl::StrCat("call ", Quote(call_id), " is ", CallStateName(call.call.state),
                       "; only a queued or offered call can be abandoned",
                       call.call.state == CallState::kConnected ? " (use EndCall)" : ""));
  }
  SetCallState(call, CallState::kAbandoned);
  call.call.ended_at = now;
  call.call.end_reason = why;
  Emit(EventType::kCallAbandoned, now, &call, nullptr, why);
  Call view = CallView(call);
  Finish(call);
  if (freed != nullptr) RouteAgent(*freed, now);
  return view;
}

absl::StatusOr<Call> Engine::EndCall(absl::string_view call_id, absl::Time now) {
  now = Begin(now);
  absl::StatusOr<CallSlot*> found = FindCall(call_id);
  if (!found.ok()) return found.status();
  CallSlot& call = **found;
  if (call.call.state == CallState::kWrapUp || call.call.state == CallState::kCompleted) {
    return CallView(call);  // a retry
  }
  if (call.call.state != CallState::kConnected) {
    return absl::FailedPreconditionError(
        absl::StrCat("call ", Quote(call_id), " is ", CallStateName(call.call.state),
                     "; only a connected call can be ended",
                     call.call.state == CallState::kQueued || call.call.state == CallState::kOffered
                         ? " (use AbandonCall)"
                         : ""));
  }
  AgentSlot& agent = *agents_.at(call.call.agent_id);
  call.call.ended_at = now;
  agent.agent.calls_handled++;
  agent.agent.talk_time += now - *call.call.connected_at;
  SetCallState(call, CallState::kWrapUp);
  SetAgentState(agent, AgentState::kWrapUp, now);
  const QueueConfig& queue = Queue(call.call.queue)->config;
  if (queue.wrap_up_time <= absl::ZeroDuration()) {
    Emit(EventType::kCallEnded, now, &call, &agent, "");
    FinishWrapUp(call, agent, "no_wrap_up", now);
    return CallView(call);
  }
  agent.agent.wrap_up_until = now + queue.wrap_up_time;
  agent.wrap_up_generation = NextGeneration();
  PushDeadline(*agent.agent.wrap_up_until, DeadlineKind::kWrapUpEnd, agent.agent.agent_id,
               agent.wrap_up_generation);
  Emit(EventType::kCallEnded, now, &call, &agent, "");
  return CallView(call);
}

void Engine::ReleaseAgent(CallSlot& call, AgentSlot& agent, absl::string_view why, absl::Time now) {
  agent.agent.calls_handled++;
  agent.agent.talk_time += now - *call.call.connected_at;
  agent.agent.call_id.clear();
  if (!agent.agent.pending_away_reason.empty()) {
    agent.agent.away_reason = std::move(agent.agent.pending_away_reason);
    agent.agent.pending_away_reason.clear();
    SetAgentState(agent, AgentState::kAway, now);
  } else {
    MakeAvailable(agent, now, now);
  }
  call.call.connected_at.reset();
  call.call.offered_at.reset();
  // The log must show the agent leaving BUSY, with its counters.
  Emit(EventType::kAgentStateChanged, now, nullptr, &agent, why);
}

absl::StatusOr<Call> Engine::TransferToQueue(absl::string_view call_id, absl::string_view queue,
                                             std::optional<int> priority, absl::Time now) {
  now = Begin(now);
  if (absl::Status s = ValidateId("queue", queue); !s.ok()) return s;
  absl::StatusOr<CallSlot*> found = FindCall(call_id);
  if (!found.ok()) return found.status();
  CallSlot& call = **found;
  if (call.call.state != CallState::kConnected) {
    return absl::FailedPreconditionError(
        absl::StrCat("call ", Quote(call_id), " is ", CallStateName(call.call.state),
                     "; only a connected call can be transferred"));
  }
  if (priority && (*priority < kMinPriority || *priority > kMaxPriority)) {
    return absl::InvalidArgumentError(absl::StrCat("priority ", *priority, " is out of range [",
                                                   kMinPriority, ", ", kMaxPriority, "]"));
  }
  QueueSlot* target = Queue(queue);
  if (target == nullptr) return absl::NotFoundError(absl::StrCat("unknown queue ", Quote(queue)));
  std::string via;
  absl::StatusOr<QueueSlot*> admitted = Admit(target, now, &via);
  if (!admitted.ok()) return admitted.status();
  CountOverflows(via);
  AgentSlot& agent = *agents_.at(call.call.agent_id);
  ReleaseAgent(call, agent, absl::StrCat("transferred ", call_id), now);
  call.call.transfers++;
  if (priority && *priority > call.call.priority) call.call.priority = *priority;
  std::string from_agent = call.call.agent_id;
  call.call.agent_id.clear();
  MoveToQueue(call, **admitted, absl::StrCat("transfer by ", from_agent), now,
              EventType::kCallTransferred);
  RouteAgent(agent, now);
  return CallView(call);
}

absl::StatusOr<Call> Engine::TransferToAgent(absl::string_view call_id, absl::string_view agent_id,
                                             absl::string_view fallback, absl::Time now) {
  now = Begin(now);
  if (absl::Status s = ValidateOptionalId("fallback_queue", fallback); !s.ok()) return s;
  absl::StatusOr<CallSlot*> found = FindCall(call_id);
  if (!found.ok()) return found.status();
  CallSlot& call = **found;
  if (call.call.state != CallState::kConnected) {
    return absl::FailedPreconditionError(
        absl::StrCat("call ", Quote(call_id), " is ", CallStateName(call.call.state),
                     "; only a connected call can be transferred"));
  }
  absl::StatusOr<AgentSlot*> target = FindAgent(agent_id);
  if (!target.ok()) return target.status();
  if ((*target)->agent.state != AgentState::kAvailable) {
    return absl::FailedPreconditionError(
        absl::StrCat("agent ", Quote(agent_id), " is ", AgentStateName((*target)->agent.state),
                     "; a call can be transferred only to an available agent"));
  }
  std::string fallback_queue = fallback.empty() ? call.call.queue : std::string(fallback);
  if (Queue(fallback_queue) == nullptr) {
    return absl::NotFoundError(absl::StrCat("unknown fallback queue ", Quote(fallback_queue)));
  }
  AgentSlot& from = *agents_.at(call.call.agent_id);
  std::string from_agent = call.call.agent_id;
  ReleaseAgent(call, from, absl::StrCat("transferred ", call_id), now);
  call.call.transfers++;
  call.call.agent_id.clear();
  call.call.transfer_fallback = fallback_queue;
  // Out of the queue's reach: only the target may take it now.
  SetCallState(call, CallState::kQueued);
  call.queue_generation = NextGeneration();
  Emit(EventType::kCallTransferred, now, &call, nullptr,
       absl::StrCat("transfer by ", from_agent, " to agent ", agent_id));
  Offer(call, **target, now);
  RouteAgent(from, now);
  return CallView(call);
}

absl::StatusOr<Call> Engine::MoveCall(absl::string_view call_id, absl::string_view queue,
                                      absl::Time now) {
  now = Begin(now);
  if (absl::Status s = ValidateId("queue", queue); !s.ok()) return s;
  absl::StatusOr<CallSlot*> found = FindCall(call_id);
  if (!found.ok()) return found.status();
  CallSlot& call = **found;
  QueueSlot* target = Queue(queue);
  if (target == nullptr) return absl::NotFoundError(absl::StrCat("unknown queue ", Quote(queue)));
  if (call.call.state != CallState::kQueued && call.call.state != CallState::kOffered) {
    return absl::FailedPreconditionError(absl::StrCat("call ", Quote(call_id), " is ",
                                                      CallStateName(call.call.state),
                                                      "; only a waiting call can be moved"));
  }
  if (call.call.queue == queue) return CallView(call);
  AgentSlot* freed = nullptr;
  call.call.transfer_fallback.clear();  // the supervisor decides instead
  if (call.call.state == CallState::kOffered) {
    freed = agents_.at(call.call.agent_id).get();
    ReturnOffer(call, *freed, EventType::kOfferWithdrawn, "moved", /*missed=*/false, now);
  }
  call.call.transfers++;
  MoveToQueue(call, *target, "moved by supervisor", now, EventType::kCallTransferred);
  // A callback whose window passed while it was offered ends now (limits
  // restarted in the new queue, so they are not due).
  CheckOverdue(call, now);
  if (freed != nullptr) RouteAgent(*freed, now);
  return CallView(call);
}

// ---------------------------------------------------------------------------
// Callbacks

absl::StatusOr<Call> Engine::RequestCallback(absl::string_view call_id, absl::string_view number,
                                             absl::Time now) {
  now = Begin(now);
  if (absl::Status s = ValidateCallbackNumber(number); !s.ok()) return s;
  absl::StatusOr<CallSlot*> found = FindCall(call_id);
  if (!found.ok()) return found.status();
  CallSlot& call = **found;
  if (!call.call.callback_number.empty()) {
    if (call.call.callback_number == number) return ReadView(call);  // a retry
    return absl::FailedPreconditionError(absl::StrCat(
        "call ", Quote(call_id), " is already a callback to ", call.call.callback_number.str()));
  }
  if (call.call.state != CallState::kQueued) {
    return absl::FailedPreconditionError(absl::StrCat(
        "call ", Quote(call_id), " is ", CallStateName(call.call.state),
        "; only a queued call can become a callback",
        call.call.state == CallState::kOffered ? " (an agent is being offered it now)" : ""));
  }
  QueueSlot& queue = *Queue(call.call.queue);
  const CallbackPolicy& policy = queue.config.callback;
  if (!policy.enabled) {
    return absl::FailedPreconditionError(
        absl::StrCat("queue ", Quote(queue.config.name), " does not take callbacks"));
  }
  if (policy.max_pending > 0 && queue.callbacks_pending >= policy.max_pending) {
    return absl::ResourceExhaustedError(
        absl::StrCat("queue ", Quote(queue.config.name), " already holds ", queue.callbacks_pending,
                     " pending callbacks (callback.max_pending ", policy.max_pending, ")"));
  }
  call.call.callback_number = std::string(number);
  call.call.callback_requested_at = now;
  call.call.callback_window_end = now + policy.window;
  SetCallbackPending(call, true);
  call.window_generation = NextGeneration();
  PushDeadline(call.window_end(), DeadlineKind::kCallbackWindow, call.call.call_id,
               call.window_generation);
  Emit(EventType::kCallbackRequested, now, &call, nullptr, "");
  return ReadView(call);
}

absl::StatusOr<Call> Engine::CallbackFailed(absl::string_view call_id, absl::string_view reason,
                                            absl::Time now) {
  now = Begin(now);
  if (absl::Status s = ValidateText("reason", reason, kMaxReasonLength); !s.ok()) return s;
  absl::StatusOr<CallSlot*> found = FindCall(call_id);
  if (!found.ok()) return found.status();
  CallSlot& call = **found;
  if (call.call.callback_number.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("call ", Quote(call_id), " is not a callback"));
  }
  // A repeat after the failure took effect (the retry not yet due, or the
  // callback withdrawn) answers with the call as it is.
  if (call.call.state == CallState::kCallbackScheduled ||
      (call.call.state == CallState::kTimedOut && call.call.end_reason == "callback_withdrawn")) {
    return ReadView(call);
  }
  if (call.call.state != CallState::kConnected) {
    return absl::FailedPreconditionError(
        absl::StrCat("call ", Quote(call_id), " is ", CallStateName(call.call.state),
                     "; only a callback an agent accepted (CONNECTED) can fail its dial"));
  }
  std::string why = reason.empty() ? "no_answer" : std::string(reason);
  AgentSlot& agent = *agents_.at(call.call.agent_id);
  ReleaseAgent(call, agent, absl::StrCat("callback ", call_id, " ", why), now);
  call.call.agent_id.clear();
  call.call.callback_attempts++;
  SetCallbackPending(call, true);
  const CallbackPolicy& policy = Queue(call.call.queue)->config.callback;
  absl::Time retry_at = now + policy.retry_interval;
  if (call.call.callback_attempts >= policy.max_attempts) {
    WithdrawCallback(call, absl::StrCat(why, "; no attempts left (", policy.max_attempts, ")"),
                     now);
  } else if (retry_at >= call.window_end()) {
    WithdrawCallback(call, absl::StrCat(why, "; no retry fits in the window"), now);
  } else {
    SetCallState(call, CallState::kCallbackScheduled);
    call.call.callback_retry_at = retry_at;
    call.callback_generation = NextGeneration();
    PushDeadline(retry_at, DeadlineKind::kCallbackRetry, call.call.call_id,
                 call.callback_generation);
    // While connected the window deadline went stale (and may have been
    // dropped): arm it again, or the retried callback would never expire.
    call.window_generation = NextGeneration();
    PushDeadline(call.window_end(), DeadlineKind::kCallbackWindow, call.call.call_id,
                 call.window_generation);
    Emit(EventType::kCallbackFailed, now, &call, nullptr,
         absl::StrCat(why, "; attempt ", call.call.callback_attempts + 1, " of ",
                      policy.max_attempts, " at ", absl::FormatTime(retry_at)));
  }
  Call view = ReadView(call);
  RouteAgent(agent, now);
  return view;
}

void Engine::WithdrawCallback(CallSlot& call, absl::string_view reason, absl::Time now) {
  if (call.call.state == CallState::kQueued) Unwait(call);
  call.call.callback_retry_at.reset();
  SetCallState(call, CallState::kTimedOut);
  Queue(call.call.queue)->timed_out++;
  call.call.ended_at = now;
  call.call.end_reason = "callback_withdrawn";
  Emit(EventType::kCallbackWithdrawn, now, &call, nullptr, reason);
  Finish(call);
}

void Engine::SetCallbackPending(CallSlot& call, bool pending) {
  if (call.call.callback_pending == pending) return;
  call.call.callback_pending = pending;
  if (QueueSlot* queue = Queue(call.call.queue)) queue->callbacks_pending += pending ? 1 : -1;
}

bool Engine::ShouldOfferCallback(const CallSlot& call, std::optional<absl::Duration> wait,
                                 absl::Time now) const {
  const QueueSlot& queue = *Queue(call.call.queue);
  const CallbackPolicy& policy = queue.config.callback;
  if (!policy.enabled || policy.offer_over <= absl::ZeroDuration()) return false;
  if (call.call.state != CallState::kQueued) return false;
  if (policy.max_pending > 0 && queue.callbacks_pending >= policy.max_pending) return false;
  // Not worth offering, or no callback could be made in the window with the
  // agents staffed now.
  if (!wait || *wait <= policy.offer_over || *wait >= policy.window) return false;
  // Nor if the queue closes before the call's turn.
  if (queue.schedule != nullptr) {
    std::optional<absl::Time> change = NextChange(*queue.schedule, now);
    if (change && *change <= now + *wait) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Agents

absl::StatusOr<Agent> Engine::Login(absl::string_view agent_id, bool ready, absl::Time now) {
  now = Begin(now);
  absl::StatusOr<AgentSlot*> found = FindAgent(agent_id);
  if (!found.ok()) return found.status();
  AgentSlot& agent = **found;
  if (agent.agent.state != AgentState::kLoggedOut) return agent.agent;  // a retry
  agent.agent.consecutive_missed_offers = 0;
  agent.agent.pending_away_reason.clear();
  if (ready) {
    MakeAvailable(agent, now, now);
  } else {
    agent.agent.away_reason = std::string(kReasonLoggedIn);
    SetAgentState(agent, AgentState::kAway, now);
  }
  Emit(EventType::kAgentLoggedIn, now, nullptr, &agent, ready ? "ready" : kReasonLoggedIn);
  RouteAgent(agent, now);
  return agent.agent;
}

absl::StatusOr<Agent> Engine::Logout(absl::string_view agent_id, absl::Time now) {
  now = Begin(now);
  absl::StatusOr<AgentSlot*> found = FindAgent(agent_id);
  if (!found.ok()) return found.status();
  AgentSlot& agent = **found;
  switch (agent.agent.state) {
    case AgentState::kLoggedOut:
      return agent.agent;  // a retry
    case AgentState::kBusy:
    case AgentState::kWrapUp:
      return absl::FailedPreconditionError(absl::StrCat(
          "agent ", Quote(agent_id), " is ", AgentStateName(agent.agent.state), " with call ",
          Quote(agent.agent.call_id), "; finish it before logging out"));
    default:
      break;
  }
  CallSlot* withdrawn = nullptr;
  if (agent.agent.state == AgentState::kReserved) {
    withdrawn = CallAt(agent.agent.call_id);
    ReturnOffer(*withdrawn, agent, EventType::kOfferWithdrawn, "agent_logged_out",
                /*missed=*/false, now);
  }
  agent.agent.away_reason.clear();
  agent.agent.pending_away_reason.clear();
  SetAgentState(agent, AgentState::kLoggedOut, now);
  Emit(EventType::kAgentLoggedOut, now, nullptr, &agent, "");
  if (withdrawn != nullptr) {
    CheckOverdue(*withdrawn, now);
    RouteCall(*withdrawn, now);
  }
  return agent.agent;
}

absl::StatusOr<Agent> Engine::SetAvailable(absl::string_view agent_id, absl::Time now) {
  now = Begin(now);
  absl::StatusOr<AgentSlot*> found = FindAgent(agent_id);
  if (!found.ok()) return found.status();
  AgentSlot& agent = **found;
  PrefetchObject(agent);
  switch (agent.agent.state) {
    case AgentState::kLoggedOut:
      return absl::FailedPreconditionError(
          absl::StrCat("agent ", Quote(agent_id), " is logged out; log in first"));
    case AgentState::kAvailable:
    case AgentState::kReserved:
      return agent.agent;
    case AgentState::kBusy:
    case AgentState::kWrapUp:
      // Ready after this call: drop a pending away request.
      if (!agent.agent.pending_away_reason.empty()) {
        agent.agent.pending_away_reason.clear();
        Emit(EventType::kAgentStateChanged, now, nullptr, &agent, "away_cancelled");
      }
      return agent.agent;
    case AgentState::kAway:
      break;
  }
  PrefetchAgent(agent, /*deep=*/false);
  // Its queues' position indexes: the call it is offered leaves one of them.
  for (const Membership& m : agent.memberships) m.queue->index.PrefetchPositions();
  agent.agent.away_reason.clear();
  agent.agent.consecutive_missed_offers = 0;
  PrefetchAgent(agent, /*deep=*/true);
  MakeAvailable(agent, now, now);
  // The call is found before the ready event is built, so that its cold
  // lines load meanwhile; the events are as if routed after.
  CallChoice best = BestCallFor(agent, now);
  if (best.key != nullptr) PrefetchChoice(best);
  Emit(EventType::kAgentStateChanged, now, nullptr, &agent, "ready");
  if (best.key != nullptr) {
    PrefetchOffer(*best.key->call);
    Offer(*best.key->call, agent, now);
  }
  return agent.agent;
}

absl::StatusOr<Agent> Engine::SetAway(absl::string_view agent_id, absl::string_view reason,
                                      absl::Time now) {
  now = Begin(now);
  if (absl::Status s = ValidateText("reason", reason, kMaxReasonLength); !s.ok()) return s;
  absl::StatusOr<AgentSlot*> found = FindAgent(agent_id);
  if (!found.ok()) return found.status();
  AgentSlot& agent = **found;
  std::string why = reason.empty() ? "away" : std::string(reason);
  switch (agent.agent.state) {
    case AgentState::kLoggedOut:
      return absl::FailedPreconditionError(
          absl::StrCat("agent ", Quote(agent_id), " is logged out; log in first"));
    case AgentState::kAway:
      if (agent.agent.away_reason == why) return agent.agent;
      agent.agent.away_reason = why;
      Emit(EventType::kAgentStateChanged, now, nullptr, &agent, why);
      return agent.agent;
    case AgentState::kBusy:
    case AgentState::kWrapUp:
      // Takes effect when the call is completed.
      if (agent.agent.pending_away_reason == why) return agent.agent;
      agent.agent.pending_away_reason = why;
      Emit(EventType::kAgentStateChanged, now, nullptr, &agent, "away_pending");
      return agent.agent;
    case AgentState::kReserved: {
      CallSlot& call = *CallAt(agent.agent.call_id);
      ReturnOffer(call, agent, EventType::kOfferWithdrawn, "agent_away", /*missed=*/false, now);
      agent.agent.away_reason = why;
      SetAgentState(agent, AgentState::kAway, now);
      Emit(EventType::kAgentStateChanged, now, nullptr, &agent, why);
      CheckOverdue(call, now);
      RouteCall(call, now);
      return agent.agent;
    }
    case AgentState::kAvailable:
      break;
  }
  agent.agent.away_reason = why;
  SetAgentState(agent, AgentState::kAway, now);
  Emit(EventType::kAgentStateChanged, now, nullptr, &agent, why);
  return agent.agent;
}

absl::StatusOr<Call> Engine::AcceptOffer(absl::string_view agent_id, absl::string_view call_id,
                                         absl::Time now) {
  now = Begin(now);
  absl::StatusOr<AgentSlot*> agent_found = FindAgent(agent_id);
  if (!agent_found.ok()) return agent_found.status();
  absl::StatusOr<CallSlot*> call_found = FindCall(call_id);
  if (!call_found.ok()) return call_found.status();
  CallSlot& call = **call_found;
  AgentSlot& agent = **agent_found;
  if (call.call.state == CallState::kConnected && call.call.agent_id == agent_id) {
    return CallView(call);  // a retry
  }
  absl::StatusOr<CallSlot*> offered = FindOfferedCall(agent_id, call_id);
  if (!offered.ok()) return offered.status();
  call.offer_generation = NextGeneration();  // its timeout no longer applies
  call.queue_generation = NextGeneration();  // nor do its queue limits
  call.call.offer_expires_at.reset();
  call.call.transfer_fallback.clear();  // a transfer to this agent is done
  call.call.connected_at = now;
  SetCallState(call, CallState::kConnected);
  agent.agent.consecutive_missed_offers = 0;
  SetAgentState(agent, AgentState::kBusy, now);
  bool dial = call.call.callback_pending;
  SetCallbackPending(call, false);
  Emit(EventType::kCallConnected, now, &call, &agent, "");
  if (dial) {
    Emit(EventType::kCallbackDial, now, &call, &agent,
         absl::StrCat("attempt ", call.call.callback_attempts + 1, " of ",
                      Queue(call.call.queue)->config.callback.max_attempts));
  }
  return CallView(call);
}

absl::StatusOr<Call> Engine::RejectOffer(absl::string_view agent_id, absl::string_view call_id,
                                         absl::string_view reason, absl::Time now) {
  now = Begin(now);
  if (absl::Status s = ValidateText("reason", reason, kMaxReasonLength); !s.ok()) return s;
  absl::StatusOr<AgentSlot*> agent_found = FindAgent(agent_id);
  if (!agent_found.ok()) return agent_found.status();
  absl::StatusOr<CallSlot*> offered = FindOfferedCall(agent_id, call_id);
  if (!offered.ok()) return offered.status();
  CallSlot& call = **offered;
  AgentSlot& agent = **agent_found;
  ReturnOffer(call, agent, EventType::kOfferRejected, reason.empty() ? "rejected" : reason,
              /*missed=*/true, now);
  CheckOverdue(call, now);
  Call view = CallView(call);
  RouteCall(call, now);
  RouteAgent(agent, now);
  return view;
}

absl::StatusOr<Call> Engine::CompleteCall(absl::string_view agent_id, absl::string_view call_id,
                                          absl::string_view disposition, absl::string_view notes,
                                          absl::Time now) {
  now = Begin(now);
  if (absl::Status s = ValidateText("disposition", disposition, kMaxDispositionLength); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateText("notes", notes, kMaxNotesLength, /*multiline=*/true); !s.ok()) {
    return s;
  }
  absl::StatusOr<AgentSlot*> agent_found = FindAgent(agent_id);
  if (!agent_found.ok()) return agent_found.status();
  absl::StatusOr<CallSlot*> call_found = FindCall(call_id);
  if (!call_found.ok()) return call_found.status();
  CallSlot& call = **call_found;
  AgentSlot& agent = **agent_found;
  if (call.call.agent_id != agent_id) {
    return absl::FailedPreconditionError(absl::StrCat(
        "call ", Quote(call_id), " is not handled by agent ", Quote(agent_id),
        call.call.agent_id.empty() ? "" : absl::StrCat(" but by ", Quote(call.call.agent_id))));
  }
  if (call.call.state == CallState::kCompleted && call.call.disposition == disposition &&
      call.call.notes == notes) {
    return CallView(call);  // a retry
  }
  if (call.call.state != CallState::kWrapUp) {
    return absl::FailedPreconditionError(absl::StrCat(
        "call ", Quote(call_id), " is ", CallStateName(call.call.state),
        "; only a call in wrap-up can be completed",
        call.call.state == CallState::kConnected ? " (the integrator ends it with EndCall)" : ""));
  }
  call.call.disposition = std::string(disposition);
  call.call.notes = std::string(notes);
  FinishWrapUp(call, agent, "agent_completed", now);
  return CallView(call);
}

// ---------------------------------------------------------------------------
// Time

absl::Time Engine::Begin(absl::Time now) {
  if (now < now_) now = now_;
  AdvanceTo(now);
  return now_;
}

bool Engine::IsStale(const Deadline& d) const {
  switch (d.kind) {
    case DeadlineKind::kOfferTimeout: {
      auto it = calls_.find(d.id);
      return it == calls_.end() || (*it)->offer_generation != d.generation ||
             (*it)->call.state != CallState::kOffered;
    }
    case DeadlineKind::kWrapUpEnd: {
      auto it = agents_.find(d.id);
      return it == agents_.end() || it->second->wrap_up_generation != d.generation ||
             it->second->agent.state != AgentState::kWrapUp;
    }
    case DeadlineKind::kMaxWait:
    case DeadlineKind::kNoAgent:
    case DeadlineKind::kEscalation: {
      auto it = calls_.find(d.id);
      if (it == calls_.end() || (*it)->queue_generation != d.generation) return true;
      CallState s = (*it)->call.state;
      return s != CallState::kQueued && s != CallState::kOffered;
    }
    case DeadlineKind::kScheduleEdge: {
      QueueSlot* q = Queue(d.id);
      return q == nullptr || q->schedule_generation != d.generation;
    }
    case DeadlineKind::kCallbackRetry: {
      auto it = calls_.find(d.id);
      return it == calls_.end() || (*it)->callback_generation != d.generation ||
             (*it)->call.state != CallState::kCallbackScheduled;
    }
    case DeadlineKind::kCallbackWindow: {
      auto it = calls_.find(d.id);
      return it == calls_.end() || (*it)->window_generation != d.generation ||
             !(*it)->call.callback_pending;
    }
  }
  return true;
}

std::optional<absl::Time> Engine::NextDeadline() {
  return deadlines_.Next([this](const Deadline& d) { return IsStale(d); });
}

void Engine::AdvanceTo(absl::Time now) {
  if (now < now_) return;
  while (true) {
    std::optional<absl::Time> next = NextDeadline();
    if (!next || *next > now) break;
    Deadline d = deadlines_.Pop();
    // Handlers see the time the deadline fell due, so recorded times are exact.
    now_ = std::max(now_, d.at);
    FireDeadline(d);
  }
  now_ = now;
}

void Engine::PushDeadline(absl::Time at, DeadlineKind kind, const std::string& id, uint64_t gen) {
  deadlines_.Push(at, kind, id, gen);
}

void Engine::FireDeadline(const Deadline& d) {
  switch (d.kind) {
    case DeadlineKind::kOfferTimeout: {
      CallSlot& call = *CallAt(d.id);
      AgentSlot& agent = *agents_.at(call.call.agent_id);
      ReturnOffer(call, agent, EventType::kOfferTimedOut, "offer_timeout", /*missed=*/true, now_);
      CheckOverdue(call, now_);
      if (call.call.state == CallState::kQueued) RouteCall(call, now_);
      RouteAgent(agent, now_);
      break;
    }
    case DeadlineKind::kWrapUpEnd: {
      AgentSlot& agent = *agents_.at(d.id);
      CallSlot& call = *CallAt(agent.agent.call_id);
      FinishWrapUp(call, agent, "wrap_up_timeout", now_);
      break;
    }
    case DeadlineKind::kMaxWait: {
      CallSlot& call = *CallAt(d.id);
      // An offer in progress runs its course; ReturnOffer checks again. A
      // callback has its window instead.
      if (call.call.state == CallState::kQueued && !call.call.callback_pending) {
        ApplyLimit(call, Queue(call.call.queue)->config.on_timeout, "max_wait", now_);
      }
      break;
    }
    case DeadlineKind::kNoAgent: {
      CallSlot& call = *CallAt(d.id);
      const QueueConfig& c = Queue(call.call.queue)->config;
      if (call.call.callback_pending) break;  // its window decides
      if (call.call.state == CallState::kQueued && !AnyAgentCouldServe(call)) {
        ApplyLimit(call, c.on_no_agent, "no_agent", now_);
      } else if (c.max_wait_no_agent > absl::ZeroDuration()) {
        // Someone could serve it now; look again after another period.
        PushDeadline(now_ + c.max_wait_no_agent, DeadlineKind::kNoAgent, call.call.call_id,
                     call.queue_generation);
      }
      break;
    }
    case DeadlineKind::kEscalation:
      ApplyEscalation(*CallAt(d.id), now_);
      break;
    case DeadlineKind::kScheduleEdge:
      OnScheduleEdge(*Queue(d.id), now_);
      break;
    case DeadlineKind::kCallbackRetry: {
      // Back at its original place: the index key is its arrival. Limits and
      // escalation restart under a fresh generation.
      CallSlot& call = *CallAt(d.id);
      SetCallState(call, CallState::kQueued);
      call.call.callback_retry_at.reset();
      call.queue_generation = NextGeneration();
      Wait(call);
      Emit(EventType::kCallQueued, now_, &call, nullptr, "callback_retry");
      ArmCallDeadlines(call, now_);
      RouteCall(call, now_);
      break;
    }
    case DeadlineKind::kCallbackWindow: {
      CallSlot& call = *CallAt(d.id);
      // An offer out runs its course; CheckOverdue looks again if it returns.
      if (call.call.state != CallState::kOffered) WithdrawCallback(call, "window_passed", now_);
      break;
    }
  }
}

void Engine::ArmCallDeadlines(CallSlot& call, absl::Time now, bool restoring) {
  const QueueConfig& c = Queue(call.call.queue)->config;
  const std::string& id = call.call.call_id;
  if (c.max_wait > absl::ZeroDuration()) {
    PushDeadline(call.call.queue_entered_at + c.max_wait, DeadlineKind::kMaxWait, id,
                 call.queue_generation);
  }
  if (c.max_wait_no_agent > absl::ZeroDuration()) {
    // Checked every period from entering the queue. A restored call resumes
    // at the next check after `now`: the run before made the earlier ones,
    // with agents this run cannot see.
    absl::Time check = call.call.queue_entered_at + c.max_wait_no_agent;
    if (restoring && check <= now) {
      check += c.max_wait_no_agent * ((now - check) / c.max_wait_no_agent + 1);
    }
    PushDeadline(check, DeadlineKind::kNoAgent, id, call.queue_generation);
  }
  if (call.next_step < c.escalation.size()) {
    // Steps count from the call's arrival: an overflowed call keeps its age.
    PushDeadline(std::max(now, call.call.enqueued_at + c.escalation[call.next_step].after),
                 DeadlineKind::kEscalation, id, call.queue_generation);
  }
}

void Engine::KeepRequest(CallSlot& call, const EnqueueRequest& request) {
  call.requested_queue =
      request.queue.empty() ? nullptr : &*request_queues_.insert(request.queue).first;
  call.requested_skills = request.required_skills;
  call.requested_priority = request.priority;
}

void Engine::SetEffectiveSkills(CallSlot& call, const SkillLevels& skills) {
  call.signature = skills_.Intern(skills);
  // The interned copy stands for every copy of the set: calls asking for the
  // same skills share one body rather than keep one each.
  call.call.effective_skills = skills_.Get(call.signature);
}

std::vector<std::string> Engine::TakeEscalationSteps(CallSlot& call, absl::Time now) {
  const QueueConfig& c = Queue(call.call.queue)->config;
  std::vector<std::string> changes;
  // Edited as a plain map and assigned once: each change of a CowMap builds
  // a new body.
  SkillLevels::map_type effective = call.call.effective_skills.map();
  bool skills_changed = false;
  while (call.next_step < c.escalation.size() &&
         call.call.enqueued_at + c.escalation[call.next_step].after <= now) {
    const EscalationStep& step = c.escalation[call.next_step++];
    for (const auto& [skill, level] : step.relax) {
      auto it = effective.find(skill);
      if (it != effective.end() && level < it->second) {
        it->second = level;
        skills_changed = true;
        changes.push_back(absl::StrCat(skill, ">=", level));
      }
    }
    for (const std::string& skill : step.drop) {
      if (effective.erase(skill) > 0) {
        skills_changed = true;
        changes.push_back(absl::StrCat("-", skill));
      }
    }
    for (const std::string& q : step.add_queues) {
      if (q != call.call.queue && std::find(call.extra_queues.begin(), call.extra_queues.end(),
                                            q) == call.extra_queues.end()) {
        call.extra_queues.push_back(q);
        changes.push_back(absl::StrCat("+queue ", q));
      }
    }
  }
  if (skills_changed) SetEffectiveSkills(call, std::move(effective));
  return changes;
}

void Engine::ApplyEscalation(CallSlot& call, absl::Time now) {
  const QueueConfig& c = Queue(call.call.queue)->config;
  bool waiting = call.call.state == CallState::kQueued;
  if (waiting) Unwait(call);
  std::vector<std::string> changes = TakeEscalationSteps(call, now);
  if (waiting) Wait(call);
  Emit(EventType::kCallEscalated, now, &call, nullptr, absl::StrJoin(changes, ", "));
  if (call.next_step < c.escalation.size()) {
    PushDeadline(call.call.enqueued_at + c.escalation[call.next_step].after,
                 DeadlineKind::kEscalation, call.call.call_id, call.queue_generation);
  }
  if (waiting) RouteCall(call, now);
}

bool Engine::AnyAgentCouldServe(const CallSlot& call) const {
  auto serves = [&](const QueueSlot& q) {
    for (const AgentSlot* agent : q.members) {
      if (agent->agent.state == AgentState::kLoggedOut) continue;
      if (Meets(agent->agent.skills, call.call.effective_skills)) return true;
    }
    return false;
  };
  if (serves(*Queue(call.call.queue))) return true;
  for (const std::string& q : call.extra_queues) {
    if (serves(*Queue(q))) return true;
  }
  return false;
}

void Engine::ApplyLimit(CallSlot& call, const LimitAction& action, absl::string_view reason,
                        absl::Time now) {
  if (action.kind == LimitAction::Kind::kOverflow) {
    QueueSlot* target = Queue(action.queue);
    std::string via;
    absl::StatusOr<QueueSlot*> admitted = Admit(target, now, &via);
    if (admitted.ok()) {
      MoveToQueue(call, **admitted, reason, now);
      return;
    }
    // The overflow target turns it away too: the call ends here.
  }
  if (action.kind == LimitAction::Kind::kKeep) return;
  Unwait(call);
  SetCallState(call, CallState::kTimedOut);
  Queue(call.call.queue)->timed_out++;
  call.call.ended_at = now;
  call.call.end_reason = std::string(reason);
  Emit(EventType::kCallTimedOut, now, &call, nullptr, reason);
  Finish(call);
}

void Engine::MoveToQueue(CallSlot& call, QueueSlot& target, absl::string_view reason,
                         absl::Time now, EventType type) {
  QueueSlot& from = *Queue(call.call.queue);
  Unwait(call);
  from.call_counts[call.call.state]--;
  if (type == EventType::kCallOverflowed) from.overflowed_out++;
  if (call.call.callback_pending) {
    from.callbacks_pending--;
    target.callbacks_pending++;
  }
  call.call.state = CallState::kQueued;
  target.call_counts[CallState::kQueued]++;
  std::string from_name = call.call.queue;
  call.call.queue = target.config.name;
  call.call.queue_entered_at = now;
  call.queue_generation = NextGeneration();
  call.next_step = 0;
  SetEffectiveSkills(call, call.call.required_skills);
  call.extra_queues.clear();
  Wait(call);
  Emit(type, now, &call, nullptr, absl::StrCat(reason, " from ", from_name));
  ArmCallDeadlines(call, now);
  RouteCall(call, now);
}

void Engine::ArmScheduleEdge(QueueSlot& queue, absl::Time now) {
  if (queue.schedule == nullptr) return;
  if (std::optional<absl::Time> next = NextChange(*queue.schedule, now)) {
    PushDeadline(*next, DeadlineKind::kScheduleEdge, queue.config.name, queue.schedule_generation);
  }
}

void Engine::OnScheduleEdge(QueueSlot& queue, absl::Time now) {
  queue.schedule_generation = NextGeneration();
  bool open = IsOpen(*queue.schedule, now);
  bool closing = queue.open && !open;
  queue.open = open;
  ArmScheduleEdge(queue, now);
  if (!closing || queue.config.closed_waiting.kind == LimitAction::Kind::kKeep) return;
  // Calls waiting at closing time move on, oldest first.
  std::vector<std::pair<absl::Time, CallSlot*>> waiting;
  for (const auto& call : calls_) {
    if (call->call.state == CallState::kQueued && call->call.queue == queue.config.name) {
      waiting.emplace_back(call->call.enqueued_at, call.get());
    }
  }
  std::sort(waiting.begin(), waiting.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return a.second->call.arrival_order < b.second->call.arrival_order;
  });
  for (auto& [at, call] : waiting) ApplyLimit(*call, queue.config.closed_waiting, "closed", now);
}

// ---------------------------------------------------------------------------
// Routing

void Engine::RouteCall(CallSlot& call, absl::Time now) {
  if (call.call.state != CallState::kQueued) return;
  // The call's own queue first, then the queues it was widened to (Wait()
  // placed it in that order).
  for (const Placement& p : call.placements) {
    const QueueSlot& q = *p.queue;
    const AgentKey* best =
        q.index.BestAgent(*p.group, q.config.strategy == Strategy::kBestSkill, RoundRobinAfter(q));
    if (best != nullptr) {
      Offer(call, *best->agent, now);  // clears the placements: stop here
      return;
    }
  }
}

void Engine::RouteAgent(AgentSlot& agent, absl::Time now) {
  if (agent.agent.state != AgentState::kAvailable) return;
  CallChoice best = BestCallFor(agent, now);
  if (best.key == nullptr) return;
  // Nothing to do meanwhile here, but each step's lines still load together.
  PrefetchChoice(best);
  PrefetchOffer(*best.key->call);
  Offer(*best.key->call, agent, now);
}

Engine::CallChoice Engine::BestCallFor(AgentSlot& agent, absl::Time now) {
  // Every head the walk compares is asked for first, so that their misses
  // overlap rather than wait on the walk's branches.
  for (const Membership& m : agent.memberships) m.queue->index.PrefetchCallHeads(*m.group);
  CallChoice best;
  // Rank: lower penalty, higher weight, higher effective priority; then the
  // longer wait (CallKey order within a queue, arrival across queues).
  std::tuple<int, int, double> best_rank;
  for (const Membership& m : agent.memberships) {
    const CallKey* head = m.queue->index.BestCall(*m.group);
    if (head == nullptr) continue;
    std::tuple<int, int, double> rank{
        m.penalty, -m.queue->config.weight,
        -QueueIndex::EffectivePriority(head->score, m.queue->config.aging_per_minute, now)};
    if (best.key == nullptr || rank < best_rank ||
        (rank == best_rank && head->arrival_order < best.key->arrival_order)) {
      best = {head, m.queue};
      best_rank = rank;
    }
  }
  return best;
}

void Engine::PrefetchAgent(const AgentSlot& agent, bool deep) {
  for (const Membership& m : agent.memberships) {
    if (m.home == nullptr) continue;  // not looked up yet: nothing cached to fetch
    if (deep) {
      m.queue->index.PrefetchAgentGroup(*m.home);
    } else {
      PrefetchObject(*m.home);
    }
  }
  if (deep) return;
  // What the agent's event snapshots copy (the skills: only their count).
  agent.agent.skills.PrefetchCount();
  Prefetch(agent.agent.queues.data());
}

void Engine::PrefetchChoice(const CallChoice& choice) {
  PrefetchObject(*choice.key->call);
  choice.queue->index.PrefetchPositionOf(*choice.key);
}

void Engine::PrefetchOffer(const CallSlot& call) {
  // What the call_offered snapshot copies (of the maps, only their counts).
  call.call.required_skills.PrefetchCount();
  call.call.attributes.PrefetchCount();
  call.call.effective_skills.PrefetchCount();
  for (const Placement& p : call.placements) p.queue->index.PrefetchRemoval(*p.group, p.key);
}

void Engine::RouteAll(absl::Time now) {
  // Best call first across queues, so the fairest match is made first.
  std::vector<CallSlot*> all;
  for (const auto& call : calls_) {
    if (call->call.state == CallState::kQueued) all.push_back(call.get());
  }
  std::sort(all.begin(), all.end(), [](const CallSlot* a, const CallSlot* b) {
    if (a->call.priority != b->call.priority) return a->call.priority > b->call.priority;
    if (a->call.enqueued_at != b->call.enqueued_at)
      return a->call.enqueued_at < b->call.enqueued_at;
    return a->call.arrival_order < b->call.arrival_order;
  });
  for (CallSlot* call : all) RouteCall(*call, now);
}

void Engine::Offer(CallSlot& call, AgentSlot& agent, absl::Time now) {
  QueueSlot& queue = *Queue(call.call.queue);
  // Round robin moves its pointer in every queue of the agent that uses it.
  for (const Membership& m : agent.memberships) {
    if (m.round_robin) m.queue->round_robin_last = m.member_index;
  }
  Unwait(call);
  RemoveAvailable(agent);
  call.offer_generation = NextGeneration();
  call.call.agent_id = agent.agent.agent_id;
  call.call.offered_at = now;
  call.call.offer_expires_at = now + queue.config.offer_timeout;
  SetCallState(&queue, call, CallState::kOffered);
  agent.agent.call_id = call.call.call_id;
  // Keep idle_since: if the offer is withdrawn the agent keeps its place.
  agent.agent.state = AgentState::kReserved;
  agent.agent.state_since = now;
  PushDeadline(*call.call.offer_expires_at, DeadlineKind::kOfferTimeout, call.call.call_id,
               call.offer_generation);
  Emit(EventType::kCallOffered, now, &call, &agent, "");
}

void Engine::ReturnOffer(CallSlot& call, AgentSlot& agent, EventType type, absl::string_view reason,
                         bool missed, absl::Time now) {
  call.offer_generation = NextGeneration();
  call.call.offer_expires_at.reset();
  SetCallState(call, CallState::kQueued);
  std::string fallback = std::move(call.call.transfer_fallback);
  call.call.transfer_fallback.clear();
  if (fallback.empty()) Wait(call);  // its original place: the key is its arrival
  agent.agent.call_id.clear();
  bool pause = false;
  if (missed) {
    call.call.missed_offers++;
    agent.agent.consecutive_missed_offers++;
    int limit = Queue(call.call.queue)->config.max_missed_offers;
    pause = limit > 0 && agent.agent.consecutive_missed_offers >= limit;
  }
  if (pause) {
    agent.agent.away_reason = std::string(kReasonMissedOffers);
    SetAgentState(agent, AgentState::kAway, now);
  } else if (missed) {
    // To the back of the idle line, so others get the call first.
    MakeAvailable(agent, now, now);
  } else {
    MakeAvailable(agent, agent.agent.idle_since, now);
  }
  Emit(type, now, &call, &agent, reason);
  if (pause) Emit(EventType::kAgentStateChanged, now, nullptr, &agent, kReasonMissedOffers);
  if (!fallback.empty()) {
    // A transfer to a named agent that did not take it: on to the fallback.
    call.call.agent_id.clear();
    Wait(call);  // MoveToQueue takes it out again
    // Not straight back to the agent who did not take it, who may be going
    // away or logging out: the caller sets its state next.
    bool available = agent.agent.state == AgentState::kAvailable;
    if (available) RemoveAvailable(agent);
    MoveToQueue(call, *Queue(fallback), "transfer not taken", now, EventType::kCallTransferred);
    if (available) AddAvailable(agent);
  }
}

void Engine::CheckOverdue(CallSlot& call, absl::Time now) {
  if (call.call.state != CallState::kQueued) return;
  const QueueConfig& c = Queue(call.call.queue)->config;
  if (call.call.callback_pending) {
    if (now >= call.window_end()) {
      WithdrawCallback(call, "window_passed", now);
    }
    return;
  }
  if (c.max_wait > absl::ZeroDuration() && now >= call.call.queue_entered_at + c.max_wait) {
    ApplyLimit(call, c.on_timeout, "max_wait", now);
  }
}

void Engine::FinishWrapUp(CallSlot& call, AgentSlot& agent, absl::string_view reason,
                          absl::Time now) {
  call.call.completed_at = now;
  if (call.call.connected_at) Queue(call.call.queue)->AddHandleTime(now - *call.call.connected_at);
  SetCallState(call, CallState::kCompleted);
  agent.agent.call_id.clear();
  agent.agent.wrap_up_until.reset();
  agent.wrap_up_generation = NextGeneration();
  if (!agent.agent.pending_away_reason.empty()) {
    agent.agent.away_reason = std::move(agent.agent.pending_away_reason);
    agent.agent.pending_away_reason.clear();
    SetAgentState(agent, AgentState::kAway, now);
  } else {
    MakeAvailable(agent, now, now);
  }
  Emit(EventType::kCallCompleted, now, &call, &agent, reason);
  Finish(call);
  RouteAgent(agent, now);
}

void Engine::Finish(CallSlot& call) {
  SetCallbackPending(call, false);
  finished_.push_back(call.call.call_id);
  ForgetOldestFinished();
}

void Engine::ForgetOldestFinished() {
  while (finished_.size() > options_.max_finished_calls) {
    calls_.erase(finished_.front());
    finished_.pop_front();
  }
}

// ---------------------------------------------------------------------------
// State bookkeeping

QueueSlot* Engine::Queue(absl::string_view name) const {
  auto it = queues_.find(name);
  return it == queues_.end() ? nullptr : it->second.get();
}

void Engine::SetCallState(CallSlot& call, CallState state) {
  SetCallState(Queue(call.call.queue), call, state);
}

void Engine::SetCallState(QueueSlot* queue, CallSlot& call, CallState state) {
  if (queue != nullptr) {
    queue->call_counts[call.call.state]--;
    queue->call_counts[state]++;
  }
  call.call.state = state;
}

void Engine::SetAgentState(AgentSlot& agent, AgentState state, absl::Time now) {
  if (agent.agent.state == AgentState::kAvailable && state != AgentState::kAvailable) {
    RemoveAvailable(agent);
  }
  NoteStaffing(agent, state);
  if (state != AgentState::kAway) agent.agent.away_reason.clear();
  agent.agent.state = state;
  agent.agent.state_since = now;
}

void Engine::NoteStaffing(AgentSlot& agent, AgentState next) {
  bool was = IsStaffed(agent.agent.state);
  if (was == IsStaffed(next)) return;
  for (Membership& m : agent.memberships) {
    HomeGroup(agent, m).staffed += was ? -1 : 1;
  }
}

AgentGroup& Engine::HomeGroup(const AgentSlot& agent, Membership& m) {
  if (m.home == nullptr) m.home = m.queue->index.AgentGroupFor(agent.profile, m.penalty);
  return *m.home;
}

void Engine::MakeAvailable(AgentSlot& agent, absl::Time idle_since, absl::Time now) {
  if (agent.agent.state == AgentState::kAvailable) RemoveAvailable(agent);
  NoteStaffing(agent, AgentState::kAvailable);
  agent.agent.state = AgentState::kAvailable;
  agent.agent.state_since = now;
  agent.agent.away_reason.clear();
  agent.agent.idle_since = idle_since;
  agent.ready_order = next_ready_order_++;
  AddAvailable(agent);
}

void Engine::Wait(CallSlot& call) {
  auto place = [&](QueueSlot& q) {
    CallKey key{
        QueueIndex::Score(call.call.priority, q.config.aging_per_minute, call.call.enqueued_at),
        call.call.arrival_order, &call};
    call.placements.push_back(Placement{&q, q.index.AddCall(call.signature, key), key});
  };
  place(*Queue(call.call.queue));
  for (const std::string& extra : call.extra_queues) place(*Queue(extra));
}

void Engine::Unwait(CallSlot& call) {
  for (const Placement& p : call.placements) p.queue->index.RemoveCall(p.group, p.key);
  call.placements.clear();
}

AgentKey Engine::KeyFor(const AgentSlot& agent, const Membership& m) {
  int64_t idle = absl::ToUnixMicros(agent.agent.idle_since);
  AgentKey key{0, idle, agent.ready_order, const_cast<AgentSlot*>(&agent)};
  switch (m.queue->config.strategy) {
    case Strategy::kLongestIdle:
    case Strategy::kBestSkill:
      key.primary = idle;
      break;
    case Strategy::kLeastCalls:
      key.primary = agent.agent.calls_handled;
      break;
    case Strategy::kLeastTalkTime:
      key.primary = absl::ToInt64Milliseconds(agent.agent.talk_time);
      break;
    case Strategy::kRoundRobin:
      key.primary = m.member_index;
      break;
    case Strategy::kRandom:
      key.primary = static_cast<int64_t>(m.queue->random() >> 1);
      break;
  }
  return key;
}

void Engine::AddAvailable(AgentSlot& agent) {
  for (Membership& m : agent.memberships) {
    m.key = KeyFor(agent, m);
    m.group = &HomeGroup(agent, m);
    m.queue->index.AddAgent(m.group, m.key);
  }
}

void Engine::RemoveAvailable(AgentSlot& agent) {
  for (Membership& m : agent.memberships) {
    if (m.group != nullptr) m.queue->index.RemoveAgent(m.group, m.key);
    m.group = nullptr;
  }
}

// ---------------------------------------------------------------------------
// Lookups

absl::StatusOr<CallSlot*> Engine::FindCall(absl::string_view call_id) {
  if (absl::Status s = ValidateId("call_id", call_id); !s.ok()) return s;
  calls_.prefetch(call_id);  // as in FindAgent
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return absl::NotFoundError(absl::StrCat("unknown call ", Quote(call_id)));
  return it->get();
}

absl::StatusOr<const CallSlot*> Engine::FindCall(absl::string_view call_id) const {
  return const_cast<Engine*>(this)->FindCall(call_id);
}

CallSlot* Engine::CallAt(absl::string_view call_id) const {
  auto it = calls_.find(call_id);
  assert(it != calls_.end());
  return it->get();
}

size_t Engine::CallIdHash::operator()(const std::unique_ptr<CallSlot>& slot) const {
  return (*this)(slot->call.call_id);
}

absl::string_view Engine::CallIdEq::Id(const std::unique_ptr<CallSlot>& slot) {
  return slot->call.call_id;
}

absl::StatusOr<AgentSlot*> Engine::FindAgent(absl::string_view agent_id) {
  if (absl::Status s = ValidateId("agent_id", agent_id); !s.ok()) return s;
  // The entry's line loads with its control bytes rather than after them.
  agents_.prefetch(agent_id);
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) {
    return absl::NotFoundError(absl::StrCat("unknown agent ", Quote(agent_id)));
  }
  return it->second.get();
}

absl::StatusOr<const AgentSlot*> Engine::FindAgent(absl::string_view agent_id) const {
  return const_cast<Engine*>(this)->FindAgent(agent_id);
}

absl::StatusOr<CallSlot*> Engine::FindOfferedCall(absl::string_view agent_id,
                                                  absl::string_view call_id) {
  absl::StatusOr<CallSlot*> found = FindCall(call_id);
  if (!found.ok()) return found.status();
  const Call& call = (*found)->call;
  if (call.state != CallState::kOffered) {
    return absl::FailedPreconditionError(absl::StrCat("call ", Quote(call_id),
                                                      " is not offered to agent ", Quote(agent_id),
                                                      " (it is ", CallStateName(call.state), ")"));
  }
  if (call.agent_id != agent_id) {
    return absl::FailedPreconditionError(
        absl::StrCat("call ", Quote(call_id), " is not offered to agent ", Quote(agent_id),
                     " (it is offered to ", Quote(call.agent_id), ")"));
  }
  return *found;
}

// ---------------------------------------------------------------------------
// Reads

absl::StatusOr<Call> Engine::GetCall(absl::string_view call_id) const {
  absl::StatusOr<const CallSlot*> found = FindCall(call_id);
  if (!found.ok()) return found.status();
  return ReadView(**found);
}

absl::StatusOr<Agent> Engine::GetAgent(absl::string_view agent_id) const {
  absl::StatusOr<const AgentSlot*> found = FindAgent(agent_id);
  if (!found.ok()) return found.status();
  return (*found)->agent;
}

std::optional<Call> Engine::OutstandingOffer(absl::string_view agent_id) const {
  auto it = agents_.find(agent_id);
  if (it == agents_.end() || it->second->agent.state != AgentState::kReserved) return std::nullopt;
  return CallView(*CallAt(it->second->agent.call_id));
}

std::vector<QueueConfig> Engine::Queues() const {
  std::vector<QueueConfig> out;
  for (const auto& [name, queue] : queues_) out.push_back(queue->config);
  std::sort(out.begin(), out.end(),
            [](const QueueConfig& a, const QueueConfig& b) { return a.name < b.name; });
  return out;
}

absl::StatusOr<QueueStats> Engine::GetQueueStats(absl::string_view name, absl::Time now) const {
  if (absl::Status s = ValidateId("queue", name); !s.ok()) return s;
  QueueSlot* queue = Queue(name);
  if (queue == nullptr) return absl::NotFoundError(absl::StrCat("unknown queue ", Quote(name)));
  auto count = [&](CallState s) { return queue->call_counts.at(s); };
  QueueStats stats;
  stats.queue = std::string(name);
  stats.queued = count(CallState::kQueued);
  stats.offered = count(CallState::kOffered);
  stats.connected = count(CallState::kConnected);
  stats.wrap_up = count(CallState::kWrapUp);
  stats.completed = count(CallState::kCompleted);
  stats.abandoned = count(CallState::kAbandoned);
  stats.timed_out = count(CallState::kTimedOut);
  stats.overflowed = queue->overflowed_out;
  stats.rejected = queue->rejected;
  stats.open = queue->open;
  std::array<int, static_cast<size_t>(AgentState::kAway) + 1> agents{};
  for (const AgentSlot* agent : queue->members) agents[static_cast<size_t>(agent->agent.state)]++;
  auto agents_in = [&](AgentState s) { return agents[static_cast<size_t>(s)]; };
  stats.agents_logged_out = agents_in(AgentState::kLoggedOut);
  stats.agents_available = agents_in(AgentState::kAvailable);
  stats.agents_reserved = agents_in(AgentState::kReserved);
  stats.agents_busy = agents_in(AgentState::kBusy);
  stats.agents_wrap_up = agents_in(AgentState::kWrapUp);
  stats.agents_away = agents_in(AgentState::kAway);
  // Calls widened into this queue are counted by their own queue only.
  if (const CallKey* oldest = queue->index.OldestCall()) {
    stats.longest_wait = std::max(now, now_) - oldest->call->call.enqueued_at;
  }
  int staffed =
      stats.agents_available + stats.agents_reserved + stats.agents_busy + stats.agents_wrap_up;
  if (staffed > 0) {
    stats.estimated_wait = (stats.queued + 1) * queue->MeanHandleTime() / staffed;
  }
  stats.callbacks_pending = queue->callbacks_pending;
  return stats;
}

absl::StatusOr<std::vector<Agent>> Engine::ListAgents(absl::string_view queue) const {
  if (absl::Status s = ValidateOptionalId("queue", queue); !s.ok()) return s;
  std::vector<Agent> out;
  if (!queue.empty()) {
    QueueSlot* q = Queue(queue);
    if (q == nullptr) return absl::NotFoundError(absl::StrCat("unknown queue ", Quote(queue)));
    for (const AgentSlot* agent : q->members) out.push_back(agent->agent);
    std::sort(out.begin(), out.end(),
              [](const Agent& a, const Agent& b) { return a.agent_id < b.agent_id; });
    return out;
  }
  for (const auto& [id, agent] : agents_) out.push_back(agent->agent);
  std::sort(out.begin(), out.end(),
            [](const Agent& a, const Agent& b) { return a.agent_id < b.agent_id; });
  return out;
}

absl::StatusOr<std::vector<Call>> Engine::ListCalls(absl::string_view queue,
                                                    const std::vector<CallState>& states,
                                                    size_t limit) const {
  if (absl::Status s = ValidateOptionalId("queue", queue); !s.ok()) return s;
  if (!queue.empty() && Queue(queue) == nullptr) {
    return absl::NotFoundError(absl::StrCat("unknown queue ", Quote(queue)));
  }
  std::vector<const CallSlot*> matches;
  for (const auto& slot : calls_) {
    if (!queue.empty() && slot->call.queue != queue) continue;
    bool wanted = states.empty()
                      ? !IsFinal(slot->call.state)
                      : std::find(states.begin(), states.end(), slot->call.state) != states.end();
    if (wanted) matches.push_back(slot.get());
  }
  std::sort(matches.begin(), matches.end(), [](const CallSlot* a, const CallSlot* b) {
    if (a->call.enqueued_at != b->call.enqueued_at)
      return a->call.enqueued_at < b->call.enqueued_at;
    return a->call.arrival_order < b->call.arrival_order;
  });
  if (matches.size() > limit) matches.resize(limit);
  std::vector<Call> out;
  out.reserve(matches.size());
  for (const CallSlot* slot : matches) out.push_back(ReadView(*slot));
  return out;
}

Call Engine::ReadView(const CallSlot& slot) const {
  Call call = CallView(slot);
  call.estimated_wait = EstimateWait(slot, call.position);
  return call;
}

std::optional<absl::Duration> Engine::EstimateWait(const CallSlot& slot, int position) const {
  if (slot.call.state != CallState::kQueued || slot.placements.empty()) return std::nullopt;
  const Placement& p = slot.placements.front();
  // The staffed agents who could take it: those of the agent groups its call
  // group is linked to (every group of the queue that covers its skills).
  int servers = 0;
  for (const Link<AgentGroup>& link : p.group->agents) servers += link.group->staffed;
  if (servers == 0) return std::nullopt;
  return int64_t{position} * p.queue->MeanHandleTime() / servers;
}

Call Engine::CallView(const CallSlot& slot, bool with_position) const {
  Call call = slot.call;
  call.position = 0;
  if (with_position && call.state == CallState::kQueued && !slot.placements.empty()) {
    const Placement& p = slot.placements.front();
    call.position = static_cast<int>(p.queue->index.CountAhead(p.key)) + 1;
  }
  return call;
}

// ---------------------------------------------------------------------------
// Invariants

absl::Status Engine::CheckInvariants() const {
  auto fail = [](auto&&... parts) { return absl::InternalError(absl::StrCat(parts...)); };
  absl::flat_hash_map<std::string, absl::flat_hash_map<CallState, int>> live;
  absl::flat_hash_map<const QueueSlot*, size_t> placed;
  absl::flat_hash_map<std::string, int> pending_callbacks;
  for (const auto& slot : calls_) {
    const Call& c = slot->call;
    const std::string& id = c.call_id;
    QueueSlot* queue = Queue(c.queue);
    if (slot->call.callback_pending) {
      if (IsFinal(c.state) || c.callback_number.empty()) {
        return fail("call ", id, " is a pending callback while ", CallStateName(c.state),
                    " with number '", c.callback_number.str(), "'");
      }
      pending_callbacks[c.queue]++;
    }
    if (!IsFinal(c.state)) {
      if (queue == nullptr) return fail("live call ", id, " is in unknown queue ", c.queue);
      live[c.queue][c.state]++;
    }
    bool waiting = c.state == CallState::kQueued;
    if (waiting != !slot->placements.empty()) {
      return fail("call ", id, " is ", CallStateName(c.state), " with ", slot->placements.size(),
                  " index placements");
    }
    for (const Placement& p : slot->placements) placed[p.queue]++;
    if (c.state == CallState::kOffered || c.state == CallState::kConnected ||
        c.state == CallState::kWrapUp) {
      auto agent = agents_.find(c.agent_id);
      if (agent == agents_.end())
        return fail("call ", id, " is held by unknown agent ", c.agent_id);
      const Agent& a = agent->second->agent;
      AgentState expected = c.state == CallState::kOffered     ? AgentState::kReserved
                            : c.state == CallState::kConnected ? AgentState::kBusy
                                                               : AgentState::kWrapUp;
      if (a.call_id != id || a.state != expected) {
        return fail("call ", id, " is ", CallStateName(c.state), " with ", c.agent_id, " who is ",
                    AgentStateName(a.state), " with call '", a.call_id, "'");
      }
    }
    if (waiting) {
      // No available agent of its queues could take it.
      std::vector<std::string> queues = {c.queue};
      queues.insert(queues.end(), slot->extra_queues.begin(), slot->extra_queues.end());
      for (const std::string& q : queues) {
        for (const AgentSlot* agent : Queue(q)->members) {
          if (agent->agent.state != AgentState::kAvailable) continue;
          if (Meets(agent->agent.skills, slot->call.effective_skills)) {
            return fail("call ", id, " waits in ", q, " while eligible agent ",
                        agent->agent.agent_id, " is available");
          }
        }
      }
    }
  }
  size_t available = 0;
  for (const auto& [id, slot] : agents_) {
    const Agent& a = slot->agent;
    bool holds = a.state == AgentState::kReserved || a.state == AgentState::kBusy ||
                 a.state == AgentState::kWrapUp;
    if (holds != !a.call_id.empty()) {
      return fail("agent ", id, " is ", AgentStateName(a.state), " with call '", a.call_id, "'");
    }
    if (holds) {
      auto call = calls_.find(a.call_id);
      if (call == calls_.end() || (*call)->call.agent_id != id) {
        return fail("agent ", id, " holds call ", a.call_id, " which is not held by it");
      }
    }
    bool indexed = false;
    for (const Membership& m : slot->memberships) indexed |= m.group != nullptr;
    // An agent of no queue has nowhere to be indexed.
    if (indexed != (a.state == AgentState::kAvailable && !slot->memberships.empty())) {
      return fail("agent ", id, " is ", AgentStateName(a.state),
                  indexed ? " but indexed as available" : " but not indexed");
    }
    if (a.state == AgentState::kAvailable) available += slot->memberships.size();
  }
  size_t indexed_available = 0;
  for (const auto& [name, queue] : queues_) {
    indexed_available += queue->index.available();
    if (queue->index.waiting() != placed[queue.get()]) {
      return fail("queue ", name, " indexes ", queue->index.waiting(), " calls but ",
                  placed[queue.get()], " are placed in it");
    }
    absl::flat_hash_map<SkillSetId, int> staffed;
    for (const AgentSlot* agent : queue->members) {
      if (IsStaffed(agent->agent.state)) staffed[agent->profile]++;
    }
    absl::flat_hash_map<SkillSetId, int> counted;
    for (const AgentGroup* group : queue->index.agent_groups()) {
      if (group->staffed != 0) counted[queue->index.HeadOf(*group).profile] += group->staffed;
    }
    if (staffed != counted) {
      return fail("queue ", name, " counts staffed agents of ", counted.size(),
                  " profiles; there are ", staffed.size());
    }
    if (queue->callbacks_pending != pending_callbacks[name]) {
      return fail("queue ", name, " counts ", queue->callbacks_pending,
                  " pending callbacks; there are ", pending_callbacks[name]);
    }
    for (CallState s : {CallState::kQueued, CallState::kOffered, CallState::kConnected,
                        CallState::kWrapUp, CallState::kCallbackScheduled}) {
      int have = queue->call_counts.at(s);
      int want = live[name][s];
      if (have != want) {
        return fail("queue ", name, " counts ", have, " ", CallStateName(s), " calls; there are ",
                    want);
      }
    }
  }
  if (indexed_available != available) {
    return fail(indexed_available, " available agent entries indexed; ", available, " expected");
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Events

void Engine::Emit(EventType type, absl::Time now, const CallSlot* call, const AgentSlot* agent,
                  absl::string_view reason) {
  Event event;
  event.seq = next_seq_++;
  event.time = now;
  event.type = type;
  event.reason = std::string(reason);
  if (call != nullptr) {
    // No position: a tree walk per event, stale once the next call moves.
    event.call = CallView(*call, /*with_position=*/false);
    event.call_id = call->call.call_id;
    event.queue = call->call.queue;
  }
  if (agent != nullptr) {
    event.agent = agent->agent;
    event.agent_id = agent->agent.agent_id;
  }
  if (call != nullptr && agent == nullptr) event.agent_id = call->call.agent_id;
  outbox_.push_back(std::move(event));
}

std::vector<Event> Engine::TakeEvents() {
  // The outbox keeps its buffer. An Event is larger than malloc's per-thread
  // cache serves, so a fresh outbox grown on every command took the
  // allocator's slow path, whose free lists are cold in a large heap: a tenth
  // of a free agent's decision at 100k calls (tests/bench/README.md).
  // A burst (a reload that routes every call) does not pin its memory: its
  // buffer goes out whole.
  if (outbox_.capacity() > kMaxKeptOutbox) return std::exchange(outbox_, {});
  std::vector<Event> out(std::make_move_iterator(outbox_.begin()),
                         std::make_move_iterator(outbox_.end()));
  outbox_.clear();
  return out;
}

}  // namespace acd::core
