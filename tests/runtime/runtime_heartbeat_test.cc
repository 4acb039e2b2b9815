// The runtime's heartbeat (the systemd watchdog's source): it beats on the
// engine thread, so a stuck engine thread stops it, and it resumes when the
// thread is free again. On simulated time: a beat is due only when the test
// advances the time, so nothing here depends on the machine's speed.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>

#include "absl/synchronization/notification.h"
#include "server/runtime/runtime.h"
#include "server/store/event_store.h"
#include "tests/support/simulated_time_system.h"
#include "tests/support/test_daemon.h"

namespace acd::runtime {
namespace {

constexpr absl::Duration kBeat = absl::Seconds(5);

// Returns once the engine thread has run everything posted before.
void Flush(Runtime& runtime) {
  std::promise<void> ran;
  runtime.Read<bool>([](const core::Engine&, absl::Time) -> absl::StatusOr<bool> { return true; },
                     [&ran](absl::StatusOr<bool>) { ran.set_value(); });
  ran.get_future().wait();
}

TEST(RuntimeHeartbeatTest, BeatsOnTheEngineThreadAndStopsWhileItIsStuck) {
  acd::testing::TempDir dir;
  acd::testing::SimulatedTimeSystem time;
  absl::StatusOr<std::unique_ptr<store::EventStore>> store =
      store::EventStore::Open(dir.File("acd.db"), {});
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<std::unique_ptr<Runtime>> made = Runtime::Create({}, *std::move(store), &time);
  ASSERT_TRUE(made.ok()) << made.status();
  Runtime& runtime = **made;
  std::atomic<int> beats{0};
  runtime.SetHeartbeat(kBeat, [&beats] { beats++; });
  runtime.Start();
  Flush(runtime);
  EXPECT_EQ(beats.load(), 1) << "the first beat comes at Start()";
  time.Advance(kBeat - absl::Milliseconds(1));
  Flush(runtime);
  EXPECT_EQ(beats.load(), 1) << "a beat came early";
  time.Advance(absl::Milliseconds(1));
  Flush(runtime);
  EXPECT_EQ(beats.load(), 2);

  // A command that holds the engine thread while 25 beats fall due.
  absl::Notification running, release;
  std::promise<void> done;
  runtime.Execute<bool>(
      [&](core::Engine&, absl::Time) -> absl::StatusOr<bool> {
        running.Notify();
        release.WaitForNotification();
        return true;
      },
      [&done](absl::StatusOr<bool>) { done.set_value(); });
  running.WaitForNotification();
  for (int i = 0; i < 25; ++i) time.Advance(kBeat);
  EXPECT_EQ(beats.load(), 2) << "a beat came from a stuck engine thread";
  release.Notify();
  done.get_future().wait();
  Flush(runtime);
  EXPECT_EQ(beats.load(), 3) << "the beat due while stuck did not come once free";
  time.Advance(kBeat);
  Flush(runtime);
  EXPECT_EQ(beats.load(), 4) << "the beats did not resume";

  EXPECT_TRUE(runtime.Stop().ok());
  EXPECT_EQ(time.armed_timers(), 0u) << "a timer outlived Stop()";
  time.Advance(5 * kBeat);
  EXPECT_EQ(beats.load(), 4);
}

}  // namespace
}  // namespace acd::runtime
