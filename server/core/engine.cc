#include "server/core/engine.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace acd::core {
namespace {

constexpr absl::string_view kReasonLoggedIn = "logged_in";
constexpr absl::string_view kReasonMissedOffers = "missed_offers";

std::string Quote(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

absl::Status ValidateId(absl::string_view what, absl::string_view id) {
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " is required"));
  if (id.size() > kMaxIdLength) {
    return absl::InvalidArgumentError(absl::StrCat(what, " ", Quote(id.substr(0, 32)), "... is ",
                                                   id.size(), " bytes; the limit is ",
                                                   kMaxIdLength));
  }
  return absl::OkStatus();
}

bool SameContent(const Call& call, const EnqueueRequest& request) {
  return call.queue == request.queue && call.priority == request.priority &&
         call.required_skills == request.required_skills &&
         call.attributes == request.attributes;
}

// Names the first difference between an existing call and a repeated request.
std::string FirstDifference(const Call& call, const EnqueueRequest& request) {
  if (call.queue != request.queue) {
    return absl::StrCat("queue ", Quote(call.queue), " vs ", Quote(request.queue));
  }
  if (call.priority != request.priority) {
    return absl::StrCat("priority ", call.priority, " vs ", request.priority);
  }
  if (call.required_skills != request.required_skills) return "required_skills differ";
  return "attributes differ";
}

}  // namespace

Engine::Engine(EngineOptions options) : options_(options) {
  // The call just finished must survive Finish(): callers still read it.
  options_.max_finished_calls = std::max<size_t>(options_.max_finished_calls, 1);
}

// ---------------------------------------------------------------------------
// Config

absl::Status Engine::ApplyConfig(const RoutingConfig& config, absl::Time now) {
  now = Begin(now);
  absl::flat_hash_set<std::string> new_queues;
  for (const QueueConfig& q : config.queues) new_queues.insert(q.name);
  absl::flat_hash_set<std::string> new_agents;
  for (const AgentConfig& a : config.agents) {
    new_agents.insert(a.agent_id);
    for (const std::string& q : a.queues) {
      if (!new_queues.contains(q)) {
        return absl::InvalidArgumentError(
            absl::StrCat("agent ", Quote(a.agent_id), " names unknown queue ", Quote(q)));
      }
    }
  }
  // Refuse before changing anything.
  for (const auto& [name, queue] : queues_) {
    if (new_queues.contains(name)) continue;
    int live = queue->call_counts[CallState::kQueued] + queue->call_counts[CallState::kOffered] +
               queue->call_counts[CallState::kConnected] + queue->call_counts[CallState::kWrapUp];
    if (live > 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "queue ", Quote(name), " cannot be removed: it holds ", live, " live call(s)"));
    }
  }
  for (const auto& [id, agent] : agents_) {
    if (new_agents.contains(id)) continue;
    AgentState s = agent->agent.state;
    if (s == AgentState::kBusy || s == AgentState::kWrapUp) {
      return absl::FailedPreconditionError(
          absl::StrCat("agent ", Quote(id), " cannot be removed while ", AgentStateName(s),
                       " with call ", Quote(agent->agent.call_id)));
    }
  }

  // Removed agents are logged out (their offers go back) and forgotten.
  std::vector<std::string> removed_agents;
  for (const auto& [id, agent] : agents_) {
    if (!new_agents.contains(id)) removed_agents.push_back(id);
  }
  std::sort(removed_agents.begin(), removed_agents.end());
  for (const std::string& id : removed_agents) {
    if (agents_[id]->agent.state != AgentState::kLoggedOut) {
      absl::StatusOr<Agent> out = Logout(id, now);
      if (!out.ok()) return out.status();  // not reached: checked above
    }
    agents_.erase(id);
  }

  // Queues: take new settings, add new ones, drop removed (empty) ones.
  for (const QueueConfig& q : config.queues) {
    auto& entry = queues_[q.name];
    if (!entry) entry = std::make_unique<QueueEntry>();
    entry->config = q;
    entry->members.clear();
    entry->available.clear();
  }
  for (auto it = queues_.begin(); it != queues_.end();) {
    if (!new_queues.contains(it->first)) {
      queues_.erase(it++);
    } else {
      ++it;
    }
  }

  // Agents: settings from config, live state kept.
  for (const AgentConfig& a : config.agents) {
    auto& entry = agents_[a.agent_id];
    if (!entry) {
      entry = std::make_unique<AgentEntry>();
      entry->agent.agent_id = a.agent_id;
      entry->agent.state_since = now;
    }
    entry->agent.name = a.name.empty() ? a.agent_id : a.name;
    entry->agent.skills = a.skills;
    entry->agent.queues = a.queues;
    for (const std::string& q : a.queues) {
      QueueEntry& queue = *queues_[q];
      queue.members.push_back(entry.get());
      if (entry->agent.state == AgentState::kAvailable) {
        queue.available.insert({entry->agent.idle_since, entry->ready_order, entry.get()});
      }
    }
  }
  for (auto& [name, queue] : queues_) {
    std::sort(queue->members.begin(), queue->members.end(),
              [](const AgentEntry* a, const AgentEntry* b) {
                return a->agent.agent_id < b->agent.agent_id;
              });
  }

  Emit(EventType::kConfigApplied, now, nullptr, nullptr,
       absl::StrCat(config.queues.size(), " queues, ", config.agents.size(), " agents"));
  RouteAll(now);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Calls

