// Engine: call commands (enqueue, abandon, end, transfers, move), rules and admission.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/core/engine.h"
#include "server/core/engine_state.h"
#include "server/core/expr.h"
#include "server/core/limits.h"
#include "server/core/prefetch.h"
#include "server/core/schedule.h"
#include "server/core/types.h"

namespace acd::core {

using engine_internal::Quote;
using engine_internal::RoundRobinAfter;

namespace {

// Overflow chains longer than this are refused (and config cycles end here).
constexpr int kMaxOverflowHops = 4;

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

}  // namespace

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

}  // namespace acd::core
