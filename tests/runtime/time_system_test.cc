// The injected time: the simulated time system fires timers only when the
// test advances it, in time order, through the loop they belong to; the real
// one leaves the Asio loop's own timers; both bound waits by their time.
#include "server/base/time_system.h"

#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "server/runtime/event_loop.h"
#include "tests/support/simulated_time_system.h"

namespace acd {
namespace {

using ::acd::testing::kT0;
using ::acd::testing::SimulatedTimeSystem;

// A loop the test runs by hand: posted work waits until RunPosted().
class ManualLoop final : public Dispatcher {
 public:
  void Post(std::function<void()> work) override { posted_.push_back(std::move(work)); }
  std::unique_ptr<Timer> CreateTimer() override {
    ADD_FAILURE() << "a simulated loop made a timer of the real loop";
    return nullptr;
  }
  int RunPosted() {
    int ran = 0;
    while (!posted_.empty()) {
      std::function<void()> work = std::move(posted_.front());
      posted_.pop_front();
      work();
      ++ran;
    }
    return ran;
  }

 private:
  std::deque<std::function<void()>> posted_;
};

TEST(SimulatedTimeSystemTest, TimersFireInTimeOrderOnlyWhenTheTimeIsAdvanced) {
  SimulatedTimeSystem time;
  EXPECT_EQ(time.Now(), kT0);
  ManualLoop real;
  std::unique_ptr<Dispatcher> loop = time.Decorate(real);
  std::vector<std::string> fired;
  std::unique_ptr<Timer> late = loop->CreateTimer();
  std::unique_ptr<Timer> early = loop->CreateTimer();
  std::unique_ptr<Timer> tie = loop->CreateTimer();
  late->Arm(absl::Seconds(30), [&] { fired.push_back("late"); });
  early->Arm(absl::Seconds(10), [&] { fired.push_back("early"); });
  tie->Arm(absl::Seconds(10), [&] { fired.push_back("tie"); });  // armed after early

  time.Advance(absl::Seconds(10) - absl::Nanoseconds(1));
  EXPECT_EQ(real.RunPosted(), 0);
  time.Advance(absl::Seconds(25));
  EXPECT_EQ(time.Now(), kT0 + absl::Seconds(35) - absl::Nanoseconds(1));
  EXPECT_EQ(real.RunPosted(), 3);
  EXPECT_EQ(fired, (std::vector<std::string>{"early", "tie", "late"}));
  EXPECT_EQ(time.armed_timers(), 0u);

  // Time does not go back.
  time.SetNow(kT0);
  EXPECT_EQ(time.Now(), kT0 + absl::Seconds(35) - absl::Nanoseconds(1));
}

TEST(SimulatedTimeSystemTest, RearmingReplacesAndDisarmingCancelsEvenAfterTheFireWasPosted) {
  SimulatedTimeSystem time;
  ManualLoop real;
  std::unique_ptr<Dispatcher> loop = time.Decorate(real);
  int fired = 0;
  std::unique_ptr<Timer> timer = loop->CreateTimer();
  timer->Arm(absl::Seconds(1), [&] { fired += 1; });
  timer->Arm(absl::Seconds(5), [&] { fired += 10; });
  time.Advance(absl::Seconds(2));
  EXPECT_EQ(real.RunPosted(), 0);
  time.Advance(absl::Seconds(3));
  real.RunPosted();
  EXPECT_EQ(fired, 10);

  // Due and posted, then disarmed before the loop runs it: nothing.
  timer->Arm(absl::Seconds(1), [&] { fired += 100; });
  time.Advance(absl::Seconds(1));
  timer->Disarm();
  real.RunPosted();
  EXPECT_EQ(fired, 10);

  // Destroyed while armed: never fires.
  timer->Arm(absl::Seconds(1), [&] { fired += 1000; });
  timer.reset();
  time.Advance(absl::Seconds(1));
  real.RunPosted();
  EXPECT_EQ(fired, 10);
  EXPECT_EQ(time.armed_timers(), 0u);
}

TEST(SimulatedTimeSystemTest, AwaitWithTimeoutEndsWithItsConditionOrTheSimulatedTimeout) {
  SimulatedTimeSystem time;
  Mutex mu;
  bool flag = false;
  auto set = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return flag; };

  // The condition comes true on another thread.
  std::thread setter([&] {
    MutexLock lock(&mu);
    flag = true;
  });
  {
    MutexLock lock(&mu);
    EXPECT_TRUE(time.AwaitWithTimeout(mu, absl::Condition(&set), absl::Hours(1)));
  }
  setter.join();

  // It never does: the wait ends once the simulated hour has passed (the
  // test advances a minute at a time until it does, at most 500 times).
  flag = false;
  std::atomic<bool> done{false};
  bool result = true;
  std::thread waiter([&] {
    MutexLock lock(&mu);
    result = time.AwaitWithTimeout(mu, absl::Condition(&set), absl::Hours(1));
    done = true;
  });
  for (int i = 0; i < 500 && !done; ++i) {
    time.Advance(absl::Minutes(1));
    absl::SleepFor(absl::Milliseconds(2));
  }
  waiter.join();
  EXPECT_FALSE(result);
  EXPECT_GE(time.Now() - kT0, absl::Hours(1));
}

TEST(EventLoopTest, RealTimersFireOnTheLoopThreadAndDisarmedOnesDoNot) {
  runtime::EventLoop real;
  std::unique_ptr<Dispatcher> loop = RealTimeSystem::Get().Decorate(real);
  real.Start();
  std::thread::id fired_on;
  absl::Notification fired;
  std::unique_ptr<Timer> cancelled = loop->CreateTimer();
  std::unique_ptr<Timer> timer = loop->CreateTimer();
  bool cancelled_fired = false;
  loop->Post([&] {
    cancelled->Arm(absl::Milliseconds(1), [&] { cancelled_fired = true; });
    cancelled->Disarm();
    timer->Arm(absl::Milliseconds(5), [&] {
      fired_on = std::this_thread::get_id();
      fired.Notify();
    });
  });
  ASSERT_TRUE(fired.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_NE(fired_on, std::this_thread::get_id());
  real.Stop();
  EXPECT_FALSE(cancelled_fired);
}

}  // namespace
}  // namespace acd
