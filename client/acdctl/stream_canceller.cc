#include "client/acdctl/stream_canceller.h"

#include <semaphore.h>
#include <signal.h>
#include <time.h>

#include <cerrno>
#include <csignal>

namespace acd::ctl {
namespace {

// Process-wide because a signal handler can reach nothing else.
sem_t g_wake;
volatile std::sig_atomic_t g_signalled = 0;
struct sigaction g_old_int;
struct sigaction g_old_term;

extern "C" void OnSignal(int) {
  const int saved_errno = errno;
  g_signalled = 1;
  sem_post(&g_wake);
  errno = saved_errno;
}

int64_t MonotonicNowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

StreamCanceller::StreamCanceller(grpc::ClientContext* context, absl::Duration idle)
    : context_(context), idle_(idle), last_activity_ns_(MonotonicNowNs()) {
  sem_init(&g_wake, /*pshared=*/0, /*value=*/0);
  g_signalled = 0;
  struct sigaction action = {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  // SA_RESETHAND: if cancelling somehow hangs, a second Ctrl-C still kills.
  action.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &action, &g_old_int);
  sigaction(SIGTERM, &action, &g_old_term);
  watcher_ = std::thread([this] { Watch(); });
}

StreamCanceller::~StreamCanceller() {
  stop_ = true;
  sem_post(&g_wake);
  watcher_.join();
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
  sem_destroy(&g_wake);
}

void StreamCanceller::Touch() { last_activity_ns_ = MonotonicNowNs(); }

void StreamCanceller::Cancel() { CancelFor(Reason::kRequested); }

void StreamCanceller::CancelFor(Reason reason) {
  Reason none = Reason::kNone;
  if (reason_.compare_exchange_strong(none, reason)) context_->TryCancel();
}

void StreamCanceller::Watch() {
  const bool has_idle = idle_ != absl::InfiniteDuration();
  const int64_t idle_ns = has_idle ? absl::ToInt64Nanoseconds(idle_) : 0;
  while (true) {
    int rc;
    if (has_idle) {
      const int64_t deadline_ns = last_activity_ns_.load() + idle_ns;
      timespec deadline;
      deadline.tv_sec = deadline_ns / 1'000'000'000;
      deadline.tv_nsec = deadline_ns % 1'000'000'000;
      rc = sem_clockwait(&g_wake, CLOCK_MONOTONIC, &deadline);
    } else {
      rc = sem_wait(&g_wake);
    }
    const int wait_errno = errno;
    if (g_signalled) {
      CancelFor(Reason::kInterrupted);
      return;
    }
    if (stop_) return;
    if (rc == -1 && wait_errno == ETIMEDOUT &&
        MonotonicNowNs() - last_activity_ns_.load() >= idle_ns) {
      CancelFor(Reason::kIdle);
      return;
    }
    // EINTR, or a Touch() moved the idle deadline: wait again.
  }
}

}  // namespace acd::ctl
