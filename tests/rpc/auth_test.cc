// Auth over real gRPC against an in-process Daemon on 127.0.0.1 port 0:
// every RPC x every kind of caller -> refused (UNAUTHENTICATED,
// PERMISSION_DENIED) or let through (any other code); agent tokens on held
// calls; token reloads; the access table covering every RPC.
#include "server/rpc/auth.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/common/rpc.h"
#include "google/protobuf/descriptor.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "server/app/daemon.h"
#include "server/config/config.h"
#include "tests/support/client.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/test_daemon.h"

namespace acd {
namespace {

using ::acd::testing::Client;
using ::acd::testing::Ctx;
using ::acd::testing::OfferStream;
using ::testing::HasSubstr;

constexpr char kIntegratorToken[] = "integrator-token-0001";
constexpr char kAliceToken[] = "alice-token-00000001";
constexpr char kBobToken[] = "bob-token-0000000001";
constexpr char kSupervisorToken[] = "supervisor-token-0001";
constexpr char kAdminToken[] = "admin-token-000000001";

// kTestConfig with an auth section; the admin token is given by its hash.
std::string AuthConfig(const std::string& extra_tokens = "") {
  return absl::StrCat(testing::kTestConfig,
                      "auth:\n"
                      "  tokens:\n"
                      "    - {name: pbx, role: integrator, token: ",
                      kIntegratorToken,
                      "}\n"
                      "    - {name: desk-alice, role: agent, agent_id: alice, token: ",
                      kAliceToken,
                      "}\n"
                      "    - {name: desk-bob, role: agent, agent_id: bob, token: ",
                      kBobToken,
                      "}\n"
                      "    - {name: boss, role: supervisor, token: ",
                      kSupervisorToken,
                      "}\n"
                      "    - {name: root, role: admin, sha256: ",
                      config::Sha256Hex(kAdminToken), "}\n", extra_tokens);
}

// Stubs whose channel sends `token` (none when empty), the way acdctl does.
std::unique_ptr<testing::Stubs> StubsWith(const std::string& address, const std::string& token) {
  auto stubs = std::make_unique<testing::Stubs>(address);
  stubs->channel = ctl::NewChannel(address, {.token = token});
  stubs->calls = v1::CallService::NewStub(stubs->channel);
  stubs->agents = v1::AgentService::NewStub(stubs->channel);
  stubs->admin = v1::AdminService::NewStub(stubs->channel);
  return stubs;
}

// client() (no token) is unused: each test picks its callers with As().
class AuthDaemon : public testing::DaemonFixture {
 protected:
  Client As(const std::string& token) { return Client(StubsWith(daemon_->address(), token)); }
};

// ---------------------------------------------------------------------------
// The matrix

// The callers of every row, in column order. agent(self) is alice's token
// acting as alice; agent(other) is alice's token acting as bob.
enum Column { kNone, kBad, kIntegrator, kAgentSelf, kAgentOther, kSupervisor, kAdmin, kColumns };
constexpr const char* kColumnNames[] = {"no token",     "bad token",  "integrator", "agent(self)",
                                        "agent(other)", "supervisor", "admin"};

// U: UNAUTHENTICATED, D: PERMISSION_DENIED, P: passed the auth check.
using Expect = std::string;  // one letter per column

// Calls one RPC acting as `agent_id` (for AgentService requests).
using Rpc = std::function<grpc::Status(testing::Stubs&, const std::string& agent_id)>;

// Streams: a message means the stream started (passed); else its status.
template <typename Msg>
grpc::Status StreamStatus(grpc::ClientContext* ctx, std::unique_ptr<grpc::ClientReader<Msg>> r) {
  Msg msg;
  if (r->Read(&msg)) {
    ctx->TryCancel();
    r->Finish();
    return grpc::Status::OK;
  }
  return r->Finish();
}

struct Row {
  std::string name;  // "CallService_EnqueueCall"
  Expect expect;     // e.g. "UUPDDDP"
  Rpc rpc;
  // Run once before the row with an admin and an integrator (e.g. an offer
  // out to alice, so a passed StreamOffers sends it at once).
  std::function<void(const Client& admin, const Client& integrator)> prepare{};
};

// gtest names a row by its RPC, not by its bytes.
void PrintTo(const Row& row, std::ostream* os) { *os << row.name << " " << row.expect; }

template <typename Req, typename Resp, typename Stub>
Rpc Unary(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
          std::unique_ptr<Stub> testing::Stubs::*stub, std::function<void(Req&)> fill,
          bool agent = false) {
  return [=](testing::Stubs& s, const std::string& agent_id) {
    Req req;
    if (fill) fill(req);
    if constexpr (requires { req.set_agent_id(agent_id); }) {
      if (agent) req.set_agent_id(agent_id);
    }
    Resp resp;
    return ((*(s.*stub)).*method)(Ctx().get(), req, &resp);
  };
}

std::vector<Row> Rows() {
  using testing::Stubs;
  auto call_id = [](auto& r) { r.set_call_id("c-none"); };
  constexpr bool kAgent = true;
  // The columns:      none bad integrator agent(self) agent(other) supervisor admin
  return {
      {"CallService_EnqueueCall", "UUPDDDP",
       Unary<v1::EnqueueCallRequest, v1::EnqueueCallResponse>(&v1::CallService::Stub::EnqueueCall,
                                                              &Stubs::calls,
                                                              [](auto& r) {
                                                                r.set_call_id("c-matrix");
                                                                r.set_queue("support");
                                                              })},
      // An agent's token is refused a call its agent does not hold, and
      // "c-none" (no such call) alike.
      {"CallService_GetCall", "UUPDDPP",
       Unary<v1::GetCallRequest, v1::Call>(&v1::CallService::Stub::GetCall, &Stubs::calls,
                                           call_id)},
      {"CallService_AbandonCall", "UUPDDDP",
       Unary<v1::AbandonCallRequest, v1::Call>(&v1::CallService::Stub::AbandonCall, &Stubs::calls,
                                               call_id)},
      {"CallService_EndCall", "UUPDDDP",
       Unary<v1::EndCallRequest, v1::Call>(&v1::CallService::Stub::EndCall, &Stubs::calls,
                                           call_id)},
      {"CallService_TransferCall", "UUPDDPP",
       Unary<v1::TransferCallRequest, v1::Call>(&v1::CallService::Stub::TransferCall, &Stubs::calls,
                                                [](auto& r) {
                                                  r.set_call_id("c-none");
                                                  r.set_queue("sales");
                                                })},
      {"CallService_RequestCallback", "UUPDDDP",
       Unary<v1::RequestCallbackRequest, v1::Call>(&v1::CallService::Stub::RequestCallback,
                                                   &Stubs::calls, call_id)},
      {"CallService_CallbackFailed", "UUPDDDP",
       Unary<v1::CallbackFailedRequest, v1::Call>(&v1::CallService::Stub::CallbackFailed,
                                                  &Stubs::calls, call_id)},
      // A passed WatchEvents past the last event ends at once: OUT_OF_RANGE.
      {"CallService_WatchEvents", "UUPDDPP",
       [](Stubs& s, const std::string&) {
         v1::WatchEventsRequest req;
         req.set_after_seq(1'000'000'000);
         auto ctx = Ctx();
         return StreamStatus(ctx.get(), s.calls->WatchEvents(ctx.get(), req));
       }},
      {"AgentService_Login", "UUDPDDP",
       Unary<v1::LoginRequest, v1::Agent>(&v1::AgentService::Stub::Login, &Stubs::agents, {},
                                          kAgent)},
      {"AgentService_Logout", "UUDPDPP",
       Unary<v1::LogoutRequest, v1::Agent>(&v1::AgentService::Stub::Logout, &Stubs::agents, {},
                                           kAgent)},
      {"AgentService_SetState", "UUDPDPP",
       Unary<v1::SetStateRequest, v1::Agent>(
           &v1::AgentService::Stub::SetState, &Stubs::agents,
           [](auto& r) { r.set_state(v1::AGENT_STATE_AWAY); }, kAgent)},
      {"AgentService_StreamOffers", "UUDPDDP",
       [](Stubs& s, const std::string& agent_id) {
         v1::StreamOffersRequest req;
         req.set_agent_id(agent_id);
         auto ctx = Ctx();
         return StreamStatus(ctx.get(), s.agents->StreamOffers(ctx.get(), req));
       },
       [](const Client& admin, const Client& integrator) {
         ASSERT_TRUE(admin.Login("alice").ok());
         auto enqueued = integrator.Enqueue("c-offer", "support");
         ASSERT_TRUE(enqueued.ok());
         ASSERT_EQ(enqueued->call().agent_id(), "alice");  // offered to her
       }},
      {"AgentService_AcceptOffer", "UUDPDDP",
       Unary<v1::AcceptOfferRequest, v1::Call>(&v1::AgentService::Stub::AcceptOffer, &Stubs::agents,
                                               call_id, kAgent)},
      {"AgentService_RejectOffer", "UUDPDDP",
       Unary<v1::RejectOfferRequest, v1::Call>(&v1::AgentService::Stub::RejectOffer, &Stubs::agents,
                                               call_id, kAgent)},
      {"AgentService_CompleteCall", "UUDPDDP",
       Unary<v1::CompleteCallRequest, v1::Call>(&v1::AgentService::Stub::CompleteCall,
                                                &Stubs::agents, call_id, kAgent)},
      {"AdminService_ListQueues", "UUDDDPP",
       Unary<v1::ListQueuesRequest, v1::ListQueuesResponse>(&v1::AdminService::Stub::ListQueues,
                                                            &Stubs::admin, {})},
      {"AdminService_GetQueueStats", "UUDDDPP",
       Unary<v1::GetQueueStatsRequest, v1::QueueStats>(&v1::AdminService::Stub::GetQueueStats,
                                                       &Stubs::admin,
                                                       [](auto& r) { r.set_queue("support"); })},
      // A passed WatchStats sends its first snapshot at once.
      {"AdminService_WatchStats", "UUDDDPP",
       [](Stubs& s, const std::string&) {
         auto ctx = Ctx();
         return StreamStatus(ctx.get(), s.admin->WatchStats(ctx.get(), v1::WatchStatsRequest()));
       }},
      {"AdminService_ListAgents", "UUDDDPP",
       Unary<v1::ListAgentsRequest, v1::ListAgentsResponse>(&v1::AdminService::Stub::ListAgents,
                                                            &Stubs::admin, {})},
      {"AdminService_ListCalls", "UUDDDPP",
       Unary<v1::ListCallsRequest, v1::ListCallsResponse>(&v1::AdminService::Stub::ListCalls,
                                                          &Stubs::admin, {})},
      {"AdminService_MoveCall", "UUDDDPP",
       Unary<v1::MoveCallRequest, v1::Call>(&v1::AdminService::Stub::MoveCall, &Stubs::admin,
                                            [](auto& r) {
                                              r.set_call_id("c-none");
                                              r.set_queue("sales");
                                            })},
      {"AdminService_Staffing", "UUDDDPP",
       Unary<v1::StaffingRequest, v1::StaffingResponse>(&v1::AdminService::Stub::Staffing,
                                                        &Stubs::admin, {})},
      {"AdminService_GetReport", "UUDDDPP",
       Unary<v1::GetReportRequest, v1::GetReportResponse>(&v1::AdminService::Stub::GetReport,
                                                          &Stubs::admin, {})},
      {"AdminService_ValidateConfig", "UUDDDPP",
       Unary<v1::ValidateConfigRequest, v1::ValidateConfigResponse>(
           &v1::AdminService::Stub::ValidateConfig, &Stubs::admin, {})},
      {"AdminService_ReloadConfig", "UUDDDDP",
       Unary<v1::ReloadConfigRequest, v1::ReloadConfigResponse>(
           &v1::AdminService::Stub::ReloadConfig, &Stubs::admin, {})},
  };
}

class AuthMatrixTest : public AuthDaemon, public ::testing::WithParamInterface<Row> {};

TEST_P(AuthMatrixTest, EveryCallerGetsTheExpectedCode) {
  const Row& row = GetParam();
  ASSERT_EQ(row.expect.size(), static_cast<size_t>(kColumns));
  StartDaemon(AuthConfig());
  if (row.prepare) row.prepare(As(kAdminToken), As(kIntegratorToken));
  const std::string tokens[] = {
      "",          "not-a-configured-token", kIntegratorToken, kAliceToken,
      kAliceToken, kSupervisorToken,         kAdminToken};
  for (int column = 0; column < kColumns; ++column) {
    Client caller = As(tokens[column]);
    grpc::Status status = row.rpc(caller.stubs(), column == kAgentOther ? "bob" : "alice");
    const char got = status.error_code() == grpc::StatusCode::UNAUTHENTICATED     ? 'U'
                     : status.error_code() == grpc::StatusCode::PERMISSION_DENIED ? 'D'
                                                                                  : 'P';
    EXPECT_EQ(got, row.expect[column])
        << row.name << " as " << kColumnNames[column] << ": " << ctl::CodeName(status.error_code())
        << ": " << status.error_message();
  }
}

INSTANTIATE_TEST_SUITE_P(EveryRpc, AuthMatrixTest, ::testing::ValuesIn(Rows()),
                         [](const ::testing::TestParamInfo<Row>& info) { return info.param.name; });

TEST(AuthTableTest, TheMatrixAndTheAccessTableCoverEveryRpc) {
  std::set<std::string> methods;
  for (const char* service : {"acd.v1.CallService", "acd.v1.AgentService", "acd.v1.AdminService"}) {
    const google::protobuf::ServiceDescriptor* d =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
    ASSERT_NE(d, nullptr) << service;
    for (int i = 0; i < d->method_count(); ++i) {
      methods.insert(absl::StrCat("/", service, "/", d->method(i)->name()));
    }
  }
  std::set<std::string> table;
  for (const rpc::AccessRule& rule : rpc::AccessTable()) table.insert(std::string(rule.method));
  EXPECT_EQ(table, methods);
  std::set<std::string> matrix;
  for (const Row& row : Rows()) {
    std::string name = row.name;
    name[name.find('_')] = '/';
    matrix.insert(absl::StrCat("/acd.v1.", name));
  }
  EXPECT_EQ(matrix, methods);
}

// ---------------------------------------------------------------------------
// Messages, held calls, auth off

class AuthTest : public AuthDaemon {};

TEST_F(AuthTest, RefusalsSayWhoWasRefusedAndWhy) {
  StartDaemon(AuthConfig());
  grpc::Status status = As("").ListQueues().status();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("authorization: Bearer <token>"));

  status = As("wrong-token-0000000").ListQueues().status();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(status.error_message(), "unknown token");

  status = As(kIntegratorToken).ListQueues().status();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(),
            "role integrator (token \"pbx\") may not call acd.v1.AdminService/ListQueues; roles "
            "that may: supervisor, admin");

