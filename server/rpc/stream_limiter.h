// StreamLimiter: caps the live server streams (StreamOffers, WatchEvents,
// WatchStats) of a daemon, each of which holds a subscription and a buffer.
//
// - At most `max_streams` live at once, over all clients: one more is refused
//   with RESOURCE_EXHAUSTED naming the cap (server.max_streams).
// - One StreamOffers per agent: a newer one replaces the older, which ends
//   with ABORTED. A desktop that reconnects after a network break is served at
//   once, even before the server notices that the old connection is dead.
//
// A stream holds a Lease from Acquire() for its whole life; destroying the
// Lease frees its place.
//
// Thread safety: all methods may be called from any thread. The limiter must
// outlive every Lease.
#ifndef ACD_SERVER_RPC_STREAM_LIMITER_H_
#define ACD_SERVER_RPC_STREAM_LIMITER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/base/mutex.h"

namespace acd::rpc {

class StreamLimiter {
 public:
  class Lease {
   public:
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    // What ends this stream when a newer one replaces it (set once, by the
    // stream, after it starts). Runs at once if it was replaced already.
    void OnReplaced(std::function<void()> end);

   private:
    friend class StreamLimiter;
    Lease(StreamLimiter* limiter, std::string agent_id)
        : limiter_(limiter), agent_id_(std::move(agent_id)) {}
    StreamLimiter* limiter_;
    const std::string agent_id_;  // StreamOffers only
    // Guarded by limiter_->mu_.
    std::function<void()> end_;
    bool replaced_ = false;
  };

  explicit StreamLimiter(int max_streams) : max_streams_(max_streams) {}
  // Takes the lock once more: whatever ordered the last Lease's release
  // before this (gRPC's Server::Shutdown waits for every stream's OnDone) is
  // then visible to ThreadSanitizer too. Asserts that no Lease is left.
  ~StreamLimiter();

  // A place for a new stream of `rpc` (named in the refusal), or
  // RESOURCE_EXHAUSTED when max_streams are live.
  absl::StatusOr<std::unique_ptr<Lease>> Acquire(absl::string_view rpc);
  // A place for a StreamOffers of `agent_id`; the agent's older StreamOffers,
  // if any, is ended.
  absl::StatusOr<std::unique_ptr<Lease>> AcquireOffers(absl::string_view agent_id);

  int live() const;
  int max_streams() const { return max_streams_; }

 private:
  void Release(Lease* lease);

  const int max_streams_;
  mutable Mutex mu_;
  int live_ ABSL_GUARDED_BY(mu_) = 0;
  // The live StreamOffers of each agent.
  absl::flat_hash_map<std::string, Lease*> offers_ ABSL_GUARDED_BY(mu_);
};

// `limiter`->Acquire(rpc) / AcquireOffers(agent_id), or no lease (unlimited)
// when `limiter` is null.
absl::StatusOr<std::unique_ptr<StreamLimiter::Lease>> AcquireStream(StreamLimiter* limiter,
                                                                    absl::string_view rpc);
absl::StatusOr<std::unique_ptr<StreamLimiter::Lease>> AcquireOfferStream(
    StreamLimiter* limiter, absl::string_view agent_id);

}  // namespace acd::rpc

#endif  // ACD_SERVER_RPC_STREAM_LIMITER_H_
