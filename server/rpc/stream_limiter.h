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
// Lease frees its place. The limiter also counts, per kind of stream, those
// live and those cut off for falling behind (acdd's metrics), readable
// without its lock.
//
// Thread safety: all methods may be called from any thread. The limiter must
// outlive every Lease.
#ifndef ACD_SERVER_RPC_STREAM_LIMITER_H_
#define ACD_SERVER_RPC_STREAM_LIMITER_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/base/mutex.h"

namespace acd::rpc {

// Messages a stream may have waiting for its client (server.stream_buffer's
// default), and bytes (fixed); more and it is cut off (StreamReactor).
inline constexpr size_t kDefaultStreamBuffer = 10000;
inline constexpr size_t kStreamBufferBytes = 8 << 20;

// The server streams, by what they carry.
enum class StreamKind { kOffers, kEvents, kStats };
inline constexpr StreamKind kStreamKinds[] = {StreamKind::kOffers, StreamKind::kEvents,
                                              StreamKind::kStats};
// "offers", "events", "stats" (metric labels).
absl::string_view StreamKindName(StreamKind kind);
// "StreamOffers", "WatchEvents", "WatchStats".
absl::string_view StreamKindRpc(StreamKind kind);

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
    // The stream was cut off for falling too far behind (counted).
    void CountCutOff();
    // The stream's buffered bytes changed by `delta` (summed per kind).
    void AddBuffered(int64_t delta) {
      limiter_->Of(kind_).buffered_bytes.fetch_add(delta, std::memory_order_relaxed);
    }
    // Messages the stream may buffer (StreamLimiter's `buffer`).
    size_t buffer() const { return limiter_->buffer_; }

   private:
    friend class StreamLimiter;
    Lease(StreamLimiter* limiter, StreamKind kind, std::string agent_id)
        : limiter_(limiter), kind_(kind), agent_id_(std::move(agent_id)) {}
    StreamLimiter* limiter_;
    const StreamKind kind_;
    const std::string agent_id_;  // StreamOffers only
    // Guarded by limiter_->mu_.
    std::function<void()> end_;
    bool replaced_ = false;
  };

  // `buffer`: the messages a stream may have waiting for its client before
  // it is cut off (server.stream_buffer); see StreamReactor.
  explicit StreamLimiter(int max_streams, size_t buffer = kDefaultStreamBuffer)
      : max_streams_(max_streams), buffer_(buffer) {}
  // Takes the lock once more: whatever ordered the last Lease's release
  // before this (gRPC's Server::Shutdown waits for every stream's OnDone) is
  // then visible to ThreadSanitizer too. Asserts that no Lease is left.
  ~StreamLimiter();

  // A place for a new stream of `kind` (its RPC named in the refusal), or
  // RESOURCE_EXHAUSTED when max_streams are live.
  absl::StatusOr<std::unique_ptr<Lease>> Acquire(StreamKind kind);
  // A place for a StreamOffers of `agent_id`; the agent's older StreamOffers,
  // if any, is ended.
  absl::StatusOr<std::unique_ptr<Lease>> AcquireOffers(absl::string_view agent_id);

  int live() const;
  int max_streams() const { return max_streams_; }
  size_t buffer() const { return buffer_; }
  // Without the lock: live streams of `kind`, and those cut off so far.
  int live(StreamKind kind) const { return Of(kind).live.load(std::memory_order_relaxed); }
  int64_t cutoffs(StreamKind kind) const {
    return Of(kind).cutoffs.load(std::memory_order_relaxed);
  }
  // Bytes of messages waiting in acdd for the clients of `kind`'s streams.
  int64_t buffered_bytes(StreamKind kind) const {
    return Of(kind).buffered_bytes.load(std::memory_order_relaxed);
  }

 private:
  struct KindCounts {
    std::atomic<int> live{0};
    std::atomic<int64_t> cutoffs{0};
    std::atomic<int64_t> buffered_bytes{0};
  };
  KindCounts& Of(StreamKind kind) { return by_kind_[static_cast<size_t>(kind)]; }
  const KindCounts& Of(StreamKind kind) const { return by_kind_[static_cast<size_t>(kind)]; }
  // A new lease (mu_ held, the place checked).
  std::unique_ptr<Lease> NewLeaseLocked(StreamKind kind, std::string agent_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Release(Lease* lease);

  const int max_streams_;
  const size_t buffer_;
  mutable Mutex mu_;
  int live_ ABSL_GUARDED_BY(mu_) = 0;
  // The live StreamOffers of each agent.
  absl::flat_hash_map<std::string, Lease*> offers_ ABSL_GUARDED_BY(mu_);
  std::array<KindCounts, std::size(kStreamKinds)> by_kind_;
};

// `limiter`->Acquire(kind) / AcquireOffers(agent_id), or no lease (unlimited)
// when `limiter` is null.
absl::StatusOr<std::unique_ptr<StreamLimiter::Lease>> AcquireStream(StreamLimiter* limiter,
                                                                    StreamKind kind);
absl::StatusOr<std::unique_ptr<StreamLimiter::Lease>> AcquireOfferStream(
    StreamLimiter* limiter, absl::string_view agent_id);

}  // namespace acd::rpc

#endif  // ACD_SERVER_RPC_STREAM_LIMITER_H_
