// acd-sim's pure parts: the configs it writes for acdd go through acdd's own
// config parser and mean what the simulation assumes; the sample summaries.
#include <gtest/gtest.h>

#include <vector>

#include "client/acd-sim/sim_config.h"
#include "client/acd-sim/stats.h"
#include "server/config/config.h"

namespace acd::sim {
namespace {

config::Config Parse(const std::string& yaml) {
  config::ParseOutcome outcome = config::ParseConfig(yaml, "sim.yaml");
  for (const config::Problem& problem : outcome.problems) ADD_FAILURE() << problem.ToString();
  EXPECT_TRUE(outcome.config.has_value()) << yaml;
  return outcome.config.value_or(config::Config{});
}

TEST(SimConfigTest, ScaledDurationIsWholeMicroseconds) {
  EXPECT_EQ(ScaledDuration(absl::Seconds(20), 400), "50000us");
  EXPECT_EQ(ScaledDuration(absl::Seconds(20), 3), "6666667us");
  // Never 0: the config rejects a zero threshold.
  EXPECT_EQ(ScaledDuration(absl::Seconds(1), 1e9), "1us");
}

TEST(SimConfigTest, ErlangConfigIsValidAndScaled) {
  DurabilitySettings durability{"applied", "normal"};
  config::Config c = Parse(
      ErlangConfigYaml("sim", {"sim-1", "sim-2", "sim-3"}, 400, absl::Seconds(20), durability));
  EXPECT_EQ(c.server.ack, config::AckMode::kApplied);
  EXPECT_EQ(c.server.synchronous, config::SyncMode::kNormal);
  ASSERT_EQ(c.routing.queues.size(), 1u);
  const core::QueueConfig& queue = c.routing.queues[0];
  EXPECT_EQ(queue.name, "sim");
  EXPECT_EQ(queue.wrap_up_time, absl::ZeroDuration());
  EXPECT_EQ(queue.max_missed_offers, 0);
  EXPECT_EQ(queue.service_level_threshold, absl::Milliseconds(50));
  EXPECT_EQ(queue.short_abandon, absl::Microseconds(12500));
  // 20 s / 400 = 50 ms would let jitter time out offers: at least 1 s.
  EXPECT_EQ(queue.offer_timeout, absl::Seconds(1));
  ASSERT_EQ(c.routing.agents.size(), 3u);
  EXPECT_EQ(c.routing.agents[2].agent_id, "sim-3");
  EXPECT_EQ(c.routing.agents[2].queues, std::vector<std::string>{"sim"});
}

TEST(SimConfigTest, ErlangConfigKeepsSlowOfferTimeoutsScaled) {
  config::Config c = Parse(ErlangConfigYaml("q", {"a"}, 4, absl::Seconds(20), {}));
  EXPECT_EQ(c.routing.queues[0].offer_timeout, absl::Seconds(5));
  EXPECT_EQ(c.server.ack, config::AckMode::kCommitted);
  EXPECT_EQ(c.server.synchronous, config::SyncMode::kFull);
}

TEST(SimConfigTest, PairedConfigGivesEachAgentItsOwnQueue) {
  config::Config c = Parse(PairedConfigYaml({"sim-1", "sim-2"}, {}));
  ASSERT_EQ(c.routing.queues.size(), 2u);
  ASSERT_EQ(c.routing.agents.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(c.routing.queues[i].name, c.routing.agents[i].agent_id);
    EXPECT_EQ(c.routing.agents[i].queues, std::vector<std::string>{c.routing.queues[i].name});
    // CompleteCall, not a timer, ends wrap-up in a lifecycle.
    EXPECT_GT(c.routing.queues[i].wrap_up_time, absl::Minutes(1));
  }
}

TEST(SimConfigTest, PairedConfigHoldsTheBackgroundLoad) {
  config::Config c = Parse(
      PairedConfigYaml({"sim-1"}, {}, BackgroundLoad{.idle_desktops = 12000, .preload_calls = 5}));
  ASSERT_EQ(c.routing.queues.size(), 3u);
  EXPECT_EQ(c.routing.queues[1].name, kIdleQueue);
  EXPECT_EQ(c.routing.queues[2].name, kPreloadQueue);
  ASSERT_EQ(c.routing.agents.size(), 12001u);
  EXPECT_EQ(c.routing.agents[12000].agent_id, "idle-12000");
  EXPECT_EQ(c.routing.agents[12000].queues, std::vector<std::string>{kIdleQueue});
  // No agent serves the preload queue; every desktop's stream fits.
  for (const auto& agent : c.routing.agents) {
    EXPECT_NE(agent.queues, std::vector<std::string>{kPreloadQueue});
  }
  EXPECT_GE(c.server.max_streams, 12001);
}

TEST(StatsTest, PercentileIsNearestRank) {
  const std::vector<double> sorted = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(Percentile(sorted, 0.5), 5);
  EXPECT_EQ(Percentile(sorted, 0.99), 10);
  EXPECT_EQ(Percentile(sorted, 0.0), 1);
  EXPECT_EQ(Percentile({}, 0.5), 0);
}

TEST(StatsTest, StandardErrorOfBatchMeans) {
  // Mean 0.5, sample variance ((0.1)^2 * 2 + 0) / 2 = 0.01, se = sqrt(0.01 / 3).
  EXPECT_NEAR(StandardError({0.4, 0.5, 0.6}), 0.0577350, 1e-6);
  EXPECT_EQ(StandardError({0.7}), 0);
}

}  // namespace
}  // namespace acd::sim