absl::StatusOr<EnqueueResult> Engine::EnqueueCall(const EnqueueRequest& request, absl::Time now) {
  now = Begin(now);
  if (absl::Status s = ValidateId("call_id", request.call_id); !s.ok()) return s;
  if (request.queue.empty()) return absl::InvalidArgumentError("queue is required");
  if (request.priority < kMinPriority || request.priority > kMaxPriority) {
    return absl::InvalidArgumentError(absl::StrCat("priority ", request.priority,
                                                   " is out of range [", kMinPriority, ", ",
                                                   kMaxPriority, "]"));
  }
  for (const auto& [skill, level] : request.required_skills) {
    if (skill.empty()) return absl::InvalidArgumentError("required_skills has an empty skill name");
    if (level < kMinSkillLevel || level > kMaxSkillLevel) {
      return absl::InvalidArgumentError(absl::StrCat("required_skills[", Quote(skill), "] = ", level,
                                                     " is out of range [", kMinSkillLevel, ", ",
                                                     kMaxSkillLevel, "]"));
    }
  }
  if (auto it = calls_.find(request.call_id); it != calls_.end()) {
    const Call& existing = it->second->call;
    if (SameContent(existing, request)) return EnqueueResult{CallView(*it->second), false};
    return absl::AlreadyExistsError(absl::StrCat("call ", Quote(request.call_id),
                                                 " already exists with different content (",
                                                 FirstDifference(existing, request), ")"));
  }
  auto queue_it = queues_.find(request.queue);
  if (queue_it == queues_.end()) {
    return absl::NotFoundError(absl::StrCat("unknown queue ", Quote(request.queue)));
  }

  auto entry = std::make_unique<CallEntry>();
  Call& call = entry->call;
  call.call_id = request.call_id;
  call.queue = request.queue;
  call.priority = request.priority;
  call.required_skills = request.required_skills;
  call.attributes = request.attributes;
  call.state = CallState::kQueued;
  call.enqueued_at = now;
  call.arrival_order = next_arrival_order_++;
  CallEntry& ref = *entry;
  calls_.emplace(call.call_id, std::move(entry));
  queue_it->second->call_counts[CallState::kQueued]++;
  Wait(ref);
  Emit(EventType::kCallQueued, now, &ref, nullptr, "");
  RouteCall(ref, now);
  return EnqueueResult{CallView(ref), true};
}

