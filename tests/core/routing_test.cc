// Routing by time, priority and skills, within queue limits, on a manual clock.
// Each test states who gets which call and when.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "server/core/expr.h"
#include "tests/core/routing_fixture.h"

namespace acd::core {
namespace {

using ::testing::HasSubstr;

TEST_F(RoutingTest, HigherPriorityIsAnsweredFirst) {
  config_.queues = {MakeQueue("q")};
  config_.agents = {MakeAgent("a", {"q"})};
  Apply();
  ASSERT_TRUE(Enqueue("low", "q", 1).ok());
  Advance(absl::Seconds(5));
  ASSERT_TRUE(Enqueue("high", "q", 5).ok());
  EXPECT_EQ(Get("high").position, 1);
  EXPECT_EQ(Get("low").position, 2);
  Ready("a");
  EXPECT_EQ(Take("a"), "high");
  EXPECT_EQ(Take("a"), "low");
}

TEST_F(RoutingTest, AgingLetsALongWaitBeatAFreshHighPriority) {
  QueueConfig q = MakeQueue("q");
  q.aging_per_minute = 1;
  config_.queues = {q};
  config_.agents = {MakeAgent("a", {"q"})};
  Apply();
  ASSERT_TRUE(Enqueue("old-p1", "q", 1).ok());
  Advance(absl::Minutes(10));  // effective 1 + 10 = 11
  ASSERT_TRUE(Enqueue("fresh-p5", "q", 5).ok());
  Ready("a");
  EXPECT_EQ(Take("a"), "old-p1");
}

TEST_F(RoutingTest, AgingTieGoesToTheLongerWait) {
  QueueConfig q = MakeQueue("q");
  q.aging_per_minute = 1;
  config_.queues = {q};
  config_.agents = {MakeAgent("a", {"q"})};
  Apply();
  ASSERT_TRUE(Enqueue("p1", "q", 1).ok());
  Advance(absl::Minutes(4));  // p1 is now at effective 5
  ASSERT_TRUE(Enqueue("p5", "q", 5).ok());
  Ready("a");
  EXPECT_EQ(Take("a"), "p1");
  // Without aging, priority alone decides.
  q.aging_per_minute = 0;
  config_.queues = {q};
  Apply();
  ASSERT_TRUE(Enqueue("p2", "q", 2).ok());
  Advance(absl::Minutes(30));
  ASSERT_TRUE(Enqueue("p3", "q", 3).ok());
  EXPECT_EQ(Take("a"), "p5");
  EXPECT_EQ(Take("a"), "p3");
  EXPECT_EQ(Take("a"), "p2");
}

TEST_F(RoutingTest, CallSkipsAnUnderskilledAgentUntilEscalationRelaxesIt) {
  QueueConfig q = MakeQueue("q");
  q.escalation.push_back({.after = absl::Seconds(60), .relax = {{"spanish", 2}}});
  config_.queues = {q};
  config_.agents = {MakeAgent("pedro", {"q"}, {{"spanish", 2}})};
  Apply();
  Ready("pedro");
  ASSERT_TRUE(Enqueue("es", "q", 0, {{"spanish", 3}}).ok());
  EXPECT_EQ(OfferOf("pedro"), "");
  Advance(absl::Seconds(59));
  EXPECT_EQ(OfferOf("pedro"), "");
  Advance(absl::Seconds(1));
  EXPECT_EQ(OfferOf("pedro"), "es");
  Call call = Get("es");
  EXPECT_EQ(call.required_skills.at("spanish"), 3);   // as asked
  EXPECT_EQ(call.effective_skills.at("spanish"), 2);  // as relaxed
  EXPECT_EQ(call.enqueued_at, kT0);                   // keeps its arrival
  std::vector<Event> events = engine_.TakeEvents();
  auto of_type = [&](EventType type) {
    std::vector<const Event*> out;
    for (const Event& e : events) {
      if (e.type == type) out.push_back(&e);
    }
    return out;
  };
  std::vector<const Event*> escalated = of_type(EventType::kCallEscalated);
  ASSERT_EQ(escalated.size(), 1u);
  EXPECT_EQ(escalated[0]->reason, "spanish>=2");
  EXPECT_EQ(escalated[0]->time, kT0 + absl::Seconds(60));
  EXPECT_EQ(escalated[0]->call->effective_skills.at("spanish"), 2);
  // A snapshot taken before the step keeps what it saw: it shared the call's
  // skills (cow_map.h) until the step changed them.
  std::vector<const Event*> queued = of_type(EventType::kCallQueued);
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0]->call->effective_skills.at("spanish"), 3);
}

