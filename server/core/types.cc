#include "server/core/types.h"

namespace acd::core {

absl::string_view CallStateName(CallState state) {
  switch (state) {
    case CallState::kQueued:
      return "queued";
    case CallState::kOffered:
      return "offered";
    case CallState::kConnected:
      return "connected";
    case CallState::kWrapUp:
      return "wrap_up";
    case CallState::kCompleted:
      return "completed";
    case CallState::kAbandoned:
      return "abandoned";
    case CallState::kOverflowed:
      return "overflowed";
    case CallState::kTimedOut:
      return "timed_out";
    case CallState::kRejected:
      return "rejected";
    case CallState::kCallbackScheduled:
      return "callback_scheduled";
  }
  return "unknown";
}

absl::string_view AgentStateName(AgentState state) {
  switch (state) {
    case AgentState::kLoggedOut:
      return "logged_out";
    case AgentState::kAvailable:
      return "available";
    case AgentState::kReserved:
      return "reserved";
    case AgentState::kBusy:
      return "busy";
    case AgentState::kWrapUp:
      return "wrap_up";
    case AgentState::kAway:
      return "away";
  }
  return "unknown";
}

absl::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kCallQueued:
      return "call_queued";
    case EventType::kCallOffered:
      return "call_offered";
    case EventType::kOfferRejected:
      return "offer_rejected";
    case EventType::kOfferTimedOut:
      return "offer_timed_out";
    case EventType::kOfferWithdrawn:
      return "offer_withdrawn";
    case EventType::kCallConnected:
      return "call_connected";
    case EventType::kCallAbandoned:
      return "call_abandoned";
    case EventType::kCallEnded:
      return "call_ended";
    case EventType::kCallCompleted:
      return "call_completed";
    case EventType::kAgentLoggedIn:
      return "agent_logged_in";
    case EventType::kAgentLoggedOut:
      return "agent_logged_out";
    case EventType::kAgentStateChanged:
      return "agent_state_changed";
    case EventType::kConfigApplied:
      return "config_applied";
    case EventType::kCallOverflowed:
      return "call_overflowed";
    case EventType::kCallTimedOut:
      return "call_timed_out";
    case EventType::kCallEscalated:
      return "call_escalated";
    case EventType::kCallTransferred:
      return "call_transferred";
    case EventType::kCallbackOffered:
      return "callback_offered";
    case EventType::kCallbackRequested:
      return "callback_requested";
    case EventType::kCallbackDial:
      return "callback_dial";
    case EventType::kCallbackFailed:
      return "callback_failed";
    case EventType::kCallbackWithdrawn:
      return "callback_withdrawn";
    case EventType::kStateRestored:
      return "state_restored";
  }
  return "unknown";
}

absl::string_view StrategyName(Strategy strategy) {
  switch (strategy) {
    case Strategy::kLongestIdle:
      return "longest_idle";
    case Strategy::kLeastCalls:
      return "least_calls";
    case Strategy::kLeastTalkTime:
      return "least_talk_time";
    case Strategy::kRoundRobin:
      return "round_robin";
    case Strategy::kBestSkill:
      return "best_skill";
    case Strategy::kRandom:
      return "random";
  }
  return "unknown";
}

bool IsFinal(CallState state) {
  switch (state) {
    case CallState::kQueued:
    case CallState::kOffered:
    case CallState::kConnected:
    case CallState::kWrapUp:
    case CallState::kCallbackScheduled:
      return false;
    default:
      return true;
  }
}

}  // namespace acd::core
