#include "server/core/routing_index.h"

#include <algorithm>
#include <tuple>

#include "server/core/prefetch.h"

namespace acd::core {
namespace {

// Neither orders before the other: the same call or agent (keys are unique).
template <typename Key>
bool SameKey(const Key& a, const Key& b) {
  return !(a < b) && !(b < a);
}

}  // namespace

SkillSetId SkillInterner::Intern(const SkillLevels& skills) {
  auto [it, inserted] = ids_.try_emplace(skills, static_cast<SkillSetId>(sets_.size()));
  if (inserted) {
    sets_.push_back(skills);
    auto begin = static_cast<uint32_t>(codes_.size());
    for (const auto& [skill, level] : skills) {
      auto id = skill_ids_.try_emplace(skill, static_cast<uint32_t>(skill_ids_.size())).first;
      // Levels are validated to 1..10 before they get here.
      codes_.push_back(id->second << 8 | static_cast<uint32_t>(std::clamp(level, 0, 255)));
    }
    std::sort(codes_.begin() + begin, codes_.end());
    spans_.emplace_back(begin, static_cast<uint32_t>(codes_.size()));
  }
  return it->second;
}

bool SkillInterner::Covers(SkillSetId profile, SkillSetId signature) const {
  std::span<const uint32_t> have = Codes(profile);
  auto h = have.begin();
  for (uint32_t need : Codes(signature)) {
    while (h != have.end() && SkillOf(*h) < SkillOf(need)) ++h;
    if (h == have.end() || SkillOf(*h) != SkillOf(need) || LevelOf(*h) < LevelOf(need)) {
      return false;
    }
    ++h;
  }
  return true;
}

int64_t SkillInterner::SkillScore(SkillSetId profile, SkillSetId signature) const {
  std::span<const uint32_t> have = Codes(profile);
  auto h = have.begin();
  int64_t score = 0;
  for (uint32_t need : Codes(signature)) {
    while (h != have.end() && SkillOf(*h) < SkillOf(need)) ++h;
    if (h == have.end()) break;
    if (SkillOf(*h) == SkillOf(need)) score += LevelOf(*h);
  }
  return score;
}

double QueueIndex::Score(int priority, double aging_per_minute, absl::Time enqueued_at) {
  return priority - aging_per_minute * absl::ToDoubleMinutes(enqueued_at - absl::UnixEpoch());
}

double QueueIndex::EffectivePriority(double score, double aging_per_minute, absl::Time now) {
  return score + aging_per_minute * absl::ToDoubleMinutes(now - absl::UnixEpoch());
}

void QueueIndex::Connect(CallGroup* calls, AgentGroup* agents) {
  calls->agents.push_back({agents, static_cast<uint32_t>(agents->calls.size()), agents->ordinal});
  agents->calls.push_back({calls, static_cast<uint32_t>(calls->agents.size() - 1)});
}

void QueueIndex::FindAgentGroups(SkillSetId signature, std::vector<Link<AgentGroup>>* out) const {
  std::span<const uint32_t> need = skills_->Codes(signature);
  if (need.empty()) {
    for (uint32_t i = 0; i < agent_group_list_.size(); ++i) {
      out->push_back({agent_group_list_[i], 0, i});  // ordinals are list places
    }
    return;
  }
  // Only agent groups with the rarest required skill can cover the group.
  const std::vector<SkilledGroup>* fewest = nullptr;
  int level = 0;
  for (uint32_t code : need) {
    auto it = agents_by_skill_.find(SkillInterner::SkillOf(code));
    if (it == agents_by_skill_.end()) return;  // no agent group has the skill
    if (fewest == nullptr || it->second.size() < fewest->size()) {
      fewest = &it->second;
      level = SkillInterner::LevelOf(code);
    }
  }
  for (const SkilledGroup& candidate : *fewest) {
    if (candidate.level < level) continue;
    if (need.size() == 1 || skills_->Covers(candidate.profile, signature)) {
      out->push_back({candidate.group, 0, candidate.ordinal});
    }
  }
}

void QueueIndex::LinkPending() {
  for (CallGroup* group : unlinked_) {
    for (uint32_t i = 0; i < group->agents.size(); ++i) {
      Link<AgentGroup>& link = group->agents[i];
      link.back = static_cast<uint32_t>(link.group->calls.size());
      link.group->calls.push_back({group, i});
    }
    group->unlinked_index = CallGroup::kLinked;
  }
  unlinked_.clear();
}

CallGroup* QueueIndex::AddCall(SkillSetId signature, const CallKey& key) {
  auto& slot = call_groups_[signature];
  if (!slot) {
    slot = std::make_unique<CallGroup>();
    slot->signature = signature;
    slot->head = key;
    slot->unlinked_index = static_cast<uint32_t>(unlinked_.size());
    unlinked_.push_back(slot.get());
    FindAgentGroups(signature, &slot->agents);
  } else if (slot->empty) {
    Unlist(slot.get());
    slot->empty = false;
    slot->head = key;
  } else if (key < slot->head) {
    slot->rest.insert(slot->head);
    slot->head = key;
  } else if (!(slot->head < key) || !slot->rest.insert(key).second) {
    return slot.get();  // there already
  }
  ++waiting_;
  ranks_.insert(key);
  return slot.get();
}

void QueueIndex::RemoveCall(CallGroup* group, const CallKey& key) {
  if (group->empty) return;
  const bool is_head = SameKey(group->head, key);
  if (!is_head) {
    if (group->rest.erase(key) == 1) {
      --waiting_;
      ranks_.erase(key);
    }
    return;
  }
  --waiting_;
  ranks_.erase(key);
  if (!group->rest.empty()) {
    group->head = *group->rest.begin();
    group->rest.erase(group->rest.begin());
    return;
  }
  group->empty = true;
  PushEmpty(group);
  // Within the bound; usually one drop, two when the bound just shrank.
  while (empty_groups_ > std::max(kMinEmptyGroups, call_groups() / 2)) DropGroup(oldest_empty_);
}

void QueueIndex::PrefetchRemoval(const CallGroup& group, const CallKey& key) const {
  ranks_.PrefetchBlockOf(key);
  PrefetchFirstNode(group.rest);  // the next head, when `key` is the head
}

void QueueIndex::PrefetchAgentGroup(const AgentGroup& group) const {
  Prefetch(&agent_heads_[group.ordinal]);
  PrefetchFirstNode(group.rest);
  PrefetchBytes(group.calls.data(), group.calls.size() * sizeof(group.calls[0]));  // if not inline
}

void QueueIndex::PrefetchCallHeads(const AgentGroup& group) const {
  for (const Link<CallGroup>& link : group.calls) {
    const CallGroup& calls = *link.group;
    PrefetchBytes(&calls.empty, reinterpret_cast<const char*>(&calls.head + 1) -
                                    reinterpret_cast<const char*>(&calls.empty));
  }
}

void QueueIndex::PushEmpty(CallGroup* group) {
  group->older_empty = newest_empty_;
  group->newer_empty = nullptr;
  (newest_empty_ != nullptr ? newest_empty_->newer_empty : oldest_empty_) = group;
  newest_empty_ = group;
  ++empty_groups_;
}

void QueueIndex::Unlist(CallGroup* group) {
  (group->older_empty != nullptr ? group->older_empty->newer_empty : oldest_empty_) =
      group->newer_empty;
  (group->newer_empty != nullptr ? group->newer_empty->older_empty : newest_empty_) =
      group->older_empty;
  group->older_empty = group->newer_empty = nullptr;
  --empty_groups_;
}

void QueueIndex::DropGroup(CallGroup* group) {
  Unlist(group);
  if (group->unlinked_index != CallGroup::kLinked) {
    CallGroup* moved = unlinked_.back();
    unlinked_[group->unlinked_index] = moved;
    moved->unlinked_index = group->unlinked_index;
    unlinked_.pop_back();
  } else {
    // Each link's other end moves the last link into its place.
    for (const Link<AgentGroup>& link : group->agents) {
      auto& links = link.group->calls;
      Link<CallGroup> moved = links.back();
      links[link.back] = moved;
      moved.group->agents[moved.back].back = link.back;
      links.pop_back();
    }
  }
  call_groups_.erase(group->signature);
}

AgentGroup* QueueIndex::AgentGroupFor(SkillSetId profile, int penalty) {
  auto& slot = agent_groups_[{profile, penalty}];
  if (!slot) {
    slot = std::make_unique<AgentGroup>();
    AgentGroup* group = slot.get();
    group->ordinal = static_cast<uint32_t>(agent_heads_.size());
    agent_heads_.push_back(AgentHead{.penalty = penalty, .profile = profile});
    agent_group_list_.push_back(group);
    for (uint32_t code : skills_->Codes(profile)) {
      agents_by_skill_[SkillInterner::SkillOf(code)].push_back(
          SkilledGroup{SkillInterner::LevelOf(code), profile, group, group->ordinal});
    }
    for (auto& [signature, calls] : call_groups_) {
      if (!skills_->Covers(profile, signature)) continue;
      if (calls->unlinked_index == CallGroup::kLinked) {
        Connect(calls.get(), group);
      } else {
        calls->agents.push_back({group, 0, group->ordinal});  // linked by LinkPending
      }
    }
  }
  return slot.get();
}

void QueueIndex::AddAgent(AgentGroup* group, const AgentKey& key) {
  AgentHead& head = agent_heads_[group->ordinal];
  if (!head.available) {
    head.key = key;
    head.available = true;
  } else if (SameKey(key, head.key)) {
    return;
  } else if (key < head.key) {
    group->rest.insert(head.key);
    head.key = key;
  } else if (!group->rest.insert(key).second) {
    return;
  }
  ++available_;
}

void QueueIndex::RemoveAgent(AgentGroup* group, const AgentKey& key) {
  AgentHead& head = agent_heads_[group->ordinal];
  if (!head.available) return;
  if (SameKey(key, head.key)) {
    if (group->rest.empty()) {
      head.available = false;
    } else {
      head.key = *group->rest.begin();
      group->rest.erase(group->rest.begin());
    }
  } else if (group->rest.erase(key) == 0) {
    return;
  }
  --available_;
}

const AgentKey* QueueIndex::BestAgent(SkillSetId signature, bool best_skill,
                                      std::optional<int64_t> after) {
  if (available_ == 0) return nullptr;
  if (auto it = call_groups_.find(signature); it != call_groups_.end()) {
    return BestAgent(*it->second, best_skill, after);
  }
  scratch_.clear();
  FindAgentGroups(signature, &scratch_);
  return BestAmong(scratch_, signature, best_skill, after);
}

const AgentKey* QueueIndex::BestAgent(const CallGroup& calls, bool best_skill,
                                      std::optional<int64_t> after) const {
  if (available_ == 0) return nullptr;
  return BestAmong(calls.agents, calls.signature, best_skill, after);
}

const AgentKey* QueueIndex::BestAmong(std::span<const Link<AgentGroup>> links, SkillSetId signature,
                                      bool best_skill, std::optional<int64_t> after) const {
  const AgentKey* best = nullptr;
  // Rank: penalty, then (best_skill) higher skill score, then (round robin)
  // keys after the pointer first, then the key itself.
  std::tuple<int, int64_t, bool> best_rank;
  for (const Link<AgentGroup>& link : links) {
    const AgentHead& group = agent_heads_[link.ordinal];
    if (!group.available) continue;
    const AgentKey* head = &group.key;
    bool wrapped = false;
    if (after) {
      // The first agent past the pointer: the head (the group's least key)
      // if it is, else the first of the rest that is.
      const AgentKey past{*after + 1, INT64_MIN, 0, nullptr};
      if (group.key < past) {
        const absl::btree_set<AgentKey>& rest = link.group->rest;
        auto it = rest.lower_bound(past);
        if (it != rest.end()) {
          head = &*it;
        } else {
          wrapped = true;
        }
      }
    }
    std::tuple<int, int64_t, bool> rank{
        group.penalty, best_skill ? -skills_->SkillScore(group.profile, signature) : 0, wrapped};
    if (best == nullptr || rank < best_rank || (rank == best_rank && *head < *best)) {
      best = head;
      best_rank = rank;
    }
  }
  return best;
}

const CallKey* QueueIndex::BestCall(AgentGroup& agents) {
  if (!unlinked_.empty()) LinkPending();
  const CallKey* best = nullptr;
  for (const Link<CallGroup>& link : agents.calls) {
    if (link.group->empty) continue;
    const CallKey* head = &link.group->head;
    if (best == nullptr || *head < *best) best = head;
  }
  return best;
}

}  // namespace acd::core
