// The gRPC API against an in-process Daemon on 127.0.0.1 port 0, with its
// SQLite file in a temp dir: real server, real gRPC, real store.
#include "server/app/daemon.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/client.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/test_daemon.h"

namespace acd {
namespace {

using ::acd::testing::Ctx;
using ::acd::testing::EventWatch;
using ::acd::testing::OfferStream;
using ::acd::testing::Query;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class DaemonTest : public testing::DaemonFixture {
 protected:
  void SetUp() override { StartDaemon(testing::kTestConfig); }
};

TEST_F(DaemonTest, HealthIsServing) {
  auto health = grpc::health::v1::Health::NewStub(stubs_->channel);
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  ASSERT_TRUE(health->Check(Ctx().get(), req, &resp).ok());
  EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(DaemonTest, WholeLifeOfACallIsStreamedAndStored) {
  EventWatch events(client());
  client().Login("bob");
  OfferStream offers(client(), "bob");
  auto enq = client().Enqueue("call-1", {.queue = "support",
                                         .priority = 3,
                                         .attributes = {{"caller", "+15550100"}},
                                         .skills = {{"english", 3}}});
  ASSERT_TRUE(enq.ok());
  EXPECT_TRUE(enq->created());

  v1::OfferUpdate offer = offers.Next();
  ASSERT_TRUE(offer.has_offer());
  EXPECT_EQ(offer.offer().call().call_id(), "call-1");
  EXPECT_EQ(offer.offer().call().attributes().at("caller"), "+15550100");
  EXPECT_TRUE(offer.offer().call().has_offer_expires_at());

  ASSERT_TRUE(client().Accept("bob", "call-1").ok());
  EXPECT_EQ(client().GetCall("call-1")->state(), v1::CALL_STATE_CONNECTED);
  ASSERT_TRUE(client().End("call-1").ok());
  EXPECT_EQ(client().GetCall("call-1")->state(), v1::CALL_STATE_WRAP_UP);
  ASSERT_TRUE(client().Complete("bob", "call-1", "sale", "upgraded to gold").ok());
  v1::Call done = *client().GetCall("call-1");
  EXPECT_EQ(done.state(), v1::CALL_STATE_COMPLETED);
  EXPECT_EQ(done.disposition(), "sale");

  std::vector<v1::EventType> seen;
  int64_t last_seq = 0;
  v1::Event e;
  while (seen.size() < 6 && events.Read(&e)) {
    EXPECT_GT(e.seq(), last_seq);
    last_seq = e.seq();
    seen.push_back(e.type());
  }
  EXPECT_THAT(seen, ElementsAre(v1::EVENT_TYPE_AGENT_LOGGED_IN, v1::EVENT_TYPE_CALL_QUEUED,
                                v1::EVENT_TYPE_CALL_OFFERED, v1::EVENT_TYPE_CALL_CONNECTED,
                                v1::EVENT_TYPE_CALL_ENDED, v1::EVENT_TYPE_CALL_COMPLETED));
  events.Cancel();

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
  for (const char* id : {"t0", "t1", "t2"}) ASSERT_TRUE(client().Enqueue(id).ok());
  client().Login("bob");
  for (const char* id : {"t0", "t1", "t2"}) {
    auto agents = client().ListAgents();
    ASSERT_TRUE(agents.ok());
    std::string offered;
    for (const v1::Agent& a : agents->agents()) {
      if (a.agent_id() == "bob") offered = a.call_id();
    }
    EXPECT_EQ(offered, id);
    ASSERT_TRUE(client().Accept("bob", id).ok());
    ASSERT_TRUE(client().End(id).ok());
    ASSERT_TRUE(client().Complete("bob", id).ok());
  }
}

TEST_F(DaemonTest, LongestIdleAgentGetsTheCall) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(testing::kTestConfig, {.time_system = &time_}));
  client().Login("alice");
  time_.Advance(absl::Seconds(1));
  client().Login("bob");
  ASSERT_TRUE(client().Enqueue("c1").ok());
  EXPECT_EQ(client().GetCall("c1")->agent_id(), "alice");
  EXPECT_EQ(client().GetCall("c1")->state(), v1::CALL_STATE_OFFERED);
  ASSERT_TRUE(client().Enqueue("c2").ok());
  EXPECT_EQ(client().GetCall("c2")->agent_id(), "bob");
}

TEST_F(DaemonTest, AbandonWhileOfferedWithdrawsTheOfferFromTheStream) {
  client().Login("bob");
  OfferStream offers(client(), "bob");
  ASSERT_TRUE(client().Enqueue("c1").ok());
  ASSERT_TRUE(offers.Next().has_offer());
  auto abandoned = client().Abandon("c1");
  ASSERT_TRUE(abandoned.ok());
  EXPECT_EQ(abandoned->state(), v1::CALL_STATE_ABANDONED);
  v1::OfferUpdate update = offers.Next();
  ASSERT_TRUE(update.has_withdrawn());
  EXPECT_EQ(update.withdrawn().call_id(), "c1");
  EXPECT_EQ(update.withdrawn().reason(), "caller_hangup");
  EXPECT_EQ(client().Accept("bob", "c1").error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(DaemonTest, OfferStreamStartsWithTheOutstandingOffer) {
  client().Login("bob");
  ASSERT_TRUE(client().Enqueue("c1").ok());
  OfferStream offers(client(), "bob");
  v1::OfferUpdate first = offers.Next();
  ASSERT_TRUE(first.has_offer());
  EXPECT_EQ(first.offer().call().call_id(), "c1");
}

TEST_F(DaemonTest, OfferStreamForUnknownAgentIsNotFound) {
  OfferStream offers(client(), "mallory");
  v1::OfferUpdate update;
  EXPECT_FALSE(offers.Read(&update));
  grpc::Status s = offers.Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("\"mallory\""));
}

// Bad input: the canonical code, the offending value in the message, and nothing changed.
TEST_F(DaemonTest, BadInputIsRefusedAndChangesNothing) {
  client().Login("bob");
  ASSERT_TRUE(client().Enqueue("c1").ok());  // offered to bob
  int64_t events_before = std::stoll(Query(db_path_, "SELECT count(*) FROM events")[0][0]);

  grpc::Status s = client().Enqueue("").status();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("call_id"));

  s = client().Enqueue("c2", "no-such-queue").status();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("\"no-such-queue\""));