TEST_F(RoutingTest, EscalationDropsASkillAndWidensToAnotherQueue) {
  QueueConfig q = MakeQueue("tier2");
  q.escalation.push_back({.after = absl::Seconds(30), .drop = {"billing"}});
  q.escalation.push_back({.after = absl::Seconds(90), .add_queues = {"tier1"}});
  config_.queues = {q, MakeQueue("tier1")};
  config_.agents = {MakeAgent("t2", {"tier2"}, {}), MakeAgent("t1", {"tier1"}, {})};
  Apply();
  ASSERT_TRUE(Enqueue("c", "tier2", 0, {{"billing", 5}}).ok());
  Ready("t1");
  Advance(absl::Seconds(30));  // billing dropped, but t1 is not a tier2 member
  EXPECT_EQ(OfferOf("t1"), "");
  Ready("t2");
  EXPECT_EQ(OfferOf("t2"), "c");
  ASSERT_TRUE(engine_.Logout("t2", now_).ok());  // back in line
  Advance(absl::Seconds(60));                    // widened to tier1
  EXPECT_EQ(OfferOf("t1"), "c");
  EXPECT_EQ(Get("c").queue, "tier2");
}

TEST_F(RoutingTest, LowerPenaltyAgentGetsTheCallFirst) {
  config_.queues = {MakeQueue("q")};
  AgentConfig backup = MakeAgent("backup", {"q"});
  backup.penalties["q"] = 2;
  config_.agents = {backup, MakeAgent("primary", {"q"})};
  Apply();
  Ready("backup");  // idle longer, but a backup
  Advance(absl::Seconds(30));
  Ready("primary");
  ASSERT_TRUE(Enqueue("c1", "q").ok());
  EXPECT_EQ(OfferOf("primary"), "c1");
  ASSERT_TRUE(Enqueue("c2", "q").ok());
  EXPECT_EQ(OfferOf("backup"), "c2");
}

TEST_F(RoutingTest, QueueWeightDecidesBetweenQueuesCompetingForAnAgent) {
  QueueConfig vip = MakeQueue("vip");
  vip.weight = 2;
  config_.queues = {MakeQueue("general"), vip};
  config_.agents = {MakeAgent("a", {"general", "vip"})};
  Apply();
  ASSERT_TRUE(Enqueue("g", "general").ok());
  Advance(absl::Minutes(5));
  ASSERT_TRUE(Enqueue("v", "vip").ok());
  Ready("a");
  EXPECT_EQ(Take("a"), "v");
  EXPECT_EQ(Take("a"), "g");
}

TEST_F(RoutingTest, EqualWeightsServeTheLongestWaitAcrossQueues) {
  config_.queues = {MakeQueue("x"), MakeQueue("y")};
  config_.agents = {MakeAgent("a", {"x", "y"})};
  Apply();
  ASSERT_TRUE(Enqueue("y1", "y").ok());
  Advance(absl::Seconds(1));
  ASSERT_TRUE(Enqueue("x1", "x").ok());
  Ready("a");
  EXPECT_EQ(Take("a"), "y1");
}

class StrategyTest : public RoutingTest {
 protected:
  void SetUp() override {
    QueueConfig q = MakeQueue("q");
    q.strategy = strategy_;
    config_.queues = {q};
    config_.agents = {MakeAgent("a1", {"q"}, {{"english", 3}}),
                      MakeAgent("a2", {"q"}, {{"english", 9}}),
                      MakeAgent("a3", {"q"}, {{"english", 5}})};
  }
  Strategy strategy_ = Strategy::kLongestIdle;
};

TEST_F(StrategyTest, LeastCalls) {
  strategy_ = Strategy::kLeastCalls;
  SetUp();
  Apply();
  Ready("a1");
  ASSERT_TRUE(Enqueue("c1", "q").ok());
  Take("a1");  // a1 has 1 call
  Ready("a2");
  Advance(absl::Seconds(1));
  // a1 has been idle longer than a2 but handled more calls.
  ASSERT_TRUE(Enqueue("c2", "q").ok());
  EXPECT_EQ(OfferOf("a2"), "c2");
}

