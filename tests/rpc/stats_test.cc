// Live KPIs through the API: GetQueueStats and the WatchStats stream against
// an in-process Daemon (real gRPC, real store). Figures that depend on real
// elapsed time are bounded, not exact; exact figures are in
// tests/core/live_stats_test.cc.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "server/app/daemon.h"
#include "tests/support/client.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/test_daemon.h"

namespace acd {
namespace {

using ::acd::testing::Ctx;
using ::testing::HasSubstr;

class StatsTest : public testing::DaemonFixture {
 protected:
  void SetUp() override { StartDaemon(testing::kTestConfig); }

  // Ends the call, then its wrap-up.
  void EndAndComplete(const std::string& agent, const std::string& call) {
    auto ended = client().End(call);
    ASSERT_TRUE(ended.ok()) << ended.error_message();
    client().Complete(agent, call);
  }
};

TEST_F(StatsTest, GetQueueStatsCountsAnsweredAndAbandonedCalls) {
  // Nothing yet: rates are absent, not zero.
  v1::QueueStats empty = *client().QueueStats("support");
  EXPECT_TRUE(empty.has_window());
  EXPECT_EQ(empty.today().offered(), 0);
  EXPECT_FALSE(empty.today().has_service_level());
  EXPECT_FALSE(empty.today().has_asa());

  client().Login("alice");
  client().Enqueue("c1");  // offered to alice
  client().Accept("alice", "c1");
  client().Enqueue("c2");  // nobody free
  client().Abandon("c2");  // at once: a short abandon (support keeps the 5 s default)

  v1::QueueStats s = *client().QueueStats("support");
  for (const v1::QueueStats::Kpis& k : {s.window(), s.today()}) {
    EXPECT_EQ(k.offered(), 2);
    EXPECT_EQ(k.answered(), 1);
    EXPECT_EQ(k.answered_in_threshold(), 1);
    EXPECT_EQ(k.abandoned(), 1);
    EXPECT_EQ(k.short_abandoned(), 1);
    // 1 / (1 + 1 - 1) and (1 - 1) / (2 - 1).
    ASSERT_TRUE(k.has_service_level());
    EXPECT_DOUBLE_EQ(k.service_level(), 1.0);
    ASSERT_TRUE(k.has_abandonment_rate());
    EXPECT_DOUBLE_EQ(k.abandonment_rate(), 0.0);
    ASSERT_TRUE(k.has_asa());
    EXPECT_LT(k.asa().seconds(), 10);
    EXPECT_FALSE(k.has_aht());       // nothing completed yet
    ASSERT_TRUE(k.has_occupancy());  // alice reserved, then busy
    EXPECT_GT(k.occupancy(), 0.0);
  }
  EXPECT_EQ(s.agents_busy(), 1);  // the live counts are still there

  EndAndComplete("alice", "c1");
  s = *client().QueueStats("support");
  EXPECT_EQ(s.today().handled(), 1);
  EXPECT_TRUE(s.today().has_aht());
  // ListQueues carries the same KPIs.
  v1::ListQueuesResponse queues = *client().ListQueues();
  int handled = -1;
  for (const v1::Queue& q : queues.queues()) {
    if (q.name() == "support") handled = q.stats().today().handled();
  }
  EXPECT_EQ(handled, 1);
}

TEST_F(StatsTest, WatchStatsSendsASnapshotAtOnceThenChanges) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::WatchStatsRequest req;
  req.add_queues("support");
  req.set_agents(true);
  req.mutable_interval()->set_nanos(200'000'000);
  auto reader = stubs_->admin->WatchStats(&ctx, req);
  v1::StatsSnapshot snap;
  ASSERT_TRUE(reader->Read(&snap));
  ASSERT_EQ(snap.queues_size(), 1);
  EXPECT_EQ(snap.queues(0).queue(), "support");
  EXPECT_EQ(snap.queues(0).queued(), 0);
  EXPECT_EQ(snap.window().seconds(), 15 * 60);
  // Members of support: alice, bob, carol.
  ASSERT_EQ(snap.agents_size(), 3);
  EXPECT_EQ(snap.agents(0).agent_id(), "alice");
  EXPECT_EQ(snap.agents(0).state(), v1::AGENT_STATE_LOGGED_OUT);

