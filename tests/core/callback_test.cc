// Estimated wait and callbacks (virtual hold), on a manual clock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/core/routing_fixture.h"

namespace acd::core {
namespace {

using ::testing::HasSubstr;

class CallbackTest : public RoutingTest {
 protected:
  // Queue "q": callbacks offered over 2 min of estimated wait, a 1 h window,
  // retries after 5 min, 3 attempts; handle time assumed 4 min.
  QueueConfig CallbackQueue() {
    QueueConfig q = MakeQueue("q");
    q.expected_handle_time = absl::Minutes(4);
    q.callback.enabled = true;
    q.callback.offer_over = absl::Minutes(2);
    q.callback.window = absl::Hours(1);
    q.callback.retry_interval = absl::Minutes(5);
    q.callback.max_attempts = 3;
    return q;
  }
  // Agents a and b logged in and each connected to a call, so new calls wait.
  void TwoBusyAgents() {
    config_.queues = {CallbackQueue()};
    config_.agents = {MakeAgent("a", {"q"}), MakeAgent("b", {"q"})};
    Apply();
    Ready("a");
    Ready("b");
    for (const char* id : {"busy-1", "busy-2"}) {
      ASSERT_TRUE(Enqueue(id, "q").ok());
      Call c = Get(id);
      ASSERT_TRUE(engine_.AcceptOffer(c.agent_id, id, now_).ok());
    }
    engine_.TakeEvents();
  }
  absl::StatusOr<EnqueueResult> EnqueueFull(const std::string& id) {
    EnqueueRequest request;
    request.call_id = id;
    request.queue = "q";
    return engine_.EnqueueCall(request, now_);
  }
  // Ends the call an agent holds (it completes at once: no wrap-up).
  void Finish(const std::string& agent) {
    absl::StatusOr<Agent> a = engine_.GetAgent(agent);
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(engine_.EndCall(a->call_id, now_).ok());
  }
  void Accept(const std::string& agent) {
    std::string call = OfferOf(agent);
    ASSERT_FALSE(call.empty()) << agent << " has no offer";
    ASSERT_TRUE(engine_.AcceptOffer(agent, call, now_).ok());
  }
};

TEST_F(CallbackTest, EstimatedWaitIsPositionTimesHandleTimeOverStaffedAgents) {
  TwoBusyAgents();
  for (const char* id : {"c1", "c2", "c3"}) ASSERT_TRUE(Enqueue(id, "q").ok());
  // 4 min handle time, 2 agents: each place in line is 2 min.
  EXPECT_EQ(Get("c1").estimated_wait, absl::Minutes(2));
  EXPECT_EQ(Get("c2").estimated_wait, absl::Minutes(4));
  EXPECT_EQ(Get("c3").estimated_wait, absl::Minutes(6));
  // A queue-level estimate is for the next arrival (place 4).
  EXPECT_EQ(engine_.GetQueueStats("q", now_)->estimated_wait, absl::Minutes(8));
  // Calls that complete teach the queue its real handle time: a's call took
  // 10 min, b's 10 min; now each place is 5 min.
  Advance(absl::Minutes(10));
  Finish("a");
  Finish("b");  // c1 and c2 go to a and b
  EXPECT_EQ(Get("c3").position, 1);
  EXPECT_EQ(Get("c3").estimated_wait, absl::Minutes(5));
}

TEST_F(CallbackTest, EstimatedWaitCountsOnlyStaffedAgentsWhoCouldTakeTheCall) {
  TwoBusyAgents();
  ASSERT_TRUE(Enqueue("c1", "q").ok());
  ASSERT_TRUE(engine_.SetAway("a", "break", now_).ok());  // pending until its call ends
  Advance(absl::Minutes(4));                              // the call took 4 min, as assumed
  Finish("a");                                            // a goes away instead of taking c1
  EXPECT_EQ(Get("c1").estimated_wait, absl::Minutes(4));  // b alone
  // A call needing a skill nobody staffed has no estimate.
  ASSERT_TRUE(Enqueue("french", "q", 0, {{"french", 1}}).ok());
  EXPECT_FALSE(Get("french").estimated_wait.has_value());
}

TEST_F(CallbackTest, EstimatedWaitCountsAgentsWhoLogInAfterTheCallWaits) {
  config_.queues = {CallbackQueue()};
  config_.agents = {MakeAgent("a", {"q"}), MakeAgent("f1", {"q"}, {{"french", 2}}),
                    MakeAgent("f2", {"q"}, {{"french", 5}, {"german", 1}})};
  Apply();
  Ready("a");
  ASSERT_TRUE(Enqueue("busy", "q").ok());
  ASSERT_TRUE(engine_.AcceptOffer("a", "busy", now_).ok());
  ASSERT_TRUE(Enqueue("french", "q", 0, {{"french", 2}}).ok());
  EXPECT_FALSE(Get("french").estimated_wait.has_value());  // a has no french
  // f1 and f2 (two skill profiles, first seen now) log in away: not staffed.
  ASSERT_TRUE(engine_.Login("f1", false, now_).ok());
  ASSERT_TRUE(engine_.Login("f2", false, now_).ok());
  EXPECT_FALSE(Get("french").estimated_wait.has_value());
  // Ready, each takes a french call in turn; those waiting then count both.
  ASSERT_TRUE(engine_.SetAvailable("f1", now_).ok());
  ASSERT_TRUE(engine_.SetAvailable("f2", now_).ok());
  ASSERT_TRUE(Enqueue("french-2", "q", 0, {{"french", 1}}).ok());
  EXPECT_EQ(Get("french-2").state, CallState::kOffered);
  ASSERT_TRUE(Enqueue("french-3", "q", 0, {{"french", 2}}).ok());
  EXPECT_EQ(Get("french-3").estimated_wait, absl::Minutes(2));  // 4 min / f1 + f2
  ASSERT_TRUE(Enqueue("french-4", "q", 0, {{"french", 3}}).ok());
  EXPECT_EQ(Get("french-4").estimated_wait, absl::Minutes(8));  // f2 alone, place 2
}

TEST_F(CallbackTest, CallbackIsOfferedWhenTheWaitIsLongButServableInTheWindow) {
  TwoBusyAgents();
  absl::StatusOr<EnqueueResult> first = EnqueueFull("c1");  // 2 min: not over 2 min
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->callback_offered);
  absl::StatusOr<EnqueueResult> second = EnqueueFull("c2");  // 4 min
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->callback_offered);
  std::vector<Event> offered = EventsOf(EventType::kCallbackOffered);
  ASSERT_EQ(offered.size(), 1u);
  EXPECT_EQ(offered[0].call_id, "c2");
  EXPECT_EQ(offered[0].reason, "estimated wait 4m");
}

