// A restart of a large store with the real acdd binary: 20,000 calls waiting
// and 20,000 finished today, written by the real engine and EventStore, come
// back in their order with today's KPIs, and acdd takes new calls behind
// them. (The figure for 100,000 calls is a benchmark: acd-sim --restart-time.)
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/core/engine.h"
#include "server/store/event_store.h"
#include "tests/support/acdd_process.h"
#include "tests/support/client.h"
#include "tests/support/test_daemon.h"

namespace acd {
namespace {

using ::acd::testing::AcddProcess;
using ::acd::testing::Client;

constexpr int kWaiting = 20000;
constexpr int kFinished = 20000;

// Writes `kFinished` calls abandoned and then `kWaiting` calls waiting in
// queue q to a store at `path`, as acdd would have, a few seconds ago.
void WriteStore(const std::string& path) {
  absl::StatusOr<std::unique_ptr<store::EventStore>> store =
      store::EventStore::Open(path, store::StoreOptions{.synchronous_full = false});
  ASSERT_TRUE(store.ok()) << store.status();
  core::QueueConfig queue;
  queue.name = "q";
  core::RoutingConfig config;
  config.queues = {queue};
  core::Engine engine;
  absl::Time t = absl::Now() - absl::Seconds(5);
  ASSERT_TRUE(engine.ApplyConfig(config, t).ok());
  std::vector<core::Event> batch = engine.TakeEvents();
  auto flush = [&](bool always) {
    if (!always && batch.size() < 4096) return;
    ASSERT_TRUE((*store)->Append(batch, {}).ok());
    batch.clear();
  };
  for (int i = 0; i < kFinished + kWaiting; ++i) {
    t += absl::Microseconds(50);
    const bool waits = i >= kFinished;
    const std::string id = waits ? absl::StrCat("w-", i - kFinished) : absl::StrCat("f-", i);
    ASSERT_TRUE(engine
                    .EnqueueCall({.call_id = id,
                                  .queue = "q",
                                  .attributes = {{"caller", "+15551234567"}, {"channel", "voice"}}},
                                 t)
                    .ok());
    if (!waits) {
      ASSERT_TRUE(engine.AbandonCall(id, "hung up", t).ok());
    }
    for (core::Event& e : engine.TakeEvents()) batch.push_back(std::move(e));
    ASSERT_NO_FATAL_FAILURE(flush(false));
  }
  ASSERT_NO_FATAL_FAILURE(flush(true));
}

TEST(LargeRestartTest, TwentyThousandWaitingCallsComeBackInOrderWithTodaysKpis) {
  testing::TempDir dir;
  const std::string db = dir.File("acd.db");
  ASSERT_NO_FATAL_FAILURE(WriteStore(db));
  const std::string config = dir.Write("acd.yaml", "queues:\n  - name: q\n");

  const absl::Time started = absl::Now();
  AcddProcess acdd(ACDD_PATH, config, db, dir.File("port"));
  ASSERT_TRUE(acdd.started());
  std::fprintf(stderr, "acdd restored %d waiting calls and served in %.2f s\n", kWaiting,
               absl::ToDoubleSeconds(absl::Now() - started));
  Client client(acdd.address());

  auto stats = client.QueueStats("q");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->queued(), kWaiting);
  // Today's figures are the stored day's, replayed.
  EXPECT_EQ(stats->today().offered(), kWaiting + kFinished);
  EXPECT_EQ(stats->today().abandoned(), kFinished);

  // Oldest first, as they arrived.
  v1::ListCallsRequest list;
  list.set_queue("q");
  list.set_limit(3);
  auto calls = client.ListCalls(list);
  ASSERT_TRUE(calls.ok());
  ASSERT_EQ(calls->calls_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(calls->calls(i).call_id(), absl::StrCat("w-", i));
    EXPECT_EQ(calls->calls(i).attributes().at("channel"), "voice");
  }

  // A new call waits behind them; a finished one is still known (a retry).
  auto enqueued = client.Enqueue("after-restart", "q");
  ASSERT_TRUE(enqueued.ok());
  EXPECT_TRUE(enqueued->created());
  EXPECT_EQ(enqueued->call().position(), kWaiting + 1);
  auto finished = client.GetCall(absl::StrCat("f-", kFinished - 1));
  ASSERT_TRUE(finished.ok());
  EXPECT_EQ(finished->state(), v1::CALL_STATE_ABANDONED);
}

}  // namespace
}  // namespace acd
