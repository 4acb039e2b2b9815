// Routing end to end: a YAML config with rules, skills, priorities and
// overflows, loaded by a real in-process Daemon and exercised over real gRPC,
// with the outcome checked in the SQLite store.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
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

// vip and general share the agent "both"; general has a Spanish and an English
// speaker; small holds one waiting call and overflows the next to spill, and
// brief gives up on a call after 20ms and overflows it to spill too.
constexpr char kRoutingConfig[] = R"(server:
  listen: 127.0.0.1:0
skills: [english, spanish]
queues:
  - name: vip
    wrap_up_time: 0s
  - name: general
    wrap_up_time: 0s
  - name: small
    max_size: 1
    on_full: {overflow: spill}
  - name: brief
    max_wait: 20ms
    on_timeout: {overflow: spill}
  - name: spill
    wrap_up_time: 0s
agents:
  - id: both
    skills: {english: 5}
    queues: [general, vip]
  - id: john
    skills: {english: 8}
    queues: [general]
  - id: maria
    skills: {english: 3, spanish: 5}
    queues: [general]
  - id: sam
    queues: [spill]
routing:
  - name: vip
    when: 'tier == "gold"'
    queue: vip
    priority: 8
  - name: spanish
    when: 'language == "es"'
    queue: general
    skills: {spanish: 3}
  - name: default
    queue: general
)";

class RoutingE2eTest : public testing::DaemonFixture {
 protected:
  // On simulated time: waits and limits pass when the test says so.
  void SetUp() override { StartDaemon(kRoutingConfig, {.time_system = &time_}); }