TEST_F(CallbackTest, NoCallbackOfferedWhenItCouldNotBeServedInTheWindow) {
  TwoBusyAgents();
  // 30 callers ahead at 2 min each: the 31st would wait 62 min > 1 h window.
  for (int i = 1; i <= 29; ++i) ASSERT_TRUE(Enqueue(absl::StrCat("c", i), "q").ok());
  absl::StatusOr<EnqueueResult> thirtieth = EnqueueFull("c30");  // exactly 60 min: not inside
  ASSERT_TRUE(thirtieth.ok());
  EXPECT_FALSE(thirtieth->callback_offered);
  absl::StatusOr<EnqueueResult> in_window = EnqueueFull("c31");
  ASSERT_TRUE(in_window.ok());
  EXPECT_FALSE(in_window->callback_offered);
  // Nor with nobody staffed to call back.
  ASSERT_TRUE(engine_.SetAway("a", "", now_).ok());
  ASSERT_TRUE(engine_.SetAway("b", "", now_).ok());
  Finish("a");
  Finish("b");
  ASSERT_TRUE(engine_.Logout("a", now_).ok());
  ASSERT_TRUE(engine_.Logout("b", now_).ok());
  absl::StatusOr<EnqueueResult> unstaffed = EnqueueFull("late");
  ASSERT_TRUE(unstaffed.ok());
  EXPECT_FALSE(unstaffed->call.estimated_wait.has_value());
  EXPECT_FALSE(unstaffed->callback_offered);
}

