// LiveStats fed by a real Engine on a manual clock; every figure below is
// worked out by hand in the comments.
#include "server/core/live_stats.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

#include "server/core/engine.h"

namespace acd::core {
namespace {

// 2026-05-04 10:00:00 UTC, a Monday: buckets and minutes line up.
const absl::Time kMondayTen =
    absl::FromCivil(absl::CivilSecond(2026, 5, 4, 10, 0, 0), absl::UTCTimeZone());

class LiveStatsTest : public ::testing::Test {
 protected:
  LiveStatsTest() {
    config_.queues.push_back({.name = "sales",
                              .offer_timeout = absl::Minutes(5),
                              .wrap_up_time = absl::Minutes(5),
                              .max_missed_offers = 0,
                              .service_level_threshold = absl::Seconds(20),
                              .short_abandon = absl::Seconds(5)});
    config_.queues.push_back({.name = "support",
                              .offer_timeout = absl::Minutes(5),
                              .wrap_up_time = absl::Minutes(5),
                              .max_missed_offers = 0});
    config_.agents.push_back({.agent_id = "alice", .name = "Alice", .queues = {"sales"}});
    config_.agents.push_back({.agent_id = "bob", .name = "Bob", .queues = {"sales", "support"}});
    Apply();
  }

  void Apply() {
    ASSERT_TRUE(engine_.ApplyConfig(config_, now_).ok());
    stats_.Configure(config_, options_, now_);
    Pump();
  }

  // Hands the engine's events to LiveStats, as the runtime does.
  void Pump() {
    for (Event& e : engine_.TakeEvents()) {
      stats_.OnEvent(e);
      log_.push_back(std::move(e));
    }
  }
  void At(absl::Duration since_start) {
    now_ = kMondayTen + since_start;
    engine_.AdvanceTo(now_);
    Pump();
  }
  void Enqueue(const std::string& id, const std::string& queue = "sales") {
    ASSERT_TRUE(engine_.EnqueueCall({.call_id = id, .queue = queue}, now_).ok());
    Pump();
  }
  void Ready(const std::string& agent) {
    ASSERT_TRUE(engine_.Login(agent, /*ready=*/true, now_).ok());
    Pump();
  }
  void Accept(const std::string& agent, const std::string& call) {
    ASSERT_TRUE(engine_.AcceptOffer(agent, call, now_).ok());
    Pump();
  }
  void End(const std::string& call) {
    ASSERT_TRUE(engine_.EndCall(call, now_).ok());
    Pump();
  }
  void Complete(const std::string& agent, const std::string& call) {
    ASSERT_TRUE(engine_.CompleteCall(agent, call, "done", "", now_).ok());
    Pump();
  }
  void Abandon(const std::string& call) {
    ASSERT_TRUE(engine_.AbandonCall(call, "", now_).ok());
    Pump();
  }
  QueueKpis Queue(const std::string& q) {
    std::optional<QueueKpis> k = stats_.Queue(q, now_);
    EXPECT_TRUE(k.has_value()) << q;
    return k.value_or(QueueKpis{});
  }

