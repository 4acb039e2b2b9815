// Routing indexes of one queue, so that a routing decision looks at group
// heads only, never at every waiting call or every agent (DESIGN §5).
//
// - Waiting calls are grouped by skill signature (their effective required
//   skills). A group is ordered by CallKey: effective priority, then arrival.
//   With aging, effective priority = priority + rate x minutes waited, so
//   between two calls of one queue the order never changes with time:
//   p1 + r(now - t1) > p2 + r(now - t2)  <=>  p1 - r t1 > p2 - r t2.
//   The key stores `score = priority - rate x arrival_minutes`.
//   A group that loses its last call is kept, linked, for the next call of
//   its signature (signatures repeat: a language, a product line), so taking
//   the last call out does not unlink it from every agent group it serves and
//   the next arrival does not look them up again. Empty groups are bounded
//   (at most half the groups holding calls, or kMinEmptyGroups), the oldest
//   emptied dropped first: cost and memory do not grow with the signatures
//   seen since start-up, and a walk meets at most half again as many links
//   (or kMinEmptyGroups more).
// - Available agents are grouped by (skill profile, penalty). A group is
//   ordered by AgentKey, which the queue's strategy fills in. Agent groups
//   stay (they are bounded by the configured members). Their heads (best
//   agent, penalty) sit in one dense array per queue: that is what a walk for
//   an agent reads, so it stays in cache.
// - Which agent groups can serve which call groups is kept as links between
//   them, made when a group is created (SkillInterner::Covers), so a decision
//   walks only the eligible groups. A new call group meets only the agent
//   groups that have the rarest of its skills at the level it needs. Its
//   links are written into the agent groups only when an agent of the queue
//   next looks for a call: a call offered as it arrives (the usual case)
//   never touches the agent groups.
// - All waiting calls of the queue are also in one RankedSet (sorted blocks),
//   for a caller's position and the longest wait.
//
// Thread safety: none; owned by the engine thread like the engine.
#ifndef ACD_SERVER_CORE_ROUTING_INDEX_H_
#define ACD_SERVER_CORE_ROUTING_INDEX_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/time/time.h"
#include "server/core/ranked_set.h"
#include "server/core/types.h"

namespace acd::core {

// Interned skill maps: a call's signature and an agent's profile are ids.
// Each set is also kept as a sorted array of codes `skill_id << 8 | level`
// (skill ids in order of first appearance), so comparing two sets is a merge
// of a few integers.
using SkillSetId = uint32_t;

class SkillInterner {
 public:
  SkillSetId Intern(const SkillLevels& skills);
  const SkillLevels& Get(SkillSetId id) const { return sets_[id]; }
  std::span<const uint32_t> Codes(SkillSetId id) const {
    return {codes_.data() + spans_[id].first, codes_.data() + spans_[id].second};
  }
  static uint32_t SkillOf(uint32_t code) { return code >> 8; }
  static int LevelOf(uint32_t code) { return static_cast<int>(code & 0xff); }
  // True if `profile` meets every level `signature` requires.
  bool Covers(SkillSetId profile, SkillSetId signature) const;
  // Sum of `profile`'s levels on the skills `signature` names (best_skill).
  int64_t SkillScore(SkillSetId profile, SkillSetId signature) const;
  size_t size() const { return sets_.size(); }