TEST_F(CallbackTest, ACallbackKeepsItsPlaceAndDialsWhenAccepted) {
  TwoBusyAgents();
  for (const char* id : {"c1", "c2", "c3"}) ASSERT_TRUE(Enqueue(id, "q").ok());
  absl::StatusOr<Call> cb = engine_.RequestCallback("c2", "+15551234567", now_);
  ASSERT_TRUE(cb.ok()) << cb.status();
  EXPECT_EQ(cb->callback_number, "+15551234567");
  EXPECT_EQ(cb->position, 2);
  EXPECT_EQ(engine_.GetQueueStats("q", now_)->callbacks_pending, 1);
  ASSERT_EQ(EventsOf(EventType::kCallbackRequested).size(), 1u);
  // The caller's hang-up does not end a callback.
  absl::Status hangup = engine_.AbandonCall("c2", "", now_).status();
  EXPECT_EQ(hangup.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(hangup.message(), HasSubstr("is a callback"));
  Finish("a");  // a takes c1
  EXPECT_EQ(OfferOf("a"), "c1");
  Accept("a");
  Finish("b");  // b takes c2, the callback, before c3
  EXPECT_EQ(OfferOf("b"), "c2");
  Accept("b");
  std::vector<Event> dial = EventsOf(EventType::kCallbackDial);
  ASSERT_EQ(dial.size(), 1u);
  EXPECT_EQ(dial[0].call_id, "c2");
  EXPECT_EQ(dial[0].agent_id, "b");
  EXPECT_EQ(dial[0].call->callback_number, "+15551234567");
  EXPECT_EQ(dial[0].reason, "attempt 1 of 3");
  EXPECT_EQ(engine_.GetQueueStats("q", now_)->callbacks_pending, 0);
}

TEST_F(CallbackTest, AFailedDialIsRetriedAtItsOriginalPlace) {
  TwoBusyAgents();
  for (const char* id : {"c1", "c2"}) ASSERT_TRUE(Enqueue(id, "q").ok());
  ASSERT_TRUE(engine_.RequestCallback("c1", "5551000", now_).ok());
  Finish("a");
  Accept("a");  // a dials c1
  ASSERT_TRUE(engine_.SetAway("b", "lunch", now_).ok());
  Finish("b");  // b leaves: nobody takes c2 yet
  absl::StatusOr<Call> failed = engine_.CallbackFailed("c1", "", now_);
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->state, CallState::kCallbackScheduled);
  EXPECT_EQ(failed->callback_attempts, 1);
  // A repeat (the reply was lost) counts nothing more.
  absl::StatusOr<Call> repeat = engine_.CallbackFailed("c1", "", now_);
  ASSERT_TRUE(repeat.ok()) << repeat.status();
  EXPECT_EQ(repeat->callback_attempts, 1);
  // a is free at once and takes the next call.
  EXPECT_EQ(OfferOf("a"), "c2");
  std::vector<Event> events = engine_.TakeEvents();
  auto failed_event = std::find_if(events.begin(), events.end(), [](const Event& e) {
    return e.type == EventType::kCallbackFailed;
  });
  ASSERT_NE(failed_event, events.end());
  EXPECT_THAT(failed_event->reason, HasSubstr("no_answer; attempt 2 of 3"));
  Accept("a");
  ASSERT_TRUE(Enqueue("c3", "q").ok());  // arrives after c1
  Advance(absl::Minutes(5) - absl::Seconds(1));
  EXPECT_EQ(Get("c1").state, CallState::kCallbackScheduled);
  Advance(absl::Seconds(1));
  EXPECT_EQ(Get("c1").state, CallState::kQueued);
  EXPECT_EQ(Get("c1").position, 1);  // ahead of c3: it kept its place
  Finish("a");
  EXPECT_EQ(OfferOf("a"), "c1");
  Accept("a");
  // The customer answers this time: it is a call like any other.
  ASSERT_TRUE(engine_.EndCall("c1", now_).ok());
  EXPECT_EQ(Get("c1").state, CallState::kCompleted);
  EXPECT_EQ(Get("c1").callback_attempts, 1);
}

