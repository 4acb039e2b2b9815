#include "server/app/process_tuning.h"

#include <malloc.h>

#include "absl/synchronization/mutex.h"

namespace acd::app {

// Blocks this large or larger are mmapped (and unmapped when freed): the
// default's starting value, fixed, so glibc does not raise it into a range
// where each free trims the heap.
constexpr int kMmapThreshold = 32 << 20;
// Free memory at the top of a heap beyond this is returned to the kernel.
constexpr int kTrimThreshold = 512 << 20;

void TuneProcess() {
#ifdef NDEBUG
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
  mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
  mallopt(M_TRIM_THRESHOLD, kTrimThreshold);
}

}  // namespace acd::app
