// The per-queue metric families, from a real engine and LiveStats on a manual
// clock, as the Prometheus text format shows them.
#include "server/http/queue_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "prometheus/text_serializer.h"
#include "server/core/engine.h"
#include "server/core/live_stats.h"

namespace acd::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// 2026-05-04 10:00:00 UTC, a Monday: buckets and minutes line up.
const absl::Time kMondayTen =
    absl::FromCivil(absl::CivilSecond(2026, 5, 4, 10, 0, 0), absl::UTCTimeZone());

class QueueMetricsTest : public ::testing::Test {
 protected:
  QueueMetricsTest() {
    config_.queues.push_back({.name = "sales",
                              .offer_timeout = absl::Minutes(5),
                              .wrap_up_time = absl::Minutes(5),
                              .max_size = 1,
                              .service_level_threshold = absl::Seconds(20),
                              .short_abandon = absl::Seconds(5)});
    config_.queues.push_back({.name = "quiet"});
    config_.agents.push_back({.agent_id = "alice", .name = "Alice", .queues = {"sales"}});
    config_.agents.push_back({.agent_id = "bob", .name = "Bob", .queues = {"sales", "quiet"}});
    EXPECT_TRUE(engine_.ApplyConfig(config_, now_).ok());
    stats_.Configure(config_, {}, now_);
    Pump();
  }
  void Pump() {
    for (const core::Event& e : engine_.TakeEvents()) stats_.OnEvent(e);
  }
  void At(absl::Duration since_start) {
    now_ = kMondayTen + since_start;
    engine_.AdvanceTo(now_);
    Pump();
  }
  std::string Text() {
    return prometheus::TextSerializer().Serialize(
        QueueFamilies(TakeQueueSnapshot(engine_, stats_, now_)));
  }

  core::RoutingConfig config_;
  core::Engine engine_;
  core::LiveStats stats_;
  absl::Time now_ = kMondayTen;
};

TEST_F(QueueMetricsTest, LiveTrafficAndKpisPerQueue) {
  ASSERT_TRUE(engine_.Login("alice", /*ready=*/true, now_).ok());
  ASSERT_TRUE(engine_.EnqueueCall({.call_id = "c1", .queue = "sales"}, now_).ok());
  At(absl::Seconds(12));
  ASSERT_TRUE(engine_.AcceptOffer("alice", "c1", now_).ok());  // waited 12 s
  ASSERT_TRUE(engine_.EnqueueCall({.call_id = "c2", .queue = "sales"}, now_).ok());
  // sales holds one waiting call at most: c3 is refused.
  EXPECT_EQ(engine_.EnqueueCall({.call_id = "c3", .queue = "sales"}, now_).status().code(),
            absl::StatusCode::kResourceExhausted);
  Pump();
  At(absl::Seconds(15));
  ASSERT_TRUE(engine_.AbandonCall("c2", "", now_).ok());  // after 3 s: short
  Pump();
  At(absl::Seconds(72));
  ASSERT_TRUE(engine_.EndCall("c1", now_).ok());
  ASSERT_TRUE(engine_.CompleteCall("alice", "c1", "ok", "", now_).ok());  // 60 s handled
  Pump();
  const std::string text = Text();

  // Live.
  EXPECT_THAT(text, HasSubstr("acd_queue_calls{queue=\"sales\",state=\"queued\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("acd_queue_agents{queue=\"sales\",state=\"available\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("acd_queue_agents{queue=\"sales\",state=\"logged_out\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("acd_queue_agents{queue=\"quiet\",state=\"logged_out\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("acd_queue_open{queue=\"sales\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("acd_queue_longest_wait_seconds{queue=\"sales\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE acd_queue_calls gauge\n"));
  // Traffic.
  EXPECT_THAT(text, HasSubstr("# TYPE acd_calls_total counter\n"));
  EXPECT_THAT(text, HasSubstr("acd_calls_offered_total{queue=\"sales\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("acd_calls_total{queue=\"sales\",outcome=\"answered\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("acd_calls_total{queue=\"sales\",outcome=\"short_abandoned\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("acd_calls_total{queue=\"sales\",outcome=\"abandoned\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("acd_calls_total{queue=\"sales\",outcome=\"rejected\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("acd_offers_total{queue=\"sales\",result=\"accepted\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("acd_call_wait_seconds_count{queue=\"sales\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("acd_call_wait_seconds_sum{queue=\"sales\"} 12\n"));
  EXPECT_THAT(text, HasSubstr("acd_call_wait_seconds_bucket{queue=\"sales\",le=\"10\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("acd_call_wait_seconds_bucket{queue=\"sales\",le=\"15\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("acd_call_wait_seconds_bucket{queue=\"sales\",le=\"+Inf\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("acd_call_handle_seconds_sum{queue=\"sales\"} 60\n"));
  // KPIs: sales has them (SL 1/1: the short abandon leaves the rate); quiet
  // has nothing to rate, so its KPIs are absent rather than 0.
  EXPECT_THAT(text, HasSubstr("acd_queue_service_level_ratio{queue=\"sales\",span=\"today\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("acd_queue_asa_seconds{queue=\"sales\",span=\"window\"} 12\n"));
  EXPECT_THAT(text, HasSubstr("acd_queue_aht_seconds{queue=\"sales\",span=\"today\"} 60\n"));
  EXPECT_THAT(text, Not(HasSubstr("acd_queue_service_level_ratio{queue=\"quiet\"")));
  EXPECT_THAT(text, Not(HasSubstr("acd_queue_asa_seconds{queue=\"quiet\"")));
  EXPECT_THAT(text, Not(HasSubstr("agent_id")));
  EXPECT_THAT(text, Not(HasSubstr("alice")));
}

TEST_F(QueueMetricsTest, NoQueuesNoFamilies) {
  core::Engine empty;
  core::LiveStats stats;
  EXPECT_TRUE(QueueFamilies(TakeQueueSnapshot(empty, stats, now_)).empty());
}

}  // namespace
}  // namespace acd::http