TEST_F(CallbackTest, ACallbackIsWithdrawnWhenItsAttemptsAreUsedUp) {
  QueueConfig q = CallbackQueue();
  q.callback.max_attempts = 2;
  config_.queues = {q};
  config_.agents = {MakeAgent("a", {"q"})};
  Apply();
  ASSERT_TRUE(Enqueue("c1", "q").ok());  // waits: a is not logged in
  ASSERT_TRUE(engine_.RequestCallback("c1", "5551000", now_).ok());
  Ready("a");
  for (int attempt = 1; attempt <= 2; ++attempt) {
    Accept("a");
    ASSERT_TRUE(engine_.CallbackFailed("c1", "busy", now_).ok());
    if (attempt < 2) Advance(absl::Minutes(5));
  }
  Call c1 = Get("c1");
  EXPECT_EQ(c1.state, CallState::kTimedOut);
  EXPECT_EQ(c1.end_reason, "callback_withdrawn");
  std::vector<Event> withdrawn = EventsOf(EventType::kCallbackWithdrawn);
  ASSERT_EQ(withdrawn.size(), 1u);
  EXPECT_EQ(withdrawn[0].reason, "busy; no attempts left (2)");
  EXPECT_EQ(engine_.GetQueueStats("q", now_)->callbacks_pending, 0);
}

TEST_F(CallbackTest, ACallbackNotServedInItsWindowIsWithdrawnAndLimitsNoLongerApply) {
  QueueConfig q = CallbackQueue();
  q.max_wait = absl::Minutes(10);  // would disconnect a caller on hold
  config_.queues = {q};
  config_.agents = {MakeAgent("a", {"q"})};
  Apply();
  ASSERT_TRUE(Enqueue("c1", "q").ok());
  ASSERT_TRUE(Enqueue("c2", "q").ok());
  ASSERT_TRUE(engine_.RequestCallback("c1", "5551000", now_).ok());
  Advance(absl::Minutes(10));
  EXPECT_EQ(Get("c1").state, CallState::kQueued);    // the callback stays
  EXPECT_EQ(Get("c2").state, CallState::kTimedOut);  // the caller on hold does not
  Advance(absl::Minutes(50));
  Call c1 = Get("c1");
  EXPECT_EQ(c1.state, CallState::kTimedOut);
  std::vector<Event> withdrawn = EventsOf(EventType::kCallbackWithdrawn);
  ASSERT_EQ(withdrawn.size(), 1u);
  EXPECT_EQ(withdrawn[0].reason, "window_passed");
  EXPECT_EQ(withdrawn[0].time, kT0 + absl::Hours(1));
}

TEST_F(CallbackTest, ARetryThatWouldMissTheWindowWithdrawsInstead) {
  config_.queues = {CallbackQueue()};
  config_.agents = {MakeAgent("a", {"q"})};
  Apply();
  ASSERT_TRUE(Enqueue("c1", "q").ok());
  ASSERT_TRUE(engine_.RequestCallback("c1", "5551000", now_).ok());
  Advance(absl::Minutes(56));
  Ready("a");
  Accept("a");
  ASSERT_TRUE(engine_.CallbackFailed("c1", "", now_).ok());  // a retry at 61 min: too late
  std::vector<Event> withdrawn = EventsOf(EventType::kCallbackWithdrawn);
  ASSERT_EQ(withdrawn.size(), 1u);
  EXPECT_EQ(withdrawn[0].reason, "no_answer; no retry fits in the window");
}

