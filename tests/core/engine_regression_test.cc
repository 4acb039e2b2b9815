// Regressions of the engine that the property test found, each reproduced by hand.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "server/core/engine.h"
#include "server/core/types.h"
#include "tests/core/property/crash_report.h"
#include "tests/core/routing_fixture.h"

namespace acd::core {
namespace {

// ---------------------------------------------------------------------------
// Regressions: the shortest reproductions of what the random runs found, by
// hand, so that each names its cause.

// The routing fixture (a manual clock from kT0, the engine's invariants
// checked after every test), with a watchdog.
class EngineRegressionTest : public RoutingTest {
 protected:
  // Starts over with an engine made with `options` (before the first Apply).
  // Engine is neither copyable nor movable, so the new one is built in place.
  void ResetEngine(EngineOptions options) {
    std::destroy_at(&engine_);
    std::construct_at(&engine_, options);
  }
  std::string StateOf(const std::string& id) {
    absl::StatusOr<Call> c = engine_.GetCall(id);
    return c.ok() ? std::string(CallStateName(c->state)) : c.status().ToString();
  }

  property::Watchdog watchdog_;  // an engine that loops forever fails the test
};

// Seeds 7, 21, 26, 36: a queue was refused as full (or overflowed) while
// GetQueueStats showed room, because calls that escalation widened into it
// counted against its max_size.
TEST_F(EngineRegressionTest, MaxSizeCountsOnlyTheQueuesOwnCalls) {
  QueueConfig small = MakeQueue("small");
  small.max_size = 1;
  QueueConfig wide = MakeQueue("wide");
  EscalationStep step;
  step.after = absl::Seconds(60);
  step.add_queues = {"small"};
  wide.escalation = {step};
  config_.queues = {small, wide};
  Apply();
  ASSERT_TRUE(Enqueue("w", "wide").ok());
  Advance(absl::Seconds(60));  // w may now go to small's agents too
  absl::StatusOr<QueueStats> stats = engine_.GetQueueStats("small", now_);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->queued + stats->offered, 0);
  EXPECT_TRUE(Enqueue("s", "small").ok()) << "small holds none of its own calls";
}

// Seeds 10, 43: a call id reused after the engine forgot the finished call
// (max_finished_calls) inherited the old call's pending deadlines, which
// match by id and a generation that starts again at 0: here the old call's
// max_wait of 60 s disconnects the new call, in a queue without max_wait.
// (A stale deadline at the top of the heap is dropped by NextDeadline(); y's
// deadline, due first, keeps the old call's one below the top.)
TEST_F(EngineRegressionTest, ReusedCallIdDoesNotInheritTheOldCallsDeadlines) {
  ResetEngine(EngineOptions{.max_finished_calls = 1});
  QueueConfig limited = MakeQueue("limited");
  limited.max_wait = absl::Seconds(60);
  config_.queues = {limited, MakeQueue("plain")};
  Apply();
  ASSERT_TRUE(Enqueue("y", "limited").ok());
  ASSERT_TRUE(Enqueue("c", "limited").ok());
  ASSERT_TRUE(engine_.AbandonCall("c", "", now_).ok());
  ASSERT_TRUE(Enqueue("x", "plain").ok());
  ASSERT_TRUE(engine_.AbandonCall("x", "", now_).ok());
  ASSERT_EQ(engine_.GetCall("c").status().code(), absl::StatusCode::kNotFound);  // forgotten
  Advance(absl::Seconds(10));
  ASSERT_TRUE(Enqueue("c", "plain").ok());
  Advance(absl::Seconds(50));  // 60 s since the old c arrived: y times out
  EXPECT_EQ(StateOf("c"), "queued");
}

// Seed 1: a call offered while a reload removed its queue's max_wait kept the
// old max_wait deadline, which disconnected it once the offer went back.
TEST_F(EngineRegressionTest, ReloadRestartsTheLimitsOfAnOfferedCall) {
  QueueConfig q = MakeQueue("q");
  q.max_wait = absl::Seconds(60);
  config_.queues = {q};
  config_.agents = {MakeAgent("a", {"q"})};
  Apply();
  ASSERT_TRUE(engine_.Login("a", /*ready=*/true, now_).ok());
  ASSERT_TRUE(Enqueue("c", "q").ok());
  ASSERT_EQ(StateOf("c"), "offered");
  config_.queues[0].max_wait = absl::ZeroDuration();
  Apply();
  ASSERT_TRUE(engine_.SetAway("a", "break", now_).ok());  // the offer goes back
  Advance(absl::Seconds(61));
  EXPECT_EQ(StateOf("c"), "queued");
}

// Seeds 21, 30: a call offered through a queue that escalation had added
// kept that queue after a reload removed it; when the offer went back the
// engine put the call into the missing queue and crashed.
TEST_F(EngineRegressionTest, ReloadRemovingAQueueAnOfferedCallWasWidenedTo) {
  QueueConfig wide = MakeQueue("wide");
  EscalationStep step;
  step.after = absl::Seconds(30);
  step.add_queues = {"extra"};
  wide.escalation = {step};
  config_.queues = {wide, MakeQueue("extra")};
  config_.agents = {MakeAgent("a", {"extra"})};
  Apply();
  ASSERT_TRUE(Enqueue("c", "wide").ok());
  Advance(absl::Seconds(30));  // widened to extra
  ASSERT_TRUE(engine_.Login("a", /*ready=*/true, now_).ok());
  ASSERT_EQ(StateOf("c"), "offered");
  config_.queues.pop_back();  // extra goes while the offer is out
  config_.queues[0].escalation[0].add_queues.clear();
  config_.agents = {MakeAgent("a", {"wide"})};
  Apply();
  Advance(absl::Seconds(20));  // the offer times out: crashes when the bug is there
  EXPECT_THAT(StateOf("c"), ::testing::AnyOf("queued", "offered"));
}

// Found reading the code behind the seed-1 failure: an offered call's
// max_wait_no_agent deadline re-arms itself `max_wait_no_agent` later, read
// from the current config; a reload that removed the limit made that zero, so
// AdvanceTo re-armed it at the same instant forever.
TEST_F(EngineRegressionTest, ReloadRemovingMaxWaitNoAgentDoesNotLoop) {
  QueueConfig q = MakeQueue("q");
  q.max_wait_no_agent = absl::Seconds(60);
  q.offer_timeout = absl::Seconds(120);
  config_.queues = {q};
  config_.agents = {MakeAgent("a", {"q"})};
  Apply();
  ASSERT_TRUE(engine_.Login("a", /*ready=*/true, now_).ok());
  ASSERT_TRUE(Enqueue("c", "q").ok());
  ASSERT_EQ(StateOf("c"), "offered");
  config_.queues[0].max_wait_no_agent = absl::ZeroDuration();
  Apply();
  Advance(absl::Seconds(61));  // hangs when the bug is there
  EXPECT_EQ(StateOf("c"), "offered");
}

// Seed 104: a queue with a schedule, removed by a reload and added again by
// a later one without a schedule, crashed the engine (null schedule) at the
// old queue's next schedule edge: edge deadlines match by queue name and a
// generation that starts again at 0. (The waiting call's earlier max_wait
// deadline keeps the stale edge below the top of the heap, where
// NextDeadline() would drop it.)
TEST_F(EngineRegressionTest, ReAddedQueueIgnoresTheOldQueuesScheduleEdges) {
  Schedule hours;
  hours.name = "hours";
  for (int d = 0; d < 7; ++d) hours.weekly[d] = {{8 * 60, 9 * 60}};  // kT0 is 08:00
  config_.schedules = {hours};
  QueueConfig plain = MakeQueue("plain");
  plain.max_wait = absl::Minutes(30);
  QueueConfig timed = MakeQueue("timed");
  timed.schedule = "hours";
  config_.queues = {plain, timed};
  Apply();  // arms timed's closing edge at 09:00
  ASSERT_TRUE(Enqueue("c", "plain").ok());
  config_.queues.pop_back();  // timed goes
  Apply();
  config_.queues.push_back(MakeQueue("timed"));  // and comes back, always open
  Apply();
  Advance(absl::Hours(1));  // crashes when the bug is there
  absl::StatusOr<QueueStats> stats = engine_.GetQueueStats("timed", now_);
  ASSERT_TRUE(stats.ok());
  EXPECT_TRUE(stats->open);
}

// Found by SameSeedsGiveTheSameEventsInAnotherProcess (seed 1 at step 1588,
// 7 of its 12 seeds): a reload re-arms the deadlines of the waiting calls in hash-map
// order, so deadlines due at the same instant fire in an order that changes
// from process to process (and kRandom keys are drawn in agents_ order). The
// engine is meant to be deterministic; like RouteAll and schedule closings,
// the longest-waiting call should go first.
TEST_F(EngineRegressionTest, ReloadKeepsArrivalOrderOfDeadlinesDueTogether) {
  QueueConfig q = MakeQueue("q");
  EscalationStep step;
  step.after = absl::Seconds(60);
  step.relax = {{"en", 1}};
  q.escalation = {step};
  config_.queues = {q};
  Apply();
  std::vector<std::string> arrived;
  for (int i = 0; i < 20; ++i) {
    arrived.push_back(absl::StrCat("c", i));
    EnqueueRequest request;
    request.call_id = arrived.back();
    request.queue = "q";
    request.required_skills = {{"en", 5}};
    ASSERT_TRUE(engine_.EnqueueCall(request, now_).ok());
  }
  Advance(absl::Seconds(30));
  Apply();  // the same config: every escalation is re-armed for kT0 + 60 s
  engine_.TakeEvents();
  Advance(absl::Seconds(30));
  std::vector<std::string> escalated;
  for (const Event& e : engine_.TakeEvents()) {
    if (e.type == EventType::kCallEscalated) escalated.push_back(e.call_id);
  }
  EXPECT_EQ(escalated, arrived);
}

// Seed 2: a callback whose dial failed was retried but never withdrawn. Its
// window deadline went stale while it was connected (a connected callback has
// no window), NextDeadline() dropped it, and CallbackFailed armed only the
// retry.
TEST_F(EngineRegressionTest, FailedCallbackDialKeepsItsWindow) {
  QueueConfig q = MakeQueue("q");
  q.callback.enabled = true;
  q.callback.window = absl::Minutes(10);
  q.callback.retry_interval = absl::Minutes(1);
  q.callback.max_attempts = 3;
  config_.queues = {q};
  config_.agents = {MakeAgent("a", {"q"})};
  Apply();
  ASSERT_TRUE(Enqueue("c", "q").ok());
  ASSERT_TRUE(engine_.RequestCallback("c", "5550123", now_).ok());
  ASSERT_TRUE(engine_.Login("a", /*ready=*/true, now_).ok());
  ASSERT_TRUE(engine_.AcceptOffer("a", "c", now_).ok());
  engine_.NextDeadline();  // as the runtime does: drops the stale window deadline
  ASSERT_TRUE(engine_.CallbackFailed("c", "no_answer", now_).ok());
  ASSERT_TRUE(engine_.SetAway("a", "break", now_).ok());
  Advance(absl::Minutes(1));
  ASSERT_EQ(StateOf("c"), "queued");  // the retry
  Advance(absl::Minutes(9));          // the window ends
  EXPECT_EQ(StateOf("c"), "timed_out");
}

// Seeds 7, 8: a call that an agent accepted after a transfer to it kept the
// transfer's fallback queue; transferred on to a queue later, a reject there
// sent it to that old fallback instead of back into its queue.
TEST_F(EngineRegressionTest, AcceptedTransferForgetsItsFallback) {
  config_.queues = {MakeQueue("q"), MakeQueue("old")};
  config_.agents = {MakeAgent("a", {"q"}), MakeAgent("b", {"old"})};
  Apply();
  ASSERT_TRUE(engine_.Login("a", /*ready=*/true, now_).ok());
  ASSERT_TRUE(Enqueue("c", "q").ok());
  ASSERT_TRUE(engine_.AcceptOffer("a", "c", now_).ok());
  ASSERT_TRUE(engine_.Login("b", /*ready=*/true, now_).ok());
  ASSERT_TRUE(engine_.TransferToAgent("c", "b", "old", now_).ok());
  ASSERT_TRUE(engine_.AcceptOffer("b", "c", now_).ok());
  ASSERT_TRUE(engine_.TransferToQueue("c", "q", std::nullopt, now_).ok());
  absl::StatusOr<Call> c = engine_.GetCall("c");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->transfer_fallback, "");
  ASSERT_EQ(c->agent_id, "a");  // offered in q
  ASSERT_TRUE(engine_.RejectOffer("a", "c", "busy", now_).ok());
  c = engine_.GetCall("c");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->queue, "q");
}

