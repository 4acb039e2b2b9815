#include "server/runtime/event_loop.h"

#include <utility>

namespace acd::runtime {
namespace {

class SteadyTimer final : public Timer {
 public:
  explicit SteadyTimer(asio::io_context& io) : timer_(io) {}

  void Arm(absl::Duration delay, std::function<void()> fire) override {
    timer_.expires_after(absl::ToChronoNanoseconds(std::max(delay, absl::ZeroDuration())));
    timer_.async_wait([fire = std::move(fire)](const asio::error_code& ec) {
      if (ec == asio::error::operation_aborted) return;
      fire();
    });
  }
  void Disarm() override { timer_.cancel(); }

 private:
  asio::steady_timer timer_;  // its destructor cancels a pending wait
};

}  // namespace

EventLoop::EventLoop() : work_(asio::make_work_guard(io_)) {}

EventLoop::~EventLoop() { Stop(); }

void EventLoop::Start() {
  thread_ = std::thread([this] { io_.run(); });
}

void EventLoop::Stop() {
  if (!thread_.joinable()) return;
  work_.reset();
  // Everything posted so far runs first: a posted stop runs after it.
  asio::post(io_, [this] { io_.stop(); });
  thread_.join();
}

void EventLoop::Post(std::function<void()> work) { asio::post(io_, std::move(work)); }

std::unique_ptr<Timer> EventLoop::CreateTimer() { return std::make_unique<SteadyTimer>(io_); }

}  // namespace acd::runtime