absl::StatusOr<Call> Engine::AbandonCall(absl::string_view call_id, absl::string_view reason,
                                         absl::Time now) {
  now = Begin(now);
  absl::StatusOr<CallEntry*> found = FindCall(call_id);
  if (!found.ok()) return found.status();
  CallEntry& entry = **found;
  std::string why = reason.empty() ? "caller_hangup" : std::string(reason);
  switch (entry.call.state) {
    case CallState::kAbandoned:
      return CallView(entry);  // a retry
    case CallState::kQueued:
      Unwait(entry);
      break;
    case CallState::kOffered: {
      AgentEntry& agent = *agents_.at(entry.call.agent_id);
      ReturnOffer(entry, agent, EventType::kOfferWithdrawn, why, /*missed=*/false, now);
      Unwait(entry);
      break;
    }
    default:
      return absl::FailedPreconditionError(
          absl::StrCat("call ", Quote(call_id), " is ", CallStateName(entry.call.state),
                       "; only a queued or offered call can be abandoned",
                       entry.call.state == CallState::kConnected ? " (use EndCall)" : ""));
  }
  SetCallState(entry, CallState::kAbandoned);
  entry.call.ended_at = now;
  entry.call.end_reason = why;
  Emit(EventType::kCallAbandoned, now, &entry, nullptr, why);
  Finish(entry);
  // The agent freed by a withdrawn offer may take another call.
  if (!entry.call.agent_id.empty()) {
    if (auto agent = FindAgent(entry.call.agent_id); agent.ok()) RouteAgent(**agent, now);
  }
  return CallView(entry);
}

absl::StatusOr<Call> Engine::EndCall(absl::string_view call_id, absl::Time now) {
  now = Begin(now);
  absl::StatusOr<CallEntry*> found = FindCall(call_id);
  if (!found.ok()) return found.status();
  CallEntry& entry = **found;
  if (entry.call.state == CallState::kWrapUp || entry.call.state == CallState::kCompleted) {
    return CallView(entry);  // a retry
  }
  if (entry.call.state != CallState::kConnected) {
    return absl::FailedPreconditionError(
        absl::StrCat("call ", Quote(call_id), " is ", CallStateName(entry.call.state),
                     "; only a connected call can be ended",
                     entry.call.state == CallState::kQueued || entry.call.state == CallState::kOffered
                         ? " (use AbandonCall)"
                         : ""));
  }
  AgentEntry& agent = *agents_.at(entry.call.agent_id);
  entry.call.ended_at = now;
  agent.agent.calls_handled++;
  agent.agent.talk_time += now - *entry.call.connected_at;
  SetCallState(entry, CallState::kWrapUp);
  SetAgentState(agent, AgentState::kWrapUp, now);
  const QueueConfig& queue = queues_.at(entry.call.queue)->config;
  if (queue.wrap_up_time <= absl::ZeroDuration()) {
    Emit(EventType::kCallEnded, now, &entry, &agent, "");
    FinishWrapUp(entry, agent, "no_wrap_up", now);
    return CallView(entry);
  }
  agent.agent.wrap_up_until = now + queue.wrap_up_time;
  agent.wrap_up_generation++;
  PushDeadline(*agent.agent.wrap_up_until, DeadlineKind::kWrapUpEnd, agent.agent.agent_id,
               agent.wrap_up_generation);
  Emit(EventType::kCallEnded, now, &entry, &agent, "");
  return CallView(entry);
}

// ---------------------------------------------------------------------------
// Agents

absl::StatusOr<Agent> Engine::Login(absl::string_view agent_id, bool ready, absl::Time now) {
  now = Begin(now);
  absl::StatusOr<AgentEntry*> found = FindAgent(agent_id);
  if (!found.ok()) return found.status();
  AgentEntry& agent = **found;
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
  absl::StatusOr<AgentEntry*> found = FindAgent(agent_id);
  if (!found.ok()) return found.status();
  AgentEntry& agent = **found;
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
  CallEntry* withdrawn = nullptr;
  if (agent.agent.state == AgentState::kReserved) {
    withdrawn = calls_.at(agent.agent.call_id).get();
    ReturnOffer(*withdrawn, agent, EventType::kOfferWithdrawn, "agent_logged_out",
                /*missed=*/false, now);
  }
  agent.agent.away_reason.clear();
  agent.agent.pending_away_reason.clear();
  SetAgentState(agent, AgentState::kLoggedOut, now);
  Emit(EventType::kAgentLoggedOut, now, nullptr, &agent, "");
  if (withdrawn != nullptr) RouteCall(*withdrawn, now);
  return agent.agent;
}

