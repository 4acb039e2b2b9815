// Engine: agent commands (login, logout, ready, away, accept, reject, complete), wrap-up ends.
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/core/engine.h"
#include "server/core/engine_state.h"
#include "server/core/limits.h"
#include "server/core/prefetch.h"
#include "server/core/types.h"

namespace acd::core {

using engine_internal::Quote;

namespace {

constexpr absl::string_view kReasonLoggedIn = "logged_in";

}  // namespace

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

}  // namespace acd::core
