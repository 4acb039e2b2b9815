// Callbacks end to end: a caller on a long wait is offered a callback, asks
// for one, and hangs up; the callback reaches an agent, the first dial fails,
// the retry is answered and completed. Real in-process Daemon, real gRPC, and
// every step checked in the SQLite event log.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "server/app/daemon.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/test_daemon.h"

namespace acd {
namespace {

using ::acd::testing::Ctx;
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

  grpc::Status Accept(const std::string& call) {
    v1::AcceptOfferRequest req;
    req.set_agent_id("ann");
    req.set_call_id(call);
    v1::Call resp;
    return stubs_->agents->AcceptOffer(Ctx().get(), req, &resp);
  }
  grpc::Status End(const std::string& call) {
    v1::EndCallRequest req;
    req.set_call_id(call);
    v1::Call resp;
    return stubs_->calls->EndCall(Ctx().get(), req, &resp);
  }
  grpc::Status RequestCallback(const std::string& call, const std::string& number, v1::Call* out) {
    v1::RequestCallbackRequest req;
    req.set_call_id(call);
    req.set_number(number);
    return stubs_->calls->RequestCallback(Ctx().get(), req, out);
  }
};

TEST_F(CallbackE2eTest, ACallbackFailsOnceIsRetriedAndCompleted) {
  v1::LoginRequest login;
  login.set_agent_id("ann");
  login.set_ready(true);
  v1::Agent agent;
  ASSERT_TRUE(stubs_->agents->Login(Ctx().get(), login, &agent).ok());
  grpc::ClientContext offers_ctx;
  offers_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::StreamOffersRequest offers_req;
  offers_req.set_agent_id("ann");
  auto offers = stubs_->agents->StreamOffers(&offers_ctx, offers_req);
  offers->WaitForInitialMetadata();
  auto next_offer = [&]() {
    v1::OfferUpdate update;
    EXPECT_TRUE(offers->Read(&update));
    EXPECT_TRUE(update.has_offer());
    return update.offer().call();
  };

  // Ann is busy with a first caller; the second waits.
  v1::EnqueueCallRequest enqueue;
  enqueue.set_call_id("first");
  enqueue.set_queue("care");
  v1::EnqueueCallResponse reply;
  ASSERT_TRUE(stubs_->calls->EnqueueCall(Ctx().get(), enqueue, &reply).ok());
  EXPECT_FALSE(reply.callback_offered());
  ASSERT_EQ(next_offer().call_id(), "first");
  ASSERT_TRUE(Accept("first").ok());
  enqueue.set_call_id("c1");
  ASSERT_TRUE(stubs_->calls->EnqueueCall(Ctx().get(), enqueue, &reply).ok());
  EXPECT_EQ(reply.call().position(), 1);
  EXPECT_EQ(reply.call().estimated_wait().seconds(), 300);
  EXPECT_TRUE(reply.callback_offered());

  // Bad numbers are refused with the value and change nothing.
  v1::Call call;
  grpc::Status bad = RequestCallback("c1", "call me", &call);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.error_message(), HasSubstr("\"call me\""));
  ASSERT_TRUE(RequestCallback("c1", "+15550100", &call).ok());
  EXPECT_EQ(call.callback_number(), "+15550100");
  EXPECT_EQ(call.position(), 1);

  // Ann finishes: the callback is offered to her, she accepts, the dial fails.
  ASSERT_TRUE(End("first").ok());
  v1::Call offered = next_offer();
  EXPECT_EQ(offered.call_id(), "c1");
  EXPECT_EQ(offered.callback_number(), "+15550100");
  ASSERT_TRUE(Accept("c1").ok());
  v1::CallbackFailedRequest failed;
  failed.set_call_id("c1");
  ASSERT_TRUE(stubs_->calls->CallbackFailed(Ctx().get(), failed, &call).ok());
  EXPECT_EQ(call.state(), v1::CALL_STATE_CALLBACK_SCHEDULED);
  EXPECT_EQ(call.callback_attempts(), 1);

  // 200ms later it is offered again; this time the customer answers.
  EXPECT_EQ(next_offer().call_id(), "c1");
  ASSERT_TRUE(Accept("c1").ok());
  ASSERT_TRUE(End("c1").ok());
  offers_ctx.TryCancel();
  v1::OfferUpdate ignored;
  while (offers->Read(&ignored)) {
  }
  offers->Finish();

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