  RoutingConfig config_;
  LiveStatsOptions options_;
  Engine engine_;
  LiveStats stats_;
  absl::Time now_ = kMondayTen;
  std::vector<Event> log_;  // every event fed, in order
};

TEST_F(LiveStatsTest, AnsweredAbandonedAndShortAbandonsByHand) {
  Ready("alice");
  Enqueue("c1");  // 10:00:00, offered to alice at once
  At(absl::Seconds(10));
  Accept("alice", "c1");  // answered after 10 s: within 20 s
  At(absl::Seconds(20));
  Enqueue("c2");
  At(absl::Seconds(23));
  Abandon("c2");  // after 3 s: a short abandon
  At(absl::Seconds(30));
  Enqueue("c3");
  At(absl::Seconds(60));
  Abandon("c3");  // after 30 s
  At(absl::Seconds(70));
  End("c1");  // talk 60 s
  At(absl::Seconds(80));
  Complete("alice", "c1");  // wrap-up 10 s
  At(absl::Seconds(85));
  Enqueue("c4");  // offered to alice at once
  At(absl::Seconds(115));
  Accept("alice", "c4");  // answered after 30 s: outside 20 s
  At(absl::Seconds(120));

  for (const KpiFigures& f : {Queue("sales").window, Queue("sales").today}) {
    EXPECT_EQ(f.calls.offered, 4);
    EXPECT_EQ(f.calls.answered, 2);
    EXPECT_EQ(f.calls.answered_in_threshold, 1);
    EXPECT_EQ(f.calls.abandoned, 2);
    EXPECT_EQ(f.calls.short_abandoned, 1);
    // 1 / (2 answered + 2 abandoned - 1 short)
    EXPECT_DOUBLE_EQ(*f.service_level, 1.0 / 3.0);
    // (2 - 1) / (4 - 1)
    EXPECT_DOUBLE_EQ(*f.abandonment_rate, 1.0 / 3.0);
    EXPECT_EQ(*f.asa, absl::Seconds(20));  // (10 + 30) / 2
    EXPECT_EQ(*f.aht, absl::Seconds(70));  // 60 talk + 10 wrap-up
    // alice: reserved 10 + busy 60 + wrap-up 10 + available 5 + reserved 30 +
    // busy 5 (still running); bob never logged in.
    EXPECT_EQ(f.agent_time.Handling(), absl::Seconds(115));
    EXPECT_EQ(f.agent_time.Idle(), absl::Seconds(5));
    EXPECT_DOUBLE_EQ(*f.occupancy, 115.0 / 120.0);
  }
  std::optional<AgentKpis> alice = stats_.Agent("alice", now_);
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->state, AgentState::kBusy);
  EXPECT_EQ(alice->today.calls.handled, 1);
  EXPECT_EQ(*alice->today.aht, absl::Seconds(70));
  EXPECT_EQ(alice->today.agent_time[AgentState::kBusy], absl::Seconds(65));
  EXPECT_EQ(alice->today.agent_time[AgentState::kReserved], absl::Seconds(40));
  EXPECT_EQ(alice->today.agent_time[AgentState::kWrapUp], absl::Seconds(10));
  EXPECT_DOUBLE_EQ(*alice->window.occupancy, 115.0 / 120.0);
}

TEST_F(LiveStatsTest, TotalsOnlyGrowAndLeaveReplayedEventsOut) {
  Ready("alice");
  // Before a restart: c1 arrives and is answered; the store replays it.
  ASSERT_TRUE(engine_.EnqueueCall({.call_id = "c1", .queue = "sales"}, now_).ok());
  now_ = kMondayTen + absl::Seconds(10);
  ASSERT_TRUE(engine_.AcceptOffer("alice", "c1", now_).ok());
  for (const Event& e : engine_.TakeEvents()) stats_.OnEvent(e, LiveStats::Feed::kReplayed);
  // Live from here.
  At(absl::Seconds(70));
  End("c1");  // talk 60 s
  At(absl::Seconds(80));
  Complete("alice", "c1");  // wrap-up 10 s
  At(absl::Seconds(85));
  Enqueue("c2");  // offered to alice at once
  At(absl::Seconds(90));
  ASSERT_TRUE(engine_.RejectOffer("alice", "c2", "busy", now_).ok());
  Pump();  // back in the queue, and offered to alice again
  At(absl::Seconds(100));
  Accept("alice", "c2");  // answered after 15 s

  const QueueTotals* totals = stats_.Totals("sales");
  ASSERT_NE(totals, nullptr);
  EXPECT_EQ(Queue("sales").today.calls.answered, 2);  // the spans count c1 too
  EXPECT_EQ(totals->calls.offered, 1);
  EXPECT_EQ(totals->calls.answered, 1);
  EXPECT_EQ(totals->calls.handled, 1);  // c1's completion was live
  EXPECT_EQ(totals->offers.made, 2);
  EXPECT_EQ(totals->offers.rejected, 1);
  EXPECT_EQ(totals->offers.accepted, 1);
  EXPECT_EQ(totals->offers.timed_out, 0);
  EXPECT_EQ(totals->offers.withdrawn, 0);
  // c2 waited 15 s: the bucket bounded by 15 s (le is inclusive).
  ASSERT_EQ(totals->answer_waits.count(), 1);
  EXPECT_EQ(totals->answer_waits.sum(), absl::Seconds(15));
  EXPECT_EQ(totals->answer_waits.counts()[4], 1);
  EXPECT_EQ(totals->answer_waits.bounds()[4], absl::Seconds(15));
  // c1's handle time, 70 s, falls in the bucket up to 120 s.
  ASSERT_EQ(totals->handle_times.count(), 1);
  EXPECT_EQ(totals->handle_times.sum(), absl::Seconds(70));
  EXPECT_EQ(totals->handle_times.counts()[3], 1);
  EXPECT_EQ(totals->handle_times.bounds()[3], absl::Seconds(120));

  // The window forgets; the totals do not.
  At(absl::Hours(1));
  EXPECT_EQ(Queue("sales").window.calls.answered, 0);
  EXPECT_EQ(stats_.Totals("sales")->calls.answered, 1);
  EXPECT_EQ(stats_.Totals("nope"), nullptr);
}

// Every figure of a span, to compare two LiveStats by.
std::string Describe(const KpiFigures& f) {
  const CallTally& c = f.calls;
  std::string s = absl::StrCat("from=", absl::FormatTime(f.from), " offered=", c.offered,
                               " answered=", c.answered, " in_threshold=", c.answered_in_threshold,
                               " abandoned=", c.abandoned, " short=", c.short_abandoned,
                               " timed_out=", c.timed_out, " overflowed=", c.overflowed,
                               " transfers=", c.transfers, " callbacks=", c.callbacks,
                               " wait=", absl::FormatDuration(c.answer_wait), " handled=", c.handled,
                               " handle=", absl::FormatDuration(c.handle_time), " time=");
  for (absl::Duration d : f.agent_time.in_state) absl::StrAppend(&s, absl::FormatDuration(d), ",");
  return s;
}

std::string Describe(const LiveStats& stats, absl::Time now) {
  std::string s;
  for (const std::string q : {"sales", "support"}) {
    std::optional<QueueKpis> k = stats.Queue(q, now);
    if (!k) return absl::StrCat("no queue ", q);
    absl::StrAppend(&s, q, " window ", Describe(k->window), "\n", q, " today ", Describe(k->today),
                    "\n");
  }
  for (const std::string& id : stats.Agents("")) {
    std::optional<AgentKpis> k = stats.Agent(id, now);
    absl::StrAppend(&s, id, " ", AgentStateName(k->state), " since ",
                    absl::FormatTime(k->state_since), "\n", id, " window ", Describe(k->window),
                    "\n", id, " today ", Describe(k->today), "\n");
  }
  return s;
}

// A LiveStats resumed from a checkpoint taken anywhere in the day, then fed
// the events after it, reads as one fed every event: at the end, and after
// the window has moved on.
TEST_F(LiveStatsTest, ResumingFromACheckpointMatchesReplayingEveryEvent) {
  Ready("alice");
  Ready("bob");
  Enqueue("c1");  // to alice
  At(absl::Seconds(12));
  Accept("alice", "c1");
  Enqueue("c2", "support");  // to bob
  At(absl::Seconds(40));
  Accept("bob", "c2");
  Enqueue("c3");  // waits
  At(absl::Minutes(2));
  ASSERT_TRUE(engine_.TransferToQueue("c2", "support", std::nullopt, now_).ok());
  Pump();
  End("c1");
  At(absl::Minutes(3));
  Complete("alice", "c1");  // alice takes c3 or c2
  At(absl::Minutes(5));
  ASSERT_TRUE(engine_.SetAway("bob", "lunch", now_).ok());
  Pump();
  Enqueue("c4");
  At(absl::Minutes(7));
  Abandon("c4");
  Enqueue("c5", "support");
  At(absl::Minutes(20));  // the window has moved past the first calls

  const absl::Time end = now_;
  for (size_t cut = 0; cut <= log_.size(); ++cut) {
    SCOPED_TRACE(absl::StrCat("checkpoint after ", cut, " of ", log_.size(), " events"));
    LiveStats before;
    before.Configure(config_, options_, kMondayTen);
    for (size_t i = 0; i < cut; ++i) before.OnEvent(log_[i], LiveStats::Feed::kReplayed);
    LiveStats resumed;
    resumed.Configure(config_, options_, end);
    resumed.Resume(before.Checkpoint());
    for (size_t i = cut; i < log_.size(); ++i) resumed.OnEvent(log_[i], LiveStats::Feed::kReplayed);
    for (absl::Time at : {end, end + absl::Minutes(3)}) {
      EXPECT_EQ(Describe(resumed, at), Describe(stats_, at));
    }
  }
}

TEST_F(LiveStatsTest, AWindowOfAnotherBucketSizeStartsAfreshButTodayIsKept) {
  Ready("alice");
  Enqueue("c1");
  At(absl::Seconds(30));
  Accept("alice", "c1");
  LiveStatsCheckpoint checkpoint = stats_.Checkpoint();
  LiveStats resumed;
  resumed.Configure(config_, {.window = absl::Minutes(10), .bucket = absl::Seconds(30)}, now_);
  resumed.Resume(checkpoint);
  std::optional<QueueKpis> sales = resumed.Queue("sales", now_);
  ASSERT_TRUE(sales.has_value());
  EXPECT_EQ(sales->today.calls.answered, 1);
  EXPECT_EQ(sales->window.calls.answered, 0);
  EXPECT_EQ(Queue("sales").window.calls.answered, 1);
}

TEST(DurationHistogramTest, BucketsAreUpperBoundsWithAnOpenLastOne) {
  constexpr absl::Duration kBounds[] = {absl::Seconds(1), absl::Seconds(10)};
  DurationHistogram h(kBounds);
  for (absl::Duration d : {absl::ZeroDuration(), absl::Seconds(1), absl::Milliseconds(1001),
                           absl::Seconds(10), absl::Seconds(11), absl::Hours(5)}) {
    h.Add(d);
  }
  EXPECT_EQ(h.counts(), (std::vector<int64_t>{2, 2, 2}));
  EXPECT_EQ(h.count(), 6);
  EXPECT_EQ(h.sum(), absl::Hours(5) + absl::Seconds(22) + absl::Milliseconds(1001));
}

TEST_F(LiveStatsTest, NothingToRateIsAbsentNotZero) {
  QueueKpis q = Queue("support");
  EXPECT_EQ(q.today.calls.offered, 0);
  EXPECT_FALSE(q.today.service_level.has_value());
  EXPECT_FALSE(q.today.abandonment_rate.has_value());
  EXPECT_FALSE(q.today.asa.has_value());
  EXPECT_FALSE(q.today.aht.has_value());
  EXPECT_FALSE(q.today.occupancy.has_value());  // nobody logged in
  EXPECT_FALSE(stats_.Queue("nope", now_).has_value());
  EXPECT_FALSE(stats_.Agent("nobody", now_).has_value());
}

TEST_F(LiveStatsTest, WindowSlidesOutByTheMinute) {
  // 15 whole one-minute buckets and the current one: at 10:15:59 the window
  // is 10:00..now; at 10:16:00 it starts at 10:01.
  Ready("alice");
  At(absl::Seconds(30));
  Enqueue("c1");  // 10:00:30, offered to alice
  At(absl::Seconds(40));
  Accept("alice", "c1");
  At(absl::Minutes(15) + absl::Seconds(59));
  QueueKpis q = Queue("sales");
  EXPECT_EQ(q.window.from, kMondayTen);
  EXPECT_EQ(q.window.calls.answered, 1);
  EXPECT_EQ(*q.window.asa, absl::Seconds(10));

  At(absl::Minutes(16));
  q = Queue("sales");
  EXPECT_EQ(q.window.from, kMondayTen + absl::Minutes(1));
  EXPECT_EQ(q.window.calls.offered, 0);
  EXPECT_FALSE(q.window.asa.has_value());
  // Busy since 10:00:40, still running: the window holds its last 15 min.
  EXPECT_EQ(q.window.agent_time[AgentState::kBusy], absl::Minutes(15));
  // Today keeps it all.
  EXPECT_EQ(q.today.calls.answered, 1);
  EXPECT_EQ(q.today.agent_time[AgentState::kBusy], absl::Minutes(15) + absl::Seconds(20));

  // A state change books the running time into the buckets still in the
  // window: busy 10:00:40..10:20, then wrap-up.
  At(absl::Minutes(20));
  End("c1");
  q = Queue("sales");
  EXPECT_EQ(q.window.from, kMondayTen + absl::Minutes(5));
  EXPECT_EQ(q.window.agent_time[AgentState::kBusy], absl::Minutes(15));
  EXPECT_EQ(q.today.agent_time[AgentState::kBusy], absl::Minutes(19) + absl::Seconds(20));
}

TEST_F(LiveStatsTest, OverflowCountsOfferedInEachQueueAndOverflowedInTheOneLeft) {
  config_.queues[0].max_wait = absl::Seconds(30);
  config_.queues[0].on_timeout = {LimitAction::Kind::kOverflow, "support"};
  config_.queues[0].max_size = 1;
  config_.queues[0].on_full = {LimitAction::Kind::kOverflow, "support"};
  config_.agents[1].queues = {"support"};  // bob serves support only
  Apply();
  Enqueue("c1");  // waits in sales: nobody there
  At(absl::Seconds(5));
  Enqueue("c2");          // sales is full: straight on to support
  At(absl::Seconds(30));  // c1 waited 30 s: on to support
  At(absl::Seconds(45));
  Ready("bob");         // offered c1 (the longest waiting)
  Accept("bob", "c1");  // 45 s after it arrived in sales

  QueueKpis sales = Queue("sales");
  EXPECT_EQ(sales.today.calls.offered, 2);
  EXPECT_EQ(sales.today.calls.overflowed, 2);
  EXPECT_EQ(sales.today.calls.answered, 0);
  EXPECT_FALSE(sales.today.service_level.has_value());
  QueueKpis support = Queue("support");
  EXPECT_EQ(support.today.calls.offered, 2);
  EXPECT_EQ(support.today.calls.overflowed, 0);
  EXPECT_EQ(support.today.calls.answered, 1);
  EXPECT_EQ(*support.today.asa, absl::Seconds(45));  // from the original arrival
  EXPECT_DOUBLE_EQ(*support.today.service_level, 0.0);
}

TEST_F(LiveStatsTest, TransferCountsInTheQueueLeftAndWaitsAnew) {
  config_.agents[1].queues = {"support"};
  Apply();
  Ready("alice");
  Ready("bob");
  Enqueue("c1");  // to alice
  At(absl::Seconds(5));
  Accept("alice", "c1");
  At(absl::Minutes(2));
  ASSERT_TRUE(engine_.TransferToQueue("c1", "support", std::nullopt, now_).ok());
  Pump();  // offered to bob
  At(absl::Minutes(2) + absl::Seconds(8));
  Accept("bob", "c1");

  QueueKpis sales = Queue("sales");
  EXPECT_EQ(sales.today.calls.offered, 1);
  EXPECT_EQ(sales.today.calls.transfers, 1);
  EXPECT_EQ(sales.today.calls.answered, 1);
  QueueKpis support = Queue("support");
  EXPECT_EQ(support.today.calls.offered, 1);
  EXPECT_EQ(support.today.calls.answered, 1);
  EXPECT_EQ(*support.today.asa, absl::Seconds(8));  // from the transfer, not the arrival
}

TEST_F(LiveStatsTest, OccupancyFromStateChangesLeavesAwayOut) {
  // bob serves both queues; alice only sales.
  Ready("alice");
  Ready("bob");
  At(absl::Minutes(6));
  ASSERT_TRUE(engine_.SetAway("alice", "lunch", now_).ok());
  Pump();
  Enqueue("c1", "support");  // to bob
  Accept("bob", "c1");
  At(absl::Minutes(9));
  End("c1");
  At(absl::Minutes(10));
  Complete("bob", "c1");
  At(absl::Minutes(12));
  // alice: available 6, away 6. bob: available 6, busy 3, wrap-up 1,
  // available 2.
  QueueKpis sales = Queue("sales");
  EXPECT_EQ(sales.today.agent_time[AgentState::kAway], absl::Minutes(6));
  EXPECT_EQ(sales.today.agent_time.Idle(), absl::Minutes(6 + 6 + 2));
  EXPECT_EQ(sales.today.agent_time.Handling(), absl::Minutes(4));
  EXPECT_DOUBLE_EQ(*sales.today.occupancy, 4.0 / 18.0);
  QueueKpis support = Queue("support");
  EXPECT_DOUBLE_EQ(*support.today.occupancy, 4.0 / 12.0);
  EXPECT_EQ(*support.today.aht, absl::Minutes(4));
  std::optional<AgentKpis> alice = stats_.Agent("alice", now_);
  EXPECT_FALSE(alice->today.aht.has_value());
  EXPECT_DOUBLE_EQ(*alice->today.occupancy, 0.0);
  EXPECT_EQ(stats_.Agents("support"), std::vector<std::string>{"bob"});
  EXPECT_EQ(stats_.Agents(""), (std::vector<std::string>{"alice", "bob"}));
}

TEST_F(LiveStatsTest, CallbacksAndWithdrawnCallbacks) {
  // The engine will emit these; the events are made by hand here.
  Call call;
  call.call_id = "cb1";
  call.queue = "sales";
  call.enqueued_at = kMondayTen;
  stats_.OnEvent({.time = kMondayTen,
                  .type = EventType::kCallQueued,
                  .call_id = "cb1",
                  .queue = "sales",
                  .call = call});
  call.callback_requested_at = kMondayTen + absl::Seconds(30);
  stats_.OnEvent({.time = kMondayTen + absl::Seconds(30),
                  .type = EventType::kCallbackRequested,
                  .call_id = "cb1",
                  .queue = "sales",
                  .call = call});
  // Connected later: a callback, not an answer.
  call.connected_at = kMondayTen + absl::Minutes(5);
  stats_.OnEvent({.time = kMondayTen + absl::Minutes(5),
                  .type = EventType::kCallConnected,
                  .call_id = "cb1",
                  .queue = "sales",
                  .call = call});
  call.call_id = "cb2";
  call.connected_at.reset();
  stats_.OnEvent({.time = kMondayTen + absl::Minutes(6),
                  .type = EventType::kCallQueued,
                  .call_id = "cb2",
                  .queue = "sales",
                  .call = call});
  stats_.OnEvent({.time = kMondayTen + absl::Minutes(7),
                  .type = EventType::kCallbackRequested,
                  .call_id = "cb2",
                  .queue = "sales",
                  .call = call});
  stats_.OnEvent({.time = kMondayTen + absl::Minutes(8),
                  .type = EventType::kCallbackWithdrawn,
                  .call_id = "cb2",
                  .queue = "sales",
                  .call = call});
  QueueKpis q = *stats_.Queue("sales", kMondayTen + absl::Minutes(9));
  EXPECT_EQ(q.today.calls.offered, 2);
  EXPECT_EQ(q.today.calls.callbacks, 2);
  EXPECT_EQ(q.today.calls.answered, 0);
  EXPECT_EQ(q.today.calls.timed_out, 1);
}

// A queue whose schedule is in New York, open around the clock. 2026-11-01 is
// the fall-back day there: 25 hours long (01:00-02:00 happens twice).
class LiveStatsZoneTest : public LiveStatsTest {
 protected:
  LiveStatsZoneTest() {
    EXPECT_TRUE(absl::LoadTimeZone("America/New_York", &ny_));
    Schedule s{.name = "ny", .zone = ny_};
    for (auto& day : s.weekly) day = {{0, kMinutesPerDay}};
    config_.schedules = {s};
    config_.queues[0].schedule = "ny";
    now_ = Local(2026, 10, 31, 23, 0);  // after kMondayTen: the engine's time only moves on
    Apply();
  }
  absl::Time Local(int y, int m, int d, int hh, int mm) const {
    return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), ny_);
  }
  void AtLocal(absl::Time t) {
    now_ = t;
    engine_.AdvanceTo(now_);
    Pump();
  }
  absl::TimeZone ny_;
};

