// Callbacks end to end: a caller on a long wait is offered a callback, asks
// for one, and hangs up; the callback reaches an agent, the first dial fails,
// the retry is answered and completed. Real in-process Daemon, real gRPC, and
// every step checked in the SQLite event log.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/app/daemon.h"
#include "tests/support/client.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/test_daemon.h"

namespace acd {
namespace {

using ::acd::testing::OfferStream;
using ::acd::testing::Query;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// One agent; a handle time of 5 min is assumed, so the first caller behind a
// busy agent waits an estimated 5 min, over the 1 min callback threshold.
// Retries come 200ms after a failed dial, so the test runs in real time.
constexpr char kCallbackConfig[] = R"(server:
  listen: 127.0.0.1:0
queues:
  - name: care
    wrap_up_time: 0s
    expected_handle_time: 5m
    callback:
      offer_over: 1m
      window: 1h
      retry_interval: 200ms
      max_attempts: 3
agents:
  - id: ann
    queues: [care]
)";

class CallbackE2eTest : public testing::DaemonFixture {
 protected:
  void SetUp() override { StartDaemon(kCallbackConfig); }
};

TEST_F(CallbackE2eTest, ACallbackFailsOnceIsRetriedAndCompleted) {
  ASSERT_TRUE(client().Login("ann").ok());
  OfferStream offers(client(), "ann");

  // Ann is busy with a first caller; the second waits.
  auto first = client().Enqueue("first", "care");
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->callback_offered());
  ASSERT_EQ(offers.NextOffer().call_id(), "first");
  ASSERT_TRUE(client().Accept("ann", "first").ok());
  auto reply = client().Enqueue("c1", "care");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->call().position(), 1);
  EXPECT_EQ(reply->call().estimated_wait().seconds(), 300);
  EXPECT_TRUE(reply->callback_offered());

  // Bad numbers are refused with the value and change nothing.
  grpc::Status bad = client().RequestCallback("c1", "call me").status();
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.error_message(), HasSubstr("\"call me\""));
  auto call = client().RequestCallback("c1", "+15550100");
  ASSERT_TRUE(call.ok());
  EXPECT_EQ(call->callback_number(), "+15550100");
  EXPECT_EQ(call->position(), 1);

  // Ann finishes: the callback is offered to her, she accepts, the dial fails.
  ASSERT_TRUE(client().End("first").ok());
  v1::Call offered = offers.NextOffer();
  EXPECT_EQ(offered.call_id(), "c1");
  EXPECT_EQ(offered.callback_number(), "+15550100");
  ASSERT_TRUE(client().Accept("ann", "c1").ok());
  auto failed = client().CallbackFailed("c1");
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->state(), v1::CALL_STATE_CALLBACK_SCHEDULED);
  EXPECT_EQ(failed->callback_attempts(), 1);

  // 200ms later it is offered again; this time the customer answers.
  EXPECT_EQ(offers.NextOffer().call_id(), "c1");
  ASSERT_TRUE(client().Accept("ann", "c1").ok());
  ASSERT_TRUE(client().End("c1").ok());
  offers.Cancel();

  std::vector<std::string> types;
  for (const auto& row :
       Query(db_path_, "SELECT type FROM events WHERE call_id = 'c1' ORDER BY seq")) {
    types.push_back(row[0]);
  }
  EXPECT_THAT(types, ElementsAre("call_queued", "callback_offered", "callback_requested",
                                 "call_offered", "call_connected", "callback_dial",
                                 "callback_failed", "call_queued", "call_offered", "call_connected",
                                 "callback_dial", "call_ended", "call_completed"));
  auto row = Query(db_path_, "SELECT state, agent_id FROM calls WHERE call_id = 'c1'");
  ASSERT_EQ(row.size(), 1u);
  EXPECT_THAT(row[0], ElementsAre("completed", "ann"));
}

}  // namespace
}  // namespace acd
