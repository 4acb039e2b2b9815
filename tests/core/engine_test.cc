// Engine tests on a manual clock: time is an argument, moved by hand.
#include "server/core/engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/support/test_time.h"

namespace acd::core {
namespace {

using ::acd::testing::kT0;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() {
    config_.queues.push_back({.name = "support",
                              .offer_timeout = absl::Seconds(20),
                              .wrap_up_time = absl::Seconds(30),
                              .max_missed_offers = 3});
    config_.queues.push_back({.name = "sales",
                              .offer_timeout = absl::Seconds(15),
                              .wrap_up_time = absl::ZeroDuration(),
                              .max_missed_offers = 0});
    config_.agents.push_back({.agent_id = "alice",
                              .name = "Alice",
                              .skills = {{"english", 5}, {"spanish", 3}},
                              .queues = {"support"}});
    config_.agents.push_back(
        {.agent_id = "bob", .name = "Bob", .skills = {{"english", 4}}, .queues = {"support"}});
    config_.agents.push_back({.agent_id = "carol",
                              .name = "Carol",
                              .skills = {{"english", 2}},
                              .queues = {"support", "sales"}});
    EXPECT_TRUE(engine_.ApplyConfig(config_, now_).ok());
    engine_.TakeEvents();
  }

  // Moves the manual clock forward and lets due deadlines fire.
  void Advance(absl::Duration d) {
    now_ += d;
    engine_.AdvanceTo(now_);
  }

  Call Enqueue(const std::string& id, const std::string& queue = "support",
               SkillLevels skills = {}) {
    absl::StatusOr<EnqueueResult> r =
        engine_.EnqueueCall({.call_id = id, .queue = queue, .required_skills = skills}, now_);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->call : Call{};
  }

  void Ready(const std::string& agent) {
    ASSERT_TRUE(engine_.Login(agent, /*ready=*/true, now_).ok());
  }

  Call GetCall(const std::string& id) {
    absl::StatusOr<Call> c = engine_.GetCall(id);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *c : Call{};
  }

  Agent GetAgent(const std::string& id) {
    absl::StatusOr<Agent> a = engine_.GetAgent(id);
    EXPECT_TRUE(a.ok()) << a.status();
    return a.ok() ? *a : Agent{};
  }

  // The call currently offered to an agent, or "".
  std::string OfferOf(const std::string& agent) {
    std::optional<Call> c = engine_.OutstandingOffer(agent);
    return c ? c->call_id : "";
  }

  // Accepts, ends and completes whatever is offered to `agent`.
  std::string Handle(const std::string& agent) {
    std::string call = OfferOf(agent);
    EXPECT_FALSE(call.empty()) << agent << " has no offer";
    EXPECT_TRUE(engine_.AcceptOffer(agent, call, now_).ok());
    Advance(absl::Seconds(60));
    EXPECT_TRUE(engine_.EndCall(call, now_).ok());
    EXPECT_TRUE(engine_.CompleteCall(agent, call, "done", "", now_).ok());
    return call;
  }

  std::vector<EventType> EventTypes() {
    std::vector<EventType> types;
    for (const Event& e : engine_.TakeEvents()) types.push_back(e.type);
    return types;
  }

