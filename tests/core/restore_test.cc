// Engine::Restore: a restarted engine takes back the live state its events
// recorded (README "Crash recovery"). Each test runs an engine, folds its
// events as the store would (snapshot_fold.h), "crashes", and restores a new
// engine from the fold at a later time on the manual clock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>

#include "tests/core/routing_fixture.h"
#include "tests/core/snapshot_fold.h"

namespace acd::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RestoreTest : public RoutingTest {
 protected:
  // Everything the first engine recorded, then a new engine with the same
  // config restored from it at now_. Returns the restore's status.
  absl::Status Restart(EngineOptions options = {}) {
    fold_.Add(engine_.TakeEvents());
    after_ = std::make_unique<Engine>(options);
    if (absl::Status s = after_->ApplyConfig(config_, now_); !s.ok()) return s;
    after_->TakeEvents();
    // Every finished call the fold holds: the new engine keeps its own bound.
    absl::Status s = after_->Restore(fold_.State(), now_);
    restore_events_ = after_->TakeEvents();
    return s;
  }
  void TearDown() override {
    RoutingTest::TearDown();
    if (after_) {
      absl::Status s = after_->CheckInvariants();
      EXPECT_TRUE(s.ok()) << s;
    }
  }
  Call After(const std::string& id) {
    absl::StatusOr<Call> c = after_->GetCall(id);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *c : Call{};
  }
  Agent AfterAgent(const std::string& id) {
    absl::StatusOr<Agent> a = after_->GetAgent(id);
    EXPECT_TRUE(a.ok()) << a.status();
    return a.ok() ? *a : Agent{};
  }
  std::vector<std::string> TypesOf(const std::vector<Event>& events) {
    std::vector<std::string> out;
    for (const Event& e : events) {
      out.push_back(absl::StrCat(EventTypeName(e.type), e.call_id.empty() ? "" : " ", e.call_id));
    }
    return out;
  }
  void Accept(const std::string& agent) {
    std::string call = OfferOf(agent);
    ASSERT_FALSE(call.empty()) << agent << " has no offer";
    ASSERT_TRUE(engine_.AcceptOffer(agent, call, now_).ok());
  }

  SnapshotFold fold_;
  std::unique_ptr<Engine> after_;
  std::vector<Event> restore_events_;
};

TEST_F(RestoreTest, WaitingCallsComeBackInTheirOrderWithTheirArrivalTimes) {
  config_.queues = {MakeQueue("q")};
  config_.agents = {MakeAgent("a", {"q"})};
  Apply();
  ASSERT_TRUE(Enqueue("first", "q").ok());
  now_ += absl::Seconds(10);
  ASSERT_TRUE(Enqueue("vip", "q", /*priority=*/5).ok());
  ASSERT_TRUE(Enqueue("second", "q").ok());  // same instant: arrival order decides
  now_ += absl::Minutes(3);                  // acdd is down for 3 minutes
  ASSERT_TRUE(Restart().ok());

  EXPECT_EQ(After("vip").position, 1);
  EXPECT_EQ(After("first").position, 2);
  EXPECT_EQ(After("second").position, 3);
  EXPECT_EQ(After("first").enqueued_at, kT0);
  EXPECT_EQ(After("second").enqueued_at, kT0 + absl::Seconds(10));
  EXPECT_EQ(After("second").state, CallState::kQueued);
  EXPECT_THAT(TypesOf(restore_events_), ElementsAre("state_restored"));
  EXPECT_EQ(restore_events_[0].reason, "3 live calls, 0 agents logged in");

  // A call arriving now goes behind them, and the agent takes them in order.
  ASSERT_TRUE(after_->EnqueueCall({.call_id = "new", .queue = "q"}, now_).ok());
  EXPECT_EQ(After("new").position, 4);
  ASSERT_TRUE(after_->Login("a", true, now_).ok());
  EXPECT_EQ(after_->OutstandingOffer("a")->call_id, "vip");
}