  client().Login("bob");
  client().Enqueue("w1");  // offered to bob
  // A later snapshot shows it; at 200 ms apart, 50 reads is 10 s at most.
  bool seen = false;
  for (int i = 0; i < 50 && !seen && reader->Read(&snap); ++i) {
    seen = snap.queues(0).today().offered() == 1 && snap.queues(0).agents_reserved() == 1;
  }
  EXPECT_TRUE(seen);
  ASSERT_EQ(snap.agents_size(), 3);
  EXPECT_EQ(snap.agents(1).agent_id(), "bob");
  EXPECT_EQ(snap.agents(1).state(), v1::AGENT_STATE_RESERVED);
  ctx.TryCancel();
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(StatsTest, WatchStatsRefusesABadIntervalOrQueue) {
  {
    grpc::ClientContext ctx;
    v1::WatchStatsRequest req;
    req.mutable_interval()->set_nanos(50'000'000);
    auto reader = stubs_->admin->WatchStats(&ctx, req);
    v1::StatsSnapshot snap;
    EXPECT_FALSE(reader->Read(&snap));
    grpc::Status s = reader->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("interval 50ms"));
  }
  {
    grpc::ClientContext ctx;
    v1::WatchStatsRequest req;
    req.add_queues("nope");
    auto reader = stubs_->admin->WatchStats(&ctx, req);
    v1::StatsSnapshot snap;
    EXPECT_FALSE(reader->Read(&snap));
    grpc::Status s = reader->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_THAT(s.error_message(), HasSubstr("nope"));
  }
}

TEST_F(StatsTest, WatchStatsEndsCleanlyOnShutdown) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto reader = stubs_->admin->WatchStats(&ctx, v1::WatchStatsRequest());
  v1::StatsSnapshot snap;
  ASSERT_TRUE(reader->Read(&snap));
  EXPECT_EQ(snap.queues_size(), 2);  // all queues by default
  EXPECT_TRUE(daemon_->Shutdown().ok());
  // Buffered snapshots may still arrive; then the stream ends UNAVAILABLE.
  for (int i = 0; i < 100 && reader->Read(&snap); ++i) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(StatsTest, LiveKpisSurviveARestart) {
  client().Login("alice");
  client().Enqueue("c1");  // offered to alice
  client().Accept("alice", "c1");
  client().Enqueue("c2");
  client().Abandon("c2");
  client().Enqueue("c3");  // waiting
  v1::QueueStats before = *client().QueueStats("support");
  ASSERT_EQ(before.today().offered(), 3);
  // A restart on the same file: the stored events of today are replayed.
  ASSERT_NO_FATAL_FAILURE(RestartDaemon());
  v1::QueueStats after = *client().QueueStats("support");
  EXPECT_EQ(after.today().offered(), 3);
  EXPECT_EQ(after.today().abandoned(), before.today().abandoned());
  EXPECT_EQ(after.today().answered(), before.today().answered());
  EXPECT_EQ(after.window().offered(), 3);
  // And the live state came back: c1 with alice, c3 waiting.
  EXPECT_EQ(after.connected(), 1);
  EXPECT_EQ(after.queued(), 1);
}

// With a checkpoint after every command, the restart resumes from the last
// one and has no event left to replay: the figures come from the checkpoint.
TEST_F(StatsTest, LiveKpisResumeFromTheStoredCheckpoint) {
  app::DaemonOptions options;
  options.kpi_checkpoint_every = absl::ZeroDuration();
  StartDaemon(testing::kTestConfig, options);
  client().Login("alice");
  client().Enqueue("c1");
  client().Accept("alice", "c1");
  client().Enqueue("c2");
  client().Abandon("c2");
  EndAndComplete("alice", "c1");
  client().Enqueue("c3");  // offered to alice
  v1::QueueStats before = *client().QueueStats("support");
  ASSERT_EQ(before.today().offered(), 3);
  ASSERT_NO_FATAL_FAILURE(RestartDaemon());
  v1::QueueStats after = *client().QueueStats("support");
  EXPECT_EQ(after.today().offered(), 3);
  EXPECT_EQ(after.today().answered(), 1);
  EXPECT_EQ(after.today().abandoned(), 1);
  EXPECT_EQ(after.today().handled(), 1);
  EXPECT_EQ(after.window().offered(), 3);
  EXPECT_EQ(after.today().aht().seconds(), before.today().aht().seconds());
}

}  // namespace
}  // namespace acd