TEST_F(StrategyTest, LeastTalkTime) {
  strategy_ = Strategy::kLeastTalkTime;
  SetUp();
  Apply();
  Ready("a1");
  ASSERT_TRUE(Enqueue("c1", "q").ok());
  ASSERT_TRUE(engine_.AcceptOffer("a1", "c1", now_).ok());
  Advance(absl::Seconds(280));
  Ready("a2");
  ASSERT_TRUE(Enqueue("c2", "q").ok());
  ASSERT_TRUE(engine_.AcceptOffer("a2", "c2", now_).ok());
  Advance(absl::Seconds(20));
  ASSERT_TRUE(engine_.EndCall("c1", now_).ok());  // a1: 300 s of talk, idle first
  Advance(absl::Seconds(5));
  ASSERT_TRUE(engine_.EndCall("c2", now_).ok());  // a2: 25 s of talk
  ASSERT_TRUE(Enqueue("c3", "q").ok());
  EXPECT_EQ(OfferOf("a2"), "c3");
}

TEST_F(StrategyTest, RoundRobinRotatesInConfigOrder) {
  strategy_ = Strategy::kRoundRobin;
  SetUp();
  Apply();
  Ready("a3");
  Ready("a2");
  Ready("a1");
  std::vector<std::string> order;
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(Enqueue(absl::StrCat("c", i), "q").ok());
    for (const char* a : {"a1", "a2", "a3"}) {
      if (!OfferOf(a).empty()) {
        order.push_back(a);
        Take(a);
      }
    }
  }
  EXPECT_THAT(order, ::testing::ElementsAre("a1", "a2", "a3", "a1", "a2", "a3"));
}

TEST_F(StrategyTest, BestSkillPicksTheHighestLevel) {
  strategy_ = Strategy::kBestSkill;
  SetUp();
  Apply();
  Ready("a2");  // english 9, idle the shortest
  Advance(absl::Seconds(1));
  Ready("a1");
  Ready("a3");
  Advance(absl::Seconds(1));
  ASSERT_TRUE(Enqueue("c1", "q", 0, {{"english", 2}}).ok());
  EXPECT_EQ(OfferOf("a2"), "c1");
}

TEST_F(StrategyTest, RandomIsSeededAndSpreadsCalls) {
  strategy_ = Strategy::kRandom;
  SetUp();
  Apply();
  std::map<std::string, int> picks;
  std::vector<std::string> sequence;
  for (int i = 0; i < 60; ++i) {
    for (const char* a : {"a1", "a2", "a3"}) {
      if (engine_.GetAgent(a)->state == AgentState::kLoggedOut) Ready(a);
    }
    ASSERT_TRUE(Enqueue(absl::StrCat("c", i), "q").ok());
    for (const char* a : {"a1", "a2", "a3"}) {
      if (!OfferOf(a).empty()) {
        picks[a]++;
        sequence.push_back(a);
        Take(a);
      }
    }
  }
  EXPECT_EQ(picks.size(), 3u);  // each agent picked at least once
  for (const auto& [agent, n] : picks) EXPECT_GT(n, 5) << agent;
  // The same seed gives the same sequence.
  Engine again;
  ASSERT_TRUE(again.ApplyConfig(config_, kT0).ok());
  absl::Time t = kT0;
  for (int i = 0; i < 60; ++i) {
    for (const char* a : {"a1", "a2", "a3"}) {
      if (again.GetAgent(a)->state == AgentState::kLoggedOut) {
        ASSERT_TRUE(again.Login(a, true, t).ok());
      }
    }
    ASSERT_TRUE(again.EnqueueCall({.call_id = absl::StrCat("c", i), .queue = "q"}, t).ok());
    for (const char* a : {"a1", "a2", "a3"}) {
      if (std::optional<Call> c = again.OutstandingOffer(a)) {
        EXPECT_EQ(sequence[i], a) << i;
        ASSERT_TRUE(again.AcceptOffer(a, c->call_id, t).ok());
        ASSERT_TRUE(again.EndCall(c->call_id, t).ok());
      }
    }
  }
}

