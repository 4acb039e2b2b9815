// Orderings that ThreadSanitizer cannot see, stated where acd relies on them.
//
// Debian's gRPC is built without TSan, so the orderings it guarantees (a
// reactor's callbacks run after the handler that created it has returned) are
// invisible to TSan: fields set on the handler's thread and read in a callback
// on another look like races. HappensBefore(tag) on one thread and
// HappensAfter(tag) on another tell TSan that everything before the first is
// visible after the second; both compile to nothing outside TSan builds.
// Use them only where a library documents the ordering.
#ifndef ACD_SERVER_BASE_HAPPENS_BEFORE_H_
#define ACD_SERVER_BASE_HAPPENS_BEFORE_H_

#include "absl/base/config.h"

#ifdef ABSL_HAVE_THREAD_SANITIZER
#include <sanitizer/tsan_interface.h>
#endif

namespace acd {

inline void HappensBefore([[maybe_unused]] const void* tag) {
#ifdef ABSL_HAVE_THREAD_SANITIZER
  __tsan_release(const_cast<void*>(tag));
#endif
}

inline void HappensAfter([[maybe_unused]] const void* tag) {
#ifdef ABSL_HAVE_THREAD_SANITIZER
  __tsan_acquire(const_cast<void*>(tag));
#endif
}

}  // namespace acd

#endif  // ACD_SERVER_BASE_HAPPENS_BEFORE_H_