  RoutingConfig config_;
  absl::Time now_ = kT0;
  Engine engine_;
};

TEST_F(EngineTest, CallsAreAnsweredInArrivalOrder) {
  Enqueue("c0");
  Advance(absl::Seconds(1));
  Enqueue("c1");
  Advance(absl::Seconds(1));
  Enqueue("c2");
  EXPECT_EQ(GetCall("c0").position, 1);
  EXPECT_EQ(GetCall("c2").position, 3);

  Ready("bob");
  EXPECT_EQ(Handle("bob"), "c0");
  EXPECT_EQ(Handle("bob"), "c1");
  EXPECT_EQ(Handle("bob"), "c2");
}

TEST_F(EngineTest, LongestIdleAgentGetsTheCall) {
  Ready("bob");
  Advance(absl::Seconds(5));
  Ready("alice");
  Advance(absl::Seconds(5));
  Enqueue("c1");
  EXPECT_EQ(OfferOf("bob"), "c1");
  EXPECT_EQ(OfferOf("alice"), "");
  // Bob now goes to the back of the line: the next call is Alice's.
  Handle("bob");
  Enqueue("c2");
  EXPECT_EQ(OfferOf("alice"), "c2");
}

TEST_F(EngineTest, OfferTimesOutAndTheCallGoesBackToItsPlace) {
  Enqueue("c1");
  Advance(absl::Seconds(1));
  Enqueue("c2");
  Ready("bob");
  EXPECT_EQ(OfferOf("bob"), "c1");
  ASSERT_TRUE(engine_.NextDeadline().has_value());
  EXPECT_EQ(*engine_.NextDeadline(), now_ + absl::Seconds(20));
  engine_.TakeEvents();

  Advance(absl::Seconds(19));
  EXPECT_EQ(GetCall("c1").state, CallState::kOffered);
  Advance(absl::Seconds(1));
  // Bob is the only agent: c1 (still first in line) is offered again.
  std::vector<Event> events = engine_.TakeEvents();
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[0].type, EventType::kOfferTimedOut);
  EXPECT_EQ(events[0].call_id, "c1");
  EXPECT_EQ(events[0].reason, "offer_timeout");
  EXPECT_EQ(events[0].time, kT0 + absl::Seconds(21));
  EXPECT_EQ(events[1].type, EventType::kCallOffered);
  EXPECT_EQ(events[1].call_id, "c1");
  EXPECT_EQ(GetCall("c1").missed_offers, 1);
  EXPECT_EQ(GetAgent("bob").consecutive_missed_offers, 1);

  // A second agent: after the next timeout, c1 goes to alice, not c2.
  Ready("alice");
  EXPECT_EQ(OfferOf("alice"), "c2");
  Advance(absl::Seconds(20));
  EXPECT_EQ(OfferOf("bob"), "c1");  // re-offered: bob is the only free agent
}

TEST_F(EngineTest, OfferTimeoutSendsCallToTheNextIdleAgent) {
  Ready("bob");
  Advance(absl::Seconds(1));
  Enqueue("c1");
  EXPECT_EQ(OfferOf("bob"), "c1");
  Ready("alice");
  Advance(absl::Seconds(20));
  EXPECT_EQ(OfferOf("alice"), "c1");
  EXPECT_EQ(GetAgent("bob").state, AgentState::kAvailable);
}

TEST_F(EngineTest, AcceptAfterTheOfferTimedOutFails) {
  Ready("bob");
  Enqueue("c1");
  Advance(absl::Seconds(20));
  ASSERT_TRUE(engine_.Logout("bob", now_).ok());
  absl::StatusOr<Call> r = engine_.AcceptOffer("bob", "c1", now_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(GetCall("c1").state, CallState::kQueued);
}

TEST_F(EngineTest, RejectPutsTheCallBackAtItsOriginalPlace) {
  Enqueue("c1");
  Advance(absl::Seconds(1));
  Enqueue("c2");
  Ready("bob");
  ASSERT_EQ(OfferOf("bob"), "c1");
  EXPECT_EQ(GetCall("c2").position, 1);
  ASSERT_TRUE(engine_.RejectOffer("bob", "c1", "busy", now_).ok());
  // c1 is ahead of c2 again, so the only free agent is offered c1, not c2.
  Call c1 = GetCall("c1");
  EXPECT_EQ(c1.enqueued_at, kT0);
  EXPECT_EQ(c1.missed_offers, 1);
  EXPECT_EQ(OfferOf("bob"), "c1");
  ASSERT_TRUE(engine_.Logout("bob", now_).ok());
  EXPECT_EQ(GetCall("c1").position, 1);
  EXPECT_EQ(GetCall("c2").position, 2);
  Ready("carol");
  EXPECT_EQ(OfferOf("carol"), "c1");
}

TEST_F(EngineTest, RejectedCallGoesToAnotherIdleAgentFirst) {
  Ready("bob");
  Advance(absl::Seconds(1));
  Ready("alice");
  Enqueue("c1");
  ASSERT_EQ(OfferOf("bob"), "c1");
  ASSERT_TRUE(engine_.RejectOffer("bob", "c1", "", now_).ok());
  EXPECT_EQ(OfferOf("alice"), "c1");
  EXPECT_EQ(OfferOf("bob"), "");
}

TEST_F(EngineTest, AbandonWhileOfferedWithdrawsTheOffer) {
  Ready("bob");
  Advance(absl::Seconds(3));
  Enqueue("c1");
  ASSERT_EQ(OfferOf("bob"), "c1");
  engine_.TakeEvents();

  absl::StatusOr<Call> r = engine_.AbandonCall("c1", "", now_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, CallState::kAbandoned);
  EXPECT_EQ(r->end_reason, "caller_hangup");
  std::vector<Event> events = engine_.TakeEvents();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, EventType::kOfferWithdrawn);
  EXPECT_EQ(events[0].agent_id, "bob");
  EXPECT_EQ(events[1].type, EventType::kCallAbandoned);
  Agent bob = GetAgent("bob");
  EXPECT_EQ(bob.state, AgentState::kAvailable);
  EXPECT_EQ(bob.idle_since, kT0);  // keeps its place in the idle line
  EXPECT_EQ(bob.consecutive_missed_offers, 0);
  EXPECT_EQ(engine_.OutstandingOffer("bob"), std::nullopt);
  // A retry is harmless; a connected call cannot be abandoned.
  EXPECT_TRUE(engine_.AbandonCall("c1", "", now_).ok());
  EXPECT_TRUE(engine_.TakeEvents().empty());
}