TEST_F(RoutingTest, FullQueueRejectsWithResourceExhausted) {
  QueueConfig q = MakeQueue("q");
  q.max_size = 2;
  config_.queues = {q};
  Apply();
  ASSERT_TRUE(Enqueue("c1", "q").ok());
  ASSERT_TRUE(Enqueue("c2", "q").ok());
  absl::Status s = Enqueue("c3", "q");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(s.message(), HasSubstr("max_size 2"));
  EXPECT_EQ(engine_.GetCall("c3").status().code(), absl::StatusCode::kNotFound);
  // No call was made: the queue's count is the only record.
  EXPECT_EQ(engine_.GetQueueStats("q", now_)->rejected, 1);
}

TEST_F(RoutingTest, FullQueueOverflowsKeepingArrivalTime) {
  QueueConfig q = MakeQueue("main");
  q.max_size = 1;
  q.on_full = {LimitAction::Kind::kOverflow, "spill"};
  config_.queues = {q, MakeQueue("spill")};
  Apply();
  ASSERT_TRUE(Enqueue("c1", "main").ok());
  Advance(absl::Seconds(3));
  ASSERT_TRUE(Enqueue("c2", "main").ok());
  Call c2 = Get("c2");
  EXPECT_EQ(c2.queue, "spill");
  EXPECT_EQ(c2.enqueued_at, kT0 + absl::Seconds(3));
  EXPECT_EQ(engine_.GetQueueStats("main", now_)->overflowed, 1);
}

TEST_F(RoutingTest, MaxWaitDisconnectsWithAReasonEvent) {
  QueueConfig q = MakeQueue("q");
  q.max_wait = absl::Minutes(2);
  config_.queues = {q};
  Apply();
  ASSERT_TRUE(Enqueue("c1", "q").ok());
  engine_.TakeEvents();
  Advance(absl::Minutes(2));
  Call c1 = Get("c1");
  EXPECT_EQ(c1.state, CallState::kTimedOut);
  EXPECT_EQ(c1.end_reason, "max_wait");
  std::vector<Event> timed_out = EventsOf(EventType::kCallTimedOut);
  ASSERT_EQ(timed_out.size(), 1u);
  EXPECT_EQ(timed_out[0].reason, "max_wait");
  EXPECT_EQ(engine_.GetQueueStats("q", now_)->timed_out, 1);
}

TEST_F(RoutingTest, MaxWaitOverflowsToAnotherQueueWhereTheCallIsAnswered) {
  QueueConfig q = MakeQueue("first");
  q.max_wait = absl::Seconds(30);
  q.on_timeout = {LimitAction::Kind::kOverflow, "second"};
  config_.queues = {q, MakeQueue("second")};
  config_.agents = {MakeAgent("s", {"second"})};
  Apply();
  Ready("s");
  ASSERT_TRUE(Enqueue("c1", "first").ok());
  EXPECT_EQ(OfferOf("s"), "");
  Advance(absl::Seconds(30));
  EXPECT_EQ(OfferOf("s"), "c1");
  Call c1 = Get("c1");
  EXPECT_EQ(c1.queue, "second");
  EXPECT_EQ(c1.enqueued_at, kT0);
  std::vector<Event> moved = EventsOf(EventType::kCallOverflowed);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].reason, "max_wait from first");
  EXPECT_EQ(engine_.GetQueueStats("first", now_)->overflowed, 1);
}

TEST_F(RoutingTest, MaxWaitDuringAnOfferAppliesWhenTheOfferIsWithdrawn) {
  QueueConfig q = MakeQueue("q");
  q.max_wait = absl::Seconds(10);
  q.offer_timeout = absl::Seconds(30);
  config_.queues = {q};
  config_.agents = {MakeAgent("a", {"q"})};
  Apply();
  Ready("a");
  ASSERT_TRUE(Enqueue("c1", "q").ok());
  Advance(absl::Seconds(15));  // max_wait falls due while offered: the offer runs on
  EXPECT_EQ(Get("c1").state, CallState::kOffered);
  ASSERT_TRUE(engine_.SetAway("a", "break", now_).ok());
  EXPECT_EQ(Get("c1").state, CallState::kTimedOut);
  EXPECT_EQ(Get("c1").end_reason, "max_wait");
}

