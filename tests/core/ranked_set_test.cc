#include "server/core/ranked_set.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <random>
#include <set>
#include <utility>

#include "gtest/gtest.h"

namespace acd::core {
namespace {

TEST(RankedSetTest, RanksCountTheKeysBeforeIncludingForAbsentKeys) {
  RankedSet<int> set;
  EXPECT_EQ(set.order_of_key(5), 0u);
  for (int k : {50, 10, 30, 20, 40}) EXPECT_TRUE(set.insert(k));
  EXPECT_FALSE(set.insert(30));
  EXPECT_EQ(set.size(), 5u);
  EXPECT_EQ(set.order_of_key(10), 0u);
  EXPECT_EQ(set.order_of_key(30), 2u);
  EXPECT_EQ(set.order_of_key(35), 3u);  // absent
  EXPECT_EQ(set.order_of_key(99), 5u);
  EXPECT_TRUE(set.erase(10));
  EXPECT_FALSE(set.erase(10));
  EXPECT_EQ(set.order_of_key(30), 1u);
}

TEST(RankedSetTest, OrdersByTheGivenComparison) {
  RankedSet<int, std::greater<int>> set;  // higher first, as call scores
  for (int k = 0; k < 200; ++k) set.insert(k);
  EXPECT_EQ(set.order_of_key(199), 0u);
  EXPECT_EQ(set.order_of_key(0), 199u);
}

// A second order that disagrees with the first: keys by a scrambled value.
struct ScrambledEarlier {
  static uint32_t Scramble(uint32_t k) { return (k * 2654435761u) % 1'000'003u; }
  bool operator()(uint32_t a, uint32_t b) const {
    return std::pair(Scramble(a), a) < std::pair(Scramble(b), b);
  }
};

TEST(RankedSetTest, KeepsTheEarliestKeyByTheSecondOrder) {
  RankedSet<int, std::less<int>, ScrambledEarlier> set;
  EXPECT_EQ(set.earliest(), nullptr);
  set.insert(7);
  ASSERT_NE(set.earliest(), nullptr);
  EXPECT_EQ(*set.earliest(), 7);
  set.insert(8);
  // Scramble(8) > Scramble(7)? Whichever: the answer is the smaller of the two.
  const int first = ScrambledEarlier()(7, 8) ? 7 : 8;
  EXPECT_EQ(*set.earliest(), first);
  set.erase(first);
  EXPECT_EQ(*set.earliest(), first == 7 ? 8 : 7);
  set.erase(first == 7 ? 8 : 7);
  EXPECT_EQ(set.earliest(), nullptr);
}

// Thousands of random inserts and erases across many block splits and
// merges, checked against std::set after every step.
TEST(RankedSetTest, AgreesWithStdSetThroughRandomChanges) {
  std::mt19937_64 rng(20261124);
  RankedSet<uint32_t, std::less<uint32_t>, ScrambledEarlier> set;
  std::set<uint32_t> reference;
  for (int step = 0; step < 40'000; ++step) {
    // Grow to ~2,000 keys, then shrink to empty, then grow again.
    const bool growing = (step / 10'000) % 2 == 0;
    const uint32_t key = static_cast<uint32_t>(rng() % 4'000);
    const bool insert = (rng() % 100) < (growing ? 70u : 30u);
    if (insert) {
      ASSERT_EQ(set.insert(key), reference.insert(key).second) << "step " << step;
    } else {
      ASSERT_EQ(set.erase(key), reference.erase(key) == 1) << "step " << step;
    }
    ASSERT_EQ(set.size(), reference.size());
    const uint32_t probe = static_cast<uint32_t>(rng() % 4'001);
    ASSERT_EQ(set.order_of_key(probe),
              static_cast<size_t>(std::distance(reference.begin(), reference.lower_bound(probe))))
        << "step " << step << " probe " << probe;
    if (step % 8 == 0) {
      const uint32_t* earliest = set.earliest();
      if (reference.empty()) {
        ASSERT_EQ(earliest, nullptr) << "step " << step;
      } else {
        ASSERT_NE(earliest, nullptr) << "step " << step;
        ASSERT_EQ(*earliest,
                  *std::min_element(reference.begin(), reference.end(), ScrambledEarlier()))
            << "step " << step;
      }
    }
  }
}

// A queue's pattern: keys arrive past every other (blocks split at the new
// key) and leave from the front, with now and then one from the middle.
TEST(RankedSetTest, AgreesWithStdSetAsAQueueAppendsAndTakesFromTheFront) {
  std::mt19937_64 rng(20261206);
  RankedSet<uint32_t, std::less<uint32_t>, ScrambledEarlier> set;
  std::set<uint32_t> reference;
  uint32_t next = 0;
  for (int step = 0; step < 20'000; ++step) {
    const uint64_t roll = rng() % 100;
    if (roll < 55 || reference.empty()) {
      ASSERT_TRUE(set.insert(next));
      reference.insert(next++);
    } else {
      const uint32_t key = roll < 90 ? *reference.begin()
                                     : static_cast<uint32_t>(rng() % next);
      ASSERT_EQ(set.erase(key), reference.erase(key) == 1) << "step " << step;
    }
    ASSERT_EQ(set.size(), reference.size());
    const uint32_t probe = static_cast<uint32_t>(rng() % (next + 1));
    ASSERT_EQ(set.order_of_key(probe),
              static_cast<size_t>(std::distance(reference.begin(), reference.lower_bound(probe))))
        << "step " << step << " probe " << probe;
    if (step % 16 == 0 && !reference.empty()) {
      ASSERT_EQ(*set.earliest(),
                *std::min_element(reference.begin(), reference.end(), ScrambledEarlier()))
          << "step " << step;
    }
  }
}

}  // namespace
}  // namespace acd::core