TEST_F(EngineTest, AbandonWhileQueued) {
  Enqueue("c1");
  Enqueue("c2");
  ASSERT_TRUE(engine_.AbandonCall("c1", "ivr_timeout", now_).ok());
  EXPECT_EQ(GetCall("c1").end_reason, "ivr_timeout");
  EXPECT_EQ(GetCall("c2").position, 1);
  absl::StatusOr<QueueStats> stats = engine_.GetQueueStats("support", now_);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->queued, 1);
  EXPECT_EQ(stats->abandoned, 1);
}

TEST_F(EngineTest, WrapUpEndsAfterTheQueuesWrapUpTime) {
  Ready("bob");
  Enqueue("c1");
  ASSERT_TRUE(engine_.AcceptOffer("bob", "c1", now_).ok());
  Advance(absl::Seconds(90));
  ASSERT_TRUE(engine_.EndCall("c1", now_).ok());
  Agent bob = GetAgent("bob");
  EXPECT_EQ(bob.state, AgentState::kWrapUp);
  EXPECT_EQ(*bob.wrap_up_until, now_ + absl::Seconds(30));
  EXPECT_EQ(bob.talk_time, absl::Seconds(90));
  EXPECT_EQ(bob.calls_handled, 1);
  Enqueue("c2");  // waits: bob is in wrap-up
  EXPECT_EQ(GetCall("c2").state, CallState::kQueued);

  Advance(absl::Seconds(29));
  EXPECT_EQ(GetAgent("bob").state, AgentState::kWrapUp);
  Advance(absl::Seconds(1));
  Call c1 = GetCall("c1");
  EXPECT_EQ(c1.state, CallState::kCompleted);
  EXPECT_EQ(*c1.completed_at, kT0 + absl::Seconds(120));
  EXPECT_EQ(OfferOf("bob"), "c2");
}