// Seeds 1, 26: a callback's window deadline used its queue's window when asked,
// the check when an offer came back the window of its queue then; moved to a
// queue with a longer window and offered when its window ended, it came back
// and waited on without any window. (A move after the window passed during
// an offer left it waiting too: the move did not look.)
TEST_F(EngineRegressionTest, CallbackWindowIsTheOneItWasAskedWith) {
  QueueConfig short_window = MakeQueue("short");
  short_window.callback.enabled = true;
  short_window.callback.window = absl::Minutes(10);
  QueueConfig long_window = MakeQueue("long");
  long_window.offer_timeout = absl::Minutes(15);
  long_window.callback.enabled = true;
  long_window.callback.window = absl::Hours(1);
  config_.queues = {short_window, long_window, MakeQueue("empty")};
  config_.agents = {MakeAgent("a", {"long"})};
  Apply();
  ASSERT_TRUE(Enqueue("c", "short").ok());
  ASSERT_TRUE(engine_.RequestCallback("c", "5550123", now_).ok());
  ASSERT_TRUE(engine_.Login("a", /*ready=*/true, now_).ok());
  Advance(absl::Minutes(5));
  ASSERT_TRUE(engine_.MoveCall("c", "long", now_).ok());
  ASSERT_EQ(StateOf("c"), "offered");
  Advance(absl::Minutes(7));  // the window ends while the offer is out
  ASSERT_EQ(StateOf("c"), "offered");
  ASSERT_TRUE(engine_.MoveCall("c", "empty", now_).ok());
  EXPECT_EQ(StateOf("c"), "timed_out");
}

