// SimulatedTimeSystem: a TimeSystem (server/base/time_system.h) whose time
// moves only when the test advances it, as Envoy's SimulatedTimeSystem.
//
// Advance() and SetNow() move the time and fire, in time order, every timer
// due by then: each fire is posted to its timer's loop, after what that loop
// was already given, so a request the test sends afterwards is handled after
// the fires (the runtime's loop runs posted work in order). A fire whose
// timer was re-armed, disarmed or destroyed before it runs does nothing.
// AwaitWithTimeout returns once its condition holds or the simulated time has
// passed its timeout.
//
// Thread safety: every method may be called from any thread. It must
// outlive the loops it decorates and their timers.
#ifndef ACD_TESTS_SUPPORT_SIMULATED_TIME_SYSTEM_H_
#define ACD_TESTS_SUPPORT_SIMULATED_TIME_SYSTEM_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "server/base/mutex.h"
#include "server/base/time_system.h"
#include "tests/support/test_time.h"

namespace acd::testing {

class SimulatedTimeSystem final : public TimeSystem {
 public:
  explicit SimulatedTimeSystem(absl::Time start = kT0) : now_(start) {}

  absl::Time Now() override {
    MutexLock lock(&mu_);
    return now_;
  }

  // Moves the time forward by `by` (not back), firing what falls due.
  void Advance(absl::Duration by) { SetNow(Now() + by); }

  void SetNow(absl::Time to) {
    std::vector<std::pair<Dispatcher*, std::function<void()>>> due;
    {
      MutexLock lock(&mu_);
      if (to > now_) now_ = to;
      while (!armed_.empty() && armed_.begin()->first.first <= now_) {
        SimulatedTimer* timer = armed_.begin()->second;
        timer->time_.mu_.AssertHeld();  // that is mu_
        armed_.erase(armed_.begin());
        timer->armed_ = false;
        due.emplace_back(&timer->loop_, timer->Fire());
      }
    }
    for (auto& [loop, fire] : due) loop->Post(std::move(fire));
  }

  std::unique_ptr<Dispatcher> Decorate(Dispatcher& loop) override {
    return std::make_unique<SimulatedLoop>(*this, loop);
  }

  bool AwaitWithTimeout(Mutex& mu, const absl::Condition& condition, absl::Duration timeout)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) override {
    const absl::Time until = Now() + timeout;
    while (!mu.AwaitWithTimeout(condition, absl::Milliseconds(1))) {
      if (Now() >= until) return false;
    }
    return true;
  }

  // Timers armed and not yet fired, for tests of what is pending.
  size_t armed_timers() {
    MutexLock lock(&mu_);
    return armed_.size();
  }

 private:
  using Key = std::pair<absl::Time, uint64_t>;  // due, then arming order

  class SimulatedTimer final : public Timer {
   public:
    SimulatedTimer(SimulatedTimeSystem& time, Dispatcher& loop) : time_(time), loop_(loop) {}
    ~SimulatedTimer() override { Disarm(); }

    void Arm(absl::Duration delay, std::function<void()> fire) override {
      MutexLock lock(&time_.mu_);
      DisarmLocked();
      fire_ = std::move(fire);
      key_ = {time_.now_ + std::max(delay, absl::ZeroDuration()), time_.next_order_++};
      time_.armed_.emplace(key_, this);
      armed_ = true;
    }
    void Disarm() override {
      MutexLock lock(&time_.mu_);
      DisarmLocked();
    }

   private:
    friend class SimulatedTimeSystem;

    void DisarmLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(time_.mu_) {
      ++*generation_;
      if (armed_) time_.armed_.erase(key_);
      armed_ = false;
    }
    // The fire as posted: it does nothing if this timer was re-armed,
    // disarmed or destroyed before it runs (on the loop's thread, where
    // those happen too).
    std::function<void()> Fire() ABSL_EXCLUSIVE_LOCKS_REQUIRED(time_.mu_) {
      return [generation = generation_, at = generation_->load(), fire = fire_] {
        if (generation->load() == at) fire();
      };
    }

    SimulatedTimeSystem& time_;
    Dispatcher& loop_;
    std::function<void()> fire_ ABSL_GUARDED_BY(time_.mu_);
    Key key_ ABSL_GUARDED_BY(time_.mu_);
    bool armed_ ABSL_GUARDED_BY(time_.mu_) = false;
    // Bumped by every (re-)arming and disarming; read by posted fires.
    const std::shared_ptr<std::atomic<uint64_t>> generation_ =
        std::make_shared<std::atomic<uint64_t>>(0);
  };

  class SimulatedLoop final : public Dispatcher {
   public:
    SimulatedLoop(SimulatedTimeSystem& time, Dispatcher& loop) : time_(time), loop_(loop) {}
    void Post(std::function<void()> work) override { loop_.Post(std::move(work)); }
    std::unique_ptr<Timer> CreateTimer() override {
      return std::make_unique<SimulatedTimer>(time_, loop_);
    }

   private:
    SimulatedTimeSystem& time_;
    Dispatcher& loop_;
  };

  Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  uint64_t next_order_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<Key, SimulatedTimer*> armed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace acd::testing

#endif  // ACD_TESTS_SUPPORT_SIMULATED_TIME_SYSTEM_H_
