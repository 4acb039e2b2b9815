#include "server/core/cow_map.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "gtest/gtest.h"

namespace acd::core {
namespace {

using Levels = CowMap<absl::btree_map<std::string, int>>;

// Two maps share a body when map() is the same object.
bool Shared(const Levels& a, const Levels& b) { return &a.map() == &b.map(); }

TEST(CowMapTest, ReadsAsTheMapItHolds) {
  const Levels levels = {{"spanish", 3}, {"english", 5}};
  EXPECT_EQ(levels.size(), 2u);
  EXPECT_FALSE(levels.empty());
  EXPECT_EQ(levels.at("spanish"), 3);
  EXPECT_TRUE(levels.contains("english"));
  EXPECT_EQ(levels.count("french"), 0u);
  EXPECT_EQ(levels.find("french"), levels.end());
  std::vector<std::string> keys;
  for (const auto& [skill, level] : levels) keys.push_back(skill);
  EXPECT_EQ(keys, (std::vector<std::string>{"english", "spanish"}));  // ordered
}

TEST(CowMapTest, EmptyMapsHoldNoBodyAndReadAsEmpty) {
  Levels empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.begin(), empty.end());
  EXPECT_EQ(empty.erase("x"), 0u);
  EXPECT_EQ(empty, Levels(absl::btree_map<std::string, int>{}));
  Levels cleared = {{"a", 1}};
  cleared.clear();
  EXPECT_TRUE(cleared.empty());
  EXPECT_EQ(cleared, empty);
}

TEST(CowMapTest, CopiesShareUntilOneChangesAndTheOtherKeepsItsValue) {
  Levels original = {{"spanish", 3}};
  Levels copy = original;
  EXPECT_TRUE(Shared(original, copy));

  copy["spanish"] = 1;
  copy.emplace("english", 2);
  EXPECT_FALSE(Shared(original, copy));
  EXPECT_EQ(original, (Levels{{"spanish", 3}}));
  EXPECT_EQ(copy, (Levels{{"english", 2}, {"spanish", 1}}));

  // The other way round: changing the original leaves an earlier copy.
  Levels before = original;
  EXPECT_EQ(original.erase("spanish"), 1u);
  EXPECT_TRUE(original.empty());
  EXPECT_EQ(before, (Levels{{"spanish", 3}}));
}

TEST(CowMapTest, ChangesThatChangeNothingKeepTheBodyShared) {
  Levels original = {{"spanish", 3}};
  Levels copy = original;
  EXPECT_EQ(copy.erase("french"), 0u);
  EXPECT_TRUE(Shared(original, copy));
}

TEST(CowMapTest, EqualityOrderAndHashAreThoseOfTheEntries) {
  const Levels a = {{"spanish", 3}};
  const Levels b = {{"spanish", 3}};  // equal, not shared
  const Levels c = {{"spanish", 4}};
  EXPECT_FALSE(Shared(a, b));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_TRUE(a < c);
  EXPECT_FALSE(c < a);
  EXPECT_EQ(absl::HashOf(a), absl::HashOf(b));
  absl::flat_hash_set<Levels> set = {a, b, c};
  EXPECT_EQ(set.size(), 2u);
}

// Event snapshots are copies read and destroyed on other threads while the
// engine changes its own map: each side must see only its own value (under
// ThreadSanitizer, also no race on the shared body).
TEST(CowMapTest, CopiesAreReadOnOtherThreadsWhileTheOriginalChanges) {
  constexpr int kRounds = 2000;
  Levels live = {{"level", 0}};
  std::vector<Levels> snapshots;
  snapshots.reserve(kRounds);
  for (int i = 0; i < kRounds; ++i) snapshots.push_back(live);  // all share round 0's body
  std::thread reader([&snapshots] {
    for (Levels& snapshot : snapshots) {
      EXPECT_EQ(snapshot.at("level"), 0);
      snapshot = Levels();  // dropped here, as the store writer drops an event
    }
  });
  for (int i = 1; i <= kRounds; ++i) live["level"] = i;
  reader.join();
  EXPECT_EQ(live.at("level"), kRounds);
}

}  // namespace
}  // namespace acd::core
