// Routing end to end: a YAML config with rules, skills, priorities and
// overflows, loaded by a real in-process Daemon and exercised over real gRPC,
// with the outcome checked in the SQLite store.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "server/app/daemon.h"
#include "tests/support/client.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/test_daemon.h"

namespace acd {
namespace {

using ::acd::testing::EventWatch;
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

  // Accepts and ends the call offered to `agent` (no wrap-up in these queues).
  void Handle(const std::string& agent, const std::string& call) {
    auto accepted = client().Accept(agent, call);
    ASSERT_TRUE(accepted.ok()) << accepted.error_message();
    auto ended = client().End(call);
    ASSERT_TRUE(ended.ok()) << ended.error_message();
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

TEST_F(RoutingE2eTest, VipRuleSetsQueueAndPriorityAndIsAnsweredFirst) {
  v1::Call normal = client().Enqueue("normal-1", {.attributes = {{"tier", "silver"}}})->call();
  EXPECT_EQ(normal.queue(), "general");  // the default rule
  EXPECT_EQ(normal.priority(), 0);
  time_.Advance(absl::Seconds(1));  // normal-1 has waited longer
  v1::Call gold = client().Enqueue("gold-1", {.attributes = {{"tier", "gold"}}})->call();
  EXPECT_EQ(gold.queue(), "vip");
  EXPECT_EQ(gold.priority(), 8);

  // "both" serves general and vip: the priority-8 call goes first although
  // the normal call arrived earlier.
  client().Login("both");
  v1::Call offered = *client().GetCall("gold-1");
  EXPECT_EQ(offered.state(), v1::CALL_STATE_OFFERED);
  EXPECT_EQ(offered.agent_id(), "both");
  EXPECT_EQ(client().GetCall("normal-1")->state(), v1::CALL_STATE_QUEUED);
  Handle("both", "gold-1");
  EXPECT_EQ(client().GetCall("normal-1")->agent_id(), "both");
  EXPECT_EQ(client().GetCall("normal-1")->state(), v1::CALL_STATE_OFFERED);

  auto stored = Query(db_path_, "SELECT queue, priority FROM calls WHERE call_id = 'gold-1'");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_THAT(stored[0], ElementsAre("vip", "8"));
}

TEST_F(RoutingE2eTest, SpanishCallGoesToTheSpanishSpeakerOnly) {
  client().Login("john");  // idle longest: he would get any call he is able to take
  time_.Advance(absl::Seconds(1));
  client().Login("maria");

  // By rule (language == "es" adds spanish >= 3) and by request.
  v1::Call by_rule = client().Enqueue("es-1", {.attributes = {{"language", "es"}}})->call();
  EXPECT_EQ(by_rule.queue(), "general");
  EXPECT_EQ(by_rule.required_skills().at("spanish"), 3);
  EXPECT_EQ(client().GetCall("es-1")->agent_id(), "maria");
  Handle("maria", "es-1");

  client().Enqueue("es-2", {.queue = "general", .skills = {{"spanish", 3}}});
  EXPECT_EQ(client().GetCall("es-2")->agent_id(), "maria");
  EXPECT_EQ(client().GetCall("es-2")->state(), v1::CALL_STATE_OFFERED);

  // An English call goes to john, who was passed over for both.
  client().Enqueue("en-1", {.attributes = {{"language", "en"}}});
  EXPECT_EQ(client().GetCall("en-1")->agent_id(), "john");
}

TEST_F(RoutingE2eTest, FullQueueOverflowsAtEnqueueAndAnAgentThereAnswers) {
  EventWatch watch(client(), {.call_id = "c2"});
  EXPECT_EQ(client().Enqueue("c1", {.queue = "small"})->call().queue(), "small");
  v1::Call c2 = client().Enqueue("c2", {.queue = "small"})->call();  // small is full (max_size 1)
  EXPECT_EQ(c2.queue(), "spill");
  EXPECT_EQ(c2.state(), v1::CALL_STATE_QUEUED);
  EXPECT_EQ(client().GetCall("c2")->queue(), "spill");

  // The call never waited in small: it is queued in spill, saying why.
  std::optional<v1::Event> queued = watch.WaitFor(v1::EVENT_TYPE_CALL_QUEUED);
  ASSERT_TRUE(queued);
  EXPECT_EQ(queued->queue(), "spill");
  EXPECT_EQ(queued->reason(), "overflowed from small");

  client().Login("sam");
  EXPECT_EQ(client().GetCall("c2")->agent_id(), "sam");
  Handle("sam", "c2");
  EXPECT_THAT(StoredEvents("c2"),
              ElementsAre("call_queued@spill", "call_offered@spill", "call_connected@spill",
                          "call_ended@spill", "call_completed@spill"));
  EXPECT_EQ(Query(db_path_,
                  "SELECT reason FROM events WHERE call_id = 'c2' AND seq = "
                  "(SELECT min(seq) FROM events WHERE call_id = 'c2')")[0][0],
            "overflowed from small");
  EXPECT_EQ(client().GetCall("c1")->queue(), "small");
}

TEST_F(RoutingE2eTest, MaxWaitOverflowsAWaitingCall) {
  EventWatch watch(client(), {.call_id = "c3"});
  EXPECT_EQ(client().Enqueue("c3", {.queue = "brief"})->call().queue(), "brief");
  time_.Advance(absl::Milliseconds(19));
  EXPECT_EQ(client().GetCall("c3")->queue(), "brief");
  time_.Advance(absl::Milliseconds(1));  // brief's max_wait
  std::optional<v1::Event> moved = watch.WaitFor(v1::EVENT_TYPE_CALL_OVERFLOWED);
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->queue(), "spill");
  EXPECT_EQ(moved->reason(), "max_wait from brief");
  v1::Call c3 = *client().GetCall("c3");
  EXPECT_EQ(c3.queue(), "spill");
  EXPECT_EQ(c3.state(), v1::CALL_STATE_QUEUED);

  client().Login("sam");
  EXPECT_EQ(client().GetCall("c3")->agent_id(), "sam");
  EXPECT_THAT(StoredEvents("c3"),
              ElementsAre("call_queued@brief", "call_overflowed@spill", "call_offered@spill"));
}

}  // namespace
}  // namespace acd
