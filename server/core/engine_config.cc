// Engine::ApplyConfig (config and reloads) and Engine::Restore (state after a restart).
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/core/engine.h"
#include "server/core/engine_state.h"
#include "server/core/schedule.h"
#include "server/core/types.h"

namespace acd::core {

using engine_internal::IsStaffed;
using engine_internal::Quote;

namespace {

constexpr absl::string_view kReasonRestarted = "acdd_restarted";

// The request a restored call came from; its own fields stand in for one from
// a log written before requests were kept.
EnqueueRequest RequestOf(const RestoredCall& rc) {
  if (rc.request) return *rc.request;
  const Call& c = rc.call;
  return EnqueueRequest{c.call_id, c.queue, c.priority, c.required_skills, c.attributes};
}

}  // namespace

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

}  // namespace acd::core
