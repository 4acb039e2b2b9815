// The property test's commands: enqueue, agent and call commands, each predicted and checked.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "server/core/engine.h"
#include "server/core/limits.h"
#include "server/core/types.h"
#include "tests/core/property/checks.h"
#include "tests/core/property/generator.h"
#include "tests/core/property/runner.h"
#include "tests/core/property/text.h"

namespace acd::core::property {

// --- Picking targets ---

std::string Runner::PickAgent(Rng& rng) {
  int r = rng.Uniform(0, 99);
  if (r < 2) return "";
  if (r < 4) return std::string(kMaxIdLength + 1, 'a');
  if (r < 7) return "ghost";
  if (r < 9 && !retired_agents_.empty()) return rng.Pick(retired_agents_);
  return rng.Pick(config_.agents).agent_id;
}

std::string Runner::PickCall(Rng& rng) {
  int r = rng.Uniform(0, 99);
  if (r < 2 || ids_.empty()) return "";
  if (r < 5) return "nope";
  int recent = std::min<int>(ids_.size(), 30);
  return ids_[ids_.size() - 1 - rng.Uniform(0, recent - 1)];
}

// Agents in `state`, in config order (never hash order: runs must repeat).
std::vector<std::string> Runner::AgentsIn(AgentState state) const {
  std::vector<std::string> out;
  for (const AgentConfig& a : config_.agents) {
    if (ModelAgent(a.agent_id).state == state) out.push_back(a.agent_id);
  }
  return out;
}

std::vector<std::string> Runner::CallsIn(std::vector<CallState> states) const {
  std::vector<std::string> out;
  absl::StatusOr<std::vector<Call>> calls = engine_.ListCalls("", states, kNoLimit);
  if (calls.ok()) {
    for (const Call& c : *calls) out.push_back(c.call_id);
  }
  return out;
}

// --- Operations: enqueue ---

void Runner::FillRequest(EnqueueRequest& req, Rng& rng) {
  int r = rng.Uniform(0, 99);
  req.queue = r < 80 ? rng.Pick(config_.queues).name : r < 95 ? "" : "nowhere";
  req.priority = rng.Uniform(0, 10);
  req.required_skills.clear();
  if (rng.Chance(0.5)) {
    int n = rng.Uniform(1, 2);
    for (int i = 0; i < n; ++i) {
      req.required_skills[std::string(rng.Pick(kSkillNames))] = rng.Uniform(1, 5);
    }
  }
  req.attributes.clear();
  if (rng.Chance(0.7)) req.attributes["tier"] = std::string(rng.Pick(kTiers));
  if (rng.Chance(0.7)) req.attributes["language"] = std::string(rng.Pick(kLanguages));
  if (rng.Chance(0.4)) req.attributes["age"] = std::string(rng.Pick(kAges));
}

bool Runner::SameRequest(const EnqueueRequest& a, const EnqueueRequest& b) {
  return a.queue == b.queue && a.priority == b.priority && a.required_skills == b.required_skills &&
         a.attributes == b.attributes;
}

void Runner::Enqueue(Rng& rng, absl::Time t) {
  EnqueueRequest req;
  bool invalid = false;
  int r = rng.Uniform(0, 99);
  if (r < 14 && !ids_.empty()) {
    // A retry: the same content, or other content under the same id.
    req.call_id = PickCall(rng);
    auto it = requests_.find(req.call_id);
    if (it != requests_.end() && rng.Chance(0.6)) {
      req = it->second;
    } else {
      FillRequest(req, rng);
    }
    invalid = !ValidId(req.call_id);
  } else {
    req.call_id = absl::StrCat("c", next_call_++);
    FillRequest(req, rng);
    if (r >= 95) {
      invalid = true;
      switch (rng.Uniform(0, 4)) {
        case 0:
          req.call_id.clear();
          break;
        case 1:
          req.call_id = std::string(kMaxIdLength + 1, 'c');
          break;
        case 2:
          req.priority = rng.Chance(0.5) ? kMinPriority - 1 : kMaxPriority + 1;
          break;
        case 3:
          req.required_skills["en"] = rng.Chance(0.5) ? 0 : kMaxSkillLevel + 1;
          break;
        default:
          req.required_skills[""] = 1;
      }
    }
  }
  std::string what =
      absl::StrCat("enqueue ", req.call_id.substr(0, 8), " q=", req.queue, " p=", req.priority,
                   " skills=", Text(req.required_skills), " attrs=", Text(req.attributes));
  Note(what);

  // Predict: which code, and where a new call lands.
  absl::StatusCode want = absl::StatusCode::kOk;
  bool repeat = false;
  EnqueueRequest routed = req;
  std::string landing;
  auto known = requests_.find(req.call_id);
  if (invalid) {
    want = absl::StatusCode::kInvalidArgument;
  } else if (known != requests_.end()) {
    repeat = SameRequest(known->second, req);
    want = repeat ? absl::StatusCode::kOk : absl::StatusCode::kAlreadyExists;
  } else {
    want = Route(routed, t, &landing);
  }

  absl::StatusOr<EnqueueResult> result = engine_.EnqueueCall(req, t);
  absl::Status s = result.status();
  Finish(s, what);
  Expect(s, want, what);
  if (!result.ok() || !ok()) return;
  if (result->created) {
    requests_[req.call_id] = req;
    ids_.push_back(req.call_id);
  }
  if (!strict_) return;
  const Call& c = result->call;
  if (repeat) {
    if (result->created) return Fail("outcome", what, " repeated a call yet created one");
    ExpectNoEvents(what);
    if (c.call_id != req.call_id) Fail("outcome", what, " returned ", c.call_id);
    return;
  }
  if (!result->created) return Fail("outcome", what, " created nothing");
  if (c.queue != landing || c.priority != routed.priority ||
      c.required_skills != routed.required_skills || c.attributes != req.attributes ||
      (c.state != CallState::kQueued && c.state != CallState::kOffered) ||
      c.enqueued_at != engine_now_) {
    return Fail("outcome", what, " gave ", Text(c), "; expected queue ", landing, " priority ",
                routed.priority, " skills ", Text(routed.required_skills));
  }
  if (events_.empty() || events_.front().type != EventType::kCallQueued) {
    Fail("outcome", what, " did not start with call_queued");
  }
  bool offered = std::any_of(events_.begin(), events_.end(),
                             [](const Event& e) { return e.type == EventType::kCallbackOffered; });
  if (offered != result->callback_offered) {
    Fail("outcome", what, " says callback_offered=", result->callback_offered, " with",
         offered ? "" : "out", " a callback_offered event");
  }
  if (offered && (!QueueNamed(c.queue)->callback.enabled || c.state != CallState::kQueued)) {
    Fail("outcome", what, " offered a callback in ", c.queue, " for ", Text(c));
  }
}

// Applies the rules and admission (schedules, max_size, overflows) to a
// new request, from the config and GetQueueStats alone.
absl::StatusCode Runner::Route(EnqueueRequest& req, absl::Time t, std::string* landing) {
  if (req.queue.empty()) {
    const RoutingRule* match = nullptr;
    for (const RoutingRule& rule : config_.rules) {
      if (rule.when == nullptr || rule.when->Evaluate(req.attributes)) {
        match = &rule;
        break;
      }
    }
    if (match == nullptr) return absl::StatusCode::kInvalidArgument;
    req.queue = match->queue;
    if (match->priority) req.priority = *match->priority;
    for (const auto& [skill, level] : match->skills) {
      int& have = req.required_skills[skill];
      have = std::max(have, level);
    }
  }
  return Admit(req.queue, t, landing);
}

// Admission to `queue` (schedules, max_size, overflows), from the config
// and GetQueueStats alone.
absl::StatusCode Runner::Admit(const std::string& queue, absl::Time t, std::string* landing) {
  const QueueConfig* q = QueueNamed(queue);
  if (q == nullptr) return absl::StatusCode::kNotFound;
  for (int hop = 0; hop <= kMaxOverflowHops; ++hop) {
    absl::StatusOr<QueueStats> stats = engine_.GetQueueStats(q->name, t);
    if (!stats.ok()) {
      Fail("outcome", "GetQueueStats(", q->name, "): ", stats.status().ToString());
      return absl::StatusCode::kInternal;
    }
    const LimitAction* action;
    absl::StatusCode refusal;
    if (!stats->open) {
      action = &q->on_closed;
      refusal = absl::StatusCode::kFailedPrecondition;
    } else if (q->max_size > 0 && stats->queued + stats->offered >= q->max_size) {
      action = &q->on_full;
      refusal = absl::StatusCode::kResourceExhausted;
    } else {
      *landing = q->name;
      return absl::StatusCode::kOk;
    }
    if (action->kind != LimitAction::Kind::kOverflow) return refusal;
    q = QueueNamed(action->queue);
  }
  return absl::StatusCode::kResourceExhausted;
}

// --- Operations: agents ---

void Runner::Login(Rng& rng, absl::Time t) {
  std::string id = PickAgent(rng);
  bool ready = rng.Chance(0.7);
  std::string what = absl::StrCat("login ", id.substr(0, 8), ready ? " ready" : " not-ready");
  Note(what);
  absl::StatusCode want = AgentCode(id);
  bool retry = want == absl::StatusCode::kOk && ModelAgent(id).state != AgentState::kLoggedOut;
  absl::StatusOr<Agent> a = engine_.Login(id, ready, t);
  absl::Status s = a.status();
  Finish(s, what);
  Expect(s, want, what);
  if (!a.ok() || !strict_) return;
  if (retry) return ExpectNoEvents(what);
  bool right = ready ? a->state == AgentState::kAvailable || a->state == AgentState::kReserved
                     : a->state == AgentState::kAway;
  if (!right) Fail("outcome", what, " left ", Text(*a));
}

void Runner::Logout(Rng& rng, absl::Time t) {
  std::string id = PickAgent(rng);
  std::string what = absl::StrCat("logout ", id.substr(0, 8));
  Note(what);
  absl::StatusCode want = AgentCode(id);
  AgentState was = ModelAgent(id).state;
  if (want == absl::StatusCode::kOk && (was == AgentState::kBusy || was == AgentState::kWrapUp)) {
    want = absl::StatusCode::kFailedPrecondition;
  }
  absl::StatusOr<Agent> a = engine_.Logout(id, t);
  absl::Status s = a.status();
  Finish(s, what);
  Expect(s, want, what);
  if (!a.ok() || !strict_) return;
  if (was == AgentState::kLoggedOut) ExpectNoEvents(what);
  if (a->state != AgentState::kLoggedOut) Fail("outcome", what, " left ", Text(*a));
}

void Runner::Ready(Rng& rng, absl::Time t) {
  std::string id = PickAgent(rng);
  std::string what = absl::StrCat("ready ", id.substr(0, 8));
  Note(what);
  absl::StatusCode want = AgentCode(id);
  Agent was = ModelAgent(id);
  if (want == absl::StatusCode::kOk && was.state == AgentState::kLoggedOut) {
    want = absl::StatusCode::kFailedPrecondition;
  }
  absl::StatusOr<Agent> a = engine_.SetAvailable(id, t);
  absl::Status s = a.status();
  Finish(s, what);
  Expect(s, want, what);
  if (!a.ok() || !strict_) return;
  if (was.state == AgentState::kAway) {
    if (a->state != AgentState::kAvailable && a->state != AgentState::kReserved) {
      Fail("outcome", what, " left ", Text(*a));
    }
  } else if (was.pending_away_reason.empty()) {
    ExpectNoEvents(what);
  }
}

void Runner::Away(Rng& rng, absl::Time t) {
  std::string id = PickAgent(rng);
  constexpr absl::string_view kReasons[] = {"", "lunch", "break"};
  std::string reason(rng.Pick(kReasons));
  std::string what = absl::StrCat("away ", id.substr(0, 8), " '", reason, "'");
  Note(what);
  absl::StatusCode want = AgentCode(id);
  Agent was = ModelAgent(id);
  if (want == absl::StatusCode::kOk && was.state == AgentState::kLoggedOut) {
    want = absl::StatusCode::kFailedPrecondition;
  }
  absl::StatusOr<Agent> a = engine_.SetAway(id, reason, t);
  absl::Status s = a.status();
  Finish(s, what);
  Expect(s, want, what);
  if (!a.ok() || !strict_) return;
  std::string why = reason.empty() ? "away" : reason;
  if (was.state == AgentState::kBusy || was.state == AgentState::kWrapUp) {
    if (a->state != was.state || a->pending_away_reason != why) {
      Fail("outcome", what, " left ", Text(*a));
    }
  } else if (a->state != AgentState::kAway || a->away_reason != why) {
    Fail("outcome", what, " left ", Text(*a));
  }
}

// --- Operations: calls ---

// A right (agent, call) pair for an agent in `state`, else a random one.
std::pair<std::string, std::string> Runner::PickPair(Rng& rng, AgentState state, double right) {
  std::vector<std::string> holders = AgentsIn(state);
  if (!holders.empty() && rng.Chance(right)) {
    std::string agent = rng.Pick(holders);
    return {agent, ModelAgent(agent).call_id};
  }
  std::string agent = PickAgent(rng);
  return {agent, PickCall(rng)};
}

void Runner::Accept(Rng& rng, absl::Time t) {
  // Mostly the right agent; sometimes a retry by the connected agent.
  auto [agent, call] = rng.Chance(0.1) ? PickPair(rng, AgentState::kBusy, 1.0)
                                       : PickPair(rng, AgentState::kReserved, 0.8);
  std::string what = absl::StrCat("accept ", agent.substr(0, 8), " ", call.substr(0, 8));
  Note(what);
  absl::StatusCode want = AgentCode(agent);
  if (want == absl::StatusCode::kOk) want = CallCode(call);
  bool retry = false;
  if (want == absl::StatusCode::kOk) {
    const ModelCall& m = calls_.at(call);
    retry = m.state == CallState::kConnected && m.agent_id == agent;
    if (!retry && (m.state != CallState::kOffered || m.agent_id != agent)) {
      want = absl::StatusCode::kFailedPrecondition;
    }
  }
  absl::StatusOr<Call> c = engine_.AcceptOffer(agent, call, t);
  absl::Status s = c.status();
  Finish(s, what);
  if (fault_ == Fault::kOutcome && s.ok() && !retry) s = absl::FailedPreconditionError("injected");
  Expect(s, want, what);
  if (!c.ok() || !strict_) return;
  if (retry) ExpectNoEvents(what);
  if (c->state != CallState::kConnected || c->agent_id != agent) {
    Fail("outcome", what, " left ", Text(*c));
  }
}

void Runner::Reject(Rng& rng, absl::Time t) {
  auto [agent, call] = PickPair(rng, AgentState::kReserved, 0.75);
  std::string what = absl::StrCat("reject ", agent.substr(0, 8), " ", call.substr(0, 8));
  Note(what);
  absl::StatusCode want = AgentCode(agent);
  if (want == absl::StatusCode::kOk) want = CallCode(call);
  if (want == absl::StatusCode::kOk) {
    const ModelCall& m = calls_.at(call);
    if (m.state != CallState::kOffered || m.agent_id != agent) {
      want = absl::StatusCode::kFailedPrecondition;
    }
  }
  absl::StatusOr<Call> c = engine_.RejectOffer(agent, call, rng.Chance(0.5) ? "" : "busy", t);
  absl::Status s = c.status();
  Finish(s, what);
  Expect(s, want, what);
}

void Runner::Abandon(Rng& rng, absl::Time t) {
  std::vector<std::string> waiting = CallsIn({CallState::kQueued, CallState::kOffered});
  std::string call = !waiting.empty() && rng.Chance(0.75) ? rng.Pick(waiting) : PickCall(rng);
  constexpr absl::string_view kReasons[] = {"", "caller_hangup", "ivr"};
  std::string reason(rng.Pick(kReasons));
  std::string what = absl::StrCat("abandon ", call.substr(0, 8));
  Note(what);
  absl::StatusCode want = CallCode(call);
  CallState was = CallState::kQueued;
  if (want == absl::StatusCode::kOk) {
    const ModelCall& m = calls_.at(call);
    was = m.state;
    // The caller of a pending callback hung up already: nothing to abandon.
    if (m.callback_pending ||
        (was != CallState::kQueued && was != CallState::kOffered && was != CallState::kAbandoned)) {
      want = absl::StatusCode::kFailedPrecondition;
    }
  }
  absl::StatusOr<Call> c = engine_.AbandonCall(call, reason, t);
  absl::Status s = c.status();
  Finish(s, what);
  Expect(s, want, what);
  if (!c.ok() || !strict_) return;
  if (was == CallState::kAbandoned) ExpectNoEvents(what);
  if (c->state != CallState::kAbandoned) Fail("outcome", what, " left ", Text(*c));
}

void Runner::End(Rng& rng, absl::Time t) {
  std::vector<std::string> connected = CallsIn({CallState::kConnected});
  std::string call = !connected.empty() && rng.Chance(0.75) ? rng.Pick(connected) : PickCall(rng);
  std::string what = absl::StrCat("end ", call.substr(0, 8));
  Note(what);
  absl::StatusCode want = CallCode(call);
  CallState was = CallState::kConnected;
  if (want == absl::StatusCode::kOk) {
    was = calls_.at(call).state;
    if (was != CallState::kConnected && was != CallState::kWrapUp && was != CallState::kCompleted) {
      want = absl::StatusCode::kFailedPrecondition;
    }
  }
  absl::StatusOr<Call> c = engine_.EndCall(call, t);
  absl::Status s = c.status();
  Finish(s, what);
  Expect(s, want, what);
  if (!c.ok() || !strict_) return;
  if (was != CallState::kConnected) return ExpectNoEvents(what);
  if (c->state != CallState::kWrapUp && c->state != CallState::kCompleted) {
    Fail("outcome", what, " left ", Text(*c));
  }
}

void Runner::Complete(Rng& rng, absl::Time t) {
  constexpr absl::string_view kDispositions[] = {"", "resolved", "sale"};
  std::string disposition(rng.Pick(kDispositions));
  std::string notes = rng.Chance(0.3) ? "note" : "";
  std::string agent, call;
  int r = rng.Uniform(0, 99);
  std::vector<std::string> wrapping = CallsIn({CallState::kWrapUp});
  std::vector<std::string> completed;
  for (const std::string& id : finished_) {
    if (calls_.at(id).state == CallState::kCompleted) completed.push_back(id);
  }
  if (r < 70 && !wrapping.empty()) {
    call = rng.Pick(wrapping);
    agent = calls_.contains(call) ? calls_.at(call).agent_id : "";
  } else if (r < 85 && !completed.empty()) {
    // A retry of a completed call, sometimes with other notes.
    call = rng.Pick(completed);
    const ModelCall& m = calls_.at(call);
    agent = m.agent_id;
    disposition = m.disposition;
    if (!rng.Chance(0.2)) notes = m.notes;
  } else {
    agent = PickAgent(rng);
    call = PickCall(rng);
  }
  std::string what =
      absl::StrCat("complete ", agent.substr(0, 8), " ", call.substr(0, 8), " '", disposition, "'");
  Note(what);
  absl::StatusCode want = AgentCode(agent);
  if (want == absl::StatusCode::kOk) want = CallCode(call);
  bool retry = false;
  if (want == absl::StatusCode::kOk) {
    const ModelCall& m = calls_.at(call);
    retry = m.agent_id == agent && m.state == CallState::kCompleted &&
            m.disposition == disposition && m.notes == notes;
    if (!retry && (m.agent_id != agent || m.state != CallState::kWrapUp)) {
      want = absl::StatusCode::kFailedPrecondition;
    }
  }
  absl::StatusOr<Call> c = engine_.CompleteCall(agent, call, disposition, notes, t);
  absl::Status s = c.status();
  Finish(s, what);
  Expect(s, want, what);
  if (!c.ok() || !strict_) return;
  if (retry) ExpectNoEvents(what);
  if (c->state != CallState::kCompleted || c->disposition != disposition) {
    Fail("outcome", what, " left ", Text(*c));
  }
}

}  // namespace acd::core::property