TEST_F(RestoreTest, AnOfferOutAtTheCrashIsWithdrawnNotCountedAsMissed) {
  QueueConfig q = MakeQueue("q");
  q.max_missed_offers = 1;  // one miss would put the agent away
  config_.queues = {q};
  config_.agents = {MakeAgent("a", {"q"})};
  Apply();
  Ready("a");
  ASSERT_TRUE(Enqueue("c1", "q").ok());
  ASSERT_EQ(OfferOf("a"), "c1");
  now_ += absl::Seconds(30);  // past the offer's timeout while down
  ASSERT_TRUE(Restart().ok());

  // Withdrawn, then offered again to the same (only) agent, who stays in line.
  EXPECT_THAT(TypesOf(restore_events_),
              ElementsAre("state_restored", "offer_withdrawn c1", "call_offered c1"));
  EXPECT_EQ(restore_events_[1].reason, "acdd_restarted");
  EXPECT_EQ(After("c1").missed_offers, 0);
  EXPECT_EQ(After("c1").enqueued_at, kT0);
  EXPECT_EQ(AfterAgent("a").state, AgentState::kReserved);
  EXPECT_EQ(AfterAgent("a").consecutive_missed_offers, 0);
  // The new offer has a full timeout from now.
  EXPECT_EQ(After("c1").offer_expires_at, now_ + q.offer_timeout);
}

TEST_F(RestoreTest, ConnectedAndWrapUpCallsStayWithTheirAgents) {
  QueueConfig q = MakeQueue("q");
  q.wrap_up_time = absl::Seconds(60);
  config_.queues = {q};
  config_.agents = {MakeAgent("a", {"q"}), MakeAgent("b", {"q"})};
  Apply();
  Ready("a");
  ASSERT_TRUE(Enqueue("talking", "q").ok());
  Accept("a");
  Ready("b");
  ASSERT_TRUE(Enqueue("wrapping", "q").ok());
  Accept("b");
  now_ += absl::Seconds(5);
  ASSERT_TRUE(engine_.EndCall("wrapping", now_).ok());  // b's wrap-up ends at +65 s
  now_ += absl::Seconds(20);
  ASSERT_TRUE(Restart().ok());

  EXPECT_EQ(After("talking").state, CallState::kConnected);
  EXPECT_EQ(After("talking").agent_id, "a");
  EXPECT_EQ(AfterAgent("a").state, AgentState::kBusy);
  EXPECT_EQ(AfterAgent("a").call_id, "talking");
  EXPECT_EQ(After("wrapping").state, CallState::kWrapUp);
  EXPECT_EQ(AfterAgent("b").state, AgentState::kWrapUp);
  EXPECT_EQ(AfterAgent("b").wrap_up_until, kT0 + absl::Seconds(65));

  // The wrap-up ends when it was due; the connected call ends normally.
  after_->AdvanceTo(kT0 + absl::Seconds(64));
  EXPECT_EQ(After("wrapping").state, CallState::kWrapUp);
  after_->AdvanceTo(kT0 + absl::Seconds(65));
  EXPECT_EQ(After("wrapping").state, CallState::kCompleted);
  EXPECT_EQ(AfterAgent("b").state, AgentState::kAvailable);
  ASSERT_TRUE(after_->EndCall("talking", kT0 + absl::Seconds(70)).ok());
  ASSERT_TRUE(
      after_->CompleteCall("a", "talking", "sale", "restored fine", kT0 + absl::Seconds(71)).ok());
  EXPECT_EQ(After("talking").disposition, "sale");
}

TEST_F(RestoreTest, LimitsCountFromBeforeTheCrash) {
  QueueConfig q = MakeQueue("q");
  q.max_wait = absl::Minutes(10);
  config_.queues = {q};
  config_.agents = {MakeAgent("a", {"q"})};
  Apply();
  ASSERT_TRUE(Enqueue("early", "q").ok());
  now_ += absl::Minutes(5);
  ASSERT_TRUE(Enqueue("late", "q").ok());
  now_ += absl::Minutes(6);  // down past early's max_wait
  ASSERT_TRUE(Restart().ok());

  // early's limit passed while acdd was down: it applies at once.
  EXPECT_EQ(After("early").state, CallState::kTimedOut);
  EXPECT_EQ(After("early").end_reason, "max_wait");
  // late's applies at its original time, 10 minutes after it arrived.
  after_->AdvanceTo(kT0 + absl::Minutes(15) - absl::Seconds(1));
  EXPECT_EQ(After("late").state, CallState::kQueued);
  after_->AdvanceTo(kT0 + absl::Minutes(15));
  EXPECT_EQ(After("late").state, CallState::kTimedOut);
}

