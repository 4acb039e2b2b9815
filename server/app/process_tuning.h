// Process-wide settings acdd makes in main(), before its first thread starts.
//
// - abseil's deadlock detection off in release builds (NDEBUG). Debian builds
//   abseil without NDEBUG, so by default every absl::Mutex lock records its
//   lock order in a global graph (GraphCycles): on the engine thread that was
//   a third of the time spent handing events to 8,000 streams. Debug builds
//   keep it, so tests still find lock-order cycles.
// - glibc malloc holds on to its memory. By default glibc adapts its mmap
//   threshold to the largest block freed and returns the top of each heap to
//   the kernel once 128 KiB are free there; under load the store writer and
//   SQLite's page cache then fault the same pages back in on every commit
//   (page faults and madvise TLB flushes were half of the writer's time). A
//   fixed mmap threshold and a trim threshold of 512 MiB stop that churn;
//   a daemon's heap is meant to stay sized for its peak.
//
// Thread safety: call once, from main(), before any thread starts.
#ifndef ACD_SERVER_APP_PROCESS_TUNING_H_
#define ACD_SERVER_APP_PROCESS_TUNING_H_

namespace acd::app {

void TuneProcess();

}  // namespace acd::app

#endif  // ACD_SERVER_APP_PROCESS_TUNING_H_