TEST_F(RoutingTest, ClosingDisconnectsWaitingCallsWhenConfigured) {
  Schedule hours;
  hours.name = "office";
  hours.zone = absl::UTCTimeZone();
  for (int d = 0; d < 7; ++d) hours.weekly[d] = {{8 * 60, 9 * 60}};
  config_.schedules = {hours};
  QueueConfig q = MakeQueue("day");
  q.schedule = "office";
  q.closed_waiting = {LimitAction::Kind::kDisconnect, ""};
  config_.queues = {q};
  Apply();
  ASSERT_TRUE(Enqueue("c1", "day").ok());
  Advance(absl::Hours(1));
  EXPECT_EQ(Get("c1").state, CallState::kTimedOut);
  EXPECT_EQ(Get("c1").end_reason, "closed");
}

TEST_F(RoutingTest, MaxWaitNoAgentEndsACallNobodyCouldServe) {
  QueueConfig q = MakeQueue("q");
  q.max_wait_no_agent = absl::Seconds(10);
  config_.queues = {q};
  config_.agents = {MakeAgent("en", {"q"}, {{"english", 5}})};
  Apply();
  ASSERT_TRUE(engine_.Login("en", false, now_).ok());  // logged in, away
  ASSERT_TRUE(Enqueue("fr", "q", 0, {{"french", 1}}).ok());
  ASSERT_TRUE(Enqueue("en-call", "q", 0, {{"english", 1}}).ok());
  Advance(absl::Seconds(10));
  EXPECT_EQ(Get("fr").state, CallState::kTimedOut);
  EXPECT_EQ(Get("fr").end_reason, "no_agent");
  // An away agent could still serve it: it waits.
  EXPECT_EQ(Get("en-call").state, CallState::kQueued);
}

TEST_F(RoutingTest, ClosedQueueRejectsSayingWhenItOpens) {
  Schedule hours;
  hours.name = "office";
  hours.zone = absl::UTCTimeZone();
  for (int d = 0; d < 5; ++d) hours.weekly[d] = {{9 * 60, 17 * 60}};
  config_.schedules = {hours};
  QueueConfig q = MakeQueue("q");
  q.schedule = "office";
  config_.queues = {q};
  Apply();  // 08:00 on a Friday: closed
  absl::Status s = Enqueue("early", "q");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("closed"));
  EXPECT_THAT(s.message(), HasSubstr("2027-01-15 09:00"));
  Advance(absl::Hours(1));
  EXPECT_TRUE(Enqueue("on-time", "q").ok());
  EXPECT_TRUE(engine_.GetQueueStats("q", now_)->open);
}

TEST_F(RoutingTest, ClosingOverflowsWaitingCallsWhenConfigured) {
  Schedule hours;
  hours.name = "office";
  hours.zone = absl::UTCTimeZone();
  for (int d = 0; d < 7; ++d) hours.weekly[d] = {{8 * 60, 9 * 60}};
  config_.schedules = {hours};
  QueueConfig q = MakeQueue("day");
  q.schedule = "office";
  q.closed_waiting = {LimitAction::Kind::kOverflow, "night"};
  q.on_closed = {LimitAction::Kind::kOverflow, "night"};
  config_.queues = {q, MakeQueue("night")};
  Apply();
  ASSERT_TRUE(Enqueue("c1", "day").ok());
  EXPECT_EQ(Get("c1").queue, "day");
  Advance(absl::Hours(1));  // 09:00: closes
  EXPECT_EQ(Get("c1").queue, "night");
  ASSERT_TRUE(Enqueue("c2", "day").ok());  // closed: overflows at once
  EXPECT_EQ(Get("c2").queue, "night");
}