TEST_F(LiveStatsZoneTest, TodayRollsOverAtLocalMidnightIncludingADstDay) {
  Ready("alice");  // Sat 2026-10-31 23:00 EDT
  AtLocal(Local(2026, 10, 31, 23, 30));
  Enqueue("c1");  // offered to alice
  AtLocal(Local(2026, 10, 31, 23, 30) + absl::Seconds(4));
  Abandon("c1");  // after 4 s: a short abandon
  AtLocal(Local(2026, 10, 31, 23, 59));
  QueueKpis q = Queue("sales");
  EXPECT_EQ(q.today.from, Local(2026, 10, 31, 0, 0));
  EXPECT_EQ(q.today.calls.offered, 1);
  EXPECT_EQ(q.today.calls.short_abandoned, 1);

  // Past local midnight (04:00 UTC): a new day, nothing counted yet.
  AtLocal(Local(2026, 11, 1, 0, 30));
  q = Queue("sales");
  EXPECT_EQ(q.today.from, Local(2026, 11, 1, 0, 0));
  EXPECT_EQ(q.today.calls.offered, 0);
  EXPECT_EQ(q.today.agent_time.Idle(), absl::Minutes(30));

  // 23:00 EST on the 25-hour day: 24 hours since midnight, all available.
  AtLocal(Local(2026, 11, 1, 23, 0));
  q = Queue("sales");
  EXPECT_EQ(now_ - q.today.from, absl::Hours(24));
  EXPECT_EQ(q.today.agent_time.Idle(), absl::Hours(24));
  EXPECT_EQ(q.window.agent_time.Idle(), absl::Minutes(15));

  // An event after the next midnight starts the 2nd; the agent's own "today"
  // is in UTC (LiveStatsOptions::zone), where the 2nd began at 19:00 EST.
  AtLocal(Local(2026, 11, 2, 0, 10));
  Enqueue("c2");  // offered to alice
  q = Queue("sales");
  EXPECT_EQ(q.today.from, Local(2026, 11, 2, 0, 0));
  EXPECT_EQ(q.today.calls.offered, 1);
  EXPECT_EQ(q.today.agent_time.Idle(), absl::Minutes(10));
  std::optional<AgentKpis> alice = stats_.Agent("alice", now_);
  EXPECT_EQ(alice->today.from, Local(2026, 11, 1, 19, 0));
  EXPECT_EQ(alice->today.agent_time.Idle(), absl::Hours(5) + absl::Minutes(10));
}