  void Login(const std::string& agent) {
    v1::LoginRequest req;
    req.set_agent_id(agent);
    req.set_ready(true);
    v1::Agent resp;
    grpc::Status s = stubs_->agents->Login(Ctx().get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // Enqueues without a queue unless one is given: the routing rules decide.
  v1::Call Enqueue(const std::string& id, std::map<std::string, std::string> attributes,
                   const std::string& queue = "", std::map<std::string, int> skills = {}) {
    v1::EnqueueCallRequest req;
    req.set_call_id(id);
    req.set_queue(queue);
    for (const auto& [k, v] : attributes) (*req.mutable_attributes())[k] = v;
    for (const auto& [k, v] : skills) (*req.mutable_required_skills())[k] = v;
    v1::EnqueueCallResponse resp;
    grpc::Status s = stubs_->calls->EnqueueCall(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << id << ": " << s.error_message();
    return resp.call();
  }

  v1::Call GetCall(const std::string& id) {
    v1::GetCallRequest req;
    req.set_call_id(id);
    v1::Call resp;
    grpc::Status s = stubs_->calls->GetCall(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  // Accepts and ends the call offered to `agent` (no wrap-up in these queues).
  void Handle(const std::string& agent, const std::string& call) {
    v1::AcceptOfferRequest accept;
    accept.set_agent_id(agent);
    accept.set_call_id(call);
    v1::Call resp;
    grpc::Status s = stubs_->agents->AcceptOffer(Ctx().get(), accept, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    v1::EndCallRequest end;
    end.set_call_id(call);
    s = stubs_->calls->EndCall(Ctx().get(), end, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // Event types of `call` in the store, in seq order.
  std::vector<std::string> StoredEvents(const std::string& call) {
    std::vector<std::string> types;
    for (const auto& row : Query(db_path_, "SELECT type, queue FROM events WHERE call_id = '" +
                                               call + "' ORDER BY seq")) {
      types.push_back(row[0] + "@" + row[1]);
    }
    return types;
  }
};

// A WatchEvents stream for one call, live once constructed.
class EventWatch {
 public:
  EventWatch(v1::CallService::Stub* stub, const std::string& call_id) {
    ctx_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::WatchEventsRequest req;
    req.set_call_id(call_id);
    reader_ = stub->WatchEvents(&ctx_, req);
    reader_->WaitForInitialMetadata();
  }
  ~EventWatch() {
    ctx_.TryCancel();
    v1::Event ignored;
    while (reader_->Read(&ignored)) {
    }
    reader_->Finish();
  }
  // Reads until an event of `type` (false if the stream ends first).
  bool WaitFor(v1::EventType type, v1::Event* out) {
    while (reader_->Read(out)) {
      if (out->type() == type) return true;
    }
    return false;
  }

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<v1::Event>> reader_;
};

TEST_F(RoutingE2eTest, VipRuleSetsQueueAndPriorityAndIsAnsweredFirst) {
  v1::Call normal = Enqueue("normal-1", {{"tier", "silver"}});
  EXPECT_EQ(normal.queue(), "general");  // the default rule
  EXPECT_EQ(normal.priority(), 0);
  time_.Advance(absl::Seconds(1));  // normal-1 has waited longer
  v1::Call gold = Enqueue("gold-1", {{"tier", "gold"}});
  EXPECT_EQ(gold.queue(), "vip");
  EXPECT_EQ(gold.priority(), 8);

  // "both" serves general and vip: the priority-8 call goes first although
  // the normal call arrived earlier.
  Login("both");
  v1::Call offered = GetCall("gold-1");
  EXPECT_EQ(offered.state(), v1::CALL_STATE_OFFERED);
  EXPECT_EQ(offered.agent_id(), "both");
  EXPECT_EQ(GetCall("normal-1").state(), v1::CALL_STATE_QUEUED);
  Handle("both", "gold-1");
  EXPECT_EQ(GetCall("normal-1").agent_id(), "both");
  EXPECT_EQ(GetCall("normal-1").state(), v1::CALL_STATE_OFFERED);

  auto stored = Query(db_path_, "SELECT queue, priority FROM calls WHERE call_id = 'gold-1'");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_THAT(stored[0], ElementsAre("vip", "8"));
}

TEST_F(RoutingE2eTest, SpanishCallGoesToTheSpanishSpeakerOnly) {
  Login("john");  // idle longest: he would get any call he is able to take
  time_.Advance(absl::Seconds(1));
  Login("maria");

  // By rule (language == "es" adds spanish >= 3) and by request.
  v1::Call by_rule = Enqueue("es-1", {{"language", "es"}});
  EXPECT_EQ(by_rule.queue(), "general");
  EXPECT_EQ(by_rule.required_skills().at("spanish"), 3);
  EXPECT_EQ(GetCall("es-1").agent_id(), "maria");
  Handle("maria", "es-1");

  Enqueue("es-2", {}, "general", {{"spanish", 3}});
  EXPECT_EQ(GetCall("es-2").agent_id(), "maria");
  EXPECT_EQ(GetCall("es-2").state(), v1::CALL_STATE_OFFERED);

  // An English call goes to john, who was passed over for both.
  Enqueue("en-1", {{"language", "en"}});
  EXPECT_EQ(GetCall("en-1").agent_id(), "john");
}

TEST_F(RoutingE2eTest, FullQueueOverflowsAtEnqueueAndAnAgentThereAnswers) {
  EventWatch watch(stubs_->calls.get(), "c2");
  EXPECT_EQ(Enqueue("c1", {}, "small").queue(), "small");
  v1::Call c2 = Enqueue("c2", {}, "small");  // small is full (max_size 1)
  EXPECT_EQ(c2.queue(), "spill");
  EXPECT_EQ(c2.state(), v1::CALL_STATE_QUEUED);
  EXPECT_EQ(GetCall("c2").queue(), "spill");

  // The call never waited in small: it is queued in spill, saying why.
  v1::Event queued;
  ASSERT_TRUE(watch.WaitFor(v1::EVENT_TYPE_CALL_QUEUED, &queued));
  EXPECT_EQ(queued.queue(), "spill");
  EXPECT_EQ(queued.reason(), "overflowed from small");

  Login("sam");
  EXPECT_EQ(GetCall("c2").agent_id(), "sam");
  Handle("sam", "c2");
  EXPECT_THAT(StoredEvents("c2"),
              ElementsAre("call_queued@spill", "call_offered@spill", "call_connected@spill",
                          "call_ended@spill", "call_completed@spill"));
  EXPECT_EQ(Query(db_path_,
                  "SELECT reason FROM events WHERE call_id = 'c2' AND seq = "
                  "(SELECT min(seq) FROM events WHERE call_id = 'c2')")[0][0],
            "overflowed from small");
  EXPECT_EQ(GetCall("c1").queue(), "small");
}

TEST_F(RoutingE2eTest, MaxWaitOverflowsAWaitingCall) {
  EventWatch watch(stubs_->calls.get(), "c3");
  EXPECT_EQ(Enqueue("c3", {}, "brief").queue(), "brief");
  time_.Advance(absl::Milliseconds(19));
  EXPECT_EQ(GetCall("c3").queue(), "brief");
  time_.Advance(absl::Milliseconds(1));  // brief's max_wait
  v1::Event moved;
  ASSERT_TRUE(watch.WaitFor(v1::EVENT_TYPE_CALL_OVERFLOWED, &moved));
  EXPECT_EQ(moved.queue(), "spill");
  EXPECT_EQ(moved.reason(), "max_wait from brief");
  v1::Call c3 = GetCall("c3");
  EXPECT_EQ(c3.queue(), "spill");
  EXPECT_EQ(c3.state(), v1::CALL_STATE_QUEUED);

  Login("sam");
  EXPECT_EQ(GetCall("c3").agent_id(), "sam");
  EXPECT_THAT(StoredEvents("c3"),
              ElementsAre("call_queued@brief", "call_overflowed@spill", "call_offered@spill"));
}

}  // namespace
}  // namespace acd
