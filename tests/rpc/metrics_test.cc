// acdd's HTTP front in process: /metrics after calls routed over real gRPC,
// /readyz following the store's health, /healthz, and the token and loopback
// rules of /metrics.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "server/app/daemon.h"
#include "tests/support/client.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/fault_injection_event_log.h"
#include "tests/support/http_client.h"
#include "tests/support/test_daemon.h"

namespace acd {
namespace {

using ::acd::testing::FaultInjectionEventLog;
using ::acd::testing::HttpGet;
using ::acd::testing::HttpResult;
using ::acd::testing::StoreFaults;
using ::testing::HasSubstr;
using ::testing::Not;

std::string WithHttp(const std::string& config, const std::string& http = "127.0.0.1:0") {
  return absl::StrCat("server:\n  listen: 127.0.0.1:0\n  http: \"", http, "\"\n",
                      config.substr(config.find("skills:")));
}

class MetricsTest : public testing::DaemonFixture {
 protected:
  void Start(const std::string& config, app::DaemonOptions options = {}) {
    ASSERT_NO_FATAL_FAILURE(StartDaemon(config, std::move(options)));
    ASSERT_GT(daemon_->http_port(), 0);
  }
  HttpResult Get(const std::string& path, const std::vector<std::string>& headers = {}) {
    return HttpGet(absl::StrCat("http://127.0.0.1:", daemon_->http_port(), path), headers);
  }
  // Waits (at most 5 s) until /readyz answers `status`; returns its last body.
  std::string WaitForReadyz(long status) {
    HttpResult r;
    const absl::Time give_up = absl::Now() + absl::Seconds(5);
    do {
      r = Get("/readyz");
      if (r.status == status) break;
      absl::SleepFor(absl::Milliseconds(5));
    } while (absl::Now() < give_up);
    EXPECT_EQ(r.status, status) << r.body;
    return r.body;
  }
};

TEST_F(MetricsTest, MetricsOfRoutedCallsRequestsAndTheDaemon) {
  Start(WithHttp(testing::kTestConfig));
  ASSERT_TRUE(client().Login("alice").ok());
  ASSERT_TRUE(client().Enqueue("c1").ok());  // offered to alice
  ASSERT_TRUE(client().Accept("alice", "c1").ok());
  ASSERT_TRUE(client().Enqueue("c2").ok());  // waits: alice is busy
  EXPECT_EQ(client().Enqueue("c3", "nowhere").error_code(), grpc::StatusCode::NOT_FOUND);

  HttpResult page = Get("/metrics");
  ASSERT_EQ(page.status, 200) << page.error;
  EXPECT_EQ(page.content_type, "text/plain; version=0.0.4; charset=utf-8");
  const std::string& m = page.body;
  EXPECT_THAT(m, HasSubstr("acd_queue_calls{queue=\"support\",state=\"connected\"} 1\n"));
  EXPECT_THAT(m, HasSubstr("acd_queue_calls{queue=\"support\",state=\"queued\"} 1\n"));
  EXPECT_THAT(m, HasSubstr("acd_queue_agents{queue=\"support\",state=\"busy\"} 1\n"));
  EXPECT_THAT(m, HasSubstr("acd_calls_offered_total{queue=\"support\"} 2\n"));
  EXPECT_THAT(m, HasSubstr("acd_calls_total{queue=\"support\",outcome=\"answered\"} 1\n"));
  EXPECT_THAT(m, HasSubstr("acd_offers_total{queue=\"support\",result=\"accepted\"} 1\n"));
  EXPECT_THAT(m, HasSubstr("acd_grpc_requests_total{code=\"NOT_FOUND\","
                           "method=\"acd.v1.CallService/EnqueueCall\"} 1\n"));
  EXPECT_THAT(m, HasSubstr("acd_grpc_requests_total{code=\"OK\","
                           "method=\"acd.v1.CallService/EnqueueCall\"} 2\n"));
  EXPECT_THAT(
      m, HasSubstr("acd_grpc_request_seconds_count{method=\"acd.v1.AgentService/Login\"} 1\n"));
  EXPECT_THAT(m, HasSubstr("acd_store_up 1\n"));
  EXPECT_THAT(m, HasSubstr("acd_store_uncommitted_events 0\n"));
  EXPECT_THAT(m, HasSubstr("acd_streams_open{kind=\"offers\"} 0\n"));
  EXPECT_THAT(m, HasSubstr(absl::StrCat("acd_config_info{sha256=\"", daemon_->startup_config().hash,
                                        "\"} 1\n")));
  EXPECT_THAT(m, HasSubstr("acd_build_info{version=\""));
  EXPECT_THAT(m, HasSubstr("# TYPE acd_store_commit_seconds histogram\n"));
  EXPECT_THAT(m, HasSubstr("# TYPE acd_restore_seconds gauge\n"));
  // Never a label per call or agent.
  EXPECT_THAT(m, Not(HasSubstr("c1")));
  EXPECT_THAT(m, Not(HasSubstr("alice")));

  EXPECT_EQ(Get("/healthz").status, 200);
  HttpResult ready = Get("/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "ready\n");
}

TEST_F(MetricsTest, ReadyzFollowsTheStoreAndMetricsSayWhy) {
  auto faults = std::make_shared<StoreFaults>();
  Start(WithHttp(testing::kTestConfig), {.wrap_event_log = FaultInjectionEventLog::Wrapper(faults),
                                         .store_retry_backoff_max = absl::Milliseconds(10)});
  ASSERT_TRUE(client().Enqueue("c1").ok());
  faults->FailAll(absl::UnavailableError("disk full"));
  EXPECT_EQ(client().Enqueue("c2").error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(WaitForReadyz(503), HasSubstr("store unavailable"));
  EXPECT_THAT(Get("/readyz").body, HasSubstr("disk full"));
  EXPECT_EQ(Get("/healthz").status, 200);  // the process is up all the same
  HttpResult down = Get("/metrics");
  EXPECT_THAT(down.body, HasSubstr("acd_store_up 0\n"));
  EXPECT_THAT(down.body, Not(HasSubstr("acd_store_uncommitted_events 0\n")));
  faults->Clear();
  EXPECT_EQ(WaitForReadyz(200), "ready\n");
  EXPECT_THAT(Get("/metrics").body, HasSubstr("acd_store_up 1\n"));
}

constexpr char kSupervisorToken[] = "supervisor-token-0001";
constexpr char kIntegratorToken[] = "integrator-token-0001";

TEST_F(MetricsTest, MetricsTakeASupervisorOrAdminTokenWhenAuthIsOn) {
  Start(absl::StrCat(WithHttp(testing::kTestConfig),
                     "auth:\n  tokens:\n"
                     "    - {name: boss, role: supervisor, token: ",
                     kSupervisorToken,
                     "}\n"
                     "    - {name: pbx, role: integrator, token: ",
                     kIntegratorToken, "}\n"));
  HttpResult none = Get("/metrics");
  EXPECT_EQ(none.status, 401);
  EXPECT_THAT(none.body, HasSubstr("token"));
  HttpResult integrator =
      Get("/metrics", {absl::StrCat("Authorization: Bearer ", kIntegratorToken)});
  EXPECT_EQ(integrator.status, 403);
  EXPECT_THAT(integrator.body, HasSubstr("integrator"));
  HttpResult boss = Get("/metrics", {absl::StrCat("Authorization: Bearer ", kSupervisorToken)});
  EXPECT_EQ(boss.status, 200);
  EXPECT_THAT(boss.body, HasSubstr("acd_queue_calls"));
  // Probes stay open: they tell nothing about the traffic.
  EXPECT_EQ(Get("/healthz").status, 200);
  EXPECT_EQ(Get("/readyz").status, 200);
}

TEST(MetricsExposureTest, HttpBeyondLoopbackNeedsTokensOrInsecure) {
  testing::TempDir dir;
  const std::string config = dir.Write("acd.yaml", WithHttp(testing::kTestConfig, "0.0.0.0:0"));
  app::DaemonOptions options{.config_path = config, .database = dir.File("acd.db")};
  absl::StatusOr<std::unique_ptr<app::Daemon>> refused = app::Daemon::Start(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("refusing to serve HTTP on 0.0.0.0:0 (server.http) without auth tokens"));
  options.insecure = true;
  absl::StatusOr<std::unique_ptr<app::Daemon>> allowed = app::Daemon::Start(options);
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_GT((*allowed)->http_port(), 0);
}

TEST(MetricsExposureTest, AnHttpAddressInUseStopsTheStartNamingIt) {
  testing::TempDir dir;
  const std::string config = dir.Write("acd.yaml", WithHttp(testing::kTestConfig));
  app::DaemonOptions first{.config_path = config, .database = dir.File("a.db")};
  absl::StatusOr<std::unique_ptr<app::Daemon>> running = app::Daemon::Start(first);
  ASSERT_TRUE(running.ok()) << running.status();
  const std::string taken = absl::StrCat("127.0.0.1:", (*running)->http_port());
  app::DaemonOptions second{.config_path = config, .database = dir.File("b.db"), .http = taken};
  absl::StatusOr<std::unique_ptr<app::Daemon>> refused = app::Daemon::Start(second);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(refused.status().message(), HasSubstr(absl::StrCat("cannot serve HTTP on ", taken)));
}

}  // namespace
}  // namespace acd
