// The gRPC API against an in-process Daemon on 127.0.0.1 port 0, with its
// SQLite file in a temp dir: real server, real gRPC, real store.
#include "server/app/daemon.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>


#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/test_daemon.h"

namespace acd {
namespace {

using ::acd::testing::Ctx;
using ::acd::testing::Query;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class DaemonTest : public testing::DaemonFixture {
 protected:
  void SetUp() override { StartDaemon(testing::kTestConfig); }

  v1::Agent Login(const std::string& agent, bool ready = true) {
    v1::LoginRequest req;
    req.set_agent_id(agent);
    req.set_ready(ready);
    v1::Agent resp;
    grpc::Status s = stubs_->agents->Login(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  grpc::Status Enqueue(const std::string& id, const std::string& queue = "support",
                       v1::EnqueueCallResponse* out = nullptr) {
    v1::EnqueueCallRequest req;
    req.set_call_id(id);
    req.set_queue(queue);
    v1::EnqueueCallResponse resp;
    return stubs_->calls->EnqueueCall(Ctx().get(), req, out ? out : &resp);
  }

  v1::Call GetCall(const std::string& id) {
    v1::GetCallRequest req;
    req.set_call_id(id);
    v1::Call resp;
    grpc::Status s = stubs_->calls->GetCall(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  grpc::Status Accept(const std::string& agent, const std::string& call) {
    v1::AcceptOfferRequest req;
    req.set_agent_id(agent);
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

  grpc::Status Complete(const std::string& agent, const std::string& call,
                        const std::string& disposition = "", const std::string& notes = "") {
    v1::CompleteCallRequest req;
    req.set_agent_id(agent);
    req.set_call_id(call);
    req.set_disposition(disposition);
    req.set_notes(notes);
    v1::Call resp;
    return stubs_->agents->CompleteCall(Ctx().get(), req, &resp);
  }
};

// An open StreamOffers stream; live once constructed.
class OfferStream {
 public:
  OfferStream(v1::AgentService::Stub* stub, const std::string& agent) {
    ctx_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    v1::StreamOffersRequest req;
    req.set_agent_id(agent);
    reader_ = stub->StreamOffers(&ctx_, req);
    reader_->WaitForInitialMetadata();
  }
  ~OfferStream() {
    ctx_.TryCancel();
    v1::OfferUpdate ignored;
    while (reader_->Read(&ignored)) {
    }
    reader_->Finish();
  }
  v1::OfferUpdate Next() {
    v1::OfferUpdate update;
    EXPECT_TRUE(reader_->Read(&update)) << "offer stream ended";
    return update;
  }
  grpc::Status Finish() { return reader_->Finish(); }
  grpc::ClientReader<v1::OfferUpdate>* reader() { return reader_.get(); }

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<v1::OfferUpdate>> reader_;
};

TEST_F(DaemonTest, HealthIsServing) {
  auto health = grpc::health::v1::Health::NewStub(stubs_->channel);
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  ASSERT_TRUE(health->Check(Ctx().get(), req, &resp).ok());
  EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(DaemonTest, WholeLifeOfACallIsStreamedAndStored) {
  grpc::ClientContext watch_ctx;
  watch_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto events = stubs_->calls->WatchEvents(&watch_ctx, v1::WatchEventsRequest());
  events->WaitForInitialMetadata();

  Login("bob");
  OfferStream offers(stubs_->agents.get(), "bob");
  v1::EnqueueCallResponse enq;
  v1::EnqueueCallRequest req;
  req.set_call_id("call-1");
  req.set_queue("support");
  req.set_priority(3);
  (*req.mutable_attributes())["caller"] = "+15550100";
  (*req.mutable_required_skills())["english"] = 3;
  ASSERT_TRUE(stubs_->calls->EnqueueCall(Ctx().get(), req, &enq).ok());
  EXPECT_TRUE(enq.created());

  v1::OfferUpdate offer = offers.Next();
  ASSERT_TRUE(offer.has_offer());
  EXPECT_EQ(offer.offer().call().call_id(), "call-1");
  EXPECT_EQ(offer.offer().call().attributes().at("caller"), "+15550100");
  EXPECT_TRUE(offer.offer().call().has_offer_expires_at());

  ASSERT_TRUE(Accept("bob", "call-1").ok());
  EXPECT_EQ(GetCall("call-1").state(), v1::CALL_STATE_CONNECTED);
  ASSERT_TRUE(End("call-1").ok());
  EXPECT_EQ(GetCall("call-1").state(), v1::CALL_STATE_WRAP_UP);
  ASSERT_TRUE(Complete("bob", "call-1", "sale", "upgraded to gold").ok());
  v1::Call done = GetCall("call-1");
  EXPECT_EQ(done.state(), v1::CALL_STATE_COMPLETED);
  EXPECT_EQ(done.disposition(), "sale");

  std::vector<v1::EventType> seen;
  int64_t last_seq = 0;
  v1::Event e;
  while (seen.size() < 6 && events->Read(&e)) {
    EXPECT_GT(e.seq(), last_seq);
    last_seq = e.seq();
    seen.push_back(e.type());
  }
  EXPECT_THAT(seen, ElementsAre(v1::EVENT_TYPE_AGENT_LOGGED_IN, v1::EVENT_TYPE_CALL_QUEUED,
                                v1::EVENT_TYPE_CALL_OFFERED, v1::EVENT_TYPE_CALL_CONNECTED,
                                v1::EVENT_TYPE_CALL_ENDED, v1::EVENT_TYPE_CALL_COMPLETED));
  watch_ctx.TryCancel();
  while (events->Read(&e)) {
  }
  events->Finish();

  // A success reply means the events are committed: they are in the file now.
  auto rows = Query(db_path_, "SELECT type FROM events WHERE call_id = 'call-1' ORDER BY seq");
  std::vector<std::string> types;
  for (const auto& row : rows) types.push_back(row[0]);
  EXPECT_THAT(types, ElementsAre("call_queued", "call_offered", "call_connected", "call_ended",
                                 "call_completed"));
  auto call = Query(db_path_,
                    "SELECT state, agent_id, disposition, notes, wait_ms IS NOT NULL, "
                    "talk_ms IS NOT NULL FROM calls WHERE call_id = 'call-1'");
  ASSERT_EQ(call.size(), 1u);
  EXPECT_THAT(call[0], ElementsAre("completed", "bob", "sale", "upgraded to gold", "1", "1"));
}

TEST_F(DaemonTest, CallsAreAnsweredInArrivalOrderAndLongestIdleAgentFirst) {
  for (const char* id : {"t0", "t1", "t2"}) ASSERT_TRUE(Enqueue(id).ok());
  Login("bob");
  for (const char* id : {"t0", "t1", "t2"}) {
    v1::Agent bob;
    v1::ListAgentsRequest req;
    v1::ListAgentsResponse agents;
    ASSERT_TRUE(stubs_->admin->ListAgents(Ctx().get(), req, &agents).ok());
    std::string offered;
    for (const v1::Agent& a : agents.agents()) {
      if (a.agent_id() == "bob") offered = a.call_id();
    }
    EXPECT_EQ(offered, id);
    ASSERT_TRUE(Accept("bob", id).ok());
    ASSERT_TRUE(End(id).ok());
    ASSERT_TRUE(Complete("bob", id).ok());
  }
}

TEST_F(DaemonTest, LongestIdleAgentGetsTheCall) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(testing::kTestConfig, {.time_system = &time_}));
  Login("alice");
  time_.Advance(absl::Seconds(1));
  Login("bob");
  ASSERT_TRUE(Enqueue("c1").ok());
  EXPECT_EQ(GetCall("c1").agent_id(), "alice");
  EXPECT_EQ(GetCall("c1").state(), v1::CALL_STATE_OFFERED);
  ASSERT_TRUE(Enqueue("c2").ok());
  EXPECT_EQ(GetCall("c2").agent_id(), "bob");
}

TEST_F(DaemonTest, AbandonWhileOfferedWithdrawsTheOfferFromTheStream) {
  Login("bob");
  OfferStream offers(stubs_->agents.get(), "bob");
  ASSERT_TRUE(Enqueue("c1").ok());
  ASSERT_TRUE(offers.Next().has_offer());
  v1::AbandonCallRequest req;
  req.set_call_id("c1");
  v1::Call resp;
  ASSERT_TRUE(stubs_->calls->AbandonCall(Ctx().get(), req, &resp).ok());
  EXPECT_EQ(resp.state(), v1::CALL_STATE_ABANDONED);
  v1::OfferUpdate update = offers.Next();
  ASSERT_TRUE(update.has_withdrawn());
  EXPECT_EQ(update.withdrawn().call_id(), "c1");
  EXPECT_EQ(update.withdrawn().reason(), "caller_hangup");
  EXPECT_EQ(Accept("bob", "c1").error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(DaemonTest, OfferStreamStartsWithTheOutstandingOffer) {
  Login("bob");
  ASSERT_TRUE(Enqueue("c1").ok());
  OfferStream offers(stubs_->agents.get(), "bob");
  v1::OfferUpdate first = offers.Next();
  ASSERT_TRUE(first.has_offer());
  EXPECT_EQ(first.offer().call().call_id(), "c1");
}

TEST_F(DaemonTest, OfferStreamForUnknownAgentIsNotFound) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::StreamOffersRequest req;
  req.set_agent_id("mallory");
  auto reader = stubs_->agents->StreamOffers(&ctx, req);
  v1::OfferUpdate update;
  EXPECT_FALSE(reader->Read(&update));
  grpc::Status s = reader->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("\"mallory\""));
}

// Bad input: the canonical code, the offending value in the message, and nothing changed.
TEST_F(DaemonTest, BadInputIsRefusedAndChangesNothing) {
  Login("bob");
  ASSERT_TRUE(Enqueue("c1").ok());  // offered to bob
  int64_t events_before = std::stoll(Query(db_path_, "SELECT count(*) FROM events")[0][0]);

  grpc::Status s = Enqueue("");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("call_id"));

  s = Enqueue("c2", "no-such-queue");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("\"no-such-queue\""));

  s = Accept("alice", "c1");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("\"c1\""));
  EXPECT_THAT(s.error_message(), HasSubstr("\"alice\""));

  v1::LoginRequest login;
  login.set_agent_id("mallory");
  v1::Agent agent;
  s = stubs_->agents->Login(Ctx().get(), login, &agent);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("\"mallory\""));

  v1::SetStateRequest set;
  set.set_agent_id("bob");
  set.set_state(v1::AGENT_STATE_BUSY);
  s = stubs_->agents->SetState(Ctx().get(), set, &agent);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("AGENT_STATE_BUSY"));

