// The property test's checks on each command's status and events, and on offers.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "server/core/types.h"
#include "tests/core/property/checks.h"
#include "tests/core/property/runner.h"
#include "tests/core/property/text.h"

namespace acd::core::property {

// --- Status checks ---

// Every error carries a code the API documents and says what was wrong.
void Runner::CheckError(absl::Status& s, absl::string_view what) {
  if (fault_ == Fault::kErrorCode && !s.ok()) s = absl::UnknownError("injected");
  if (s.ok()) return;
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kResourceExhausted:
      if (s.message().empty())
        Fail("error-code", what, " failed without saying why: ", s.ToString());
      return;
    default:
      Fail("error-code", what, " returned ", s.ToString(), ", not a documented code");
  }
}

// Takes a command's events and checks them; an error must come with none.
void Runner::Finish(absl::Status& s, absl::string_view what) {
  CheckError(s, what);
  TakeEvents();
  if (fault_ == Fault::kEventOnError && !s.ok()) events_.push_back(Event{});
  if (strict_ && !s.ok() && !events_.empty()) {
    Fail("error-events", what, " failed (", s.ToString(), ") yet emitted ", events_.size(),
         " event(s), the first: ", Text(events_.front()));
  }
  Note(absl::StrCat(" -> ", s.ok() ? "OK" : s.ToString()));
  if (!events_.empty()) {
    Note(" [");
    for (const Event& e : events_) {
      Note(absl::StrCat(" ", EventTypeName(e.type), "(", e.call_id, ",", e.agent_id, ")"));
    }
    Note(" ]");
  }
}

void Runner::Expect(const absl::Status& s, absl::StatusCode want, absl::string_view what) {
  if (!strict_ || s.code() == want) return;
  Fail("outcome", what, " returned ", s.ToString(), "; expected ", absl::StatusCodeToString(want));
}

void Runner::ExpectNoEvents(absl::string_view what) {
  if (strict_ && !events_.empty()) {
    Fail("outcome", what, " was a retry yet emitted ", Text(events_.front()));
  }
}

// --- Events ---

void Runner::CheckEvent(const Event& e) {
  if (e.seq != next_seq_) Fail("events", Text(e), " has seq ", e.seq, "; expected ", next_seq_);
  next_seq_ = e.seq + 1;
  if (e.time > engine_now_) Fail("events", Text(e), " is after now ", Rel(engine_now_));
  if (e.time < last_event_time_) {
    Fail("events", Text(e), " is before the previous event at ", Rel(last_event_time_));
  }
  last_event_time_ = e.time;
  // The integrator dials a callback when its call connects: callback_dial
  // follows call_connected of a pending callback at once, and only then.
  bool dial_expected = !expect_dial_.empty() && e.call_id == expect_dial_;
  if (!expect_dial_.empty() && !(e.type == EventType::kCallbackDial && dial_expected)) {
    Fail("event-shape", Text(e), " follows call_connected of callback ", expect_dial_,
         " instead of callback_dial");
  } else if (e.type == EventType::kCallbackDial && !dial_expected) {
    Fail("event-shape", Text(e), " does not follow call_connected of a pending callback");
  }
  expect_dial_.clear();
  if (e.type == EventType::kCallConnected) {
    auto it = calls_.find(e.call_id);
    if (it != calls_.end() && it->second.callback_pending) expect_dial_ = e.call_id;
  }
  if (digest_enabled_) {
    for (char c :
         absl::StrCat(Text(e), e.call ? Text(*e.call) : "", e.agent ? Text(*e.agent) : "")) {
      digest_ = (digest_ ^ static_cast<uint8_t>(c)) * 1099511628211ull;
    }
  }
  CheckEventShape(e);
}

