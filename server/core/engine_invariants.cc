// Engine::CheckInvariants: what must hold between calls, agents, queues and indexes.
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/core/engine.h"
#include "server/core/engine_state.h"
#include "server/core/routing_index.h"
#include "server/core/types.h"

namespace acd::core {

using engine_internal::IsStaffed;
using engine_internal::Meets;

absl::Status Engine::CheckInvariants() const {
  auto fail = [](auto&&... parts) { return absl::InternalError(absl::StrCat(parts...)); };
  absl::flat_hash_map<std::string, absl::flat_hash_map<CallState, int>> live;
  absl::flat_hash_map<const QueueSlot*, size_t> placed;
  absl::flat_hash_map<std::string, int> pending_callbacks;
  for (const auto& slot : calls_) {
    const Call& c = slot->call;
    const std::string& id = c.call_id;
    QueueSlot* queue = Queue(c.queue);
    if (slot->call.callback_pending) {
      if (IsFinal(c.state) || c.callback_number.empty()) {
        return fail("call ", id, " is a pending callback while ", CallStateName(c.state),
                    " with number '", c.callback_number.str(), "'");
      }
      pending_callbacks[c.queue]++;
    }
    if (!IsFinal(c.state)) {
      if (queue == nullptr) return fail("live call ", id, " is in unknown queue ", c.queue);
      live[c.queue][c.state]++;
    }
    bool waiting = c.state == CallState::kQueued;
    if (waiting != !slot->placements.empty()) {
      return fail("call ", id, " is ", CallStateName(c.state), " with ", slot->placements.size(),
                  " index placements");
    }
    for (const Placement& p : slot->placements) placed[p.queue]++;
    if (c.state == CallState::kOffered || c.state == CallState::kConnected ||
        c.state == CallState::kWrapUp) {
      auto agent = agents_.find(c.agent_id);
      if (agent == agents_.end())
        return fail("call ", id, " is held by unknown agent ", c.agent_id);
      const Agent& a = agent->second->agent;
      AgentState expected = c.state == CallState::kOffered     ? AgentState::kReserved
                            : c.state == CallState::kConnected ? AgentState::kBusy
                                                               : AgentState::kWrapUp;
      if (a.call_id != id || a.state != expected) {
        return fail("call ", id, " is ", CallStateName(c.state), " with ", c.agent_id, " who is ",
                    AgentStateName(a.state), " with call '", a.call_id, "'");
      }
    }
    if (waiting) {
      // No available agent of its queues could take it.
      std::vector<std::string> queues = {c.queue};
      queues.insert(queues.end(), slot->extra_queues.begin(), slot->extra_queues.end());
      for (const std::string& q : queues) {
        for (const AgentSlot* agent : Queue(q)->members) {
          if (agent->agent.state != AgentState::kAvailable) continue;
          if (Meets(agent->agent.skills, slot->call.effective_skills)) {
            return fail("call ", id, " waits in ", q, " while eligible agent ",
                        agent->agent.agent_id, " is available");
          }
        }
      }
    }
  }
  size_t available = 0;
  for (const auto& [id, slot] : agents_) {
    const Agent& a = slot->agent;
    bool holds = a.state == AgentState::kReserved || a.state == AgentState::kBusy ||
                 a.state == AgentState::kWrapUp;
    if (holds != !a.call_id.empty()) {
      return fail("agent ", id, " is ", AgentStateName(a.state), " with call '", a.call_id, "'");
    }
    if (holds) {
      auto call = calls_.find(a.call_id);
      if (call == calls_.end() || (*call)->call.agent_id != id) {
        return fail("agent ", id, " holds call ", a.call_id, " which is not held by it");
      }
    }
    bool indexed = false;
    for (const Membership& m : slot->memberships) indexed |= m.group != nullptr;
    // An agent of no queue has nowhere to be indexed.
    if (indexed != (a.state == AgentState::kAvailable && !slot->memberships.empty())) {
      return fail("agent ", id, " is ", AgentStateName(a.state),
                  indexed ? " but indexed as available" : " but not indexed");
    }
    if (a.state == AgentState::kAvailable) available += slot->memberships.size();
  }
  size_t indexed_available = 0;
  for (const auto& [name, queue] : queues_) {
    indexed_available += queue->index.available();
    if (queue->index.waiting() != placed[queue.get()]) {
      return fail("queue ", name, " indexes ", queue->index.waiting(), " calls but ",
                  placed[queue.get()], " are placed in it");
    }
    absl::flat_hash_map<SkillSetId, int> staffed;
    for (const AgentSlot* agent : queue->members) {
      if (IsStaffed(agent->agent.state)) staffed[agent->profile]++;
    }
    absl::flat_hash_map<SkillSetId, int> counted;
    for (const AgentGroup* group : queue->index.agent_groups()) {
      if (group->staffed != 0) counted[queue->index.HeadOf(*group).profile] += group->staffed;
    }
    if (staffed != counted) {
      return fail("queue ", name, " counts staffed agents of ", counted.size(),
                  " profiles; there are ", staffed.size());
    }
    if (queue->callbacks_pending != pending_callbacks[name]) {
      return fail("queue ", name, " counts ", queue->callbacks_pending,
                  " pending callbacks; there are ", pending_callbacks[name]);
    }
    for (CallState s : {CallState::kQueued, CallState::kOffered, CallState::kConnected,
                        CallState::kWrapUp, CallState::kCallbackScheduled}) {
      int have = queue->call_counts.at(s);
      int want = live[name][s];
      if (have != want) {
        return fail("queue ", name, " counts ", have, " ", CallStateName(s), " calls; there are ",
                    want);
      }
    }
  }
  if (indexed_available != available) {
    return fail(indexed_available, " available agent entries indexed; ", available, " expected");
  }
  return absl::OkStatus();
}

}  // namespace acd::core