// The spring-forward day (2026-03-08 in New York, 23 hours), fed by hand: an
// agent available from the evening before is available 22 hours "today" by
// 23:00 EDT, and "today" starts again at the next local midnight.
TEST(LiveStatsDstTest, SpringForwardDayHasTwentyThreeHours) {
  absl::TimeZone ny;
  ASSERT_TRUE(absl::LoadTimeZone("America/New_York", &ny));
  auto local = [&](int m, int d, int hh) {
    return absl::FromCivil(absl::CivilHour(2026, m, d, hh), ny);
  };
  RoutingConfig config;
  config.queues.push_back({.name = "q"});
  config.agents.push_back({.agent_id = "a", .queues = {"q"}});
  LiveStatsOptions options;
  options.zone = ny;  // no schedule: the server zone
  LiveStats stats(options);
  stats.Configure(config, options, local(3, 7, 23));
  Agent agent{.agent_id = "a", .state = AgentState::kAvailable};
  stats.OnEvent({.time = local(3, 7, 23),
                 .type = EventType::kAgentLoggedIn,
                 .agent_id = "a",
                 .agent = agent});

  QueueKpis q = *stats.Queue("q", local(3, 8, 23));
  EXPECT_EQ(q.today.from, local(3, 8, 0));
  EXPECT_EQ(local(3, 8, 23) - q.today.from, absl::Hours(22));
  EXPECT_EQ(q.today.agent_time.Idle(), absl::Hours(22));
  EXPECT_EQ(stats.Agent("a", local(3, 8, 23))->today.agent_time.Idle(), absl::Hours(22));

  // Away at 01:00 on the 9th: the 9th has one hour available.
  agent.state = AgentState::kAway;
  stats.OnEvent({.time = local(3, 9, 1),
                 .type = EventType::kAgentStateChanged,
                 .agent_id = "a",
                 .agent = agent});
  q = *stats.Queue("q", local(3, 9, 2));
  EXPECT_EQ(q.today.from, local(3, 9, 0));
  EXPECT_EQ(q.today.agent_time.Idle(), absl::Hours(1));
  EXPECT_EQ(q.today.agent_time[AgentState::kAway], absl::Hours(1));
  EXPECT_DOUBLE_EQ(*q.today.occupancy, 0.0);
}

TEST(StatsWindowTest, WholeMinutesWithinBounds) {
  EXPECT_TRUE(ValidateStatsWindow(absl::Minutes(15)).ok());
  EXPECT_TRUE(ValidateStatsWindow(absl::Minutes(1)).ok());
  EXPECT_TRUE(ValidateStatsWindow(absl::Hours(1)).ok());
  absl::Status s = ValidateStatsWindow(absl::Seconds(90));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("1m30s"), absl::string_view::npos) << s;
  EXPECT_FALSE(ValidateStatsWindow(absl::Hours(2)).ok());
  EXPECT_FALSE(ValidateStatsWindow(absl::ZeroDuration()).ok());
}

}  // namespace
}  // namespace acd::core
