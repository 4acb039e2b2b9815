// TimeSystem: where acd's servers get the time, their timers and their timed
// waits, injected as Envoy's TimeSystem is.
//
// - A Dispatcher is one thread's event loop: it runs posted work in order and
//   makes timers that fire on that thread (the runtime's engine thread is
//   one, over Asio). A Timer is one-shot and re-armable.
// - A TimeSystem gives the time and decorates a loop so that its timers
//   follow that time: RealTimeSystem leaves the loop as it is (its timers
//   follow the machine's steady clock); a simulated one (tests/support)
//   fires them only when a test advances its time, by posting them to the
//   loop, so nothing in a test depends on the machine's speed.
// - AwaitWithTimeout is a wait on a lock bounded by the time system's time
//   (the store writer's retry backoff).
//
// Thread safety: a TimeSystem is shared by every thread of the process;
// Now() and AwaitWithTimeout may be called from any thread. A Timer is armed
// and disarmed on its dispatcher's thread. A TimeSystem outlives everything
// it made; a decorated Dispatcher must not outlive the loop it decorates.
#ifndef ACD_SERVER_BASE_TIME_SYSTEM_H_
#define ACD_SERVER_BASE_TIME_SYSTEM_H_

#include <functional>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/base/mutex.h"

namespace acd {

class Timer {
 public:
  virtual ~Timer() = default;  // disarms
  // Runs `fire` once on the dispatcher's thread, `delay` from now (a
  // non-positive delay: as soon as possible). Arming again replaces the
  // earlier arming.
  virtual void Arm(absl::Duration delay, std::function<void()> fire) = 0;
  // `fire` does not run unless it is already running.
  virtual void Disarm() = 0;
};

class Dispatcher {
 public:
  virtual ~Dispatcher() = default;
  // Runs `work` on the loop's thread, after what was posted before it.
  virtual void Post(std::function<void()> work) = 0;
  virtual std::unique_ptr<Timer> CreateTimer() = 0;
};

class TimeSystem {
 public:
  virtual ~TimeSystem() = default;
  virtual absl::Time Now() = 0;
  // `loop`, with timers that follow this time system's time.
  virtual std::unique_ptr<Dispatcher> Decorate(Dispatcher& loop) = 0;
  // Called with `mu` held: waits, releasing `mu`, until `condition` holds or
  // `timeout` of this time system's time has passed. Returns whether
  // `condition` holds.
  virtual bool AwaitWithTimeout(Mutex& mu, const absl::Condition& condition,
                                absl::Duration timeout) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) = 0;
};

// The machine's time: absl::Now(), and the loop's own timers.
class RealTimeSystem final : public TimeSystem {
 public:
  absl::Time Now() override { return absl::Now(); }
  std::unique_ptr<Dispatcher> Decorate(Dispatcher& loop) override;
  bool AwaitWithTimeout(Mutex& mu, const absl::Condition& condition, absl::Duration timeout)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) override {
    return mu.AwaitWithTimeout(condition, timeout);
  }

  // The process's real time system, for whoever is not given another.
  static RealTimeSystem& Get();
};

}  // namespace acd

#endif  // ACD_SERVER_BASE_TIME_SYSTEM_H_
