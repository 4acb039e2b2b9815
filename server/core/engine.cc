// Engine: construction, state and index bookkeeping, lookups, and the event outbox.
#include "server/core/engine.h"

#include <algorithm>
#include <cassert>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/core/engine_state.h"
#include "server/core/limits.h"
#include "server/core/routing_index.h"
#include "server/core/types.h"

namespace acd::core {

using engine_internal::IsStaffed;
using engine_internal::Quote;

namespace {

// Events whose room the outbox keeps between commands (TakeEvents).
constexpr size_t kMaxKeptOutbox = 64;

}  // namespace

Engine::Engine(EngineOptions options) : options_(options) {
  // The call just finished must survive Finish(): callers still read it.
  options_.max_finished_calls = std::max<size_t>(options_.max_finished_calls, 1);
}

Engine::~Engine() = default;

// ---------------------------------------------------------------------------
// State bookkeeping

QueueSlot* Engine::Queue(absl::string_view name) const {
  auto it = queues_.find(name);
  return it == queues_.end() ? nullptr : it->second.get();
}

void Engine::SetCallState(CallSlot& call, CallState state) {
  SetCallState(Queue(call.call.queue), call, state);
}

void Engine::SetCallState(QueueSlot* queue, CallSlot& call, CallState state) {
  if (queue != nullptr) {
    queue->call_counts[call.call.state]--;
    queue->call_counts[state]++;
  }
  call.call.state = state;
}

void Engine::SetAgentState(AgentSlot& agent, AgentState state, absl::Time now) {
  if (agent.agent.state == AgentState::kAvailable && state != AgentState::kAvailable) {
    RemoveAvailable(agent);
  }
  NoteStaffing(agent, state);
  if (state != AgentState::kAway) agent.agent.away_reason.clear();
  agent.agent.state = state;
  agent.agent.state_since = now;
}

void Engine::NoteStaffing(AgentSlot& agent, AgentState next) {
  bool was = IsStaffed(agent.agent.state);
  if (was == IsStaffed(next)) return;
  for (Membership& m : agent.memberships) {
    HomeGroup(agent, m).staffed += was ? -1 : 1;
  }
}

AgentGroup& Engine::HomeGroup(const AgentSlot& agent, Membership& m) {
  if (m.home == nullptr) m.home = m.queue->index.AgentGroupFor(agent.profile, m.penalty);
  return *m.home;
}

void Engine::MakeAvailable(AgentSlot& agent, absl::Time idle_since, absl::Time now) {
  if (agent.agent.state == AgentState::kAvailable) RemoveAvailable(agent);
  NoteStaffing(agent, AgentState::kAvailable);
  agent.agent.state = AgentState::kAvailable;
  agent.agent.state_since = now;
  agent.agent.away_reason.clear();
  agent.agent.idle_since = idle_since;
  agent.ready_order = next_ready_order_++;
  AddAvailable(agent);
}

void Engine::Wait(CallSlot& call) {
  auto place = [&](QueueSlot& q) {
    CallKey key{
        QueueIndex::Score(call.call.priority, q.config.aging_per_minute, call.call.enqueued_at),
        call.call.arrival_order, &call};
    call.placements.push_back(Placement{&q, q.index.AddCall(call.signature, key), key});
  };
  place(*Queue(call.call.queue));
  for (const std::string& extra : call.extra_queues) place(*Queue(extra));
}

void Engine::Unwait(CallSlot& call) {
  for (const Placement& p : call.placements) p.queue->index.RemoveCall(p.group, p.key);
  call.placements.clear();
}

AgentKey Engine::KeyFor(const AgentSlot& agent, const Membership& m) {
  int64_t idle = absl::ToUnixMicros(agent.agent.idle_since);
  AgentKey key{0, idle, agent.ready_order, const_cast<AgentSlot*>(&agent)};
  switch (m.queue->config.strategy) {
    case Strategy::kLongestIdle:
    case Strategy::kBestSkill:
      key.primary = idle;
      break;
    case Strategy::kLeastCalls:
      key.primary = agent.agent.calls_handled;
      break;
    case Strategy::kLeastTalkTime:
      key.primary = absl::ToInt64Milliseconds(agent.agent.talk_time);
      break;
    case Strategy::kRoundRobin:
      key.primary = m.member_index;
      break;
    case Strategy::kRandom:
      key.primary = static_cast<int64_t>(m.queue->random() >> 1);
      break;
  }
  return key;
}

void Engine::AddAvailable(AgentSlot& agent) {
  for (Membership& m : agent.memberships) {
    m.key = KeyFor(agent, m);
    m.group = &HomeGroup(agent, m);
    m.queue->index.AddAgent(m.group, m.key);
  }
}

void Engine::RemoveAvailable(AgentSlot& agent) {
  for (Membership& m : agent.memberships) {
    if (m.group != nullptr) m.queue->index.RemoveAgent(m.group, m.key);
    m.group = nullptr;
  }
}

void Engine::KeepRequest(CallSlot& call, const EnqueueRequest& request) {
  call.requested_queue =
      request.queue.empty() ? nullptr : &*request_queues_.insert(request.queue).first;
  call.requested_skills = request.required_skills;
  call.requested_priority = request.priority;
}

void Engine::SetEffectiveSkills(CallSlot& call, const SkillLevels& skills) {
  call.signature = skills_.Intern(skills);
  // The interned copy stands for every copy of the set: calls asking for the
  // same skills share one body rather than keep one each.
  call.call.effective_skills = skills_.Get(call.signature);
}

void Engine::Finish(CallSlot& call) {
  SetCallbackPending(call, false);
  finished_.push_back(call.call.call_id);
  ForgetOldestFinished();
}

void Engine::ForgetOldestFinished() {
  while (finished_.size() > options_.max_finished_calls) {
    calls_.erase(finished_.front());
    finished_.pop_front();
  }
}

// ---------------------------------------------------------------------------
// Lookups

absl::StatusOr<CallSlot*> Engine::FindCall(absl::string_view call_id) {
  if (absl::Status s = ValidateId("call_id", call_id); !s.ok()) return s;
  calls_.prefetch(call_id);  // as in FindAgent
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return absl::NotFoundError(absl::StrCat("unknown call ", Quote(call_id)));
  return it->get();
}

absl::StatusOr<const CallSlot*> Engine::FindCall(absl::string_view call_id) const {
  return const_cast<Engine*>(this)->FindCall(call_id);
}

CallSlot* Engine::CallAt(absl::string_view call_id) const {
  auto it = calls_.find(call_id);
  assert(it != calls_.end());
  return it->get();
}

size_t Engine::CallIdHash::operator()(const std::unique_ptr<CallSlot>& slot) const {
  return (*this)(slot->call.call_id);
}

absl::string_view Engine::CallIdEq::Id(const std::unique_ptr<CallSlot>& slot) {
  return slot->call.call_id;
}

absl::StatusOr<AgentSlot*> Engine::FindAgent(absl::string_view agent_id) {
  if (absl::Status s = ValidateId("agent_id", agent_id); !s.ok()) return s;
  // The entry's line loads with its control bytes rather than after them.
  agents_.prefetch(agent_id);
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) {
    return absl::NotFoundError(absl::StrCat("unknown agent ", Quote(agent_id)));
  }
  return it->second.get();
}

