// Store faults and graceful shutdown over real gRPC: an in-process Daemon on
// 127.0.0.1 port 0 whose SQLite store sits behind a FaultInjectionEventLog.
// No false success while the store fails, health NOT_SERVING, recovery with
// no gap in the event log; Shutdown bounded even with a stream nobody reads.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "grpc/health/v1/health.grpc.pb.h"
#include "server/app/daemon.h"
#include "tests/support/client.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/fault_injection_event_log.h"
#include "tests/support/test_daemon.h"

namespace acd {
namespace {

using ::acd::testing::Ctx;
using ::acd::testing::FaultInjectionEventLog;
using ::acd::testing::Query;
using ::acd::testing::StoreFaults;
using ::grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;

class StoreFaultTest : public testing::DaemonFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartDaemon(testing::kTestConfig,
                                        {.wrap_event_log = FaultInjectionEventLog::Wrapper(faults_),
                                         .store_retry_backoff_max = absl::Milliseconds(10)}));
    health_ = grpc::health::v1::Health::NewStub(stubs_->channel);
  }

  // The health of `service` ("" for the server as a whole).
  HealthCheckResponse::ServingStatus Health(const std::string& service) {
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    HealthCheckResponse resp;
    grpc::Status s = health_->Check(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << service << ": " << s.error_message();
    return resp.status();
  }
  // Waits (bounded) for the whole server's health to be `want`.
  bool WaitForHealth(HealthCheckResponse::ServingStatus want) {
    const absl::Time deadline = absl::Now() + absl::Seconds(2);
    while (Health("") != want) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(2));
    }
    return true;
  }

  std::shared_ptr<StoreFaults> faults_ = std::make_shared<StoreFaults>();
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

TEST_F(StoreFaultTest, FailingStoreIsUnavailableAndNotServingUntilItRecovers) {
  ASSERT_TRUE(client().Enqueue("c-1").ok());
  EXPECT_EQ(Health(""), HealthCheckResponse::SERVING);

  faults_->FailAll(absl::UnavailableError("disk full"));
  grpc::Status failed = client().Enqueue("c-2").status();
  EXPECT_EQ(failed.error_code(), grpc::StatusCode::UNAVAILABLE) << failed.error_message();
  EXPECT_THAT(failed.error_message(), HasSubstr("disk full"));
  EXPECT_THAT(failed.error_message(), HasSubstr("kept in memory"));
  // Health turns before the failed reply is sent.
  EXPECT_EQ(Health(""), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Health("acd.v1.CallService"), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Health("acd.v1.AgentService"), HealthCheckResponse::NOT_SERVING);

  // New changes are refused before they reach the engine; reads are served.
  grpc::Status refused = client().Enqueue("c-3").status();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(refused.error_message(), HasSubstr("refused"));
  EXPECT_TRUE(client().GetCall("c-2").ok());  // kept in memory
  EXPECT_EQ(client().GetCall("c-3").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(client().ListQueues().ok());
  EXPECT_EQ(Query(db_path_, "SELECT count(*) FROM calls WHERE call_id = 'c-2'")[0][0], "0");

  faults_->Clear();
  ASSERT_TRUE(WaitForHealth(HealthCheckResponse::SERVING));
  EXPECT_EQ(Health("acd.v1.CallService"), HealthCheckResponse::SERVING);
  // The retry the UNAVAILABLE asked for finds the call kept in memory.
  auto again = client().Enqueue("c-2");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created());
  auto fresh = client().Enqueue("c-3");
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE(fresh->created());

  // Every change is on disk, in order, with no gap.
  auto events = Query(db_path_, "SELECT seq, call_id FROM events ORDER BY seq");
  ASSERT_FALSE(events.empty());
  for (size_t i = 0; i < events.size(); ++i) ASSERT_EQ(events[i][0], std::to_string(i + 1));
  EXPECT_EQ(Query(db_path_, "SELECT call_id FROM calls ORDER BY call_id"),
            (std::vector<std::vector<std::string>>{{"c-1"}, {"c-2"}, {"c-3"}}));
  EXPECT_TRUE(daemon_->Shutdown().ok());
}

TEST_F(StoreFaultTest, FailedAppendsOnceReportFailureThenCommitWithoutARestart) {
  // A single failed transaction (DATA_LOSS, say a checksum error) is retried.
  faults_->FailNext(1, absl::DataLossError("checksum mismatch"));
  grpc::Status failed = client().Enqueue("c-1").status();
  EXPECT_EQ(failed.error_code(), grpc::StatusCode::UNAVAILABLE) << failed.error_message();
  EXPECT_THAT(failed.error_message(), HasSubstr("checksum mismatch"));
  ASSERT_TRUE(WaitForHealth(HealthCheckResponse::SERVING));
  EXPECT_EQ(Query(db_path_, "SELECT count(*) FROM calls WHERE call_id = 'c-1'")[0][0], "1");
  EXPECT_EQ(faults_->failures(), 1);
}

TEST_F(StoreFaultTest, ShutdownWithTheStoreStillFailingSaysWhatWasNotCommitted) {
  faults_->FailAll(absl::UnavailableError("disk full"));
  EXPECT_EQ(client().Enqueue("c-1").error_code(), grpc::StatusCode::UNAVAILABLE);
  const absl::Time start = absl::Now();
  absl::Status stopped = daemon_->Shutdown(absl::Milliseconds(300));
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_FALSE(stopped.ok());
  EXPECT_THAT(stopped.message(), HasSubstr("not committed"));
  EXPECT_THAT(stopped.message(), HasSubstr("disk full"));
  // Later calls say the same.
  EXPECT_EQ(daemon_->Shutdown().message(), stopped.message());
}

// A client that opens WatchEvents and never reads: the server's writes stall
// on HTTP/2 flow control. Shutdown still returns within its grace.
TEST(ShutdownTest, ReturnsWithinTheGraceWhileAClientHoldsAStreamAndDoesNotRead) {
  testing::TempDir dir;
  std::string config = std::string(testing::kTestConfig);
  config.replace(config.find("server:\n"), 8, "server:\n  synchronous: normal\n");
  app::DaemonOptions options;
  options.config_path = dir.Write("acd.yaml", config);
  options.database = dir.File("acd.db");
  absl::StatusOr<std::unique_ptr<app::Daemon>> daemon = app::Daemon::Start(options);
  ASSERT_TRUE(daemon.ok()) << daemon.status();
  testing::Client client((*daemon)->address());

  // Its own connection, with a fixed 64 KiB window (no BDP probing to grow it).
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  auto channel =
      grpc::CreateCustomChannel((*daemon)->address(), grpc::InsecureChannelCredentials(), args);
  auto stalled = v1::CallService::NewStub(channel);
  grpc::ClientContext watch_ctx;
  watch_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto watch = stalled->WatchEvents(&watch_ctx, v1::WatchEventsRequest());
  watch->WaitForInitialMetadata();

  // Well over the window: ~600 KB of events the client never reads.
  const std::string padding(500, 'x');
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(client
                    .Enqueue("c-" + std::to_string(i),
                             {.queue = "support", .attributes = {{"note", padding}}})
                    .ok())
        << i;
  }

  const absl::Time start = absl::Now();
  EXPECT_TRUE((*daemon)->Shutdown(absl::Milliseconds(500)).ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  // The stream was stalled: the client gets what reached it before the
  // server let go, far from every event, then an error.
  int received = 0;
  for (v1::Event event; received < 5000 && watch->Read(&event);) ++received;
  EXPECT_LT(received, 1000);
  EXPECT_FALSE(watch->Finish().ok());
}

}  // namespace
}  // namespace acd