// Seeds 51, 164: an agent offered a call transferred to it went away; the offer
// went back, on to the fallback queue, whose routing offered it straight back
// to the agent (still available for a moment), who then went away holding it.
TEST_F(EngineRegressionTest, TransferNotTakenDoesNotGoBackToTheAgentLeaving) {
  config_.queues = {MakeQueue("q")};
  config_.agents = {MakeAgent("a", {"q"}), MakeAgent("b", {"q"})};
  Apply();
  ASSERT_TRUE(engine_.Login("a", /*ready=*/true, now_).ok());
  ASSERT_TRUE(Enqueue("c", "q").ok());
  ASSERT_TRUE(engine_.AcceptOffer("a", "c", now_).ok());
  ASSERT_TRUE(engine_.Login("b", /*ready=*/true, now_).ok());
  ASSERT_TRUE(engine_.TransferToAgent("c", "b", "", now_).ok());
  ASSERT_TRUE(engine_.SetAway("a", "break", now_).ok());
  ASSERT_TRUE(engine_.SetAway("b", "break", now_).ok());
  absl::StatusOr<Agent> b = engine_.GetAgent("b");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->state, AgentState::kAway);
  EXPECT_EQ(b->call_id, "");
  EXPECT_EQ(StateOf("c"), "queued");
}

