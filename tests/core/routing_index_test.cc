// QueueIndex and SkillInterner on their own: eligibility by skill levels,
// positions across groups, groups dropped when empty, links to agent groups
// made after the call groups. The engine tests cover routing end to end.
#include "server/core/routing_index.h"

#include <gtest/gtest.h>

namespace acd::core {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

CallKey Call(uint64_t order, int priority = 0) {
  absl::Time at = kT0 + absl::Seconds(order);
  return CallKey{QueueIndex::Score(priority, 0, at), at, order, nullptr};
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
  index.AddCall(plain, Call(1));                   // older: the new head
  index.AddCall(plain, Call(5));
  index.AddCall(plain, Call(4, /*priority=*/2));  // higher priority: the new head
  index.AddCall(plain, Call(1));                   // a repeat changes nothing
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

TEST(QueueIndexTest, EmptyCallGroupsAreDropped) {
  SkillInterner skills;
  QueueIndex index(&skills);
  AgentGroup* agents = index.AddAgent(skills.Intern({{"french", 3}}), 0, Agent(1));
  for (uint64_t i = 0; i < 100; ++i) {
    SkillSetId signature = skills.Intern({{"french", static_cast<int>(i % 3) + 1}, {"x", 1}});
    CallGroup* group = index.AddCall(signature, Call(i));
    ASSERT_EQ(index.BestCall(*agents), nullptr);  // "x" is missing
    index.RemoveCall(group, Call(i));
  }
  EXPECT_EQ(index.call_groups(), 0u);
  // A group emptied after its links were written is unlinked too.
  CallGroup* group = index.AddCall(skills.Intern({{"french", 2}}), Call(200));
  ASSERT_NE(index.BestCall(*agents), nullptr);
  index.RemoveCall(group, Call(200));
  EXPECT_EQ(index.call_groups(), 0u);
  EXPECT_EQ(index.BestCall(*agents), nullptr);
  EXPECT_TRUE(agents->calls.empty());
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
  EXPECT_TRUE(first->calls.empty());
  EXPECT_TRUE(second->calls.empty());
  EXPECT_EQ(index.BestCall(*second), nullptr);
}

}  // namespace
}  // namespace acd::core
