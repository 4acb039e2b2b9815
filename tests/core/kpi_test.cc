#include "server/core/kpi.h"

#include "gtest/gtest.h"

namespace acd::core {
namespace {

const KpiThresholds kThresholds{absl::Seconds(20), absl::Seconds(5)};

// Ten calls by hand: six answered (waits 5, 10, 15, 20, 30, 60 s), three
// abandoned (at 2 s, a short abandon; at 25 s; at 40 s), one timed out.
CallTally TenCalls() {
  CallTally t;
  t.offered = 10;
  for (int s : {5, 10, 15, 20, 30, 60}) t.AddAnswered(absl::Seconds(s), kThresholds);
  for (int s : {2, 25, 40}) t.AddAbandoned(absl::Seconds(s), kThresholds);
  t.timed_out = 1;
  t.AddHandled(absl::Seconds(170), absl::Seconds(10));
  t.AddHandled(absl::Seconds(230), absl::Seconds(50));
  return t;
}

TEST(KpiTest, ServiceLevelCountsAnswersWithinThresholdOverAnsweredAndLongAbandons) {
  CallTally t = TenCalls();
  EXPECT_EQ(t.answered_in_threshold, 4);  // 20 s is within a 20 s threshold
  EXPECT_EQ(t.short_abandoned, 1);
  // 4 / (6 answered + 3 abandoned - 1 short) = 0.5
  EXPECT_DOUBLE_EQ(*ServiceLevel(t), 0.5);
}

TEST(KpiTest, AbandonmentLeavesShortAbandonsOut) {
  // (3 - 1) / (10 - 1)
  EXPECT_DOUBLE_EQ(*AbandonmentRate(TenCalls()), 2.0 / 9.0);
}

TEST(KpiTest, AverageSpeedOfAnswerAndHandleTime) {
  CallTally t = TenCalls();
  EXPECT_EQ(*AverageSpeedOfAnswer(t), absl::Seconds(140) / 6);
  EXPECT_EQ(*AverageHandleTime(t), absl::Seconds(230));  // (180 + 280) / 2
}

TEST(KpiTest, OccupancyIsHandlingOverStaffedTime) {
  EXPECT_DOUBLE_EQ(*Occupancy(absl::Minutes(45), absl::Minutes(15)), 0.75);
  EXPECT_FALSE(Occupancy(absl::ZeroDuration(), absl::ZeroDuration()).has_value());
}

TEST(KpiTest, NoCallsMeansNoFigureNotZero) {
  CallTally t;
  EXPECT_FALSE(ServiceLevel(t).has_value());
  EXPECT_FALSE(AbandonmentRate(t).has_value());
  EXPECT_FALSE(AverageSpeedOfAnswer(t).has_value());
  EXPECT_FALSE(AverageHandleTime(t).has_value());
  // Only short abandons: nothing left to rate.
  t.offered = 1;
  t.AddAbandoned(absl::Seconds(1), kThresholds);
  EXPECT_FALSE(ServiceLevel(t).has_value());
  EXPECT_FALSE(AbandonmentRate(t).has_value());
}

TEST(KpiTest, TalliesAdd) {
  CallTally sum = TenCalls();
  sum += TenCalls();
  EXPECT_EQ(sum.offered, 20);
  EXPECT_EQ(sum.answered_in_threshold, 8);
  EXPECT_DOUBLE_EQ(*ServiceLevel(sum), 0.5);
  EXPECT_EQ(*AverageHandleTime(sum), absl::Seconds(230));
}

}  // namespace
}  // namespace acd::core
