// The property test's transfer and callback commands, each predicted and checked.
#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/core/engine.h"
#include "server/core/limits.h"
#include "server/core/types.h"
#include "tests/core/property/generator.h"
#include "tests/core/property/model.h"
#include "tests/core/property/runner.h"
#include "tests/core/property/text.h"

namespace acd::core::property {

// --- Transfers and callbacks ---

// A call in one of `states` (by ListCalls, oldest first) with chance
// `right`, else any call id.
std::string Runner::PickCallIn(Rng& rng, std::vector<CallState> states, double right) {
  std::vector<std::string> calls = CallsIn(std::move(states));
  return !calls.empty() && rng.Chance(right) ? rng.Pick(calls) : PickCall(rng);
}

std::string Runner::PickQueue(Rng& rng) {
  int r = rng.Uniform(0, 99);
  if (r < 3) return "";
  if (r < 6) return "nowhere";
  if (r < 9 && !retired_queues_.empty()) return rng.Pick(retired_queues_);
  return rng.Pick(config_.queues).name;
}

// The model's call, or an empty one for an id it does not know.
ModelCall Runner::ModelCallOf(const std::string& id) const {
  auto it = calls_.find(id);
  return it == calls_.end() ? ModelCall{} : it->second;
}

// The first events of a command are `want` (type, call or agent id), in
// order.
void Runner::ExpectEvents(absl::string_view what,
                          std::vector<std::pair<EventType, std::string>> want) {
  for (size_t i = 0; i < want.size(); ++i) {
    const auto& [type, id] = want[i];
    if (i >= events_.size() || events_[i].type != type ||
        (events_[i].call_id != id && events_[i].agent_id != id)) {
      return Fail("outcome", what, ": event ", i + 1, " is ",
                  i < events_.size() ? Text(events_[i]) : "missing", "; expected ",
                  EventTypeName(type), " of ", id);
    }
  }
}

void Runner::TransferToQueue(Rng& rng, absl::Time t) {
  std::string call = PickCallIn(rng, {CallState::kConnected}, 0.85);
  std::string queue = PickQueue(rng);
  std::optional<int> priority;
  int r = rng.Uniform(0, 99);
  if (r < 45) priority = rng.Uniform(0, 15);  // raises it, or not
  if (r >= 45 && r < 48) priority = rng.Chance(0.5) ? kMinPriority - 1 : kMaxPriority + 1;
  std::string what = absl::StrCat("transfer ", call.substr(0, 8), " to queue ", queue,
                                  priority ? absl::StrCat(" p=", *priority) : "");
  Note(what);
  // Predict: a queue name (checked first, like every input); only a
  // connected call; then the priority, the queue and its admission (a full
  // or closed queue refuses, or overflows).
  ModelCall m = ModelCallOf(call);
  absl::StatusCode want = queue.empty() ? absl::StatusCode::kInvalidArgument : CallCode(call);
  if (want == absl::StatusCode::kOk && m.state != CallState::kConnected) {
    want = absl::StatusCode::kFailedPrecondition;
  }
  if (want == absl::StatusCode::kOk && priority &&
      (*priority < kMinPriority || *priority > kMaxPriority)) {
    want = absl::StatusCode::kInvalidArgument;
  }
  std::string landing;
  if (want == absl::StatusCode::kOk) want = Admit(queue, engine_now_, &landing);
  absl::StatusOr<Call> c = engine_.TransferToQueue(call, queue, priority, t);
  absl::Status s = c.status();
  Finish(s, what);
  Expect(s, want, what);
  if (!c.ok() || !strict_) return;
  // The agent is free (or away, if it asked) before the call waits again,
  // at its priority or the raised one.
  ExpectEvents(what,
               {{EventType::kAgentStateChanged, m.agent_id}, {EventType::kCallTransferred, call}});
  int p = std::max(m.priority, priority.value_or(kMinPriority));
  if (c->queue != landing || c->priority != p || c->transfers != m.transfers + 1 ||
      (c->state != CallState::kQueued && c->state != CallState::kOffered) ||
      c->enqueued_at != m.enqueued_at) {
    Fail("outcome", what, " left ", Text(*c), "; expected queue ", landing, " p=", p);
  }
}

void Runner::TransferToAgent(Rng& rng, absl::Time t) {
  std::string call = PickCallIn(rng, {CallState::kConnected}, 0.85);
  std::vector<std::string> available = AgentsIn(AgentState::kAvailable);
  std::string agent = !available.empty() && rng.Chance(0.75) ? rng.Pick(available) : PickAgent(rng);
  int r = rng.Uniform(0, 99);
  std::string fallback = r < 40 ? "" : r < 90 ? rng.Pick(config_.queues).name : PickQueue(rng);
  std::string what = absl::StrCat("transfer ", call.substr(0, 8), " to agent ", agent.substr(0, 8),
                                  " fallback ", fallback);
  Note(what);
  // Predict: a connected call, an available agent, a known fallback (by
  // default the call's queue).
  ModelCall m = ModelCallOf(call);
  absl::StatusCode want = CallCode(call);
  if (want == absl::StatusCode::kOk && m.state != CallState::kConnected) {
    want = absl::StatusCode::kFailedPrecondition;
  }
  if (want == absl::StatusCode::kOk) want = AgentCode(agent);
  if (want == absl::StatusCode::kOk && ModelAgent(agent).state != AgentState::kAvailable) {
    want = absl::StatusCode::kFailedPrecondition;
  }
  std::string fallback_queue = fallback.empty() ? m.queue : fallback;
  if (want == absl::StatusCode::kOk && QueueNamed(fallback_queue) == nullptr) {
    want = absl::StatusCode::kNotFound;
  }
  absl::StatusOr<Call> c = engine_.TransferToAgent(call, agent, fallback, t);
  absl::Status s = c.status();
  Finish(s, what);
  Expect(s, want, what);
  if (!c.ok() || !strict_) return;
  // Offered to that agent alone, at once; it stays in its queue.
  ExpectEvents(what, {{EventType::kAgentStateChanged, m.agent_id},
                      {EventType::kCallTransferred, call},
                      {EventType::kCallOffered, call}});
  if (c->state != CallState::kOffered || c->agent_id != agent || c->queue != m.queue ||
      c->transfer_fallback != fallback_queue || c->transfers != m.transfers + 1 ||
      c->priority != m.priority) {
    Fail("outcome", what, " left ", Text(*c));
  }
}

void Runner::MoveCall(Rng& rng, absl::Time t) {
  std::string call = PickCallIn(rng, {CallState::kQueued, CallState::kOffered}, 0.8);
  std::string queue = PickQueue(rng);
  std::string what = absl::StrCat("move ", call.substr(0, 8), " to ", queue);
  Note(what);
  // Predict: a queue name (checked first), a known queue, a waiting call; no
  // admission (the supervisor decides), and a move to its own queue changes
  // nothing.
  ModelCall m = ModelCallOf(call);
  absl::StatusCode want = queue.empty() ? absl::StatusCode::kInvalidArgument : CallCode(call);
  if (want == absl::StatusCode::kOk && QueueNamed(queue) == nullptr) {
    want = absl::StatusCode::kNotFound;
  }
  if (want == absl::StatusCode::kOk && m.state != CallState::kQueued &&
      m.state != CallState::kOffered) {
    want = absl::StatusCode::kFailedPrecondition;
  }
  absl::StatusOr<Call> c = engine_.MoveCall(call, queue, t);
  absl::Status s = c.status();
  Finish(s, what);
  Expect(s, want, what);
  if (!c.ok() || !strict_) return;
  if (m.queue == queue) return ExpectNoEvents(what);
  if (m.state == CallState::kOffered) {
    ExpectEvents(what, {{EventType::kOfferWithdrawn, call}, {EventType::kCallTransferred, call}});
  } else {
    ExpectEvents(what, {{EventType::kCallTransferred, call}});
  }
  if (c->queue != queue || c->transfers != m.transfers + 1 || c->priority != m.priority ||
      !c->transfer_fallback.empty() || c->enqueued_at != m.enqueued_at ||
      (c->state != CallState::kQueued && c->state != CallState::kOffered)) {
    Fail("outcome", what, " left ", Text(*c));
  }
}

// Live callbacks waiting for an agent or a retry in `queue`, by the events.
int Runner::PendingCallbacks(const std::string& queue) const {
  int n = 0;
  for (const auto& [id, m] : calls_) n += m.callback_pending && m.queue == queue;
  return n;
}

void Runner::RequestCallback(Rng& rng, absl::Time t) {
  constexpr absl::string_view kValid[] = {"+15550100", "5550123", "*72#9"};
  const std::string kInvalid[] = {"", "555-0100", "1+2", std::string(33, '5')};
  std::string call;
  std::string number(rng.Pick(kValid));
  bool valid = true;
  int r = rng.Uniform(0, 99);
  std::vector<std::string> callbacks;  // a repeat, the same number or another
  for (const std::string& id : CallsIn({CallState::kQueued, CallState::kOffered,
                                        CallState::kConnected, CallState::kCallbackScheduled})) {
    if (!calls_.contains(id) || calls_.at(id).callback_number.empty()) continue;
    callbacks.push_back(id);
  }
  if (r < 12 && !callbacks.empty()) {
    call = rng.Pick(callbacks);
    if (rng.Chance(0.7)) number = calls_.at(call).callback_number;
  } else {
    call = PickCallIn(rng, {CallState::kQueued}, 0.85);
  }
  if (rng.Chance(0.08)) {
    number = rng.Pick(kInvalid);
    valid = false;
  }
  std::string what = absl::StrCat("callback ", call.substr(0, 8), " '", number.substr(0, 12), "'");
  Note(what);
  // Predict: a valid number (checked first, like every input); a repeat
  // with the same number is harmless; only a queued call in a queue that
  // takes callbacks, up to max_pending.
  ModelCall m = ModelCallOf(call);
  absl::StatusCode want = valid ? CallCode(call) : absl::StatusCode::kInvalidArgument;
  bool retry = false;
  if (want == absl::StatusCode::kOk) {
    const QueueConfig* q = QueueNamed(m.queue);
    if (!m.callback_number.empty()) {
      retry = m.callback_number == number;
      if (!retry) want = absl::StatusCode::kFailedPrecondition;
    } else if (m.state != CallState::kQueued || q == nullptr || !q->callback.enabled) {
      want = absl::StatusCode::kFailedPrecondition;
    } else if (q->callback.max_pending > 0 &&
               PendingCallbacks(m.queue) >= q->callback.max_pending) {
      want = absl::StatusCode::kResourceExhausted;
    }
  }
  absl::StatusOr<Call> c = engine_.RequestCallback(call, number, t);
  absl::Status s = c.status();
  Finish(s, what);
  Expect(s, want, what);
  if (!c.ok() || !strict_) return;
  if (retry) return ExpectNoEvents(what);
  ExpectEvents(what, {{EventType::kCallbackRequested, call}});
  if (events_.size() != 1 || c->state != CallState::kQueued || c->callback_number != number ||
      c->callback_requested_at != engine_now_ || c->queue != m.queue) {
    Fail("outcome", what, " left ", Text(*c), " with ", events_.size(), " events");
  }
}

void Runner::CallbackFailed(Rng& rng, absl::Time t) {
  std::vector<std::string> dialing, failed;
  for (const std::string& id : CallsIn({CallState::kConnected})) {
    if (calls_.contains(id) && !calls_.at(id).callback_number.empty()) dialing.push_back(id);
  }
  for (const std::string& id : CallsIn({CallState::kCallbackScheduled, CallState::kTimedOut})) {
    if (calls_.contains(id) && !calls_.at(id).callback_number.empty()) failed.push_back(id);
  }
  int r = rng.Uniform(0, 99);
  std::string call = r < 75 && !dialing.empty()  ? rng.Pick(dialing)
                     : r < 90 && !failed.empty() ? rng.Pick(failed)
                                                 : PickCallIn(rng, {CallState::kConnected}, 0.5);
  constexpr absl::string_view kReasons[] = {"", "no_answer", "busy"};
  std::string reason(rng.Pick(kReasons));
  std::string what = absl::StrCat("callback failed ", call.substr(0, 8), " '", reason, "'");
  Note(what);
  // Predict: only a callback; a repeat once it took effect is harmless;
  // else it must be connected. Then a retry, or withdrawal when the
  // attempts are used up or the retry would miss the window.
  ModelCall m = ModelCallOf(call);
  absl::StatusCode want = CallCode(call);
  bool retry = false;
  if (want == absl::StatusCode::kOk) {
    retry = m.state == CallState::kCallbackScheduled ||
            (m.state == CallState::kTimedOut && m.end_reason == "callback_withdrawn");
    if (m.callback_number.empty() || (!retry && m.state != CallState::kConnected)) {
      want = absl::StatusCode::kFailedPrecondition;
      retry = false;
    }
  }
  bool withdraw = false;
  int attempts = m.callback_attempts + 1;
  if (const QueueConfig* q = QueueNamed(m.queue)) {
    const CallbackPolicy& policy = q->callback;
    withdraw = attempts >= policy.max_attempts ||
               engine_now_ + policy.retry_interval >= m.callback_requested + m.callback_window;
  }
  absl::StatusOr<Call> c = engine_.CallbackFailed(call, reason, t);
  absl::Status s = c.status();
  Finish(s, what);
  Expect(s, want, what);
  if (!c.ok() || !strict_) return;
  if (retry) return ExpectNoEvents(what);
  ExpectEvents(what,
               {{EventType::kAgentStateChanged, m.agent_id},
                {withdraw ? EventType::kCallbackWithdrawn : EventType::kCallbackFailed, call}});
  CallState state = withdraw ? CallState::kTimedOut : CallState::kCallbackScheduled;
  if (c->state != state || c->callback_attempts != attempts || !c->agent_id.empty()) {
    Fail("outcome", what, " left ", Text(*c), "; expected ", CallStateName(state),
         " after attempt ", attempts);
  }
}

}  // namespace acd::core::property