TEST_F(RestoreTest, EscalationDueWhileDownAppliesWithoutRepeatingEarlierSteps) {
  QueueConfig q = MakeQueue("q");
  q.escalation = {{.after = absl::Minutes(1), .relax = {{"spanish", 2}}},
                  {.after = absl::Minutes(5), .drop = {"spanish"}}};
  config_.queues = {q};
  config_.agents = {MakeAgent("a", {"q"}, {{"french", 5}})};
  Apply();
  ASSERT_TRUE(Enqueue("c", "q", 0, {{"spanish", 4}}).ok());
  now_ += absl::Minutes(2);
  engine_.AdvanceTo(now_);
  ASSERT_EQ(Get("c").effective_skills, (SkillLevels{{"spanish", 2}}));
  now_ += absl::Minutes(1);
  ASSERT_TRUE(Restart().ok());
  EXPECT_EQ(After("c").effective_skills, (SkillLevels{{"spanish", 2}}));
  EXPECT_THAT(TypesOf(restore_events_), ElementsAre("state_restored"));
  // The next step comes at its time: then the French agent may take it.
  ASSERT_TRUE(after_->Login("a", true, now_).ok());
  EXPECT_FALSE(after_->OutstandingOffer("a").has_value());
  after_->AdvanceTo(kT0 + absl::Minutes(5));
  EXPECT_EQ(after_->OutstandingOffer("a")->call_id, "c");
}

TEST_F(RestoreTest, CallbacksKeepTheirPlaceWindowAndRetry) {
  QueueConfig q = MakeQueue("q");
  q.callback.enabled = true;
  q.callback.window = absl::Hours(1);
  q.callback.retry_interval = absl::Minutes(5);
  q.callback.max_attempts = 3;
  config_.queues = {q};
  config_.agents = {MakeAgent("a", {"q"})};
  Apply();
  ASSERT_TRUE(Enqueue("waiting", "q").ok());
  ASSERT_TRUE(engine_.RequestCallback("waiting", "+15550101", now_).ok());
  Ready("a");
  Accept("a");  // "waiting" connects: the integrator dials it
  ASSERT_TRUE(engine_.CallbackFailed("waiting", "no_answer", now_).ok());
  ASSERT_TRUE(engine_.SetAway("a", "lunch", now_).ok());
  ASSERT_TRUE(Enqueue("pending", "q").ok());
  ASSERT_TRUE(engine_.RequestCallback("pending", "+15550102", now_).ok());
  now_ += absl::Minutes(2);
  ASSERT_TRUE(Restart().ok());

  EXPECT_EQ(After("waiting").state, CallState::kCallbackScheduled);
  EXPECT_EQ(After("waiting").callback_retry_at, kT0 + absl::Minutes(5));
  EXPECT_EQ(After("pending").state, CallState::kQueued);
  EXPECT_EQ(After("pending").callback_window_end, kT0 + absl::Hours(1));
  EXPECT_EQ(after_->GetQueueStats("q", now_)->callbacks_pending, 2);
  // The retry comes back at its original place, ahead of the later callback.
  after_->AdvanceTo(kT0 + absl::Minutes(5));
  EXPECT_EQ(After("waiting").state, CallState::kQueued);
  EXPECT_EQ(After("waiting").position, 1);
  // Nobody takes them: the window ends both at the time it was asked with.
  after_->AdvanceTo(kT0 + absl::Hours(1));
  EXPECT_EQ(After("waiting").end_reason, "callback_withdrawn");
  EXPECT_EQ(After("pending").end_reason, "callback_withdrawn");
}

TEST_F(RestoreTest, AgentsKeepTheirLoginsStatesAndIdleOrder) {
  config_.queues = {MakeQueue("q")};
  config_.agents = {MakeAgent("a", {"q"}), MakeAgent("b", {"q"}), MakeAgent("c", {"q"}),
                    MakeAgent("d", {"q"})};
  Apply();
  Ready("b");
  now_ += absl::Seconds(10);
  Ready("a");  // b has been idle longer than a
  ASSERT_TRUE(engine_.Login("c", false, now_).ok());
  ASSERT_TRUE(engine_.SetAway("c", "lunch", now_).ok());
  now_ += absl::Minutes(1);
  ASSERT_TRUE(Restart().ok());

  EXPECT_EQ(AfterAgent("a").state, AgentState::kAvailable);
  EXPECT_EQ(AfterAgent("b").idle_since, kT0);
  EXPECT_EQ(AfterAgent("c").state, AgentState::kAway);
  EXPECT_EQ(AfterAgent("c").away_reason, "lunch");
  EXPECT_EQ(AfterAgent("d").state, AgentState::kLoggedOut);
  EXPECT_EQ(restore_events_[0].reason, "0 live calls, 3 agents logged in");
  // Longest idle first, as before the crash.
  ASSERT_TRUE(after_->EnqueueCall({.call_id = "c1", .queue = "q"}, now_).ok());
  EXPECT_EQ(After("c1").agent_id, "b");
}

