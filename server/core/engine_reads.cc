// Engine: reads (calls, agents, queues and their stats) and the views of a call.
#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/core/engine.h"
#include "server/core/engine_state.h"
#include "server/core/limits.h"
#include "server/core/routing_index.h"
#include "server/core/types.h"

namespace acd::core {

using engine_internal::Quote;

absl::StatusOr<Call> Engine::GetCall(absl::string_view call_id) const {
  absl::StatusOr<const CallSlot*> found = FindCall(call_id);
  if (!found.ok()) return found.status();
  return ReadView(**found);
}

absl::StatusOr<Agent> Engine::GetAgent(absl::string_view agent_id) const {
  absl::StatusOr<const AgentSlot*> found = FindAgent(agent_id);
  if (!found.ok()) return found.status();
  return (*found)->agent;
}

std::optional<Call> Engine::OutstandingOffer(absl::string_view agent_id) const {
  auto it = agents_.find(agent_id);
  if (it == agents_.end() || it->second->agent.state != AgentState::kReserved) return std::nullopt;
  return CallView(*CallAt(it->second->agent.call_id));
}

std::vector<QueueConfig> Engine::Queues() const {
  std::vector<QueueConfig> out;
  for (const auto& [name, queue] : queues_) out.push_back(queue->config);
  std::sort(out.begin(), out.end(),
            [](const QueueConfig& a, const QueueConfig& b) { return a.name < b.name; });
  return out;
}

absl::StatusOr<QueueStats> Engine::GetQueueStats(absl::string_view name, absl::Time now) const {
  if (absl::Status s = ValidateId("queue", name); !s.ok()) return s;
  QueueSlot* queue = Queue(name);
  if (queue == nullptr) return absl::NotFoundError(absl::StrCat("unknown queue ", Quote(name)));
  auto count = [&](CallState s) { return queue->call_counts.at(s); };
  QueueStats stats;
  stats.queue = std::string(name);
  stats.queued = count(CallState::kQueued);
  stats.offered = count(CallState::kOffered);
  stats.connected = count(CallState::kConnected);
  stats.wrap_up = count(CallState::kWrapUp);
  stats.completed = count(CallState::kCompleted);
  stats.abandoned = count(CallState::kAbandoned);
  stats.timed_out = count(CallState::kTimedOut);
  stats.overflowed = queue->overflowed_out;
  stats.rejected = queue->rejected;
  stats.open = queue->open;
  std::array<int, static_cast<size_t>(AgentState::kAway) + 1> agents{};
  for (const AgentSlot* agent : queue->members) agents[static_cast<size_t>(agent->agent.state)]++;
  auto agents_in = [&](AgentState s) { return agents[static_cast<size_t>(s)]; };
  stats.agents_logged_out = agents_in(AgentState::kLoggedOut);
  stats.agents_available = agents_in(AgentState::kAvailable);
  stats.agents_reserved = agents_in(AgentState::kReserved);
  stats.agents_busy = agents_in(AgentState::kBusy);
  stats.agents_wrap_up = agents_in(AgentState::kWrapUp);
  stats.agents_away = agents_in(AgentState::kAway);
  // Calls widened into this queue are counted by their own queue only.
  if (const CallKey* oldest = queue->index.OldestCall()) {
    stats.longest_wait = std::max(now, now_) - oldest->call->call.enqueued_at;
  }
  int staffed =
      stats.agents_available + stats.agents_reserved + stats.agents_busy + stats.agents_wrap_up;
  if (staffed > 0) {
    stats.estimated_wait = (stats.queued + 1) * queue->MeanHandleTime() / staffed;
  }
  stats.callbacks_pending = queue->callbacks_pending;
  return stats;
}

absl::StatusOr<std::vector<Agent>> Engine::ListAgents(absl::string_view queue) const {
  if (absl::Status s = ValidateOptionalId("queue", queue); !s.ok()) return s;
  std::vector<Agent> out;
  if (!queue.empty()) {
    QueueSlot* q = Queue(queue);
    if (q == nullptr) return absl::NotFoundError(absl::StrCat("unknown queue ", Quote(queue)));
    for (const AgentSlot* agent : q->members) out.push_back(agent->agent);
    std::sort(out.begin(), out.end(),
              [](const Agent& a, const Agent& b) { return a.agent_id < b.agent_id; });
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
  if (absl::Status s = ValidateOptionalId("queue", queue); !s.ok()) return s;
  if (!queue.empty() && Queue(queue) == nullptr) {
    return absl::NotFoundError(absl::StrCat("unknown queue ", Quote(queue)));
  }
  std::vector<const CallSlot*> matches;
  for (const auto& slot : calls_) {
    if (!queue.empty() && slot->call.queue != queue) continue;
    bool wanted = states.empty()
                      ? !IsFinal(slot->call.state)
                      : std::find(states.begin(), states.end(), slot->call.state) != states.end();
    if (wanted) matches.push_back(slot.get());
  }
  std::sort(matches.begin(), matches.end(), [](const CallSlot* a, const CallSlot* b) {
    if (a->call.enqueued_at != b->call.enqueued_at)
      return a->call.enqueued_at < b->call.enqueued_at;
    return a->call.arrival_order < b->call.arrival_order;
  });
  if (matches.size() > limit) matches.resize(limit);
  std::vector<Call> out;
  out.reserve(matches.size());
  for (const CallSlot* slot : matches) out.push_back(ReadView(*slot));
  return out;
}

Call Engine::ReadView(const CallSlot& slot) const {
  Call call = CallView(slot);
  call.estimated_wait = EstimateWait(slot, call.position);
  return call;
}

std::optional<absl::Duration> Engine::EstimateWait(const CallSlot& slot, int position) const {
  if (slot.call.state != CallState::kQueued || slot.placements.empty()) return std::nullopt;
  const Placement& p = slot.placements.front();
  // The staffed agents who could take it: those of the agent groups its call
  // group is linked to (every group of the queue that covers its skills).
  int servers = 0;
  for (const Link<AgentGroup>& link : p.group->agents) servers += link.group->staffed;
  if (servers == 0) return std::nullopt;
  return int64_t{position} * p.queue->MeanHandleTime() / servers;
}

Call Engine::CallView(const CallSlot& slot, bool with_position) const {
  Call call = slot.call;
  call.position = 0;
  if (with_position && call.state == CallState::kQueued && !slot.placements.empty()) {
    const Placement& p = slot.placements.front();
    call.position = static_cast<int>(p.queue->index.CountAhead(p.key)) + 1;
  }
  return call;
}

}  // namespace acd::core