TEST_F(RoutingTest, RulesSetQueuePriorityAndSkills) {
  config_.queues = {MakeQueue("vip"), MakeQueue("general")};
  absl::StatusOr<ExprPtr> gold = Expr::Compare("tier", Expr::Op::kEq, Literal::String("gold"));
  ASSERT_TRUE(gold.ok());
  absl::StatusOr<ExprPtr> es = Expr::In("language", {Literal::String("es"), Literal::String("pt")});
  ASSERT_TRUE(es.ok());
  config_.rules = {
      {.name = "gold", .when = *gold, .queue = "vip", .priority = 8},
      {.name = "spanish", .when = *es, .queue = "general", .skills = {{"spanish", 3}}},
      {.name = "default", .when = nullptr, .queue = "general"},
  };
  Apply();
  ASSERT_TRUE(Enqueue("g", "", 1, {}, {{"tier", "gold"}}).ok());
  ASSERT_TRUE(Enqueue("e", "", 1, {{"spanish", 1}}, {{"language", "es"}}).ok());
  ASSERT_TRUE(Enqueue("x", "", 1, {}, {{"language", "fr"}}).ok());
  Call g = Get("g");
  EXPECT_EQ(g.queue, "vip");
  EXPECT_EQ(g.priority, 8);
  Call e = Get("e");
  EXPECT_EQ(e.queue, "general");
  EXPECT_EQ(e.required_skills.at("spanish"), 3);
  EXPECT_EQ(Get("x").queue, "general");
  // A retry of a rule-routed call is recognised.
  absl::StatusOr<EnqueueResult> again =
      engine_.EnqueueCall({.call_id = "g", .priority = 1, .attributes = {{"tier", "gold"}}}, now_);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
}

TEST_F(RoutingTest, NoMatchingRuleIsInvalidArgument) {
  config_.queues = {MakeQueue("vip")};
  absl::StatusOr<ExprPtr> gold = Expr::Compare("tier", Expr::Op::kEq, Literal::String("gold"));
  config_.rules = {{.name = "gold", .when = *gold, .queue = "vip"}};
  Apply();
  absl::Status s = Enqueue("c", "", 0, {}, {{"tier", "bronze"}});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("tier=\"bronze\""));
}

class TransferTest : public RoutingTest {
 protected:
  void SetUp() override {
    QueueConfig support = MakeQueue("support");
    support.wrap_up_time = absl::Seconds(30);
    config_.queues = {support, MakeQueue("billing")};
    config_.agents = {MakeAgent("sam", {"support"}), MakeAgent("bill", {"billing"}),
                      MakeAgent("bea", {"billing"})};
    Apply();
    Ready("sam");
    ASSERT_TRUE(Enqueue("c1", "support", 2).ok());
    ASSERT_TRUE(engine_.AcceptOffer("sam", "c1", now_).ok());
    Advance(absl::Seconds(40));
  }
};

TEST_F(TransferTest, ToAQueueKeepsPriorityOrRaisesIt) {
  ASSERT_TRUE(Enqueue("older", "billing", 5).ok());
  absl::StatusOr<Call> moved = engine_.TransferToQueue("c1", "billing", 7, now_);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->state, CallState::kQueued);
  EXPECT_EQ(moved->queue, "billing");
  EXPECT_EQ(moved->priority, 7);
  EXPECT_EQ(moved->transfers, 1);
  EXPECT_EQ(moved->enqueued_at, kT0);
  // The transferring agent is free at once, with the talk time counted.
  absl::StatusOr<Agent> sam = engine_.GetAgent("sam");
  EXPECT_EQ(sam->state, AgentState::kAvailable);
  EXPECT_EQ(sam->talk_time, absl::Seconds(40));
  Ready("bill");
  EXPECT_EQ(OfferOf("bill"), "c1");  // priority 7 beats the older priority-5 call
  std::vector<Event> transferred = EventsOf(EventType::kCallTransferred);
  ASSERT_EQ(transferred.size(), 1u);
  EXPECT_EQ(transferred[0].reason, "transfer by sam from support");
  // A lower priority does not lower it.
  ASSERT_TRUE(engine_.AcceptOffer("bill", "c1", now_).ok());
  EXPECT_EQ(engine_.TransferToQueue("c1", "support", 1, now_)->priority, 7);
}

