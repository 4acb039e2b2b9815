#include "server/core/routing_index.h"

#include <tuple>

namespace acd::core {

SkillSetId SkillInterner::Intern(const SkillLevels& skills) {
  auto [it, inserted] = ids_.try_emplace(skills, static_cast<SkillSetId>(sets_.size()));
  if (inserted) sets_.push_back(skills);
  return it->second;
}

bool SkillInterner::Covers(SkillSetId profile, SkillSetId signature) {
  uint64_t key = (static_cast<uint64_t>(profile) << 32) | signature;
  auto it = covers_.find(key);
  if (it != covers_.end()) return it->second;
  const SkillLevels& have = sets_[profile];
  bool ok = true;
  for (const auto& [skill, level] : sets_[signature]) {
    auto h = have.find(skill);
    if (h == have.end() || h->second < level) {
      ok = false;
      break;
    }
  }
  covers_.emplace(key, ok);
  return ok;
}

double QueueIndex::Score(int priority, double aging_per_minute, absl::Time enqueued_at) {
  return priority - aging_per_minute * absl::ToDoubleMinutes(enqueued_at - absl::UnixEpoch());
}

double QueueIndex::EffectivePriority(double score, double aging_per_minute, absl::Time now) {
  return score + aging_per_minute * absl::ToDoubleMinutes(now - absl::UnixEpoch());
}

CallGroup* QueueIndex::AddCall(SkillSetId signature, const CallKey& key) {
  auto& group = call_groups_[signature];
  if (!group) {
    group = std::make_unique<CallGroup>();
    group->signature = signature;
    for (auto& [profile, groups] : calls_for_profile_) {
      if (skills_->Covers(profile, signature)) groups.push_back(group.get());
    }
  }
  if (group->calls.insert(key).second) {
    ++waiting_;
    arrivals_.insert({key.enqueued_at, key.arrival_order});
  }
  return group.get();
}

void QueueIndex::RemoveCall(CallGroup* group, const CallKey& key) {
  if (group->calls.erase(key) > 0) {
    --waiting_;
    arrivals_.erase({key.enqueued_at, key.arrival_order});
  }
}

AgentGroup* QueueIndex::AddAgent(SkillSetId profile, int penalty, const AgentKey& key) {
  auto& group = agent_groups_[{profile, penalty}];
  if (!group) {
    group = std::make_unique<AgentGroup>();
    group->profile = profile;
    group->penalty = penalty;
    for (auto& [signature, groups] : agents_for_signature_) {
      if (skills_->Covers(profile, signature)) groups.push_back(group.get());
    }
  }
  if (group->agents.insert(key).second) ++available_;
  return group.get();
}

void QueueIndex::RemoveAgent(AgentGroup* group, const AgentKey& key) {
  available_ -= group->agents.erase(key);
}

const std::vector<AgentGroup*>& QueueIndex::AgentGroupsFor(SkillSetId signature) {
  auto [it, inserted] = agents_for_signature_.try_emplace(signature);
  if (inserted) {
    for (auto& [id, group] : agent_groups_) {
      if (skills_->Covers(group->profile, signature)) it->second.push_back(group.get());
    }
  }
  return it->second;
}

const std::vector<CallGroup*>& QueueIndex::CallGroupsFor(SkillSetId profile) {
  auto [it, inserted] = calls_for_profile_.try_emplace(profile);
  if (inserted) {
    for (auto& [id, group] : call_groups_) {
      if (skills_->Covers(profile, group->signature)) it->second.push_back(group.get());
    }
  }
  return it->second;
}

int64_t QueueIndex::SkillScore(SkillSetId profile, SkillSetId signature) const {
  const SkillLevels& have = skills_->Get(profile);
  int64_t score = 0;
  for (const auto& [skill, level] : skills_->Get(signature)) {
    auto it = have.find(skill);
    if (it != have.end()) score += it->second;
  }
  return score;
}

const AgentKey* QueueIndex::BestAgent(SkillSetId signature, bool best_skill,
                                      std::optional<int64_t> after) {
  if (available_ == 0) return nullptr;
  const AgentKey* best = nullptr;
  // Rank: penalty, then (best_skill) higher skill score, then (round robin)
  // keys after the pointer first, then the key itself.
  std::tuple<int, int64_t, bool> best_rank;
  for (AgentGroup* group : AgentGroupsFor(signature)) {
    if (group->agents.empty()) continue;
    const AgentKey* head = &*group->agents.begin();
    bool wrapped = false;
    if (after) {
      auto it = group->agents.lower_bound(AgentKey{*after + 1, INT64_MIN, 0, nullptr});
      if (it != group->agents.end()) {
        head = &*it;
      } else {
        wrapped = true;
      }
    }
    std::tuple<int, int64_t, bool> rank{
        group->penalty, best_skill ? -SkillScore(group->profile, signature) : 0, wrapped};
    if (best == nullptr || rank < best_rank || (rank == best_rank && *head < *best)) {
      best = head;
      best_rank = rank;
    }
  }
  return best;
}

const CallKey* QueueIndex::BestCall(SkillSetId profile) {
  if (waiting_ == 0) return nullptr;
  const CallKey* best = nullptr;
  for (CallGroup* group : CallGroupsFor(profile)) {
    if (group->calls.empty()) continue;
    const CallKey* head = &*group->calls.begin();
    if (best == nullptr || *head < *best) best = head;
  }
  return best;
}

size_t QueueIndex::CountAhead(const CallKey& key) const {
  size_t ahead = 0;
  for (const auto& [id, group] : call_groups_) {
    for (const CallKey& other : group->calls) {
      if (!(other < key)) break;
      ++ahead;
    }
  }
  return ahead;
}

std::optional<absl::Time> QueueIndex::OldestArrival() const {
  if (arrivals_.empty()) return std::nullopt;
  return arrivals_.begin()->first;
}

}  // namespace acd::core
