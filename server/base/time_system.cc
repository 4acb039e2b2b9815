#include "server/base/time_system.h"

#include <utility>

namespace acd {
namespace {

// The loop itself: its timers already follow the machine's clock.
class SameLoop final : public Dispatcher {
 public:
  explicit SameLoop(Dispatcher& loop) : loop_(loop) {}
  void Post(std::function<void()> work) override { loop_.Post(std::move(work)); }
  std::unique_ptr<Timer> CreateTimer() override { return loop_.CreateTimer(); }

 private:
  Dispatcher& loop_;
};

}  // namespace

std::unique_ptr<Dispatcher> RealTimeSystem::Decorate(Dispatcher& loop) {
  return std::make_unique<SameLoop>(loop);
}

RealTimeSystem& RealTimeSystem::Get() {
  static RealTimeSystem* const kReal = new RealTimeSystem();
  return *kReal;
}

}  // namespace acd
