// QueueIndex and SkillInterner on their own: eligibility by skill levels,
// positions across groups, empty groups kept within a bound, links to agent
// groups made after the call groups. The engine tests cover routing end to end.
#include "server/core/routing_index.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/support/test_time.h"

namespace acd::core {
namespace {

using ::acd::testing::kT0;

CallKey Call(uint64_t order, int priority = 0) {
  absl::Time at = kT0 + absl::Seconds(order);
  return CallKey{QueueIndex::Score(priority, 0, at), order, nullptr};
}

AgentKey Agent(uint64_t order) { return AgentKey{static_cast<int64_t>(order), 0, order, nullptr}; }

TEST(SkillInternerTest, CoversWhenEveryRequiredLevelIsMet) {
  SkillInterner skills;
  SkillSetId agent = skills.Intern({{"english", 5}, {"french", 2}, {"billing", 7}});
  EXPECT_TRUE(skills.Covers(agent, skills.Intern({})));
  EXPECT_TRUE(skills.Covers(agent, skills.Intern({{"english", 5}})));
  EXPECT_TRUE(skills.Covers(agent, skills.Intern({{"billing", 1}, {"french", 2}})));
  EXPECT_FALSE(skills.Covers(agent, skills.Intern({{"english", 6}})));
  EXPECT_FALSE(skills.Covers(agent, skills.Intern({{"german", 1}})));
  EXPECT_FALSE(skills.Covers(agent, skills.Intern({{"english", 1}, {"zulu", 1}})));
  EXPECT_FALSE(skills.Covers(skills.Intern({}), skills.Intern({{"english", 1}})));
  // Same set, same id, whatever was interned in between.
  EXPECT_EQ(skills.Intern({{"french", 2}, {"english", 5}, {"billing", 7}}), agent);
}

TEST(SkillInternerTest, SkillScoreSumsTheAgentsLevelsOnTheCallsSkills) {
  SkillInterner skills;
  SkillSetId agent = skills.Intern({{"a", 3}, {"c", 4}, {"e", 9}});
  EXPECT_EQ(skills.SkillScore(agent, skills.Intern({{"a", 1}, {"e", 1}})), 12);
  EXPECT_EQ(skills.SkillScore(agent, skills.Intern({{"b", 1}, {"c", 1}})), 4);
  EXPECT_EQ(skills.SkillScore(agent, skills.Intern({})), 0);
}

TEST(QueueIndexTest, PositionCountsCallsAheadInEveryGroup) {
  SkillInterner skills;
  QueueIndex index(&skills);
  SkillSetId plain = skills.Intern({});
  SkillSetId french = skills.Intern({{"french", 1}});
  index.AddCall(plain, Call(1));
  CallGroup* g2 = index.AddCall(french, Call(2));
  index.AddCall(plain, Call(3));
  index.AddCall(french, Call(4, /*priority=*/5));  // jumps the line
  EXPECT_EQ(index.CountAhead(Call(4, 5)), 0u);
  EXPECT_EQ(index.CountAhead(Call(1)), 1u);
  EXPECT_EQ(index.CountAhead(Call(3)), 3u);
  index.RemoveCall(g2, Call(2));
  EXPECT_EQ(index.CountAhead(Call(3)), 2u);
  EXPECT_EQ(index.waiting(), 3u);
}

// A group's best call is its head; the others wait in `rest`. Adding a better
// call, taking out the head or another call, and repeats keep both right.
TEST(QueueIndexTest, GroupHeadIsAlwaysItsBestCall) {
  SkillInterner skills;
  QueueIndex index(&skills);
  SkillSetId plain = skills.Intern({});
  CallGroup* group = index.AddCall(plain, Call(3));
  EXPECT_EQ(group->head.arrival_order, 3u);
  EXPECT_TRUE(group->rest.empty());
  index.AddCall(plain, Call(1));  // older: the new head
  index.AddCall(plain, Call(5));
  index.AddCall(plain, Call(4, /*priority=*/2));  // higher priority: the new head
  index.AddCall(plain, Call(1));                  // a repeat changes nothing
  index.AddCall(plain, Call(4, 2));
  EXPECT_EQ(index.waiting(), 4u);
  EXPECT_EQ(group->head.arrival_order, 4u);
  index.RemoveCall(group, Call(3));  // not the head
  index.RemoveCall(group, Call(3));  // gone already: no change
  EXPECT_EQ(index.waiting(), 3u);
  EXPECT_EQ(group->head.arrival_order, 4u);
  index.RemoveCall(group, Call(4, 2));
  EXPECT_EQ(group->head.arrival_order, 1u);
  index.RemoveCall(group, Call(1));
  EXPECT_EQ(group->head.arrival_order, 5u);
  EXPECT_TRUE(group->rest.empty());
  EXPECT_EQ(index.waiting(), 1u);
  EXPECT_EQ(index.CountAhead(Call(5)), 0u);
}

TEST(QueueIndexTest, AnEmptiedGroupStaysLinkedForTheNextCallOfItsSignature) {
  SkillInterner skills;
  QueueIndex index(&skills);
  AgentGroup* agents = index.AddAgent(skills.Intern({{"french", 3}}), 0, Agent(1));
  SkillSetId french = skills.Intern({{"french", 2}});
  CallGroup* group = index.AddCall(french, Call(1));
  ASSERT_NE(index.BestCall(*agents), nullptr);  // its links are written
  index.RemoveCall(group, Call(1));
  EXPECT_EQ(index.call_groups(), 0u);
  EXPECT_EQ(index.empty_call_groups(), 1u);
  EXPECT_EQ(index.waiting(), 0u);
  EXPECT_EQ(index.BestCall(*agents), nullptr);  // an empty group offers nothing
  EXPECT_EQ(agents->calls.size(), 1u);          // but stays linked
  index.RemoveCall(group, Call(1));             // nothing left to take out
  EXPECT_EQ(index.AddCall(french, Call(2)), group);
  EXPECT_EQ(index.empty_call_groups(), 0u);
  const CallKey* best = index.BestCall(*agents);
  ASSERT_NE(best, nullptr);
  EXPECT_EQ(best->arrival_order, 2u);
  // Emptied before its links were written, and back: linked when next walked.
  SkillSetId spanish = skills.Intern({});
  CallGroup* pending = index.AddCall(spanish, Call(3));
  index.RemoveCall(pending, Call(3));
  index.RemoveCall(group, Call(2));
  EXPECT_EQ(index.AddCall(spanish, Call(4)), pending);
  best = index.BestCall(*agents);
  ASSERT_NE(best, nullptr);
  EXPECT_EQ(best->arrival_order, 4u);
}

TEST(QueueIndexTest, EmptyGroupsAreBoundedOldestDroppedAndUnlinked) {
  SkillInterner skills;
  QueueIndex index(&skills);
  SkillLevels many;
  for (int i = 0; i < 100; ++i) many["s" + std::to_string(i)] = 1;
  AgentGroup* agents = index.AddAgent(skills.Intern(many), 0, Agent(1));
  // 100 signatures seen once each, all linked to the agent group.
  std::vector<CallGroup*> groups;
  for (uint64_t i = 0; i < 100; ++i) {
    groups.push_back(index.AddCall(skills.Intern({{"s" + std::to_string(i), 1}}), Call(i)));
    ASSERT_NE(index.BestCall(*agents), nullptr);
    index.RemoveCall(groups.back(), Call(i));
  }
  EXPECT_EQ(index.call_groups(), 0u);
  EXPECT_EQ(index.empty_call_groups(), QueueIndex::kMinEmptyGroups);
  // Only the kept groups' links are left, and they are the newest.
  ASSERT_EQ(agents->calls.size(), QueueIndex::kMinEmptyGroups);
  for (const Link<CallGroup>& link : agents->calls) {
    EXPECT_GE(link.group->signature, skills.Intern({{"s68", 1}}));
  }
  // With more groups holding calls, more empty ones may stay: half as many.
  for (uint64_t i = 0; i < 100; ++i) {
    index.AddCall(skills.Intern({{"s" + std::to_string(i), 1}, {"t", 1}}), Call(1000 + i));
  }
  for (uint64_t i = 0; i < 100; ++i) {
    CallGroup* group = index.AddCall(skills.Intern({{"s" + std::to_string(i), 1}}), Call(2000 + i));
    index.RemoveCall(group, Call(2000 + i));
  }
  EXPECT_EQ(index.call_groups(), 100u);
  EXPECT_EQ(index.empty_call_groups(), 50u);
  EXPECT_EQ(index.waiting(), 100u);
}

TEST(QueueIndexTest, AnAgentGroupsHeadIsItsBestAgentWhileItHasOne) {
  SkillInterner skills;
  QueueIndex index(&skills);
  AgentGroup* group = index.AddAgent(skills.Intern({{"french", 3}}), 2, Agent(5));
  EXPECT_TRUE(index.HeadOf(*group).available);
  EXPECT_EQ(index.HeadOf(*group).penalty, 2);
  index.AddAgent(group, Agent(3));
  index.AddAgent(group, Agent(7));
  EXPECT_EQ(index.HeadOf(*group).key.order, 3u);
  index.RemoveAgent(group, Agent(7));  // not the head
  EXPECT_EQ(index.HeadOf(*group).key.order, 3u);
  index.RemoveAgent(group, Agent(3));
  EXPECT_EQ(index.HeadOf(*group).key.order, 5u);
  index.RemoveAgent(group, Agent(5));
  EXPECT_FALSE(index.HeadOf(*group).available);
  EXPECT_EQ(index.available(), 0u);
  // A group made later has its own head; the first keeps its place.
  AgentGroup* other = index.AddAgent(skills.Intern({{"german", 1}}), 0, Agent(9));
  EXPECT_FALSE(index.HeadOf(*group).available);
  EXPECT_EQ(index.HeadOf(*other).key.order, 9u);
  const CallGroup* call = index.AddCall(skills.Intern({{"french", 1}}), Call(1));
  EXPECT_EQ(index.BestAgent(*call, /*best_skill=*/false), nullptr);
  index.AddAgent(group, Agent(4));
  const AgentKey* best = index.BestAgent(*call, /*best_skill=*/false);
  ASSERT_NE(best, nullptr);
  EXPECT_EQ(best->order, 4u);
}

TEST(QueueIndexTest, AnAgentGroupsHeadAndRestMatchASetThroughRandomChanges) {
  SkillInterner skills;
  QueueIndex index(&skills);
  SkillSetId french = skills.Intern({{"french", 3}});
  AgentGroup* group = index.AgentGroupFor(french, 0);
  const CallGroup* call = index.AddCall(french, Call(1));
  std::set<uint64_t> model;
  std::mt19937 rng(7);
  for (int step = 0; step < 5000; ++step) {
    uint64_t order = rng() % 12;
    // Adding one already there, or taking out one that is not, changes nothing.
    if (rng() % 2 == 0) {
      index.AddAgent(group, Agent(order));
      model.insert(order);
    } else {
      index.RemoveAgent(group, Agent(order));
      model.erase(order);
    }
    ASSERT_EQ(index.available(), model.size()) << "step " << step;
    ASSERT_EQ(index.HeadOf(*group).available, !model.empty()) << "step " << step;
    if (model.empty()) continue;
    ASSERT_EQ(index.HeadOf(*group).key.order, *model.begin()) << "step " << step;
    // Round robin: the first agent past the pointer, else (wrapped) the first.
    int64_t after = static_cast<int64_t>(rng() % 12);
    auto past = model.upper_bound(static_cast<uint64_t>(after));
    const AgentKey* best = index.BestAgent(*call, /*best_skill=*/false, after);
    ASSERT_NE(best, nullptr);
    EXPECT_EQ(best->order, past != model.end() ? *past : *model.begin())
        << "step " << step << ", after " << after;
  }
}

TEST(QueueIndexTest, BestCallIsTheBestHeadAmongCoveredGroups) {
  SkillInterner skills;
  QueueIndex index(&skills);
  AgentGroup* agents = index.AddAgent(skills.Intern({{"french", 3}, {"billing", 2}}), 0, Agent(1));
  index.AddCall(skills.Intern({{"french", 4}}), Call(1));  // too high a level
  CallGroup* billing = index.AddCall(skills.Intern({{"billing", 2}}), Call(2));
  index.AddCall(skills.Intern({{"french", 3}}), Call(3));
  index.AddCall(skills.Intern({{"billing", 2}}), Call(4));
  const CallKey* best = index.BestCall(*agents);
  ASSERT_NE(best, nullptr);
  EXPECT_EQ(best->arrival_order, 2u);
  index.RemoveCall(billing, Call(2));  // the group's head leaves: 4 is its head now
  best = index.BestCall(*agents);
  ASSERT_NE(best, nullptr);
  EXPECT_EQ(best->arrival_order, 3u);
}

// Random arrivals (some ahead by priority) and departures (heads or not)
// over overlapping signatures, with agent groups made along the way: each
// step one agent group's BestCall is the best waiting call it covers, found
// by brute force.
TEST(QueueIndexTest, BestCallMatchesBruteForceThroughRandomChanges) {
  SkillInterner skills;
  QueueIndex index(&skills);
  const std::vector<SkillSetId> signatures = {skills.Intern({}), skills.Intern({{"a", 1}}),
                                              skills.Intern({{"a", 2}}), skills.Intern({{"b", 1}}),
                                              skills.Intern({{"a", 1}, {"b", 1}})};
  const std::vector<SkillSetId> profiles = {skills.Intern({{"a", 2}}),
                                            skills.Intern({{"a", 1}, {"b", 1}}),
                                            skills.Intern({{"b", 3}}), skills.Intern({{"c", 1}})};
  struct Waiting {
    CallKey key;
    SkillSetId signature;
    CallGroup* group;
  };
  std::vector<Waiting> waiting;
  std::vector<std::pair<SkillSetId, AgentGroup*>> agents;
  std::mt19937 rng(11);
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  for (uint64_t step = 1; step <= 5000; ++step) {
    if (agents.size() < profiles.size() && step % 50 == 0) {
      SkillSetId profile = profiles[agents.size()];
      agents.emplace_back(profile, index.AgentGroupFor(profile, 0));
    }
    // Up to 30 waiting over 5 signatures: groups empty and refill throughout.
    if (waiting.empty() || (waiting.size() < 30 && pick(100) < 55)) {
      CallKey key = Call(step, pick(4) == 0 ? static_cast<int>(pick(3)) + 1 : 0);
      SkillSetId signature = signatures[pick(signatures.size())];
      waiting.push_back({key, signature, index.AddCall(signature, key)});
    } else {
      size_t i = pick(waiting.size());
      index.RemoveCall(waiting[i].group, waiting[i].key);
      waiting[i] = waiting.back();
      waiting.pop_back();
    }
    if (agents.empty()) continue;
    auto [profile, group] = agents[pick(agents.size())];
    const CallKey* want = nullptr;
    for (const Waiting& w : waiting) {
      if (skills.Covers(profile, w.signature) && (want == nullptr || w.key < *want)) {
        want = &w.key;
      }
    }
    const CallKey* got = index.BestCall(*group);
    ASSERT_EQ(got == nullptr, want == nullptr) << "step " << step;
    if (want != nullptr) {
      ASSERT_EQ(got->arrival_order, want->arrival_order) << "step " << step;
    }
  }
}

TEST(QueueIndexTest, AgentGroupMadeAfterTheCallGroupsFindsThem) {
  SkillInterner skills;
  QueueIndex index(&skills);
  CallGroup* french = index.AddCall(skills.Intern({{"french", 2}}), Call(1));
  // A first agent group links the call group (written by BestCall).
  AgentGroup* first = index.AddAgent(skills.Intern({{"french", 5}}), 0, Agent(1));
  ASSERT_NE(index.BestCall(*first), nullptr);
  CallGroup* german = index.AddCall(skills.Intern({{"german", 1}}), Call(2));
  // A new agent group meets a linked group and a pending one.
  AgentGroup* second = index.AddAgent(skills.Intern({{"french", 2}, {"german", 1}}), 1, Agent(2));
  const CallKey* best = index.BestCall(*second);
  ASSERT_NE(best, nullptr);
  EXPECT_EQ(best->arrival_order, 1u);
  // Lowest penalty first; the german call only the second group can take.
  const AgentKey* agent = index.BestAgent(*french, /*best_skill=*/false);
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(agent->order, 1u);
  agent = index.BestAgent(*german, /*best_skill=*/false);
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(agent->order, 2u);
  // The penalty comes before the skill score.
  agent = index.BestAgent(*french, /*best_skill=*/true);
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(agent->order, 1u);
  index.RemoveCall(french, Call(1));
  index.RemoveCall(german, Call(2));
  EXPECT_EQ(index.BestCall(*first), nullptr);
  EXPECT_EQ(index.BestCall(*second), nullptr);
  EXPECT_EQ(index.empty_call_groups(), 2u);
}

}  // namespace
}  // namespace acd::core
