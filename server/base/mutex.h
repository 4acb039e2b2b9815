// acd::Mutex: the lock acd's threads share state under.
//
// In normal builds Mutex, MutexLock and ReleasableMutexLock are abseil's.
// In ThreadSanitizer builds they are the Std* classes below instead: Debian's
// abseil is compiled without TSan, so absl::Mutex's lock and unlock are
// invisible to TSan and every field an absl::Mutex guards would be reported
// as a race, hiding the real ones. The Std* classes are std::mutex (whose
// pthread calls TSan intercepts) plus a condition variable, with the part of
// absl::Mutex's interface acd uses: Lock/Unlock, AssertHeld, Await and AwaitWithTimeout on
// an absl::Condition, and the scoped locks. The clang thread-safety
// annotations (ABSL_GUARDED_BY, ...) hold for both.
//
// Thread safety: a Mutex is shared by the threads it serialises; it is not
// reentrant. A Condition is evaluated with the lock held, by the waiting
// thread (abseil may evaluate it on the thread that unlocks: keep conditions
// free of side effects).
#ifndef ACD_SERVER_BASE_MUTEX_H_
#define ACD_SERVER_BASE_MUTEX_H_

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/base/config.h"
#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace acd {

class ABSL_LOCKABLE StdMutex {
 public:
  StdMutex() = default;
  StdMutex(const StdMutex&) = delete;
  StdMutex& operator=(const StdMutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }

  // Waiters re-check their conditions after every unlock, as with
  // absl::Mutex. The notify comes before the unlock so that a waiter that
  // wakes, returns and destroys the mutex cannot race with it.
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    if (waiters_ > 0) changed_.notify_all();
    mu_.unlock();
  }

  // Tells the thread-safety analysis the caller holds the lock (std::mutex
  // cannot tell; abseil's checks).
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() {}

  // Releases the lock until `condition` holds, then returns holding it.
  void Await(const absl::Condition& condition) ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    std::unique_lock<std::mutex> lock(mu_, std::adopt_lock);
    ++waiters_;
    while (!condition.Eval()) changed_.wait(lock);
    --waiters_;
    lock.release();
  }

  // As Await, for at most `timeout`; returns whether `condition` holds.
  bool AwaitWithTimeout(const absl::Condition& condition, absl::Duration timeout)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    if (timeout == absl::InfiniteDuration()) {
      Await(condition);
      return true;
    }
    const auto deadline = std::chrono::steady_clock::now() +
                          absl::ToChronoNanoseconds(std::max(timeout, absl::ZeroDuration()));
    std::unique_lock<std::mutex> lock(mu_, std::adopt_lock);
    ++waiters_;
    bool holds = condition.Eval();
    while (!holds && changed_.wait_until(lock, deadline) == std::cv_status::no_timeout) {
      holds = condition.Eval();
    }
    if (!holds) holds = condition.Eval();  // timed out: one last look
    --waiters_;
    lock.release();
    return holds;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  int waiters_ = 0;  // guarded by mu_
};

class ABSL_SCOPED_LOCKABLE StdMutexLock {
 public:
  explicit StdMutexLock(StdMutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  StdMutexLock(const StdMutexLock&) = delete;
  StdMutexLock& operator=(const StdMutexLock&) = delete;
  ~StdMutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }

 private:
  StdMutex* const mu_;
};

// A scoped lock that may be let go before the end of its scope.
class ABSL_SCOPED_LOCKABLE StdReleasableMutexLock {
 public:
  explicit StdReleasableMutexLock(StdMutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->Lock();
  }
  StdReleasableMutexLock(const StdReleasableMutexLock&) = delete;
  StdReleasableMutexLock& operator=(const StdReleasableMutexLock&) = delete;
  ~StdReleasableMutexLock() ABSL_UNLOCK_FUNCTION() {
    if (mu_ != nullptr) mu_->Unlock();
  }

  void Release() ABSL_UNLOCK_FUNCTION() {
    mu_->Unlock();
    mu_ = nullptr;
  }

 private:
  StdMutex* mu_;
};

#ifdef ABSL_HAVE_THREAD_SANITIZER
using Mutex = StdMutex;
using MutexLock = StdMutexLock;
using ReleasableMutexLock = StdReleasableMutexLock;
#else
using Mutex = absl::Mutex;
using MutexLock = absl::MutexLock;
using ReleasableMutexLock = absl::ReleasableMutexLock;
#endif

}  // namespace acd

#endif  // ACD_SERVER_BASE_MUTEX_H_
