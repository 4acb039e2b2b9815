// Engine: callbacks (virtual hold): request, failed dial, withdrawal, when to offer one.
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/core/engine.h"
#include "server/core/engine_state.h"
#include "server/core/limits.h"
#include "server/core/schedule.h"
#include "server/core/types.h"

namespace acd::core {

using engine_internal::Quote;

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

}  // namespace acd::core