TEST_F(EngineTest, CompleteCallEndsWrapUpEarlyWithDisposition) {
  Ready("bob");
  Enqueue("c1");
  ASSERT_TRUE(engine_.AcceptOffer("bob", "c1", now_).ok());
  ASSERT_TRUE(engine_.EndCall("c1", now_).ok());
  Advance(absl::Seconds(5));
  absl::StatusOr<Call> r = engine_.CompleteCall("bob", "c1", "resolved", "reset password", now_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, CallState::kCompleted);
  EXPECT_EQ(r->disposition, "resolved");
  EXPECT_EQ(r->notes, "reset password");
  EXPECT_EQ(GetAgent("bob").state, AgentState::kAvailable);
  EXPECT_FALSE(engine_.NextDeadline().has_value());  // the wrap-up timer is gone
  // The same request again is a retry; a different one is refused.
  EXPECT_TRUE(engine_.CompleteCall("bob", "c1", "resolved", "reset password", now_).ok());
  EXPECT_EQ(engine_.CompleteCall("bob", "c1", "other", "", now_).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(EngineTest, ZeroWrapUpCompletesAtOnce) {
  Ready("carol");
  Enqueue("s1", "sales");
  ASSERT_TRUE(engine_.AcceptOffer("carol", "s1", now_).ok());
  ASSERT_TRUE(engine_.EndCall("s1", now_).ok());
  EXPECT_EQ(GetCall("s1").state, CallState::kCompleted);
  EXPECT_EQ(GetAgent("carol").state, AgentState::kAvailable);
}

TEST_F(EngineTest, AgentInTwoQueuesTakesTheOldestCall) {
  Enqueue("support-late");
  Advance(absl::Seconds(-1));  // clamped: time never goes back
  Enqueue("sales-1", "sales");
  Advance(absl::Seconds(2));
  Enqueue("support-2");
  Ready("carol");
  EXPECT_EQ(OfferOf("carol"), "support-late");
}

TEST_F(EngineTest, SkillsDecideEligibility) {
  Ready("bob");  // english 4, no spanish
  Enqueue("c-es", "support", {{"spanish", 3}});
  EXPECT_EQ(OfferOf("bob"), "");
  Enqueue("c-en", "support", {{"english", 4}});
  EXPECT_EQ(OfferOf("bob"), "c-en");  // the older call skips bob
  Ready("alice");                     // spanish 3
  EXPECT_EQ(OfferOf("alice"), "c-es");
}

TEST_F(EngineTest, MissedOffersPauseTheAgent) {
  Ready("bob");
  Enqueue("c1");
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(OfferOf("bob"), "c1") << i;
    Advance(absl::Seconds(20));
  }
  Agent bob = GetAgent("bob");
  EXPECT_EQ(bob.state, AgentState::kAway);
  EXPECT_EQ(bob.away_reason, "missed_offers");
  EXPECT_EQ(GetCall("c1").state, CallState::kQueued);
  EXPECT_EQ(GetCall("c1").missed_offers, 3);
  // Ready again resets the count.
  ASSERT_TRUE(engine_.SetAvailable("bob", now_).ok());
  EXPECT_EQ(GetAgent("bob").consecutive_missed_offers, 0);
  EXPECT_EQ(OfferOf("bob"), "c1");
}

TEST_F(EngineTest, AwayDuringACallTakesEffectAfterIt) {
  Ready("bob");
  Enqueue("c1");
  Enqueue("c2");
  ASSERT_TRUE(engine_.AcceptOffer("bob", "c1", now_).ok());
  absl::StatusOr<Agent> a = engine_.SetAway("bob", "lunch", now_);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->state, AgentState::kBusy);
  EXPECT_EQ(a->pending_away_reason, "lunch");
  ASSERT_TRUE(engine_.EndCall("c1", now_).ok());
  ASSERT_TRUE(engine_.CompleteCall("bob", "c1", "", "", now_).ok());
  Agent bob = GetAgent("bob");
  EXPECT_EQ(bob.state, AgentState::kAway);
  EXPECT_EQ(bob.away_reason, "lunch");
  EXPECT_EQ(GetCall("c2").state, CallState::kQueued);
}

TEST_F(EngineTest, LogoutWhileReservedReturnsTheCall) {
  Ready("bob");
  Advance(absl::Seconds(1));
  Ready("alice");
  Enqueue("c1");
  ASSERT_EQ(OfferOf("bob"), "c1");
  ASSERT_TRUE(engine_.Logout("bob", now_).ok());
  EXPECT_EQ(GetAgent("bob").state, AgentState::kLoggedOut);
  EXPECT_EQ(OfferOf("alice"), "c1");
  EXPECT_EQ(GetCall("c1").missed_offers, 0);
}