TEST_F(TransferTest, ToAnAgentIsOfferedToThatAgentAlone) {
  Ready("bill");
  Advance(absl::Seconds(1));
  Ready("bea");
  absl::StatusOr<Call> r = engine_.TransferToAgent("c1", "bea", "billing", now_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(OfferOf("bea"), "c1");  // though bill has been idle longer
  EXPECT_EQ(OfferOf("bill"), "");
  ASSERT_TRUE(engine_.AcceptOffer("bea", "c1", now_).ok());
  EXPECT_EQ(engine_.GetCall("c1")->agent_id, "bea");
}

TEST_F(TransferTest, ToAnAgentWhoRejectsGoesToTheFallbackQueue) {
  Ready("bea");
  ASSERT_TRUE(engine_.TransferToAgent("c1", "bea", "billing", now_).ok());
  ASSERT_TRUE(engine_.RejectOffer("bea", "c1", "", now_).ok());
  Call c1 = Get("c1");
  EXPECT_EQ(c1.queue, "billing");
  // bea is a billing agent and the only one free: billing offers it to her.
  EXPECT_EQ(OfferOf("bea"), "c1");
  Advance(absl::Seconds(20));  // and a timeout now puts it back in billing
  EXPECT_EQ(Get("c1").queue, "billing");
  EXPECT_EQ(Get("c1").state, CallState::kOffered);  // re-offered to bea
}

TEST_F(TransferTest, ToAnAgentWhoTimesOutGoesToTheCurrentQueueByDefault) {
  Ready("bill");
  ASSERT_TRUE(engine_.TransferToAgent("c1", "bill", "", now_).ok());
  Advance(absl::Seconds(20));
  Call c1 = Get("c1");
  EXPECT_EQ(c1.queue, "support");
  EXPECT_EQ(OfferOf("sam"), "c1");
}

TEST_F(TransferTest, RefusedTransfersChangeNothing) {
  EXPECT_EQ(engine_.TransferToAgent("c1", "bill", "", now_).status().code(),
            absl::StatusCode::kFailedPrecondition);  // bill is logged out
  EXPECT_EQ(engine_.TransferToQueue("c1", "nowhere", std::nullopt, now_).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(engine_.TransferToQueue("c1", "billing", 101, now_).status().code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(Enqueue("waiting", "billing").ok());
  EXPECT_EQ(engine_.TransferToQueue("waiting", "support", std::nullopt, now_).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Get("c1").state, CallState::kConnected);
  EXPECT_EQ(engine_.GetAgent("sam")->state, AgentState::kBusy);
}

TEST_F(TransferTest, SupervisorMovesAWaitingCall) {
  ASSERT_TRUE(Enqueue("w", "support").ok());
  Ready("bill");
  absl::StatusOr<Call> moved = engine_.MoveCall("w", "billing", now_);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(OfferOf("bill"), "w");
  EXPECT_EQ(Get("w").enqueued_at, now_);
  // Moving an offered call withdraws the offer first.
  absl::StatusOr<Call> back = engine_.MoveCall("w", "support", now_);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(OfferOf("bill"), "");
  EXPECT_EQ(Get("w").queue, "support");
}

}  // namespace
}  // namespace acd::core

namespace acd::core {
namespace {

TEST_F(RoutingTest, ATransferThatOverflowsCountsInTheQueueItPassedThrough) {
  QueueConfig small = MakeQueue("small");
  small.max_size = 1;
  small.on_full = {LimitAction::Kind::kOverflow, "spill"};
  config_.queues = {MakeQueue("home"), small, MakeQueue("spill")};
  config_.agents = {MakeAgent("a", {"home"})};
  Apply();
  Ready("a");
  ASSERT_TRUE(Enqueue("c1", "home").ok());
  ASSERT_TRUE(engine_.AcceptOffer("a", "c1", now_).ok());
  ASSERT_TRUE(Enqueue("waiting", "small").ok());  // small is now full
  absl::StatusOr<Call> moved = engine_.TransferToQueue("c1", "small", std::nullopt, now_);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->queue, "spill");
  EXPECT_EQ(engine_.GetQueueStats("small", now_)->overflowed, 1);
}

TEST_F(RoutingTest, AnAvailableAgentOfNoQueueIsNotAnInvariantBreach) {
  config_.queues = {MakeQueue("q")};
  config_.agents = {MakeAgent("loner", {})};
  Apply();
  Ready("loner");
  EXPECT_TRUE(engine_.CheckInvariants().ok()) << engine_.CheckInvariants();
}

}  // namespace
}  // namespace acd::core