  s = client().Accept("alice", "c1").status();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("\"c1\""));
  EXPECT_THAT(s.error_message(), HasSubstr("\"alice\""));

  s = client().Login("mallory", /*ready=*/false).status();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("\"mallory\""));

  s = client().SetState("bob", v1::AGENT_STATE_BUSY).status();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("AGENT_STATE_BUSY"));

  v1::Call call = *client().GetCall("c1");
  EXPECT_EQ(call.state(), v1::CALL_STATE_OFFERED);
  EXPECT_EQ(call.agent_id(), "bob");
  auto calls = client().ListCalls();
  ASSERT_TRUE(calls.ok());
  EXPECT_EQ(calls->calls_size(), 1);
  EXPECT_EQ(std::stoll(Query(db_path_, "SELECT count(*) FROM events")[0][0]), events_before);
}

TEST_F(DaemonTest, EnqueueIsIdempotent) {
  auto first = client().Enqueue("c1", "support");
  ASSERT_TRUE(first.ok());
  auto again = client().Enqueue("c1", "support");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(first->created());
  EXPECT_FALSE(again->created());
  EXPECT_EQ(client().Enqueue("c1", "sales").error_code(), grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(DaemonTest, QueueStatsCountByState) {
  client().Login("bob");
  ASSERT_TRUE(client().Enqueue("c1").ok());
  ASSERT_TRUE(client().Enqueue("c2").ok());
  ASSERT_TRUE(client().Accept("bob", "c1").ok());
  auto stats = client().QueueStats("support");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->queued(), 1);
  EXPECT_EQ(stats->connected(), 1);
  EXPECT_EQ(stats->agents_busy(), 1);
  EXPECT_EQ(stats->agents_logged_out(), 2);
  auto queues = client().ListQueues();
  ASSERT_TRUE(queues.ok());
  ASSERT_EQ(queues->queues_size(), 2);
  EXPECT_EQ(queues->queues(0).name(), "sales");
  EXPECT_EQ(queues->queues(1).stats().queued(), 1);
}

TEST_F(DaemonTest, TransferAndMoveOverGrpc) {
  client().Login("bob");
  ASSERT_TRUE(client().Enqueue("c1").ok());
  ASSERT_TRUE(client().Accept("bob", "c1").ok());
  client().Login("carol");  // serves support and sales

  v1::TransferCallRequest bad;
  bad.set_call_id("c1");
  EXPECT_EQ(client().Transfer(bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::TransferCallRequest to_agent;
  to_agent.set_call_id("c1");
  to_agent.set_agent_id("carol");
  to_agent.set_fallback_queue("sales");
  auto call = client().Transfer(to_agent);
  ASSERT_TRUE(call.ok());
  EXPECT_EQ(call->state(), v1::CALL_STATE_OFFERED);
  EXPECT_EQ(call->agent_id(), "carol");
  EXPECT_EQ(call->transfers(), 1);

  // A supervisor moves the call to sales instead: the offer is withdrawn, and
  // carol (a sales agent, free again) is offered it there.
  ASSERT_TRUE(client().Move("c1", "sales").ok());
  v1::Call now = *client().GetCall("c1");
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
  grpc::Status s = client().Reload().status();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("acd.yaml:3:20"));
  EXPECT_THAT(s.error_message(), HasSubstr("20x"));
  ASSERT_TRUE(client().Enqueue("c1", "sales").ok());  // sales is still there

  auto vresp = client().Validate("queues:\n  - name: a\n  - name: a\n");
  ASSERT_TRUE(vresp.ok());
  EXPECT_FALSE(vresp->valid());
  ASSERT_EQ(vresp->problems_size(), 1);
  EXPECT_EQ(vresp->problems(0).line(), 3);
}

TEST_F(DaemonTest, GoodConfigReloadApplies) {
  std::string text = testing::kTestConfig;
  text += "  - id: dave\n    skills: {english: 5}\n    queues: [sales]\n";
  dir_.Write("acd.yaml", text);
  auto resp = client().Reload();
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->config_hash().size(), 64u);
  EXPECT_THAT(resp->agents(), ::testing::Contains("dave"));
  client().Login("dave");
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

  int64_t EventCount() { return std::stoll(Query(db_path_, "SELECT count(*) FROM events")[0][0]); }
};

TEST_F(ReportTest, ReportCountsAnsweredAbandonedAndLiveCallsWithTheQueuesThresholds) {
  // support's thresholds from the current config: 15s and 3s.
  dir_.Write("acd.yaml", Replaced(testing::kTestConfig, "    wrap_up_time: 30s\n",
                                  "    wrap_up_time: 30s\n    service_level_threshold: 15s\n"
                                  "    short_abandon: 3s\n"));
  ASSERT_TRUE(client().Reload().ok());

  client().Login("bob");
  ASSERT_TRUE(client().Enqueue("c1").ok());  // offered to bob
  ASSERT_TRUE(client().Accept("bob", "c1").ok());
  ASSERT_TRUE(client().End("c1").ok());
  ASSERT_TRUE(client().Complete("bob", "c1", "resolved").ok());
  ASSERT_TRUE(client().Enqueue("c2").ok());  // offered to bob; the caller hangs up at once
  ASSERT_TRUE(client().Abandon("c2").ok());
  ASSERT_TRUE(client().Enqueue("c3", "sales").ok());  // nobody serves sales: still waiting

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
  client().Login("bob");
  ASSERT_TRUE(client().Enqueue("c1").ok());
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
  EXPECT_EQ(client().GetCall("c1")->state(), v1::CALL_STATE_OFFERED);
}

TEST_F(ReportTest, QueueRemovedFromTheConfigIsReportedFromItsRecords) {
  ASSERT_TRUE(client().Enqueue("s1", "sales").ok());
  ASSERT_TRUE(client().Abandon("s1").ok());
  std::string text = Replaced(testing::kTestConfig,
                              "  - name: sales\n    offer_timeout: 2s\n    wrap_up_time: 0s\n", "");
  dir_.Write("acd.yaml", Replaced(text, "[support, sales]", "[support]"));
  auto reloaded = client().Reload();
  ASSERT_TRUE(reloaded.ok()) << reloaded.error_message();
  ASSERT_THAT(reloaded->queues(), ElementsAre("support"));

  const absl::Time from = ThisHour();
  v1::GetReportResponse r;
  grpc::Status s = Report("sales", "", from, from + absl::Hours(2), 60, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r.total().offered(), 1);
  EXPECT_EQ(r.total().abandoned(), 1);
  EXPECT_EQ(r.service_level_threshold().seconds(), 20);  // the defaults
  EXPECT_EQ(r.short_abandon().seconds(), 5);
}

}  // namespace
}  // namespace acd
