// The property test's model: the engine's events replayed, and the outcomes it predicts.
#include "tests/core/property/model.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/core/limits.h"
#include "server/core/types.h"
#include "tests/core/property/checks.h"
#include "tests/core/property/runner.h"
#include "tests/core/property/text.h"

namespace acd::core::property {

// --- Events and the model built from them ---

void Runner::TakeEvents() {
  events_ = engine_.TakeEvents();
  for (size_t i = 0; i < events_.size() && ok(); ++i) {
    Event& e = events_[i];
    if (i == 0 && fault_ == Fault::kSeqGap && e.seq > 100) e.seq++;
    if (fault_ == Fault::kEventInFuture && e.seq > 100) e.time = engine_now_ + absl::Seconds(1);
    if (fault_ == Fault::kEventBackwards && e.seq > 100 && last_event_time_ > kT0) {
      e.time = last_event_time_ - absl::Seconds(1);
    }
    if (fault_ == Fault::kEventShape && e.type == EventType::kCallOffered) {
      e.call->state = CallState::kQueued;
    }
    if (fault_ == Fault::kOffer && e.type == EventType::kCallOffered) {
      e.call->effective_skills["klingon"] = 1;
    }
    if (fault_ == Fault::kOfferTimeout && e.type == EventType::kCallOffered) {
      e.call->offer_expires_at = *e.call->offer_expires_at + absl::Seconds(1);
    }
    if (fault_ == Fault::kDial && e.type == EventType::kCallbackDial) {
      next_seq_ = e.seq + 1;  // lost, yet without a gap
      continue;
    }
    CheckEvent(e);
    fold_.Add(e);
    if (fault_ == Fault::kModel && e.type == EventType::kCallConnected) continue;
    ApplyEvent(e);
  }
  if (!expect_dial_.empty() && ok()) {
    Fail("event-shape", "call_connected of callback ", expect_dial_,
         " is the last event: callback_dial must follow");
  }
  expect_dial_.clear();
}

const QueueConfig* Runner::QueueNamed(absl::string_view name) const {
  for (const QueueConfig& q : config_.queues) {
    if (q.name == name) return &q;
  }
  return nullptr;
}

bool Runner::Serves(const std::string& agent, const std::string& queue) const {
  for (const AgentConfig& a : config_.agents) {
    if (a.agent_id == agent) {
      return std::find(a.queues.begin(), a.queues.end(), queue) != a.queues.end();
    }
  }
  return false;
}

// Replays one event into the model.
void Runner::ApplyEvent(const Event& e) {
  if (e.type == EventType::kCallOffered && e.call && e.agent) CheckOffer(e);
  if (e.agent) agents_[e.agent_id] = *e.agent;
  if (!e.call) return;
  const Call& c = *e.call;
  auto it = calls_.find(c.call_id);
  if (it == calls_.end()) {
    if (e.type != EventType::kCallQueued) {
      return Fail("model", Text(e), " is about a call never queued (or already forgotten)");
    }
    it = calls_.emplace(c.call_id, ModelCall{}).first;
    it->second.entered = e.time;
    model_live_++;
  } else if (IsFinal(it->second.state)) {
    return Fail("model", Text(e), " is about a call that had finished ",
                CallStateName(it->second.state));
  } else if (e.type == EventType::kCallQueued) {
    // Only a callback's retry queues a live call again, when it falls due.
    if (it->second.state != CallState::kCallbackScheduled || e.reason != "callback_retry") {
      return Fail("model", Text(e), " queues a call that is live");
    }
    if (e.time != it->second.retry_at) {
      return Fail("timing", Text(e), ": the retry falls due at ", Rel(it->second.retry_at));
    }
  }
  ModelCall& m = it->second;
  // A limit fires no earlier than its queue says.
  auto limit = [&](absl::string_view reason) -> absl::Duration {
    const QueueConfig* q = QueueNamed(m.queue);
    if (q == nullptr) return absl::ZeroDuration();
    return reason == "max_wait" ? q->max_wait : q->max_wait_no_agent;
  };
  if (e.type == EventType::kCallTimedOut || e.type == EventType::kCallOverflowed) {
    for (absl::string_view reason : {"max_wait", "no_agent"}) {
      if (!absl::StartsWith(e.reason, reason)) continue;
      if (m.callback_pending) {
        Fail("timing", Text(e), ": a pending callback has its window instead of ", reason);
      }
      absl::Duration want = limit(reason);
      if (want <= absl::ZeroDuration() || e.time - m.entered < want) {
        Fail("timing", Text(e), ": call entered ", m.queue, " at ", Rel(m.entered), " and its ",
             reason, " limit is ", absl::FormatDuration(want));
      }
    }
  }
  if (e.type == EventType::kOfferTimedOut && (!m.offer_expires || e.time != *m.offer_expires)) {
    Fail("timing", Text(e), ": the offer expires at ", Rel(m.offer_expires));
  }
  if (e.type == EventType::kCallbackWithdrawn && e.reason == "window_passed") {
    // The window of its queue when asked: a reload or move keeps it.
    if (e.time < m.callback_requested + m.callback_window) {
      Fail("timing", Text(e), ": asked at ", Rel(m.callback_requested), " with a window of ",
           absl::FormatDuration(m.callback_window));
    }
  }
  // Limits and escalation restart in a queue the call is moved to.
  if (e.type == EventType::kCallOverflowed || e.type == EventType::kCallTransferred) {
    m.entered = e.time;
    m.widened.clear();
  }
  if (e.type == EventType::kCallTransferred) {
    size_t at = e.reason.find(" to agent ");
    m.transfer_to = at == std::string::npos ? "" : e.reason.substr(at + strlen(" to agent "));
  }
  switch (e.type) {
    case EventType::kCallbackRequested:
      m.callback_pending = true;
      m.callback_requested = c.callback_requested_at.value_or(e.time);
      if (const QueueConfig* q = QueueNamed(c.queue)) m.callback_window = q->callback.window;
      break;
    case EventType::kCallbackFailed:
      m.callback_pending = true;
      if (const QueueConfig* q = QueueNamed(c.queue)) {
        m.retry_at = e.time + q->callback.retry_interval;
      }
      break;
    case EventType::kCallConnected:
      m.callback_pending = false;
      break;
    default:
      break;
  }
  if (IsFinal(c.state)) m.callback_pending = false;
  if (e.type == EventType::kCallEscalated) {
    for (absl::string_view change : absl::StrSplit(e.reason, ", ")) {
      if (absl::ConsumePrefix(&change, "+queue ")) m.widened.emplace_back(change);
    }
  }
  if (e.type == EventType::kCallOffered) m.offer_expires = c.offer_expires_at;
  m.state = c.state;
  m.queue = c.queue;
  m.agent_id = c.agent_id;
  m.priority = c.priority;
  m.missed_offers = c.missed_offers;
  m.disposition = c.disposition;
  m.notes = c.notes;
  m.enqueued_at = c.enqueued_at;
  m.end_reason = c.end_reason;
  m.transfers = c.transfers;
  m.transfer_fallback = c.transfer_fallback;
  m.callback_number = c.callback_number;
  m.callback_attempts = c.callback_attempts;
  if (IsFinal(c.state)) {
    // The engine keeps max_finished_calls finished calls, oldest out first.
    model_live_--;
    finished_.push_back(c.call_id);
    while (finished_.size() > max_finished_ + (fault_ == Fault::kMemory ? 1 : 0)) {
      forgotten_ = finished_.front();
      finished_.pop_front();
      calls_.erase(forgotten_);
      requests_.erase(forgotten_);
    }
  }
}

// --- Lookups the model predicts ---

bool Runner::ValidId(absl::string_view id) { return !id.empty() && id.size() <= kMaxIdLength; }

absl::StatusCode Runner::AgentCode(const std::string& id) const {
  if (!ValidId(id)) return absl::StatusCode::kInvalidArgument;
  for (const AgentConfig& a : config_.agents) {
    if (a.agent_id == id) return absl::StatusCode::kOk;
  }
  return absl::StatusCode::kNotFound;
}

absl::StatusCode Runner::CallCode(const std::string& id) const {
  if (!ValidId(id)) return absl::StatusCode::kInvalidArgument;
  return calls_.contains(id) ? absl::StatusCode::kOk : absl::StatusCode::kNotFound;
}

Agent Runner::ModelAgent(const std::string& id) const {
  auto it = agents_.find(id);
  if (it != agents_.end()) return it->second;
  Agent a;
  a.agent_id = id;
  return a;
}

}  // namespace acd::core::property
