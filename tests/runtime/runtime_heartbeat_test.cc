// The runtime's heartbeat (the systemd watchdog's source): it beats on the
// engine thread, so a stuck engine thread stops it, and it resumes when the
// thread is free again.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "server/runtime/runtime.h"
#include "tests/support/test_daemon.h"

namespace acd::runtime {
namespace {

constexpr absl::Duration kBeat = absl::Milliseconds(20);

class RealTime : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
};

// Waits (at most 10 s) until `beats` passes `at_least`.
bool WaitForBeats(const std::atomic<int>& beats, int at_least) {
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (beats.load() < at_least) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

TEST(RuntimeHeartbeatTest, BeatsOnTheEngineThreadAndStopsWhileItIsStuck) {
  acd::testing::TempDir dir;
  absl::StatusOr<std::unique_ptr<store::EventStore>> store =
      store::EventStore::Open(dir.File("acd.db"), {});
  ASSERT_TRUE(store.ok()) << store.status();
  RealTime clock;
  absl::StatusOr<std::unique_ptr<Runtime>> runtime = Runtime::Create({}, *std::move(store), &clock);
  ASSERT_TRUE(runtime.ok()) << runtime.status();
  std::atomic<int> beats{0};
  (*runtime)->SetHeartbeat(kBeat, [&beats] { beats++; });
  (*runtime)->Start();
  ASSERT_TRUE(WaitForBeats(beats, 3));

  // A command that holds the engine thread for 25 beats.
  absl::Notification running, release;
  std::promise<void> done;
  (*runtime)->Execute<bool>(
      [&](core::Engine&, absl::Time) -> absl::StatusOr<bool> {
        running.Notify();
        release.WaitForNotification();
        return true;
      },
      [&done](absl::StatusOr<bool>) { done.set_value(); });
  running.WaitForNotification();
  const int before = beats.load();
  absl::SleepFor(25 * kBeat);
  EXPECT_EQ(beats.load(), before) << "a beat came from a stuck engine thread";
  release.Notify();
  done.get_future().wait();
  EXPECT_TRUE(WaitForBeats(beats, before + 3)) << "the beats did not resume";

  EXPECT_TRUE((*runtime)->Stop().ok());
  const int stopped = beats.load();
  absl::SleepFor(5 * kBeat);
  EXPECT_EQ(beats.load(), stopped);
}

}  // namespace
}  // namespace acd::runtime
