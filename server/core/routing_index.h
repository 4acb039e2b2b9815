// Routing indexes of one queue, so that a routing decision looks at group
// heads only, never at every waiting call or every agent (DESIGN §5).
//
// - Waiting calls are grouped by skill signature (their effective required
//   skills). A group is ordered by CallKey: effective priority, then arrival.
//   With aging, effective priority = priority + rate x minutes waited, so
//   between two calls of one queue the order never changes with time:
//   p1 + r(now - t1) > p2 + r(now - t2)  <=>  p1 - r t1 > p2 - r t2.
//   The key stores `score = priority - rate x arrival_minutes`.
// - Available agents are grouped by (skill profile, penalty). A group is
//   ordered by AgentKey, which the queue's strategy fills in.
// - Which agent groups can serve which call groups is computed once per pair
//   (SkillInterner::Covers) and cached, so a decision walks only the groups
//   that are eligible.
//
// Thread safety: none; owned by the engine thread like the engine.
#ifndef ACD_SERVER_CORE_ROUTING_INDEX_H_
#define ACD_SERVER_CORE_ROUTING_INDEX_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "server/core/types.h"

namespace acd::core {

// Interned skill maps: a call's signature and an agent's profile are ids.
using SkillSetId = uint32_t;

class SkillInterner {
 public:
  SkillSetId Intern(const SkillLevels& skills);
  const SkillLevels& Get(SkillSetId id) const { return sets_[id]; }
  // True if `profile` meets every level `signature` requires (memoized).
  bool Covers(SkillSetId profile, SkillSetId signature);
  size_t size() const { return sets_.size(); }

 private:
  std::vector<SkillLevels> sets_;
  absl::flat_hash_map<SkillLevels, SkillSetId> ids_;
  absl::flat_hash_map<uint64_t, bool> covers_;
};

// Opaque to the index: the engine's entries.
struct CallSlot;
struct AgentSlot;

struct CallKey {
  double score;  // higher first
  absl::Time enqueued_at;
  uint64_t arrival_order;
  CallSlot* call;
  bool operator<(const CallKey& o) const {
    if (score != o.score) return score > o.score;
    if (enqueued_at != o.enqueued_at) return enqueued_at < o.enqueued_at;
    return arrival_order < o.arrival_order;
  }
};

struct AgentKey {
  int64_t primary;    // strategy-specific, lower first
  int64_t secondary;  // lower first
  uint64_t order;     // unique tie-break
  AgentSlot* agent;
  bool operator<(const AgentKey& o) const {
    if (primary != o.primary) return primary < o.primary;
    if (secondary != o.secondary) return secondary < o.secondary;
    return order < o.order;
  }
};

struct CallGroup {
  SkillSetId signature;
  absl::btree_set<CallKey> calls;
};

struct AgentGroup {
  SkillSetId profile;
  int penalty;
  absl::btree_set<AgentKey> agents;
};

class QueueIndex {
 public:
  explicit QueueIndex(SkillInterner* skills) : skills_(skills) {}

  // Effective-priority score of a call arriving at `enqueued_at` with `priority`.
  static double Score(int priority, double aging_per_minute, absl::Time enqueued_at);
  // Effective priority at `now` of a call with `score`.
  static double EffectivePriority(double score, double aging_per_minute, absl::Time now);

  CallGroup* AddCall(SkillSetId signature, const CallKey& key);
  void RemoveCall(CallGroup* group, const CallKey& key);
  AgentGroup* AddAgent(SkillSetId profile, int penalty, const AgentKey& key);
  void RemoveAgent(AgentGroup* group, const AgentKey& key);

  // Best available agent for a call of `signature`: lowest penalty, then the
  // lowest key. With `skill_score` (best_skill), a higher score comes before
  // the key. With `after` (round_robin), keys above it come before the rest.
  const AgentKey* BestAgent(SkillSetId signature, bool best_skill,
                            std::optional<int64_t> after = std::nullopt);
  // Best waiting call for an agent of `profile`.
  const CallKey* BestCall(SkillSetId profile);

  size_t waiting() const { return waiting_; }
  size_t available() const { return available_; }
  // Calls of any group that come before `key` (for a caller's position).
  size_t CountAhead(const CallKey& key) const;
  // The longest-waiting call's arrival (any group), for stats.
  std::optional<absl::Time> OldestArrival() const;

 private:
  const std::vector<AgentGroup*>& AgentGroupsFor(SkillSetId signature);
  const std::vector<CallGroup*>& CallGroupsFor(SkillSetId profile);
  int64_t SkillScore(SkillSetId profile, SkillSetId signature) const;

  SkillInterner* skills_;
  absl::flat_hash_map<SkillSetId, std::unique_ptr<CallGroup>> call_groups_;
  absl::flat_hash_map<std::pair<SkillSetId, int>, std::unique_ptr<AgentGroup>> agent_groups_;
  // Eligibility caches, extended when a group is created.
  absl::flat_hash_map<SkillSetId, std::vector<AgentGroup*>> agents_for_signature_;
  absl::flat_hash_map<SkillSetId, std::vector<CallGroup*>> calls_for_profile_;
  // Arrivals of the waiting calls, oldest first: for stats, not routing.
  absl::btree_set<std::pair<absl::Time, uint64_t>> arrivals_;
  size_t waiting_ = 0;
  size_t available_ = 0;
};

}  // namespace acd::core

#endif  // ACD_SERVER_CORE_ROUTING_INDEX_H_
