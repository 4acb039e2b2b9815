// Ends a streaming RPC from outside the thread blocked in Read(): on Ctrl-C
// (SIGINT) or SIGTERM, after an idle period, or on request.
#ifndef ACD_CLIENT_ACDCTL_STREAM_CANCELLER_H_
#define ACD_CLIENT_ACDCTL_STREAM_CANCELLER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <thread>

#include "absl/time/time.h"

namespace acd::ctl {

// While alive, SIGINT and SIGTERM cancel `context` instead of killing the
// process, so the stream finishes and the verb exits normally. The signal
// handler only posts a semaphore (async-signal-safe); a watcher thread does
// the TryCancel(), which is not. A second signal kills the process as usual.
//
// Only one instance may exist at a time: the signal handler is process-wide.
class StreamCanceller {
 public:
  enum class Reason { kNone, kInterrupted, kIdle, kRequested };

  // `idle`: cancel when Touch() was not called for this long;
  // absl::InfiniteDuration() for never.
  StreamCanceller(grpc::ClientContext* context, absl::Duration idle);
  ~StreamCanceller();

  StreamCanceller(const StreamCanceller&) = delete;
  StreamCanceller& operator=(const StreamCanceller&) = delete;

  // Something arrived: restart the idle period.
  void Touch();
  // The reader is done (e.g. --count reached): cancel the stream now.
  void Cancel();

  // Why the stream was cancelled, kNone if it was not (it ended or failed).
  Reason reason() const { return reason_.load(); }

  // True when `status` (from Finish()) is just the result of this canceller
  // ending the stream: a normal end for the verb, not an error.
  bool EndedStream(const grpc::Status& status) const {
    return reason() != Reason::kNone && status.error_code() == grpc::StatusCode::CANCELLED;
  }

 private:
  void Watch();
  void CancelFor(Reason reason);

  grpc::ClientContext* const context_;
  const absl::Duration idle_;
  std::atomic<int64_t> last_activity_ns_;  // CLOCK_MONOTONIC.
  std::atomic<bool> stop_{false};
  std::atomic<Reason> reason_{Reason::kNone};
  std::thread watcher_;
};

}  // namespace acd::ctl

#endif  // ACD_CLIENT_ACDCTL_STREAM_CANCELLER_H_