  v1::Call call = GetCall("c1");
  EXPECT_EQ(call.state(), v1::CALL_STATE_OFFERED);
  EXPECT_EQ(call.agent_id(), "bob");
  v1::ListCallsResponse calls;
  ASSERT_TRUE(stubs_->admin->ListCalls(Ctx().get(), v1::ListCallsRequest(), &calls).ok());
  EXPECT_EQ(calls.calls_size(), 1);
  EXPECT_EQ(std::stoll(Query(db_path_, "SELECT count(*) FROM events")[0][0]), events_before);
}

TEST_F(DaemonTest, EnqueueIsIdempotent) {
  v1::EnqueueCallResponse first, again;
  ASSERT_TRUE(Enqueue("c1", "support", &first).ok());
  ASSERT_TRUE(Enqueue("c1", "support", &again).ok());
  EXPECT_TRUE(first.created());
  EXPECT_FALSE(again.created());
  grpc::Status s = Enqueue("c1", "sales");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(DaemonTest, QueueStatsCountByState) {
  Login("bob");
  ASSERT_TRUE(Enqueue("c1").ok());
  ASSERT_TRUE(Enqueue("c2").ok());
  ASSERT_TRUE(Accept("bob", "c1").ok());
  v1::GetQueueStatsRequest req;
  req.set_queue("support");
  v1::QueueStats stats;
  ASSERT_TRUE(stubs_->admin->GetQueueStats(Ctx().get(), req, &stats).ok());
  EXPECT_EQ(stats.queued(), 1);
  EXPECT_EQ(stats.connected(), 1);
  EXPECT_EQ(stats.agents_busy(), 1);
  EXPECT_EQ(stats.agents_logged_out(), 2);
  v1::ListQueuesResponse queues;
  ASSERT_TRUE(stubs_->admin->ListQueues(Ctx().get(), v1::ListQueuesRequest(), &queues).ok());
  ASSERT_EQ(queues.queues_size(), 2);
  EXPECT_EQ(queues.queues(0).name(), "sales");
  EXPECT_EQ(queues.queues(1).stats().queued(), 1);
}

TEST_F(DaemonTest, TransferAndMoveOverGrpc) {
  Login("bob");
  ASSERT_TRUE(Enqueue("c1").ok());
  ASSERT_TRUE(Accept("bob", "c1").ok());
  Login("carol");  // serves support and sales

  v1::TransferCallRequest bad;
  bad.set_call_id("c1");
  v1::Call call;
  grpc::Status s = stubs_->calls->TransferCall(Ctx().get(), bad, &call);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::TransferCallRequest to_agent;
  to_agent.set_call_id("c1");
  to_agent.set_agent_id("carol");
  to_agent.set_fallback_queue("sales");
  ASSERT_TRUE(stubs_->calls->TransferCall(Ctx().get(), to_agent, &call).ok());
  EXPECT_EQ(call.state(), v1::CALL_STATE_OFFERED);
  EXPECT_EQ(call.agent_id(), "carol");
  EXPECT_EQ(call.transfers(), 1);

  // A supervisor moves the call to sales instead: the offer is withdrawn, and
  // carol (a sales agent, free again) is offered it there.
  v1::MoveCallRequest move;
  move.set_call_id("c1");
  move.set_queue("sales");
  ASSERT_TRUE(stubs_->admin->MoveCall(Ctx().get(), move, &call).ok());
  v1::Call now = GetCall("c1");
  EXPECT_EQ(now.queue(), "sales");
  EXPECT_EQ(now.state(), v1::CALL_STATE_OFFERED);
  EXPECT_EQ(now.transfers(), 2);
  auto rows = Query(db_path_, "SELECT count(*) FROM events WHERE type = 'call_transferred'");
  EXPECT_EQ(rows[0][0], "2");
}

TEST_F(DaemonTest, StaffingAnswersWithErlangC) {
  v1::StaffingRequest req;
  req.set_calls_per_interval(200);  // 10 Erlangs at 180 s over an hour
  req.mutable_interval()->set_seconds(3600);
  req.mutable_aht()->set_seconds(180);
  req.set_service_level(0.8);
  req.mutable_threshold()->set_seconds(20);
  req.set_agents(12);
  v1::StaffingResponse resp;
  ASSERT_TRUE(stubs_->admin->Staffing(Ctx().get(), req, &resp).ok());
  EXPECT_EQ(resp.needed().agents(), 14);
  EXPECT_NEAR(resp.needed().service_level(), 0.888, 0.0005);
  EXPECT_NEAR(resp.needed().traffic_erlangs(), 10.0, 1e-9);
  EXPECT_EQ(resp.at_agents().agents(), 12);
  EXPECT_NEAR(resp.at_agents().service_level(), 0.640, 0.0005);
  EXPECT_FALSE(resp.needed().has_abandonment());

  req.set_calls_per_interval(-1);
  grpc::Status s = stubs_->admin->Staffing(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("-1"));
}

TEST_F(DaemonTest, BadConfigReloadIsRefusedAndTheRunningConfigStays) {
  dir_.Write("acd.yaml", "queues:\n  - name: support\n    offer_timeout: 20x\n");
  v1::ReloadConfigResponse resp;
  grpc::Status s = stubs_->admin->ReloadConfig(Ctx().get(), v1::ReloadConfigRequest(), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("acd.yaml:3:20"));
  EXPECT_THAT(s.error_message(), HasSubstr("20x"));
  ASSERT_TRUE(Enqueue("c1", "sales").ok());  // sales is still there

  v1::ValidateConfigRequest vreq;
  vreq.set_config_yaml("queues:\n  - name: a\n  - name: a\n");
  v1::ValidateConfigResponse vresp;
  ASSERT_TRUE(stubs_->admin->ValidateConfig(Ctx().get(), vreq, &vresp).ok());
  EXPECT_FALSE(vresp.valid());
  ASSERT_EQ(vresp.problems_size(), 1);
  EXPECT_EQ(vresp.problems(0).line(), 3);
}

TEST_F(DaemonTest, GoodConfigReloadApplies) {
  std::string text = testing::kTestConfig;
  text += "  - id: dave\n    skills: {english: 5}\n    queues: [sales]\n";
  dir_.Write("acd.yaml", text);
  v1::ReloadConfigResponse resp;
  ASSERT_TRUE(stubs_->admin->ReloadConfig(Ctx().get(), v1::ReloadConfigRequest(), &resp).ok());
  EXPECT_EQ(resp.config_hash().size(), 64u);
  EXPECT_THAT(resp.agents(), ::testing::Contains("dave"));
  Login("dave");
}

// --- GetReport ---

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

// The hour holding now, and the next: calls made during the test fall in it.
absl::Time ThisHour() {
  return absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) / 3600 * 3600);
}

