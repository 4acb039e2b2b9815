#include "server/core/deadline_queue.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_time.h"

namespace acd::core {
namespace {

using ::testing::ElementsAre;

using ::acd::testing::kT0;

absl::Time At(int seconds) { return kT0 + absl::Seconds(seconds); }

// What the engine does: a deadline is live while its owner's generation is
// still the one it was armed with.
struct Owners {
  absl::flat_hash_map<std::string, uint64_t> generation;

  bool IsStale(const Deadline& d) const {
    auto it = generation.find(d.id);
    return it == generation.end() || it->second != d.generation;
  }
  auto Stale() const {
    return [this](const Deadline& d) { return IsStale(d); };
  }
};

// Engine::AdvanceTo's loop: the ids of the live deadlines due by `now`, in
// the order they fire.
std::vector<std::string> FireUntil(DeadlineQueue& q, const Owners& owners, absl::Time now) {
  std::vector<std::string> fired;
  while (true) {
    std::optional<absl::Time> next = q.Next(owners.Stale());
    if (!next || *next > now) break;
    fired.push_back(q.Pop().id);
  }
  return fired;
}

TEST(DeadlineQueueTest, EmptyQueueHasNoNextDeadline) {
  DeadlineQueue q;
  int asked = 0;
  EXPECT_EQ(q.Next([&](const Deadline&) {
    ++asked;
    return false;
  }),
            std::nullopt);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(asked, 0);
}

TEST(DeadlineQueueTest, EarliestComesOutFirstWhateverThePushOrder) {
  DeadlineQueue q;
  q.Push(At(30), DeadlineKind::kMaxWait, "c30", 7);
  q.Push(At(10), DeadlineKind::kWrapUpEnd, "a10", 8);
  q.Push(At(20), DeadlineKind::kScheduleEdge, "q20", 9);
  q.Push(At(5), DeadlineKind::kCallbackWindow, "c5", 10);
  ASSERT_EQ(q.size(), 4u);

  auto never = [](const Deadline&) { return false; };
  EXPECT_EQ(q.Next(never), At(5));
  Deadline d = q.Pop();
  EXPECT_EQ(d.at, At(5));
  EXPECT_EQ(d.kind, DeadlineKind::kCallbackWindow);
  EXPECT_EQ(d.id, "c5");
  EXPECT_EQ(d.generation, 10u);

  EXPECT_EQ(q.Next(never), At(10));
  d = q.Pop();
  EXPECT_EQ(d.kind, DeadlineKind::kWrapUpEnd);
  EXPECT_EQ(d.id, "a10");
  EXPECT_EQ(d.generation, 8u);

  EXPECT_EQ(q.Pop().id, "q20");
  EXPECT_EQ(q.Pop().id, "c30");
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.Next(never), std::nullopt);
}

TEST(DeadlineQueueTest, EqualTimesComeOutInPushOrderNotByKindOrId) {
  DeadlineQueue q;
  // Kinds and ids in reverse of their own order, so that neither could be
  // what orders them.
  q.Push(At(10), DeadlineKind::kCallbackWindow, "e", 1);
  q.Push(At(10), DeadlineKind::kCallbackRetry, "d", 1);
  q.Push(At(5), DeadlineKind::kOfferTimeout, "early", 1);
  q.Push(At(10), DeadlineKind::kEscalation, "c", 1);
  q.Push(At(10), DeadlineKind::kWrapUpEnd, "b", 1);
  q.Push(At(10), DeadlineKind::kOfferTimeout, "a", 1);

  std::vector<std::string> order;
  std::vector<uint64_t> orders;
  while (!q.empty()) {
    Deadline d = q.Pop();
    order.push_back(d.id);
    orders.push_back(d.order);
  }
  EXPECT_THAT(order, ElementsAre("early", "e", "d", "c", "b", "a"));
  // The order stamps are the push order, from 1.
  EXPECT_THAT(orders, ElementsAre(3u, 1u, 2u, 4u, 5u, 6u));
}

TEST(DeadlineQueueTest, PushedWhileFiringAtTheSameTimeGoesAfterThoseQueued) {
  // A handler re-arms at the time it fires (the no-agent check, an
  // escalation step already due): it must not jump ahead of deadlines that
  // were due at that time already.
  DeadlineQueue q;
  Owners owners;
  owners.generation = {{"first", 1}, {"second", 1}, {"third", 1}, {"again", 1}};
  q.Push(At(10), DeadlineKind::kNoAgent, "first", 1);
  q.Push(At(10), DeadlineKind::kNoAgent, "second", 1);
  q.Push(At(10), DeadlineKind::kNoAgent, "third", 1);

  ASSERT_EQ(q.Next(owners.Stale()), At(10));
  EXPECT_EQ(q.Pop().id, "first");
  q.Push(At(10), DeadlineKind::kNoAgent, "again", 1);
  EXPECT_THAT(FireUntil(q, owners, At(10)), ElementsAre("second", "third", "again"));
}

TEST(DeadlineQueueTest, NextDropsStaleDeadlinesAtTheFront) {
  DeadlineQueue q;
  Owners owners;
  owners.generation = {{"a", 1}, {"b", 1}, {"c", 1}};
  q.Push(At(1), DeadlineKind::kOfferTimeout, "a", 1);
  q.Push(At(2), DeadlineKind::kOfferTimeout, "b", 1);
  q.Push(At(3), DeadlineKind::kOfferTimeout, "c", 1);

  owners.generation["a"] = 2;  // the offer was answered
  EXPECT_EQ(q.Next(owners.Stale()), At(2));
  EXPECT_EQ(q.size(), 2u);

  owners.generation.erase("b");  // the call is gone
  EXPECT_EQ(q.Next(owners.Stale()), At(3));
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.Pop().id, "c");
}