absl::StatusOr<Agent> Engine::SetAvailable(absl::string_view agent_id, absl::Time now) {
  now = Begin(now);
  absl::StatusOr<AgentEntry*> found = FindAgent(agent_id);
  if (!found.ok()) return found.status();
  AgentEntry& agent = **found;
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
  agent.agent.away_reason.clear();
  agent.agent.consecutive_missed_offers = 0;
  MakeAvailable(agent, now, now);
  Emit(EventType::kAgentStateChanged, now, nullptr, &agent, "ready");
  RouteAgent(agent, now);
  return agent.agent;
}

absl::StatusOr<Agent> Engine::SetAway(absl::string_view agent_id, absl::string_view reason,
                                      absl::Time now) {
  now = Begin(now);
  absl::StatusOr<AgentEntry*> found = FindAgent(agent_id);
  if (!found.ok()) return found.status();
  AgentEntry& agent = **found;
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
      CallEntry& call = *calls_.at(agent.agent.call_id);
      ReturnOffer(call, agent, EventType::kOfferWithdrawn, "agent_away", /*missed=*/false, now);
      agent.agent.away_reason = why;
      SetAgentState(agent, AgentState::kAway, now);
      Emit(EventType::kAgentStateChanged, now, nullptr, &agent, why);
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
  absl::StatusOr<AgentEntry*> agent_found = FindAgent(agent_id);
  if (!agent_found.ok()) return agent_found.status();
  absl::StatusOr<CallEntry*> call_found = FindCall(call_id);
  if (!call_found.ok()) return call_found.status();
  CallEntry& call = **call_found;
  AgentEntry& agent = **agent_found;
  if (call.call.state == CallState::kConnected && call.call.agent_id == agent_id) {
    return CallView(call);  // a retry
  }
  absl::StatusOr<CallEntry*> offered = FindOfferedCall(agent_id, call_id);
  if (!offered.ok()) return offered.status();
  call.offer_generation++;  // its timeout no longer applies
  call.call.offer_expires_at.reset();
  call.call.connected_at = now;
  SetCallState(call, CallState::kConnected);
  agent.agent.consecutive_missed_offers = 0;
  SetAgentState(agent, AgentState::kBusy, now);
  Emit(EventType::kCallConnected, now, &call, &agent, "");
  return CallView(call);
}

absl::StatusOr<Call> Engine::RejectOffer(absl::string_view agent_id, absl::string_view call_id,
                                         absl::string_view reason, absl::Time now) {
  now = Begin(now);
  absl::StatusOr<AgentEntry*> agent_found = FindAgent(agent_id);
  if (!agent_found.ok()) return agent_found.status();
  absl::StatusOr<CallEntry*> offered = FindOfferedCall(agent_id, call_id);
  if (!offered.ok()) return offered.status();
  CallEntry& call = **offered;
  AgentEntry& agent = **agent_found;
  ReturnOffer(call, agent, EventType::kOfferRejected, reason.empty() ? "rejected" : reason,
              /*missed=*/true, now);
  RouteCall(call, now);
  RouteAgent(agent, now);
  return CallView(call);
}

