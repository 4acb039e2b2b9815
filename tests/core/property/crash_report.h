// Crash and hang reports of the property test: the seed and step in progress, and a watchdog.
#ifndef ACD_TESTS_CORE_PROPERTY_CRASH_REPORT_H_
#define ACD_TESTS_CORE_PROPERTY_CRASH_REPORT_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace acd::core::property {

// Crash and hang reports: the seed and step in progress, where a signal
// handler and the watchdog can read them.

extern std::atomic<uint64_t> g_seed;
extern std::atomic<int64_t> g_step;
extern std::atomic<uint64_t> g_progress;
// In a shrinking child, the step reached, shared with the parent.
extern int64_t* g_shared_step;

// Prints `what` ("crashed", "hung") with the seed and step in progress.
// Async-signal-safe.
void ReportWhere(const char* what);

// Reports a fatal signal with the seed and step before dying of it.
void InstallCrashReport();

// Aborts with the seed and step if a step makes no progress for 10 s (an
// engine loop that never ends would otherwise hang the test silently).
class Watchdog {
 public:
  Watchdog() : thread_([this] { Watch(); }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void Watch() {
    uint64_t seen = g_progress.load();
    int idle_seconds = 0;
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; })) {
      uint64_t now = g_progress.load();
      idle_seconds = now == seen ? idle_seconds + 1 : 0;
      seen = now;
      if (idle_seconds >= 10) {
        ReportWhere("hung");
        std::abort();
      }
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace acd::core::property

#endif  // ACD_TESTS_CORE_PROPERTY_CRASH_REPORT_H_