absl::StatusOr<const AgentSlot*> Engine::FindAgent(absl::string_view agent_id) const {
  return const_cast<Engine*>(this)->FindAgent(agent_id);
}

absl::StatusOr<CallSlot*> Engine::FindOfferedCall(absl::string_view agent_id,
                                                  absl::string_view call_id) {
  absl::StatusOr<CallSlot*> found = FindCall(call_id);
  if (!found.ok()) return found.status();
  const Call& call = (*found)->call;
  if (call.state != CallState::kOffered) {
    return absl::FailedPreconditionError(absl::StrCat("call ", Quote(call_id),
                                                      " is not offered to agent ", Quote(agent_id),
                                                      " (it is ", CallStateName(call.state), ")"));
  }
  if (call.agent_id != agent_id) {
    return absl::FailedPreconditionError(
        absl::StrCat("call ", Quote(call_id), " is not offered to agent ", Quote(agent_id),
                     " (it is offered to ", Quote(call.agent_id), ")"));
  }
  return *found;
}

// ---------------------------------------------------------------------------
// Events

void Engine::Emit(EventType type, absl::Time now, const CallSlot* call, const AgentSlot* agent,
                  absl::string_view reason) {
  Event event;
  event.seq = next_seq_++;
  event.time = now;
  event.type = type;
  event.reason = std::string(reason);
  if (call != nullptr) {
    // No position: a tree walk per event, stale once the next call moves.
    event.call = CallView(*call, /*with_position=*/false);
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
  // The outbox keeps its buffer. An Event is larger than malloc's per-thread
  // cache serves, so a fresh outbox grown on every command took the
  // allocator's slow path, whose free lists are cold in a large heap: a tenth
  // of a free agent's decision at 100k calls (tests/bench/README.md).
  // A burst (a reload that routes every call) does not pin its memory: its
  // buffer goes out whole.
  if (outbox_.capacity() > kMaxKeptOutbox) return std::exchange(outbox_, {});
  std::vector<Event> out(std::make_move_iterator(outbox_.begin()),
                         std::make_move_iterator(outbox_.end()));
  outbox_.clear();
  return out;
}

}  // namespace acd::core