TEST_F(RestoreTest, ARetriedEnqueueAfterARestartIsStillARetry) {
  config_.queues = {MakeQueue("q")};
  config_.rules = {RoutingRule{.name = "all", .when = nullptr, .queue = "q", .priority = 3}};
  Apply();
  // No queue in the request: the rule sets one (and the priority).
  ASSERT_TRUE(engine_.EnqueueCall({.call_id = "c1", .attributes = {{"lang", "en"}}}, now_).ok());
  ASSERT_TRUE(Restart().ok());
  absl::StatusOr<EnqueueResult> again =
      after_->EnqueueCall({.call_id = "c1", .attributes = {{"lang", "en"}}}, now_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->call.priority, 3);
  absl::StatusOr<EnqueueResult> other =
      after_->EnqueueCall({.call_id = "c1", .attributes = {{"lang", "fr"}}}, now_);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(RestoreTest, FinishedCallsStayReadableAndARetryOfOneIsStillARetry) {
  config_.queues = {MakeQueue("q")};
  config_.agents = {MakeAgent("a", {"q"})};
  Apply();
  Ready("a");
  ASSERT_TRUE(Enqueue("first", "q").ok());
  EXPECT_EQ(Take("a"), "first");  // completed: no wrap-up
  ASSERT_TRUE(Enqueue("second", "q").ok());
  now_ += absl::Minutes(2);
  EXPECT_EQ(Take("a"), "second");
  ASSERT_TRUE(engine_.SetAway("a", "lunch", now_).ok());
  ASSERT_TRUE(Enqueue("gone", "q", 0, {}, {{"lang", "en"}}).ok());
  ASSERT_TRUE(engine_.AbandonCall("gone", "hung up", now_).ok());
  now_ += absl::Minutes(1);
  ASSERT_TRUE(Restart(EngineOptions{.max_finished_calls = 2}).ok());

  // The latest two, as they finished; the oldest is past the bound, as it
  // would have been without the restart.
  EXPECT_EQ(After("second").state, CallState::kCompleted);
  EXPECT_EQ(After("second").agent_id, "a");
  EXPECT_EQ(After("gone").state, CallState::kAbandoned);
  EXPECT_EQ(after_->GetCall("first").status().code(), absl::StatusCode::kNotFound);
  // In no queue's stats, which count from the engine's start.
  EXPECT_EQ(after_->GetQueueStats("q", now_)->completed, 0);
  EXPECT_EQ(after_->GetQueueStats("q", now_)->abandoned, 0);
  // A retried EnqueueCall gets its call back instead of making a new one.
  absl::StatusOr<EnqueueResult> again =
      after_->EnqueueCall({.call_id = "gone", .queue = "q", .attributes = {{"lang", "en"}}}, now_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->call.state, CallState::kAbandoned);
  EXPECT_EQ(after_->EnqueueCall({.call_id = "gone", .queue = "q"}, now_).status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(RestoreTest, APendingTransferToAnAgentGoesToItsFallback) {
  config_.queues = {MakeQueue("q"), MakeQueue("escalations")};
  config_.agents = {MakeAgent("a", {"q"}), MakeAgent("b", {"q"})};
  Apply();
  Ready("a");
  ASSERT_TRUE(Enqueue("c1", "q").ok());
  Accept("a");
  Ready("b");
  ASSERT_TRUE(engine_.TransferToAgent("c1", "b", "escalations", now_).ok());
  ASSERT_EQ(OfferOf("b"), "c1");
  ASSERT_TRUE(Restart().ok());
  EXPECT_EQ(After("c1").state, CallState::kQueued);
  EXPECT_EQ(After("c1").queue, "escalations");
  EXPECT_EQ(AfterAgent("b").state, AgentState::kAvailable);
}

TEST_F(RestoreTest, AConfigWithoutTheQueueOfALiveCallIsRefused) {
  config_.queues = {MakeQueue("q"), MakeQueue("gone")};
  config_.agents = {MakeAgent("a", {"gone"})};
  Apply();
  ASSERT_TRUE(Enqueue("c1", "gone").ok());
  ASSERT_TRUE(Enqueue("c2", "gone").ok());
  Ready("a");
  Accept("a");
  config_.queues = {MakeQueue("q")};
  config_.agents = {};
  absl::Status s = Restart();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("queue \"gone\" (2 live call(s))"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("agent \"a\" (on call \"c1\")"));
  // Nothing was taken in.
  EXPECT_TRUE(restore_events_.empty());
  EXPECT_EQ(after_->GetCall("c2").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace acd::core