TEST_F(EngineTest, BusyAgentCannotLogOut) {
  Ready("bob");
  Enqueue("c1");
  ASSERT_TRUE(engine_.AcceptOffer("bob", "c1", now_).ok());
  absl::StatusOr<Agent> r = engine_.Logout("bob", now_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("\"c1\""));
  EXPECT_EQ(GetAgent("bob").state, AgentState::kBusy);
}

TEST_F(EngineTest, LoginStartsAwayUnlessReady) {
  absl::StatusOr<Agent> a = engine_.Login("bob", /*ready=*/false, now_);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->state, AgentState::kAway);
  EXPECT_EQ(a->away_reason, "logged_in");
  Enqueue("c1");
  EXPECT_EQ(OfferOf("bob"), "");
  ASSERT_TRUE(engine_.SetAvailable("bob", now_).ok());
  EXPECT_EQ(OfferOf("bob"), "c1");
}

TEST_F(EngineTest, EnqueueIsIdempotentOnCallId) {
  Enqueue("c1");
  engine_.TakeEvents();
  absl::StatusOr<EnqueueResult> again =
      engine_.EnqueueCall({.call_id = "c1", .queue = "support"}, now_);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_TRUE(engine_.TakeEvents().empty());

  absl::StatusOr<EnqueueResult> other =
      engine_.EnqueueCall({.call_id = "c1", .queue = "sales"}, now_);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(other.status().message(), HasSubstr("\"sales\""));
}

// Bad input gets the canonical code, names the value, and changes nothing.
TEST_F(EngineTest, BadInputChangesNothing) {
  Ready("bob");
  Enqueue("c1");
  ASSERT_EQ(OfferOf("bob"), "c1");
  engine_.TakeEvents();
  int64_t seq = engine_.next_seq();

  struct Case {
    absl::Status status;
    absl::StatusCode code;
    std::string needle;
  };
  std::vector<Case> cases = {
      {engine_.EnqueueCall({.call_id = "", .queue = "support"}, now_).status(),
       absl::StatusCode::kInvalidArgument, "call_id is required"},
      {engine_.EnqueueCall({.call_id = "c9", .queue = "nope"}, now_).status(),
       absl::StatusCode::kNotFound, "\"nope\""},
      {engine_.EnqueueCall({.call_id = "c9", .queue = "support", .priority = 101}, now_).status(),
       absl::StatusCode::kInvalidArgument, "101"},
      {engine_.EnqueueCall({.call_id = std::string(200, 'x'), .queue = "support"}, now_).status(),
       absl::StatusCode::kInvalidArgument, "200 bytes"},
      {engine_
           .EnqueueCall({.call_id = "c9", .queue = "support", .required_skills = {{"english", 11}}},
                        now_)
           .status(),
       absl::StatusCode::kInvalidArgument, "11"},
      {engine_.AcceptOffer("alice", "c1", now_).status(), absl::StatusCode::kFailedPrecondition,
       "offered to \"bob\""},
      {engine_.AcceptOffer("bob", "c404", now_).status(), absl::StatusCode::kNotFound, "\"c404\""},
      {engine_.Login("mallory", true, now_).status(), absl::StatusCode::kNotFound, "\"mallory\""},
      {engine_.EndCall("c1", now_).status(), absl::StatusCode::kFailedPrecondition, "offered"},
      {engine_.CompleteCall("bob", "c1", "", "", now_).status(),
       absl::StatusCode::kFailedPrecondition, "\"c1\""},
      {engine_.SetAvailable("carol", now_).status(), absl::StatusCode::kFailedPrecondition,
       "logged out"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.status.code(), c.code) << c.status;
    EXPECT_THAT(c.status.message(), HasSubstr(c.needle));
  }
  EXPECT_TRUE(engine_.TakeEvents().empty());
  EXPECT_EQ(engine_.next_seq(), seq);
  EXPECT_EQ(OfferOf("bob"), "c1");
  EXPECT_EQ(GetCall("c1").state, CallState::kOffered);
  EXPECT_EQ(engine_.GetCall("c9").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(EngineTest, EventsHaveGapFreeSequenceNumbersAndSnapshots) {
  Ready("bob");
  Enqueue("c1");
  Handle("bob");
  std::vector<Event> events = engine_.TakeEvents();
  std::vector<EventType> types;
  for (size_t i = 0; i < events.size(); ++i) {
    types.push_back(events[i].type);
    if (i > 0) {
      EXPECT_EQ(events[i].seq, events[i - 1].seq + 1);
    }
  }
  EXPECT_THAT(types, ElementsAre(EventType::kAgentLoggedIn, EventType::kCallQueued,
                                 EventType::kCallOffered, EventType::kCallConnected,
                                 EventType::kCallEnded, EventType::kCallCompleted));
  const Event& completed = events.back();
  ASSERT_TRUE(completed.call.has_value());
  EXPECT_EQ(completed.call->state, CallState::kCompleted);
  EXPECT_EQ(completed.call->disposition, "done");
  ASSERT_TRUE(completed.agent.has_value());
  EXPECT_EQ(completed.agent->state, AgentState::kAvailable);
}

// The outbox keeps its room between commands up to a bound and lets a larger
// burst's go: either way every event comes out once, in order.
TEST_F(EngineTest, EventsComeOutOnceAndInOrderAfterABurst) {
  for (int i = 0; i < 100; ++i) Enqueue(absl::StrCat("c", i));  // more than the outbox keeps
  std::vector<Event> burst = engine_.TakeEvents();
  ASSERT_EQ(burst.size(), 100u);
  for (size_t i = 1; i < burst.size(); ++i) EXPECT_EQ(burst[i].seq, burst[i - 1].seq + 1);
  EXPECT_EQ(burst.back().call_id, "c99");
  EXPECT_TRUE(engine_.TakeEvents().empty());
  for (int round = 0; round < 3; ++round) {  // small batches reuse the room
    Enqueue(absl::StrCat("d", round));
    std::vector<Event> events = engine_.TakeEvents();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].seq, burst.back().seq + 1 + round);
    EXPECT_EQ(events[0].call_id, absl::StrCat("d", round));
    ASSERT_TRUE(events[0].call.has_value());
    EXPECT_EQ(events[0].call->call_id, absl::StrCat("d", round));
  }
}