  status = As(kAliceToken).Login("bob").status();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(),
            "token \"desk-alice\" acts as agent \"alice\" only, not as agent \"bob\"");
  // The refused Login changed nothing.
  auto agents = As(kSupervisorToken).ListAgents();
  ASSERT_TRUE(agents.ok());
  for (const v1::Agent& a : agents->agents()) {
    EXPECT_EQ(a.state(), v1::AGENT_STATE_LOGGED_OUT) << a.agent_id();
  }
}

TEST_F(AuthTest, AnAgentSeesAndTransfersOnlyTheCallsItsAgentHolds) {
  StartDaemon(AuthConfig());
  auto alice = As(kAliceToken);
  auto bob = As(kBobToken);
  auto pbx = As(kIntegratorToken);
  ASSERT_TRUE(alice.Login("alice").ok());
  ASSERT_TRUE(pbx.Enqueue("c-alice", "support").ok());
  ASSERT_TRUE(bob.Login("bob").ok());
  ASSERT_TRUE(pbx.Enqueue("c-bob", "support").ok());
  auto c_alice = pbx.GetCall("c-alice");
  ASSERT_TRUE(c_alice.ok());
  ASSERT_EQ(c_alice->agent_id(), "alice");
  auto c_bob = pbx.GetCall("c-bob");
  ASSERT_TRUE(c_bob.ok());
  ASSERT_EQ(c_bob->agent_id(), "bob");

  EXPECT_TRUE(alice.GetCall("c-alice").ok());
  grpc::Status status = alice.GetCall("c-bob").status();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(),
            "token \"desk-alice\" acts as agent \"alice\", which does not hold call \"c-bob\"");
  // An unknown call is refused alike: the answer does not tell which ids exist.
  status = alice.GetCall("c-nobody").status();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(),
            "token \"desk-alice\" acts as agent \"alice\", which does not hold call \"c-nobody\"");
  // Tokens not limited to held calls still learn that a call is unknown.
  EXPECT_EQ(pbx.GetCall("c-nobody").error_code(), grpc::StatusCode::NOT_FOUND);

  ASSERT_TRUE(alice.Accept("alice", "c-alice").ok());

  v1::TransferCallRequest transfer;
  transfer.set_call_id("c-bob");
  transfer.set_queue("sales");
  EXPECT_EQ(alice.Transfer(transfer).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  auto unchanged = pbx.GetCall("c-bob");
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ(unchanged->queue(), "support");  // unchanged
  EXPECT_EQ(unchanged->agent_id(), "bob");

  transfer.set_call_id("c-alice");
  auto moved = alice.Transfer(transfer);
  EXPECT_TRUE(moved.ok()) << moved.error_message();
  EXPECT_EQ(moved->queue(), "sales");
}

