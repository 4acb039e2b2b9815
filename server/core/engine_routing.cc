// Engine: routing, offers and their return, escalation, limits and schedule edges.
#include <algorithm>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/core/engine.h"
#include "server/core/engine_state.h"
#include "server/core/prefetch.h"
#include "server/core/routing_index.h"
#include "server/core/schedule.h"
#include "server/core/types.h"

namespace acd::core {

using engine_internal::Meets;
using engine_internal::RoundRobinAfter;

namespace {

constexpr absl::string_view kReasonMissedOffers = "missed_offers";

}  // namespace

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

// ---------------------------------------------------------------------------
// Escalation, limits and schedules

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

}  // namespace acd::core
