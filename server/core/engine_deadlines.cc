// Engine: time: Begin, and the arming, staleness and firing of deadlines.
#include <algorithm>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "server/core/deadline_queue.h"
#include "server/core/engine.h"
#include "server/core/engine_state.h"
#include "server/core/types.h"

namespace acd::core {

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

}  // namespace acd::core