// Found reading the code: a reload could remove the fallback queue of a
// transfer to an agent still in progress (the queue held no call), and when
// the agent did not take it the call was moved into the missing queue: a
// crash. Such a reload is refused, as for a queue that holds a call.
TEST_F(EngineRegressionTest, ReloadRemovingATransfersFallbackQueueIsRefused) {
  config_.queues = {MakeQueue("q"), MakeQueue("fallback")};
  config_.agents = {MakeAgent("a", {"q"}), MakeAgent("b", {"q"})};
  Apply();
  ASSERT_TRUE(engine_.Login("a", /*ready=*/true, now_).ok());
  ASSERT_TRUE(Enqueue("c", "q").ok());
  ASSERT_TRUE(engine_.AcceptOffer("a", "c", now_).ok());
  ASSERT_TRUE(engine_.Login("b", /*ready=*/true, now_).ok());
  ASSERT_TRUE(engine_.TransferToAgent("c", "b", "fallback", now_).ok());
  RoutingConfig without = config_;
  without.queues.pop_back();
  absl::Status s = engine_.ApplyConfig(without, now_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), ::testing::HasSubstr("fallback"));
  ASSERT_TRUE(engine_.RejectOffer("b", "c", "busy", now_).ok());  // crashed when the bug was there
  absl::StatusOr<Call> c = engine_.GetCall("c");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->queue, "fallback");
}

// Seed 289: a callback waiting for its retry kept a queue escalation had
// widened it to after a reload removed that queue; when the retry fell due
// the engine put it into the missing queue and crashed.
TEST_F(EngineRegressionTest, ReloadRemovingAQueueARetryingCallbackWasWidenedTo) {
  QueueConfig wide = MakeQueue("wide");
  wide.callback.enabled = true;
  wide.callback.retry_interval = absl::Minutes(1);
  EscalationStep step;
  step.after = absl::Seconds(30);
  step.add_queues = {"extra"};
  wide.escalation = {step};
  config_.queues = {wide, MakeQueue("extra")};
  config_.agents = {MakeAgent("a", {"extra"})};
  Apply();
  ASSERT_TRUE(Enqueue("c", "wide").ok());
  ASSERT_TRUE(engine_.RequestCallback("c", "5550123", now_).ok());
  Advance(absl::Seconds(30));  // widened to extra
  ASSERT_TRUE(engine_.Login("a", /*ready=*/true, now_).ok());
  ASSERT_TRUE(engine_.AcceptOffer("a", "c", now_).ok());
  ASSERT_TRUE(engine_.CallbackFailed("c", "no_answer", now_).ok());
  config_.queues.pop_back();  // extra goes while the retry waits
  config_.queues[0].escalation.clear();
  config_.agents = {MakeAgent("a", {"wide"})};
  Apply();
  Advance(absl::Minutes(1));  // the retry: crashes when the bug is there
  EXPECT_EQ(StateOf("c"), "offered");
}

}  // namespace
}  // namespace acd::core