 private:
  std::vector<SkillLevels> sets_;
  std::vector<std::pair<uint32_t, uint32_t>> spans_;  // [begin, end) in codes_
  std::vector<uint32_t> codes_;
  absl::flat_hash_map<SkillLevels, SkillSetId> ids_;
  absl::flat_hash_map<std::string, uint32_t> skill_ids_;
};

// Opaque to the index: the engine's entries.
struct CallSlot;
struct AgentSlot;

// A waiting call's place: score, then arrival. The engine numbers calls as
// they arrive (Call::arrival_order, unique), so the order needs no time: at
// 100,000 waiting calls each byte of a key is ~200 KB (it is kept in the
// ranks, the call's group and the call's placement).
struct CallKey {
  double score;  // higher first
  uint64_t arrival_order;
  CallSlot* call;
  bool operator<(const CallKey& o) const {
    if (score != o.score) return score > o.score;
    return arrival_order < o.arrival_order;
  }
};

// Arrival order of calls (across priorities): the longest wait first.
struct EarlierArrival {
  bool operator()(const CallKey& a, const CallKey& b) const {
    return a.arrival_order < b.arrival_order;
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

struct AgentGroup;

// A link between a call group and an agent group that can serve it; `back`
// is where the other end's link to this group sits in its vector, so a link
// is removed in O(1).
template <typename Group>
struct Link {
  Group* group;
  uint32_t back;
  uint32_t ordinal = 0;  // to an agent group: its AgentHead in the index
};

// What a walk for an agent reads of an agent group, kept in one dense array
// per queue: a queue's heads fit in a few KB that stay in cache, where the
// groups themselves are scattered over the heap (at 10k agents each group
// read was a cache miss, and an arrival reads ~30 of them).
struct AgentHead {
  AgentKey key;  // the group's best agent (not in its `rest`), while `available`
  int penalty;
  SkillSetId profile;
  bool available = false;
};

struct CallGroup {
  SkillSetId signature;
  // No call: `head` is meaningless and the group waits in the index's list of
  // empty groups, oldest emptied first. Next to `head`: a walk for a call
  // reads both.
  bool empty = false;
  // The best call (unless `empty`). The others, best first, in `rest`: most
  // groups hold a single call, which then costs no tree node to add or take
  // out.
  CallKey head;
  absl::btree_set<CallKey> rest;
  CallGroup* older_empty = nullptr;
  CallGroup* newer_empty = nullptr;
  // Eligible agent groups; `back` is meaningful once the group is linked.
  std::vector<Link<AgentGroup>> agents;
  // Index in QueueIndex::unlinked_, or kLinked.
  static constexpr uint32_t kLinked = UINT32_MAX;
  uint32_t unlinked_index = kLinked;
};

// Its profile, penalty and best available agent are in its AgentHead
// (QueueIndex::HeadOf).
struct AgentGroup {
  // Members of the queue with this profile and penalty who are staffed,
  // available or not: counted by the engine, for the estimated wait.
  int staffed = 0;
  // The available agents but the best, best first. Most groups hold one
  // agent (agents rarely share both skills and levels), who then costs no
  // tree node to add or take out.
  absl::btree_set<AgentKey> rest;
  uint32_t ordinal;  // its AgentHead in the index
  // Call groups its agents can take: a free agent's walk reads them. Inline
  // (an agent group serves a few signatures: in the large benchmark world 1
  // at the median, 6 at p90), so the walk does not wait for one more line.
  absl::InlinedVector<Link<CallGroup>, 4> calls;
};

class QueueIndex {
 public:
  explicit QueueIndex(SkillInterner* skills) : skills_(skills) {}
  QueueIndex(const QueueIndex&) = delete;
  QueueIndex& operator=(const QueueIndex&) = delete;

  // Effective-priority score of a call arriving at `enqueued_at` with `priority`.
  static double Score(int priority, double aging_per_minute, absl::Time enqueued_at);
  // Effective priority at `now` of a call with `score`.
  static double EffectivePriority(double score, double aging_per_minute, absl::Time now);

  // The group returned stays valid while the call is in it.
  CallGroup* AddCall(SkillSetId signature, const CallKey& key);
  void RemoveCall(CallGroup* group, const CallKey& key);
  // Prefetch hints (prefetch.h) for RemoveCall(group, key): the arrays that
  // find a call's position block (to ask for early: a decision's agent knows
  // its queues before its call), the block, and the rest of its group.
  void PrefetchPositions() const { ranks_.PrefetchIndex(); }
  void PrefetchPositionOf(const CallKey& key) const { ranks_.PrefetchBlockOf(key); }
  void PrefetchRemoval(const CallGroup& group, const CallKey& key) const;
  // The group of agents with `profile` and `penalty`, made (and linked to the
  // call groups it can serve) on first use; valid while the index lives.
  AgentGroup* AgentGroupFor(SkillSetId profile, int penalty);
  void AddAgent(AgentGroup* group, const AgentKey& key);
  AgentGroup* AddAgent(SkillSetId profile, int penalty, const AgentKey& key) {
    AgentGroup* group = AgentGroupFor(profile, penalty);
    AddAgent(group, key);
    return group;
  }
  void RemoveAgent(AgentGroup* group, const AgentKey& key);
  // Prefetch hints (prefetch.h) for AddAgent(&group, ...) and BestCall(group):
  // the group's head, tree and links; then, once they have arrived, the call
  // groups it links to (what BestCall compares).
  void PrefetchAgentGroup(const AgentGroup& group) const;
  void PrefetchCallHeads(const AgentGroup& group) const;

  // Best available agent for the calls of `group`: lowest penalty, then the
  // lowest key. With `best_skill`, a higher skill score comes before the key.
  // With `after` (round_robin), keys above it come before the rest. The key
  // returned is valid until the index next changes.
  const AgentKey* BestAgent(const CallGroup& group, bool best_skill,
                            std::optional<int64_t> after = std::nullopt) const;
  // The same for a call of `signature` that is not in the index (yet).
  const AgentKey* BestAgent(SkillSetId signature, bool best_skill,
                            std::optional<int64_t> after = std::nullopt);
  // Best waiting call for the agents of `group`.
  const CallKey* BestCall(AgentGroup& group);

  size_t waiting() const { return waiting_; }
  // Groups holding calls, and empty groups kept for reuse.
  size_t call_groups() const { return call_groups_.size() - empty_groups_; }
  size_t empty_call_groups() const { return empty_groups_; }
  static constexpr size_t kMinEmptyGroups = 32;
  size_t available() const { return available_; }
  const AgentHead& HeadOf(const AgentGroup& group) const { return agent_heads_[group.ordinal]; }
  // Every agent group made so far, in creation order.
  std::span<AgentGroup* const> agent_groups() const { return agent_group_list_; }
  // Calls of any group that come before `key` (for a caller's position);
  // `key` need not be in the index.
  size_t CountAhead(const CallKey& key) const { return ranks_.order_of_key(key); }
  // The longest-waiting call (any group), for stats; null with none waiting.
  // O(waiting / 32).
  const CallKey* OldestCall() const { return ranks_.earliest(); }

 private:
  // An agent group with `level` of one skill, indexed under that skill.
  struct SkilledGroup {
    int level;
    SkillSetId profile;
    AgentGroup* group;
    uint32_t ordinal;  // group->ordinal, here so a search does not read the group
  };

  static void Connect(CallGroup* calls, AgentGroup* agents);
  // Appends the agent groups that cover `signature` (`back` unset).
  void FindAgentGroups(SkillSetId signature, std::vector<Link<AgentGroup>>* out) const;
  const AgentKey* BestAmong(std::span<const Link<AgentGroup>> links, SkillSetId signature,
                            bool best_skill, std::optional<int64_t> after) const;
  // Writes the pending links into the agent groups.
  void LinkPending();
  // The list of empty groups, oldest emptied first.
  void PushEmpty(CallGroup* group);
  void Unlist(CallGroup* group);
  // Unlinks an (empty) group from its agent groups and deletes it.
  void DropGroup(CallGroup* group);

  SkillInterner* skills_;
  absl::flat_hash_map<SkillSetId, std::unique_ptr<CallGroup>> call_groups_;
  absl::flat_hash_map<std::pair<SkillSetId, int>, std::unique_ptr<AgentGroup>> agent_groups_;
  // Agent groups in creation order, and by each skill they have: candidates
  // for a new call group.
  std::vector<AgentGroup*> agent_group_list_;
  std::vector<AgentHead> agent_heads_;  // by AgentGroup::ordinal
  absl::flat_hash_map<uint32_t, std::vector<SkilledGroup>> agents_by_skill_;
  // Call groups whose links are not yet in their agent groups.
  std::vector<CallGroup*> unlinked_;
  CallGroup* oldest_empty_ = nullptr;
  CallGroup* newest_empty_ = nullptr;
  size_t empty_groups_ = 0;
  std::vector<Link<AgentGroup>> scratch_;  // BestAgent(signature), kept to reuse its buffer
  // Every waiting call, for positions and (stats) the longest wait.
  RankedSet<CallKey, std::less<CallKey>, EarlierArrival> ranks_;
  size_t waiting_ = 0;
  size_t available_ = 0;
};

}  // namespace acd::core

#endif  // ACD_SERVER_CORE_ROUTING_INDEX_H_
