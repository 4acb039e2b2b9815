// EventLoop: the engine thread, an Asio io_context run by one thread, as a
// Dispatcher (server/base/time_system.h). Its timers follow the machine's
// steady clock; the runtime decorates it with its TimeSystem.
//
// Private to the runtime: nothing above it sees Asio.
//
// Thread safety: Post() may be called from any thread; timers are armed and
// disarmed on the loop's thread. Start() and Stop() are called once each, by
// the owner; work posted after Stop() does not run.
#ifndef ACD_SERVER_RUNTIME_EVENT_LOOP_H_
#define ACD_SERVER_RUNTIME_EVENT_LOOP_H_

#include <asio.hpp>
#include <functional>
#include <memory>
#include <thread>

#include "server/base/time_system.h"

namespace acd::runtime {

class EventLoop final : public Dispatcher {
 public:
  EventLoop();
  ~EventLoop() override;  // stops

  void Start();
  // Runs what was posted before, then stops the thread and joins it.
  void Stop();

  void Post(std::function<void()> work) override;
  std::unique_ptr<Timer> CreateTimer() override;

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

}  // namespace acd::runtime

#endif  // ACD_SERVER_RUNTIME_EVENT_LOOP_H_