// `text` with `from` (which must be there) replaced by `to`.
std::string Replaced(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

class ReportTest : public DaemonTest {
 protected:
  grpc::Status Report(const std::string& queue, const std::string& agent, absl::Time from,
                      absl::Time to, int interval_minutes, v1::GetReportResponse* resp) {
    v1::GetReportRequest req;
    if (!queue.empty()) req.set_queue(queue);
    if (!agent.empty()) req.set_agent_id(agent);
    *req.mutable_from() = ToTimestamp(from);
    *req.mutable_to() = ToTimestamp(to);
    if (interval_minutes > 0) req.mutable_interval()->set_seconds(interval_minutes * 60);
    return stubs_->admin->GetReport(Ctx().get(), req, resp);
  }

  grpc::Status Abandon(const std::string& id) {
    v1::AbandonCallRequest req;
    req.set_call_id(id);
    v1::Call resp;
    return stubs_->calls->AbandonCall(Ctx().get(), req, &resp);
  }

  int64_t EventCount() { return std::stoll(Query(db_path_, "SELECT count(*) FROM events")[0][0]); }
};

TEST_F(ReportTest, ReportCountsAnsweredAbandonedAndLiveCallsWithTheQueuesThresholds) {
  // support's thresholds from the current config: 15s and 3s.
  dir_.Write("acd.yaml", Replaced(testing::kTestConfig, "    wrap_up_time: 30s\n",
                                  "    wrap_up_time: 30s\n    service_level_threshold: 15s\n"
                                  "    short_abandon: 3s\n"));
  v1::ReloadConfigResponse reloaded;
  ASSERT_TRUE(stubs_->admin->ReloadConfig(Ctx().get(), v1::ReloadConfigRequest(), &reloaded).ok());

  Login("bob");
  ASSERT_TRUE(Enqueue("c1").ok());  // offered to bob
  ASSERT_TRUE(Accept("bob", "c1").ok());
  ASSERT_TRUE(End("c1").ok());
  ASSERT_TRUE(Complete("bob", "c1", "resolved").ok());
  ASSERT_TRUE(Enqueue("c2").ok());  // offered to bob; the caller hangs up at once
  ASSERT_TRUE(Abandon("c2").ok());
  ASSERT_TRUE(Enqueue("c3", "sales").ok());  // nobody serves sales: still waiting

  const absl::Time from = ThisHour();
  v1::GetReportResponse r;
  grpc::Status s = Report("support", "", from, from + absl::Hours(2), 60, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r.queue(), "support");
  EXPECT_EQ(r.interval().seconds(), 3600);
  EXPECT_EQ(r.service_level_threshold().seconds(), 15);
  EXPECT_EQ(r.short_abandon().seconds(), 3);
  ASSERT_EQ(r.intervals_size(), 2);
  EXPECT_EQ(r.intervals(0).start().seconds(), absl::ToUnixSeconds(from));
  EXPECT_EQ(r.intervals(1).end().seconds(), absl::ToUnixSeconds(from + absl::Hours(2)));
  EXPECT_EQ(r.intervals(0).offered() + r.intervals(1).offered(), 2);
  const v1::ReportRow& t = r.total();
  EXPECT_EQ(t.start().seconds(), absl::ToUnixSeconds(from));
  EXPECT_EQ(t.offered(), 2);
  EXPECT_EQ(t.answered(), 1);
  EXPECT_EQ(t.answered_in_threshold(), 1);
  EXPECT_EQ(t.abandoned(), 1);
  EXPECT_EQ(t.short_abandoned(), 1);
  EXPECT_EQ(t.handled(), 1);
  EXPECT_EQ(t.callbacks(), 0);
  ASSERT_TRUE(t.has_service_level());
  EXPECT_EQ(t.service_level(), 1.0);  // 1 / (1 + 1 - 1)
  ASSERT_TRUE(t.has_abandonment_rate());
  EXPECT_EQ(t.abandonment_rate(), 0.0);  // (1 - 1) / (2 - 1)
  EXPECT_TRUE(t.has_asa());
  EXPECT_LT(t.asa().seconds(), 15);
  EXPECT_TRUE(t.has_aht());

  // The waiting call counts as offered; nothing to rate a service level on.
  s = Report("sales", "", from, from + absl::Hours(2), 15, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r.intervals_size(), 8);
  EXPECT_EQ(r.total().offered(), 1);
  EXPECT_EQ(r.total().answered(), 0);
  EXPECT_FALSE(r.total().has_service_level());
  EXPECT_FALSE(r.total().has_asa());
  EXPECT_EQ(r.service_level_threshold().seconds(), 20);

  // bob answered c1; an agent report has no offered calls or rates.
  s = Report("", "bob", from, from + absl::Hours(2), 30, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r.agent_id(), "bob");
  EXPECT_EQ(r.intervals_size(), 4);
  EXPECT_EQ(r.total().answered(), 1);
  EXPECT_EQ(r.total().handled(), 1);
  EXPECT_EQ(r.total().offered(), 0);
  EXPECT_FALSE(r.total().has_service_level());
  EXPECT_FALSE(r.total().has_abandonment_rate());
  EXPECT_TRUE(r.total().has_aht());
  EXPECT_FALSE(r.has_service_level_threshold());
}

TEST_F(ReportTest, BadReportRequestsAreRefusedNamingTheValue) {
  Login("bob");
  ASSERT_TRUE(Enqueue("c1").ok());
  const int64_t events_before = EventCount();
  const absl::Time from = ThisHour();
  v1::GetReportResponse r;

  grpc::Status s = Report("support", "", from, from + absl::Hours(1), 20, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("interval 20m"));

  s = Report("support", "", from, from + absl::Hours(24 * 32), 60, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("768h"));
  EXPECT_THAT(s.error_message(), HasSubstr("at most 31 days"));

  s = Report("support", "", from, from, 60, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("is not before"));

  s = Report("nowhere", "", from, from + absl::Hours(1), 60, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("unknown queue \"nowhere\""));

  s = Report("", "mallory", from, from + absl::Hours(1), 60, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("unknown agent \"mallory\""));

  s = Report("", "", from, from + absl::Hours(1), 60, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("queue or agent_id"));

  v1::GetReportRequest no_times;
  no_times.set_queue("support");
  s = stubs_->admin->GetReport(Ctx().get(), no_times, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("from is required"));

  // Nothing changed: no events, and the call still waits with bob.
  EXPECT_EQ(EventCount(), events_before);
  EXPECT_EQ(GetCall("c1").state(), v1::CALL_STATE_OFFERED);
}

TEST_F(ReportTest, QueueRemovedFromTheConfigIsReportedFromItsRecords) {
  ASSERT_TRUE(Enqueue("s1", "sales").ok());
  ASSERT_TRUE(Abandon("s1").ok());
  std::string text = Replaced(testing::kTestConfig,
                              "  - name: sales\n    offer_timeout: 2s\n    wrap_up_time: 0s\n", "");
  dir_.Write("acd.yaml", Replaced(text, "[support, sales]", "[support]"));
  v1::ReloadConfigResponse reloaded;
  grpc::Status s = stubs_->admin->ReloadConfig(Ctx().get(), v1::ReloadConfigRequest(), &reloaded);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_THAT(reloaded.queues(), ElementsAre("support"));

  const absl::Time from = ThisHour();
  v1::GetReportResponse r;
  s = Report("sales", "", from, from + absl::Hours(2), 60, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r.total().offered(), 1);
  EXPECT_EQ(r.total().abandoned(), 1);
  EXPECT_EQ(r.service_level_threshold().seconds(), 20);  // the defaults
  EXPECT_EQ(r.short_abandon().seconds(), 5);
}

}  // namespace
}  // namespace acd
