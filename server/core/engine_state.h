// Internal to the engine: the live state of its queues, agents and calls,
// and the helpers that several of its .cc files share.
//
// Contract: private to the engine's .cc files (server/core/engine*.cc).
// Nothing else includes it: other layers and tests see the engine through
// engine.h only, so these structs may change with the engine. What holds
// between them is what Engine::CheckInvariants checks.
//
// Thread safety: none; owned by the engine thread like the engine.
#ifndef ACD_SERVER_CORE_ENGINE_STATE_H_
#define ACD_SERVER_CORE_ENGINE_STATE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/core/engine.h"
#include "server/core/routing_index.h"
#include "server/core/schedule.h"
#include "server/core/types.h"

namespace acd::core {
namespace engine_internal {

inline std::string Quote(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

// True if skills `have` meet every level `need` requires.
inline bool Meets(const SkillLevels& have, const SkillLevels& need) {
  for (const auto& [skill, level] : need) {
    auto it = have.find(skill);
    if (it == have.end() || it->second < level) return false;
  }
  return true;
}

inline bool IsStaffed(AgentState state) {
  return state == AgentState::kAvailable || state == AgentState::kReserved ||
         state == AgentState::kBusy || state == AgentState::kWrapUp;
}

// Mean handle time over this many of a queue's latest completed calls.
inline constexpr size_t kHandleTimeSamples = 20;

}  // namespace engine_internal

// Live calls of a queue by state: an array in the queue's slot, read and
// written on every change of a call's state.
class CallCounts {
 public:
  int& operator[](CallState state) { return counts_[Index(state)]; }
  int at(CallState state) const { return counts_[Index(state)]; }

 private:
  static constexpr size_t kStates = 16;  // room for the states of types.h
  static_assert(static_cast<size_t>(CallState::kCallbackScheduled) < kStates);
  static size_t Index(CallState state) { return static_cast<size_t>(state); }
  std::array<int, kStates> counts_{};
};

struct QueueSlot {
  QueueConfig config;
  QueueIndex index;
  std::vector<AgentSlot*> members;  // config order
  CallCounts call_counts;
  int overflowed_out = 0;
  int timed_out = 0;
  int rejected = 0;  // refused at arrival: full or closed, nowhere to overflow
  const Schedule* schedule = nullptr;
  bool open = true;
  uint64_t schedule_generation = 0;
  int64_t round_robin_last = -1;  // member index of the last agent offered a call
  std::mt19937_64 random;
  int callbacks_pending = 0;
  // Handle times (talk + wrap-up) of the latest completed calls, for the
  // estimated wait.
  std::deque<absl::Duration> handle_times;
  absl::Duration handle_time_sum = absl::ZeroDuration();

  absl::Duration MeanHandleTime() const {
    if (handle_times.empty()) return config.expected_handle_time;
    return handle_time_sum / static_cast<int64_t>(handle_times.size());
  }
  void AddHandleTime(absl::Duration d) {
    handle_times.push_back(d);
    handle_time_sum += d;
    if (handle_times.size() > engine_internal::kHandleTimeSamples) {
      handle_time_sum -= handle_times.front();
      handle_times.pop_front();
    }
  }

  QueueSlot(const QueueConfig& c, SkillInterner* skills)
      : config(c), index(skills), random(c.random_seed) {}
};

struct Membership {
  QueueSlot* queue;
  int penalty;
  int member_index;
  bool round_robin = false;  // the queue's strategy, here so an offer need not read the queue
  // Its agent group in the queue's index, once looked up: the agent's place
  // while available, and where it counts as staffed.
  AgentGroup* home = nullptr;
  AgentGroup* group = nullptr;  // `home` while available
  AgentKey key{};
};

struct Placement {
  QueueSlot* queue;
  CallGroup* group;
  CallKey key;
};

struct AgentSlot {
  Agent agent;
  SkillSetId profile = 0;
  // Inline (a few queues each): read on every routing decision of the agent.
  absl::InlinedVector<Membership, 3> memberships;
  uint64_t ready_order = 0;
  uint64_t wrap_up_generation = 0;
};

struct CallSlot {
  Call call;
  // The request as received, for idempotent retries, less what the call
  // keeps itself: its id and attributes, which never change. The queue it
  // named is one of Engine::request_queues_ (null for none).
  const std::string* requested_queue = nullptr;
  SkillLevels requested_skills;
  int requested_priority = 0;
  SkillSetId signature = 0;
  size_t next_step = 0;  // next escalation step of its queue
  std::vector<std::string> extra_queues;
  // Inline: one placement is usual, and it is read on every offer.
  absl::InlinedVector<Placement, 1> placements;
  // Bumped so that stale deadlines of an earlier offer / queue are ignored.
  uint64_t offer_generation = 0;
  uint64_t queue_generation = 0;
  uint64_t callback_generation = 0;  // its retry deadline
  uint64_t window_generation = 0;    // its window deadline

  // The end of a callback's window (call.callback_window_end), by its queue's
  // settings when it was asked: a later reload or move does not change it
  // (else the deadline and the checks when an offer returns would disagree,
  // and a callback could outlive both).
  absl::Time window_end() const {
    return call.callback_window_end.value_or(absl::InfiniteFuture());
  }

  EnqueueRequest Request() const {
    return {call.call_id, requested_queue != nullptr ? *requested_queue : std::string(),
            requested_priority, requested_skills, call.attributes};
  }
};

namespace engine_internal {

// Round robin offers to the members after the last one offered a call first.
inline std::optional<int64_t> RoundRobinAfter(const QueueSlot& queue) {
  if (queue.config.strategy != Strategy::kRoundRobin) return std::nullopt;
  return queue.round_robin_last;
}

}  // namespace engine_internal
}  // namespace acd::core

#endif  // ACD_SERVER_CORE_ENGINE_STATE_H_