// Auth comes before the stream limiter: a token that may not act as alice
// cannot end alice's StreamOffers by opening a "newer" one for her.
TEST_F(AuthTest, AStreamOffersRefusedByAuthLeavesTheAgentsStreamOpen) {
  StartDaemon(AuthConfig());
  auto alice = As(kAliceToken);
  ASSERT_TRUE(alice.Login("alice").ok());
  OfferStream alice_stream(alice, "alice", std::chrono::seconds(10));

  OfferStream bob_stream(As(kBobToken), "alice", std::chrono::seconds(10));
  v1::OfferUpdate update;
  EXPECT_FALSE(bob_stream.Read(&update));
  grpc::Status refused = bob_stream.Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED) << refused.error_message();

  // Alice's stream still gets her next offer.
  ASSERT_TRUE(As(kIntegratorToken).Enqueue("c-1", "support").ok());
  ASSERT_TRUE(alice_stream.Read(&update));
  EXPECT_EQ(update.offer().call().call_id(), "c-1");
  alice_stream.TryCancel();
  EXPECT_EQ(alice_stream.Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(AuthTest, WithNoTokensConfiguredEveryCallIsAllowed) {
  StartDaemon(testing::kTestConfig);
  EXPECT_TRUE(As("").ListQueues().ok());
  EXPECT_TRUE(As("any-token-at-all-123").ListQueues().ok());
  EXPECT_TRUE(As("").Login("bob").ok());
}

TEST_F(AuthTest, HealthStaysOpen) {
  StartDaemon(AuthConfig());
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(daemon_->address(), grpc::InsecureChannelCredentials()));
  grpc::health::v1::HealthCheckResponse resp;
  grpc::Status status = health->Check(Ctx().get(), {}, &resp);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

// ---------------------------------------------------------------------------
// Reload

TEST_F(AuthTest, ReloadSwapsTokensAndABadTokensFileKeepsTheRunningOnes) {
  dir_.Write("tokens.yaml",
             "tokens:\n  - {name: old-boss, role: supervisor, token: old-boss-token-00001}\n");
  StartDaemon(absl::StrCat(AuthConfig(), "  tokens_file: tokens.yaml\n"));
  Client admin = As(kAdminToken);
  EXPECT_TRUE(As("old-boss-token-00001").ListQueues().ok());

  // The file now names a new token and no longer the old one.
  dir_.Write("tokens.yaml",
             "tokens:\n  - {name: new-boss, role: supervisor, token: new-boss-token-00001}\n");
  grpc::Status status = admin.Reload().status();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(As("new-boss-token-00001").ListQueues().ok());
  EXPECT_EQ(As("old-boss-token-00001").ListQueues().error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // A broken tokens file: the reload is refused and the running tokens stay.
  dir_.Write("tokens.yaml", "tokens:\n  - {name: x, role: emperor, token: x-token-000000000001}\n");
  status = admin.Reload().status();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("tokens.yaml:2:21: tokens[0].role: invalid role"));
  EXPECT_TRUE(As("new-boss-token-00001").ListQueues().ok());
  EXPECT_EQ(As("x-token-000000000001").ListQueues().error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // SIGHUP (Daemon::Reload) takes the same path; it answers no one, so wait
  // (bounded) for the new token to work.
  dir_.Write("tokens.yaml",
             "tokens:\n  - {name: hup-boss, role: supervisor, token: hup-boss-token-00001}\n");
  daemon_->Reload();
  Client hup = As("hup-boss-token-00001");
  bool accepted = false;
  for (int i = 0; i < 1000 && !accepted; ++i) {
    accepted = hup.ListQueues().ok();
    // Real time: the reload runs on a thread of its own, not on a timer.
    if (!accepted) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(accepted);
  EXPECT_EQ(As("new-boss-token-00001").ListQueues().error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace acd