TEST(DeadlineQueueTest, NextAsksAboutTheFrontOnlyAndKeepsStaleOnesBehindIt) {
  DeadlineQueue q;
  Owners owners;
  owners.generation = {{"live", 1}, {"stale", 2}};
  q.Push(At(1), DeadlineKind::kMaxWait, "live", 1);
  q.Push(At(2), DeadlineKind::kMaxWait, "stale", 1);  // armed under generation 1
  q.Push(At(3), DeadlineKind::kMaxWait, "stale", 2);

  std::vector<std::string> asked;
  auto recording = [&](const Deadline& d) {
    asked.push_back(d.id);
    return owners.IsStale(d);
  };
  EXPECT_EQ(q.Next(recording), At(1));
  EXPECT_THAT(asked, ElementsAre("live"));
  // Asking again changes nothing: a live front is not dropped.
  EXPECT_EQ(q.Next(recording), At(1));
  EXPECT_EQ(q.size(), 3u);  // the stale one is still in, behind the front

  // Pop takes the front without asking.
  asked.clear();
  EXPECT_EQ(q.Pop().id, "live");
  EXPECT_TRUE(asked.empty());

  // Now it is the front, and goes.
  EXPECT_EQ(q.Next(recording), At(3));
  EXPECT_THAT(asked, ElementsAre("stale", "stale"));
  EXPECT_EQ(q.size(), 1u);
  Deadline d = q.Pop();
  EXPECT_EQ(d.at, At(3));
  EXPECT_EQ(d.generation, 2u);
}

TEST(DeadlineQueueTest, NextEmptiesAQueueOfStaleDeadlines) {
  DeadlineQueue q;
  Owners owners;  // no owner left
  q.Push(At(1), DeadlineKind::kEscalation, "x", 1);
  q.Push(At(1), DeadlineKind::kEscalation, "y", 1);
  q.Push(At(9), DeadlineKind::kCallbackRetry, "z", 1);
  EXPECT_EQ(q.Next(owners.Stale()), std::nullopt);
  EXPECT_TRUE(q.empty());
}

TEST(DeadlineQueueTest, PopReturnsTheFrontEvenIfStale) {
  DeadlineQueue q;
  q.Push(At(1), DeadlineKind::kWrapUpEnd, "agent", 4);
  Deadline d = q.Pop();
  EXPECT_EQ(d.id, "agent");
  EXPECT_EQ(d.generation, 4u);
  EXPECT_TRUE(q.empty());
}

TEST(DeadlineQueueTest, ReArmingUnderANewGenerationFiresOnlyTheNewDeadline) {
  // An offer times out at 10; it is answered (the generation moves on), and
  // the call is offered again later with a timeout at 25. Only that fires.
  DeadlineQueue q;
  Owners owners;
  owners.generation["call"] = 1;
  q.Push(At(10), DeadlineKind::kOfferTimeout, "call", 1);
  owners.generation["call"] = 2;  // accepted
  owners.generation["call"] = 3;  // offered again
  q.Push(At(25), DeadlineKind::kOfferTimeout, "call", 3);
  owners.generation["other"] = 1;
  q.Push(At(20), DeadlineKind::kMaxWait, "other", 1);

  EXPECT_THAT(FireUntil(q, owners, At(15)), ElementsAre());
  EXPECT_EQ(q.Next(owners.Stale()), At(20));
  EXPECT_THAT(FireUntil(q, owners, At(30)), ElementsAre("other", "call"));
  EXPECT_EQ(q.Next(owners.Stale()), std::nullopt);
}

TEST(DeadlineQueueTest, FiresOnlyWhatIsDueAndKeepsTheRest) {
  DeadlineQueue q;
  Owners owners;
  owners.generation = {{"a", 1}, {"b", 1}, {"c", 1}};
  q.Push(At(10), DeadlineKind::kMaxWait, "a", 1);
  q.Push(At(20), DeadlineKind::kMaxWait, "b", 1);
  q.Push(At(30), DeadlineKind::kMaxWait, "c", 1);
  // Due means at or before `now`.
  EXPECT_THAT(FireUntil(q, owners, At(20)), ElementsAre("a", "b"));
  EXPECT_EQ(q.Next(owners.Stale()), At(30));
  EXPECT_EQ(q.size(), 1u);
  // A deadline pushed in the past comes out first.
  q.Push(At(0), DeadlineKind::kScheduleEdge, "past", 1);
  owners.generation["past"] = 1;
  EXPECT_THAT(FireUntil(q, owners, At(20)), ElementsAre("past"));
}

}  // namespace
}  // namespace acd::core
