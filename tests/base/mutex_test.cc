// StdMutex is the lock of ThreadSanitizer builds (server/base/mutex.h); it is
// tested here by name so that every build checks it, not only TSan's.
#include "server/base/mutex.h"

#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace acd {
namespace {

TEST(StdMutexTest, SerialisesIncrements) {
  StdMutex mu;
  int count = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i) {
        StdMutexLock lock(&mu);
        ++count;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  StdMutexLock lock(&mu);
  EXPECT_EQ(count, 40'000);
}

TEST(StdMutexTest, AwaitReturnsOnceAnotherThreadMakesTheConditionTrue) {
  StdMutex mu;
  int stage = 0;
  std::thread producer([&] {
    for (int i = 1; i <= 3; ++i) {
      StdMutexLock lock(&mu);
      stage = i;
    }
  });
  {
    StdMutexLock lock(&mu);
    const auto reached_three = [&stage] { return stage == 3; };
    mu.Await(absl::Condition(&reached_three));
    EXPECT_EQ(stage, 3);
  }
  producer.join();
}

TEST(StdMutexTest, AwaitWithTimeoutGivesUpAndSaysSo) {
  StdMutex mu;
  bool flag = false;
  StdMutexLock lock(&mu);
  const absl::Time start = absl::Now();
  EXPECT_FALSE(mu.AwaitWithTimeout(absl::Condition(&flag), absl::Milliseconds(50)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(50));
  EXPECT_FALSE(mu.AwaitWithTimeout(absl::Condition(&flag), absl::ZeroDuration()));
}

TEST(StdMutexTest, AwaitWithTimeoutReturnsTrueWhenTheConditionComesInTime) {
  StdMutex mu;
  bool flag = false;
  std::thread setter([&] {
    StdMutexLock lock(&mu);
    flag = true;
  });
  {
    StdMutexLock lock(&mu);
    EXPECT_TRUE(mu.AwaitWithTimeout(absl::Condition(&flag), absl::Seconds(30)));
  }
  setter.join();
}

TEST(StdMutexTest, ReleasableLockUnlocksOnceWhetherReleasedOrNot) {
  StdMutex mu;
  {
    StdReleasableMutexLock lock(&mu);
    lock.Release();
    StdMutexLock again(&mu);  // would deadlock if Release had not unlocked
  }
  { StdReleasableMutexLock lock(&mu); }
  StdMutexLock last(&mu);  // nor the destructor
}

}  // namespace
}  // namespace acd