// An event's snapshots agree with what it reports.
void Runner::CheckEventShape(const Event& e) {
  auto bad = [&](absl::string_view why) { Fail("event-shape", Text(e), ": ", why); };
  bool wants_call = false, wants_agent = false;
  std::vector<CallState> call_states;
  std::vector<AgentState> agent_states;
  switch (e.type) {
    case EventType::kCallQueued:
    case EventType::kCallOverflowed:
    case EventType::kCallTransferred:
      wants_call = true;
      call_states = {CallState::kQueued};
      break;
    case EventType::kCallOffered:
      wants_call = wants_agent = true;
      call_states = {CallState::kOffered};
      agent_states = {AgentState::kReserved};
      break;
    case EventType::kOfferRejected:
    case EventType::kOfferTimedOut:
    case EventType::kOfferWithdrawn:
      wants_call = wants_agent = true;
      call_states = {CallState::kQueued};
      agent_states = {AgentState::kAvailable, AgentState::kAway};
      break;
    case EventType::kCallConnected:
      wants_call = wants_agent = true;
      call_states = {CallState::kConnected};
      agent_states = {AgentState::kBusy};
      break;
    case EventType::kCallAbandoned:
      wants_call = true;
      call_states = {CallState::kAbandoned};
      break;
    case EventType::kCallEnded:
      wants_call = wants_agent = true;
      call_states = {CallState::kWrapUp};
      agent_states = {AgentState::kWrapUp};
      break;
    case EventType::kCallCompleted:
      wants_call = wants_agent = true;
      call_states = {CallState::kCompleted};
      agent_states = {AgentState::kAvailable, AgentState::kAway};
      break;
    case EventType::kAgentLoggedIn:
      wants_agent = true;
      agent_states = {AgentState::kAvailable, AgentState::kAway};
      break;
    case EventType::kAgentLoggedOut:
      wants_agent = true;
      agent_states = {AgentState::kLoggedOut};
      break;
    case EventType::kAgentStateChanged:
      wants_agent = true;
      agent_states = {AgentState::kAvailable, AgentState::kReserved, AgentState::kBusy,
                      AgentState::kWrapUp, AgentState::kAway};
      break;
    case EventType::kConfigApplied:
    case EventType::kStateRestored:
      break;
    case EventType::kCallTimedOut:
      wants_call = true;
      call_states = {CallState::kTimedOut};
      break;
    case EventType::kCallEscalated:
      wants_call = true;
      call_states = {CallState::kQueued, CallState::kOffered};
      break;
    case EventType::kCallbackOffered:
    case EventType::kCallbackRequested:
      wants_call = true;
      call_states = {CallState::kQueued};
      break;
    case EventType::kCallbackDial:
      wants_call = wants_agent = true;
      call_states = {CallState::kConnected};
      agent_states = {AgentState::kBusy};
      break;
    case EventType::kCallbackFailed:  // a retry; else callback_withdrawn
      wants_call = true;
      call_states = {CallState::kCallbackScheduled};
      break;
    case EventType::kCallbackWithdrawn:
      wants_call = true;
      call_states = {CallState::kTimedOut};
      break;
  }
  if (wants_call != e.call.has_value()) return bad("call snapshot present/missing");
  if (wants_agent != e.agent.has_value()) return bad("agent snapshot present/missing");
  if (e.call) {
    if (e.call->call_id != e.call_id || e.call->queue != e.queue) return bad("call ids differ");
    if (std::find(call_states.begin(), call_states.end(), e.call->state) == call_states.end()) {
      return bad(absl::StrCat("call is ", CallStateName(e.call->state)));
    }
  }
  if (e.agent) {
    if (e.agent->agent_id != e.agent_id) return bad("agent ids differ");
    if (std::find(agent_states.begin(), agent_states.end(), e.agent->state) == agent_states.end()) {
      return bad(absl::StrCat("agent is ", AgentStateName(e.agent->state)));
    }
    bool holds = e.agent->state == AgentState::kReserved || e.agent->state == AgentState::kBusy ||
                 e.agent->state == AgentState::kWrapUp;
    if (holds != !e.agent->call_id.empty()) return bad("agent's call_id and state disagree");
  }
  if (e.call && e.agent &&
      (e.type == EventType::kCallOffered || e.type == EventType::kCallConnected ||
       e.type == EventType::kCallEnded || e.type == EventType::kCallbackDial)) {
    if (e.call->agent_id != e.agent->agent_id || e.agent->call_id != e.call->call_id) {
      return bad("call and agent do not name each other");
    }
  }
  switch (e.type) {
    case EventType::kCallbackRequested:
    case EventType::kCallbackDial:
    case EventType::kCallbackFailed:
    case EventType::kCallbackWithdrawn:
      if (e.call->callback_number.empty() || !e.call->callback_requested_at) {
        return bad("a callback event about a call with no callback number");
      }
      break;
    default:
      break;
  }
  if (e.type == EventType::kCallbackWithdrawn && e.call->end_reason != "callback_withdrawn") {
    return bad("a withdrawn callback's end_reason is not callback_withdrawn");
  }
  if (e.type == EventType::kCallbackFailed && !e.call->agent_id.empty()) {
    return bad("a callback waiting for its retry still names an agent");
  }
  if (e.type == EventType::kCallTransferred &&
      absl::StrContains(e.reason, " to agent ") != !e.call->transfer_fallback.empty()) {
    return bad("a transfer to an agent without a fallback queue, or the reverse");
  }
}

// A call is offered only to an agent who was available, who serves its
// queue (or one that escalation added) and has every skill it needs.
void Runner::CheckOffer(const Event& e) {
  const Call& c = *e.call;
  const Agent& a = *e.agent;
  if (ModelAgent(a.agent_id).state != AgentState::kAvailable) {
    return Fail("offer", Text(e), ": the agent was ", AgentStateName(ModelAgent(a.agent_id).state));
  }
  if (!c.transfer_fallback.empty()) {
    // A transfer to a named agent: to that agent alone, whatever its skills
    // and queues.
    auto it = calls_.find(c.call_id);
    std::string want = it == calls_.end() ? "" : it->second.transfer_to;
    if (fault_ == Fault::kTransferOffer) want += "!";
    if (a.agent_id != want) {
      Fail("offer", Text(e), ": the call was transferred to agent '", want, "'");
    }
    return;
  }
  for (const auto& [skill, level] : c.effective_skills) {
    auto it = a.skills.find(skill);
    if (it == a.skills.end() || it->second < level) {
      return Fail("offer", Text(e), ": the agent has ", Text(a.skills), "; the call needs ",
                  Text(c.effective_skills));
    }
  }
  // A reload's offers mix old memberships (agents it logs out) and new.
  if (reloading_) return;
  bool serves = Serves(a.agent_id, c.queue);
  if (auto it = calls_.find(c.call_id); it != calls_.end()) {
    for (const std::string& q : it->second.widened) serves |= Serves(a.agent_id, q);
  }
  if (!serves)
    return Fail("offer", Text(e), ": the agent serves neither its queue nor a widened one");
}

}  // namespace acd::core::property