TEST_F(CallbackTest, PendingCallbacksAreCapped) {
  QueueConfig q = CallbackQueue();
  q.callback.max_pending = 1;
  config_.queues = {q};
  Apply();
  ASSERT_TRUE(Enqueue("c1", "q").ok());
  ASSERT_TRUE(Enqueue("c2", "q").ok());
  ASSERT_TRUE(engine_.RequestCallback("c1", "5551000", now_).ok());
  absl::Status full = engine_.RequestCallback("c2", "5552000", now_).status();
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(full.message(), HasSubstr("1 pending callbacks (callback.max_pending 1)"));
  EXPECT_TRUE(Get("c2").callback_number.empty());
}

TEST_F(CallbackTest, BadRequestsChangeNothing) {
  QueueConfig plain = MakeQueue("plain");
  config_.queues = {CallbackQueue(), plain};
  config_.agents = {MakeAgent("a", {"q"})};
  Apply();
  ASSERT_TRUE(Enqueue("c1", "q").ok());
  ASSERT_TRUE(Enqueue("p1", "plain").ok());
  engine_.TakeEvents();
  struct Case {
    std::string call, number;
    absl::StatusCode code;
    std::string message;
  } cases[] = {
      {"c1", "", absl::StatusCode::kInvalidArgument, "callback number \"\" is not a number"},
      {"c1", "555-1000", absl::StatusCode::kInvalidArgument, "\"555-1000\" is not a number"},
      {"c1", "1+2", absl::StatusCode::kInvalidArgument, "\"1+2\""},
      {"c1", std::string(33, '1'), absl::StatusCode::kInvalidArgument, "1-32 characters"},
      {"nope", "5551000", absl::StatusCode::kNotFound, "unknown call \"nope\""},
      {"p1", "5551000", absl::StatusCode::kFailedPrecondition,
       "queue \"plain\" does not take callbacks"},
  };
  for (const Case& c : cases) {
    absl::Status s = engine_.RequestCallback(c.call, c.number, now_).status();
    EXPECT_EQ(s.code(), c.code) << c.number << ": " << s;
    EXPECT_THAT(s.message(), HasSubstr(c.message));
  }
  Ready("a");  // c1 is offered to a
  absl::Status offered = engine_.RequestCallback("c1", "5551000", now_).status();
  EXPECT_EQ(offered.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(offered.message(), HasSubstr("an agent is being offered it now"));
  absl::Status not_callback = engine_.CallbackFailed("c1", "", now_).status();
  EXPECT_EQ(not_callback.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(not_callback.message(), HasSubstr("is not a callback"));
  EXPECT_TRUE(Get("c1").callback_number.empty());
  EXPECT_EQ(Get("c1").state, CallState::kOffered);
  std::vector<Event> events = engine_.TakeEvents();
  ASSERT_EQ(events.size(), 2u);  // the login and the offer, nothing from the refusals
}

TEST_F(CallbackTest, RepeatingARequestIsHarmless) {
  config_.queues = {CallbackQueue()};
  Apply();
  ASSERT_TRUE(Enqueue("c1", "q").ok());
  ASSERT_TRUE(engine_.RequestCallback("c1", "5551000", now_).ok());
  ASSERT_TRUE(engine_.RequestCallback("c1", "5551000", now_).ok());
  EXPECT_EQ(EventsOf(EventType::kCallbackRequested).size(), 1u);
  absl::Status other = engine_.RequestCallback("c1", "5552000", now_).status();
  EXPECT_EQ(other.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(other.message(), HasSubstr("already a callback to 5551000"));
}

}  // namespace
}  // namespace acd::core