TEST_F(EngineTest, QueueStatsCountCallsAndAgentsByState) {
  Ready("bob");
  ASSERT_TRUE(engine_.Login("alice", false, now_).ok());
  Enqueue("c1");
  Enqueue("c2");
  Enqueue("c3");
  ASSERT_TRUE(engine_.AcceptOffer("bob", "c1", now_).ok());
  Advance(absl::Seconds(7));
  absl::StatusOr<QueueStats> s = engine_.GetQueueStats("support", now_);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->queued, 2);
  EXPECT_EQ(s->connected, 1);
  EXPECT_EQ(s->agents_busy, 1);
  EXPECT_EQ(s->agents_away, 1);
  EXPECT_EQ(s->agents_logged_out, 1);
  EXPECT_EQ(s->longest_wait, absl::Seconds(7));
  EXPECT_EQ(engine_.GetQueueStats("nope", now_).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(EngineTest, ConfigReloadRefusesToDropLiveCalls) {
  Enqueue("s1", "sales");
  RoutingConfig smaller = config_;
  smaller.queues.pop_back();  // sales
  smaller.agents[2].queues = {"support"};
  absl::Status s = engine_.ApplyConfig(smaller, now_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("\"sales\""));
  EXPECT_EQ(engine_.Queues().size(), 2u);

  ASSERT_TRUE(engine_.AbandonCall("s1", "", now_).ok());
  EXPECT_TRUE(engine_.ApplyConfig(smaller, now_).ok());
  EXPECT_EQ(engine_.Queues().size(), 1u);
}

TEST_F(EngineTest, ConfigReloadRoutesToNewMembers) {
  Enqueue("s1", "sales");
  Ready("bob");
  EXPECT_EQ(OfferOf("bob"), "");
  RoutingConfig wider = config_;
  wider.agents[1].queues = {"support", "sales"};
  ASSERT_TRUE(engine_.ApplyConfig(wider, now_).ok());
  EXPECT_EQ(OfferOf("bob"), "s1");
}

}  // namespace
}  // namespace acd::core
