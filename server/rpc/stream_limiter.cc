#include "server/rpc/stream_limiter.h"

#include <cassert>
#include <utility>

#include "absl/strings/str_cat.h"

namespace acd::rpc {

absl::string_view StreamKindName(StreamKind kind) {
  switch (kind) {
    case StreamKind::kOffers:
      return "offers";
    case StreamKind::kEvents:
      return "events";
    case StreamKind::kStats:
      return "stats";
  }
  return "unknown";
}

absl::string_view StreamKindRpc(StreamKind kind) {
  switch (kind) {
    case StreamKind::kOffers:
      return "StreamOffers";
    case StreamKind::kEvents:
      return "WatchEvents";
    case StreamKind::kStats:
      return "WatchStats";
  }
  return "unknown";
}

StreamLimiter::Lease::~Lease() { limiter_->Release(this); }

void StreamLimiter::Lease::CountCutOff() {
  limiter_->Of(kind_).cutoffs.fetch_add(1, std::memory_order_relaxed);
}

StreamLimiter::~StreamLimiter() {
  MutexLock lock(&mu_);
  assert(live_ == 0 && "a StreamLimiter::Lease outlived its limiter");
}

void StreamLimiter::Lease::OnReplaced(std::function<void()> end) {
  {
    MutexLock lock(&limiter_->mu_);
    if (!replaced_) {
      end_ = std::move(end);
      return;
    }
  }
  end();
}

std::unique_ptr<StreamLimiter::Lease> StreamLimiter::NewLeaseLocked(StreamKind kind,
                                                                    std::string agent_id) {
  ++live_;
  Of(kind).live.fetch_add(1, std::memory_order_relaxed);
  return std::unique_ptr<Lease>(new Lease(this, kind, std::move(agent_id)));
}

absl::StatusOr<std::unique_ptr<StreamLimiter::Lease>> StreamLimiter::Acquire(StreamKind kind) {
  MutexLock lock(&mu_);
  if (live_ >= max_streams_) {
    return absl::ResourceExhaustedError(
        absl::StrCat(StreamKindRpc(kind), " refused: ", live_,
                     " streams are open, the limit (server.max_streams) is ", max_streams_,
                     "; close one or try again later"));
  }
  return NewLeaseLocked(kind, "");
}

absl::StatusOr<std::unique_ptr<StreamLimiter::Lease>> StreamLimiter::AcquireOffers(
    absl::string_view agent_id) {
  // No agent to key on (the stream is refused at subscription anyway).
  if (agent_id.empty()) return Acquire(StreamKind::kOffers);
  std::function<void()> end_older;
  std::unique_ptr<Lease> lease;
  {
    MutexLock lock(&mu_);
    auto it = offers_.find(agent_id);
    Lease* older = it == offers_.end() ? nullptr : it->second;
    // The replaced stream's place goes to the new one, so a full server still
    // lets a desktop reconnect.
    if (older == nullptr && live_ >= max_streams_) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "StreamOffers refused: ", live_, " streams are open, the limit (server.max_streams) is ",
          max_streams_, "; close one or try again later"));
    }
    lease = NewLeaseLocked(StreamKind::kOffers, std::string(agent_id));
    if (older != nullptr) {
      older->replaced_ = true;
      end_older = std::move(older->end_);
      older->end_ = nullptr;
    }
    offers_[agent_id] = lease.get();
  }
  // Outside the lock: ending a stream takes the stream's own lock.
  if (end_older) end_older();
  return lease;
}

int StreamLimiter::live() const {
  MutexLock lock(&mu_);
  return live_;
}

void StreamLimiter::Release(Lease* lease) {
  MutexLock lock(&mu_);
  --live_;
  Of(lease->kind_).live.fetch_sub(1, std::memory_order_relaxed);
  if (lease->agent_id_.empty()) return;
  auto it = offers_.find(lease->agent_id_);
  if (it != offers_.end() && it->second == lease) offers_.erase(it);
}

absl::StatusOr<std::unique_ptr<StreamLimiter::Lease>> AcquireStream(StreamLimiter* limiter,
                                                                    StreamKind kind) {
  if (limiter == nullptr) return nullptr;
  return limiter->Acquire(kind);
}

absl::StatusOr<std::unique_ptr<StreamLimiter::Lease>> AcquireOfferStream(
    StreamLimiter* limiter, absl::string_view agent_id) {
  if (limiter == nullptr) return nullptr;
  return limiter->AcquireOffers(agent_id);
}

}  // namespace acd::rpc