absl::StatusOr<Call> Engine::CompleteCall(absl::string_view agent_id, absl::string_view call_id,
                                          absl::string_view disposition, absl::string_view notes,
                                          absl::Time now) {
  now = Begin(now);
  absl::StatusOr<AgentEntry*> agent_found = FindAgent(agent_id);
  if (!agent_found.ok()) return agent_found.status();
  absl::StatusOr<CallEntry*> call_found = FindCall(call_id);
  if (!call_found.ok()) return call_found.status();
  CallEntry& call = **call_found;
  AgentEntry& agent = **agent_found;
  if (call.call.agent_id != agent_id) {
    return absl::FailedPreconditionError(
        absl::StrCat("call ", Quote(call_id), " is not handled by agent ", Quote(agent_id),
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

// ---------------------------------------------------------------------------
// Time

absl::Time Engine::Begin(absl::Time now) {
  if (now < now_) now = now_;
  AdvanceTo(now);
  return now_;
}

bool Engine::IsStale(const Deadline& d) const {
  switch (d.kind) {
    case DeadlineKind::kOfferTimeout: {
      auto it = calls_.find(d.id);
      return it == calls_.end() || it->second->offer_generation != d.generation ||
             it->second->call.state != CallState::kOffered;
    }
    case DeadlineKind::kWrapUpEnd: {
      auto it = agents_.find(d.id);
      return it == agents_.end() || it->second->wrap_up_generation != d.generation ||
             it->second->agent.state != AgentState::kWrapUp;
    }
  }
  return true;
}

std::optional<absl::Time> Engine::NextDeadline() {
  while (!deadlines_.empty() && IsStale(deadlines_.top())) deadlines_.pop();
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.top().at;
}

void Engine::AdvanceTo(absl::Time now) {
  if (now < now_) return;
  while (true) {
    std::optional<absl::Time> next = NextDeadline();
    if (!next || *next > now) break;
    Deadline d = deadlines_.top();
    deadlines_.pop();
    // Handlers see the time the deadline fell due, so recorded times are exact.
    now_ = std::max(now_, d.at);
    FireDeadline(d);
  }
  now_ = now;
}

void Engine::PushDeadline(absl::Time at, DeadlineKind kind, const std::string& id, uint64_t gen) {
  deadlines_.push(Deadline{at, next_deadline_order_++, kind, id, gen});
}

void Engine::FireDeadline(const Deadline& d) {
  switch (d.kind) {
    case DeadlineKind::kOfferTimeout: {
      CallEntry& call = *calls_.at(d.id);
      AgentEntry& agent = *agents_.at(call.call.agent_id);
      ReturnOffer(call, agent, EventType::kOfferTimedOut, "offer_timeout", /*missed=*/true, now_);
      RouteCall(call, now_);
      RouteAgent(agent, now_);
      break;
    }
    case DeadlineKind::kWrapUpEnd: {
      AgentEntry& agent = *agents_.at(d.id);
      CallEntry& call = *calls_.at(agent.agent.call_id);
      FinishWrapUp(call, agent, "wrap_up_timeout", now_);
      break;
    }
  }
}

// ---------------------------------------------------------------------------
// Routing

bool Engine::Eligible(const AgentEntry& agent, const CallEntry& call) const {
  for (const auto& [skill, level] : call.call.required_skills) {
    auto it = agent.agent.skills.find(skill);
    if (it == agent.agent.skills.end() || it->second < level) return false;
  }
  return true;
}

void Engine::RouteCall(CallEntry& call, absl::Time now) {
  if (call.call.state != CallState::kQueued) return;
  QueueEntry& queue = *queues_.at(call.call.queue);
  for (const IdleKey& key : queue.available) {
    if (Eligible(*key.agent, call)) {
      Offer(call, *key.agent, now);
      return;
    }
  }
}

void Engine::RouteAgent(AgentEntry& agent, absl::Time now) {
  if (agent.agent.state != AgentState::kAvailable) return;
  const WaitKey* best = nullptr;
  for (const std::string& name : agent.agent.queues) {
    const QueueEntry& queue = *queues_.at(name);
    for (const WaitKey& key : queue.waiting) {
      if (best != nullptr && !(key < *best)) break;  // nothing older further on
      if (Eligible(agent, *key.call)) {
        best = &key;
        break;
      }
    }
  }
  if (best != nullptr) Offer(*best->call, agent, now);
}

void Engine::RouteAll(absl::Time now) {
  // Oldest call first across queues, so the fairest match is made first.
  std::vector<WaitKey> all;
  for (const auto& [name, queue] : queues_) all.insert(all.end(), queue->waiting.begin(), queue->waiting.end());
  std::sort(all.begin(), all.end());
  for (const WaitKey& key : all) RouteCall(*key.call, now);
}

void Engine::Offer(CallEntry& call, AgentEntry& agent, absl::Time now) {
  const QueueConfig& queue = queues_.at(call.call.queue)->config;
  Unwait(call);
  RemoveAvailable(agent);
  call.offer_generation++;
  call.call.agent_id = agent.agent.agent_id;
  call.call.offered_at = now;
  call.call.offer_expires_at = now + queue.offer_timeout;
  SetCallState(call, CallState::kOffered);
  agent.agent.call_id = call.call.call_id;
  // Keep idle_since: if the offer is withdrawn the agent keeps its place.
  agent.agent.state = AgentState::kReserved;
  agent.agent.state_since = now;
  PushDeadline(*call.call.offer_expires_at, DeadlineKind::kOfferTimeout, call.call.call_id,
               call.offer_generation);
  Emit(EventType::kCallOffered, now, &call, &agent, "");
}

void Engine::ReturnOffer(CallEntry& call, AgentEntry& agent, EventType type,
                         absl::string_view reason, bool missed, absl::Time now) {
  call.offer_generation++;
  call.call.offer_expires_at.reset();
  SetCallState(call, CallState::kQueued);
  Wait(call);  // its original place: the key is its arrival
  agent.agent.call_id.clear();
  bool pause = false;
  if (missed) {
    call.call.missed_offers++;
    agent.agent.consecutive_missed_offers++;
    int limit = queues_.at(call.call.queue)->config.max_missed_offers;
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
}

void Engine::FinishWrapUp(CallEntry& call, AgentEntry& agent, absl::string_view reason,
                          absl::Time now) {
  call.call.completed_at = now;
  SetCallState(call, CallState::kCompleted);
  agent.agent.call_id.clear();
  agent.agent.wrap_up_until.reset();
  agent.wrap_up_generation++;
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

void Engine::Finish(CallEntry& entry) {
  finished_.push_back(entry.call.call_id);
  while (finished_.size() > options_.max_finished_calls) {
    calls_.erase(finished_.front());
    finished_.pop_front();
  }
}

// ---------------------------------------------------------------------------
// State bookkeeping

void Engine::SetCallState(CallEntry& entry, CallState state) {
  auto queue = queues_.find(entry.call.queue);
  if (queue != queues_.end()) {
    queue->second->call_counts[entry.call.state]--;
    queue->second->call_counts[state]++;
  }
  entry.call.state = state;
}

void Engine::SetAgentState(AgentEntry& entry, AgentState state, absl::Time now) {
  if (entry.agent.state == AgentState::kAvailable && state != AgentState::kAvailable) {
    RemoveAvailable(entry);
  }
  if (state != AgentState::kAway) entry.agent.away_reason.clear();
  entry.agent.state = state;
  entry.agent.state_since = now;
}

void Engine::MakeAvailable(AgentEntry& entry, absl::Time idle_since, absl::Time now) {
  if (entry.agent.state == AgentState::kAvailable) RemoveAvailable(entry);
  entry.agent.state = AgentState::kAvailable;
  entry.agent.state_since = now;
  entry.agent.away_reason.clear();
  entry.agent.idle_since = idle_since;
  entry.ready_order = next_ready_order_++;
  AddAvailable(entry);
}

void Engine::Wait(CallEntry& entry) {
  queues_.at(entry.call.queue)
      ->waiting.insert({entry.call.enqueued_at, entry.call.arrival_order, &entry});
}

void Engine::Unwait(CallEntry& entry) {
  queues_.at(entry.call.queue)
      ->waiting.erase({entry.call.enqueued_at, entry.call.arrival_order, &entry});
}

void Engine::AddAvailable(AgentEntry& entry) {
  for (const std::string& q : entry.agent.queues) {
    queues_.at(q)->available.insert({entry.agent.idle_since, entry.ready_order, &entry});
  }
}

void Engine::RemoveAvailable(AgentEntry& entry) {
  for (const std::string& q : entry.agent.queues) {
    queues_.at(q)->available.erase({entry.agent.idle_since, entry.ready_order, &entry});
  }
}

// ---------------------------------------------------------------------------
// Lookups

absl::StatusOr<Engine::CallEntry*> Engine::FindCall(absl::string_view call_id) {
  if (absl::Status s = ValidateId("call_id", call_id); !s.ok()) return s;
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return absl::NotFoundError(absl::StrCat("unknown call ", Quote(call_id)));
  return it->second.get();
}

absl::StatusOr<const Engine::CallEntry*> Engine::FindCall(absl::string_view call_id) const {
  return const_cast<Engine*>(this)->FindCall(call_id);
}

absl::StatusOr<Engine::AgentEntry*> Engine::FindAgent(absl::string_view agent_id) {
  if (absl::Status s = ValidateId("agent_id", agent_id); !s.ok()) return s;
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) {
    return absl::NotFoundError(absl::StrCat("unknown agent ", Quote(agent_id)));
  }
  return it->second.get();
}

absl::StatusOr<const Engine::AgentEntry*> Engine::FindAgent(absl::string_view agent_id) const {
  return const_cast<Engine*>(this)->FindAgent(agent_id);
}

absl::StatusOr<Engine::CallEntry*> Engine::FindOfferedCall(absl::string_view agent_id,
                                                           absl::string_view call_id) {
  absl::StatusOr<CallEntry*> found = FindCall(call_id);
  if (!found.ok()) return found.status();
  const Call& call = (*found)->call;
  if (call.state != CallState::kOffered) {
    return absl::FailedPreconditionError(absl::StrCat("call ", Quote(call_id), " is not offered to agent ",
                                                      Quote(agent_id), " (it is ",
                                                      CallStateName(call.state), ")"));
  }
  if (call.agent_id != agent_id) {
    return absl::FailedPreconditionError(absl::StrCat("call ", Quote(call_id), " is not offered to agent ",
                                                      Quote(agent_id), " (it is offered to ",
                                                      Quote(call.agent_id), ")"));
  }
  return *found;
}

// ---------------------------------------------------------------------------
// Reads

absl::StatusOr<Call> Engine::GetCall(absl::string_view call_id) const {
  absl::StatusOr<const CallEntry*> found = FindCall(call_id);
  if (!found.ok()) return found.status();
  return CallView(**found);
}

absl::StatusOr<Agent> Engine::GetAgent(absl::string_view agent_id) const {
  absl::StatusOr<const AgentEntry*> found = FindAgent(agent_id);
  if (!found.ok()) return found.status();
  return (*found)->agent;
}

std::optional<Call> Engine::OutstandingOffer(absl::string_view agent_id) const {
  auto it = agents_.find(agent_id);
  if (it == agents_.end() || it->second->agent.state != AgentState::kReserved) return std::nullopt;
  return CallView(*calls_.at(it->second->agent.call_id));
}

std::vector<QueueConfig> Engine::Queues() const {
  std::vector<QueueConfig> out;
  for (const auto& [name, queue] : queues_) out.push_back(queue->config);
  std::sort(out.begin(), out.end(),
            [](const QueueConfig& a, const QueueConfig& b) { return a.name < b.name; });
  return out;
}

absl::StatusOr<QueueStats> Engine::GetQueueStats(absl::string_view name, absl::Time now) const {
  auto it = queues_.find(name);
  if (it == queues_.end()) return absl::NotFoundError(absl::StrCat("unknown queue ", Quote(name)));
  const QueueEntry& queue = *it->second;
  auto count = [&](CallState s) {
    auto c = queue.call_counts.find(s);
    return c == queue.call_counts.end() ? 0 : c->second;
  };
  QueueStats stats;
  stats.queue = std::string(name);
  stats.queued = count(CallState::kQueued);
  stats.offered = count(CallState::kOffered);
  stats.connected = count(CallState::kConnected);
  stats.wrap_up = count(CallState::kWrapUp);
  stats.completed = count(CallState::kCompleted);
  stats.abandoned = count(CallState::kAbandoned);
  for (const AgentEntry* agent : queue.members) {
    switch (agent->agent.state) {
      case AgentState::kLoggedOut: stats.agents_logged_out++; break;
      case AgentState::kAvailable: stats.agents_available++; break;
      case AgentState::kReserved: stats.agents_reserved++; break;
      case AgentState::kBusy: stats.agents_busy++; break;
      case AgentState::kWrapUp: stats.agents_wrap_up++; break;
      case AgentState::kAway: stats.agents_away++; break;
    }
  }
  if (!queue.waiting.empty()) {
    absl::Time at = std::max(now, now_);
    stats.longest_wait = at - queue.waiting.begin()->enqueued_at;
  }
  return stats;
}

absl::StatusOr<std::vector<Agent>> Engine::ListAgents(absl::string_view queue) const {
  std::vector<Agent> out;
  if (!queue.empty()) {
    auto it = queues_.find(queue);
    if (it == queues_.end()) return absl::NotFoundError(absl::StrCat("unknown queue ", Quote(queue)));
    for (const AgentEntry* agent : it->second->members) out.push_back(agent->agent);
    return out;
  }
  for (const auto& [id, agent] : agents_) out.push_back(agent->agent);
  std::sort(out.begin(), out.end(),
            [](const Agent& a, const Agent& b) { return a.agent_id < b.agent_id; });
  return out;
}

absl::StatusOr<std::vector<Call>> Engine::ListCalls(absl::string_view queue,
                                                    const std::vector<CallState>& states,
                                                    size_t limit) const {
  if (!queue.empty() && !queues_.contains(queue)) {
    return absl::NotFoundError(absl::StrCat("unknown queue ", Quote(queue)));
  }
  std::vector<const CallEntry*> matches;
  for (const auto& [id, entry] : calls_) {
    if (!queue.empty() && entry->call.queue != queue) continue;
    bool wanted = states.empty() ? !IsFinal(entry->call.state)
                                 : std::find(states.begin(), states.end(), entry->call.state) !=
                                       states.end();
    if (wanted) matches.push_back(entry.get());
  }
  std::sort(matches.begin(), matches.end(), [](const CallEntry* a, const CallEntry* b) {
    if (a->call.enqueued_at != b->call.enqueued_at) return a->call.enqueued_at < b->call.enqueued_at;
    return a->call.arrival_order < b->call.arrival_order;
  });
  if (matches.size() > limit) matches.resize(limit);
  std::vector<Call> out;
  out.reserve(matches.size());
  for (const CallEntry* entry : matches) out.push_back(CallView(*entry));
  return out;
}

int Engine::PositionOf(const CallEntry& entry) const {
  if (entry.call.state != CallState::kQueued) return 0;
  const QueueEntry& queue = *queues_.at(entry.call.queue);
  int position = 1;
  for (const WaitKey& key : queue.waiting) {
    if (key.call == &entry) return position;
    ++position;
  }
  return 0;
}

Call Engine::CallView(const CallEntry& entry) const {
  Call call = entry.call;
  call.position = PositionOf(entry);
  return call;
}

// ---------------------------------------------------------------------------
// Events

void Engine::Emit(EventType type, absl::Time now, const CallEntry* call, const AgentEntry* agent,
                  absl::string_view reason) {
  Event event;
  event.seq = next_seq_++;
  event.time = now;
  event.type = type;
  event.reason = std::string(reason);
  if (call != nullptr) {
    event.call = call->call;
    event.call_id = call->call.call_id;
    event.queue = call->call.queue;
  }
  if (agent != nullptr) {
    event.agent = agent->agent;
    event.agent_id = agent->agent.agent_id;
  }
  if (call != nullptr && agent == nullptr) event.agent_id = call->call.agent_id;
  outbox_.push_back(std::move(event));
}

std::vector<Event> Engine::TakeEvents() {
  std::vector<Event> out;
  out.swap(outbox_);
  return out;
}

}  // namespace acd::core
