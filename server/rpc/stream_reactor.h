// StreamReactor: a server-streaming gRPC reactor fed by the runtime.
//
// The runtime calls the reactor's sink on the engine thread with each committed
// event; `transform` (also on the engine thread) turns it into a message or
// skips it. Messages wait in a bounded buffer while gRPC sends them, one write
// at a time; a client that falls more than `max_buffered` messages (default:
// the limiter's server.stream_buffer) or kStreamBufferBytes behind is cut off
// with RESOURCE_EXHAUSTED, so a slow reader never stalls the engine and what
// acdd holds for a stream stays bounded. "Behind" counts what gRPC has not
// taken yet: a write completes once the client's HTTP/2 flow-control window
// admits it, so a client that stops reading first fills its window (its gRPC
// library reads ahead of the application; gRPC C++ grows the window to
// megabytes when it probes the bandwidth) and then this buffer. The bytes
// buffered are counted per kind of stream (acd_stream_buffered_bytes).
//
// Initial metadata is sent once the subscription is live: a client that waits
// for it (ClientReader::WaitForInitialMetadata) sees every event after that.
//
// Resumed streams (WatchEvents with after_seq) pass a `make_backlog` instead
// of an `init`: it runs on the engine thread at subscription, where it learns
// exactly which events the sink will get live (those committed after that
// point), and returns a Backlog of the stored ones before it. The backlog is
// read page by page on gRPC threads (never the engine thread, never under the
// lock the engine thread takes), one page in the buffer at a time, while live
// messages wait in a second buffer bounded by the same `max_buffered` (and
// cut off the same way). When the backlog is done, the waiting live messages
// follow, less any the backlog already sent, so the client sees no gap and no
// duplicate.
//
// Periodic streams (stats watchers) pass a `tick` and an interval: `tick` runs
// on the engine thread every interval and its message joins the same buffer.
//
// Limits: a stream starts with a StreamLimiter lease (held until OnDone) or
// the limiter's refusal, which ends it at once. A lease replaced by a newer
// stream (one StreamOffers per agent) ends the stream with ABORTED.
//
// Ownership: the reactor deletes itself in OnDone(); the sink it registers
// outlives it safely (it holds the shared state, and drops events once the
// reactor is gone).
#ifndef ACD_SERVER_RPC_STREAM_REACTOR_H_
#define ACD_SERVER_RPC_STREAM_REACTOR_H_

#include <grpcpp/grpcpp.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/base/happens_before.h"
#include "server/base/mutex.h"
#include "server/rpc/convert.h"
#include "server/rpc/stream_limiter.h"
#include "server/runtime/runtime.h"

namespace acd::rpc {

// Stored messages a stream sends before its live ones. NextPage runs on gRPC
// threads, one call at a time; Sent runs under the reactor's lock afterwards.
template <typename Msg>
class Backlog {
 public:
  virtual ~Backlog() = default;
  // The next page of stored messages; empty once the backlog is done.
  virtual absl::StatusOr<std::vector<Msg>> NextPage() = 0;
  // Whether the backlog already sent `live` (a live message to drop).
  virtual bool Sent(const Msg& live) const = 0;
};

// A stream refused before it starts (by auth, validation or a limit):
// finishes at once with `status`, sending nothing. Deletes itself in OnDone().
template <typename Msg>
class RefusedStream final : public grpc::ServerWriteReactor<Msg> {
 public:
  explicit RefusedStream(const absl::Status& status) {
    this->Finish(ToGrpcStatus(status));
    HappensBefore(this);  // OnDone runs on another gRPC thread, after this
  }
  void OnDone() override {
    HappensAfter(this);
    delete this;
  }
};

template <typename Msg>
class StreamReactor final : public grpc::ServerWriteReactor<Msg> {
 public:
  // Engine thread: the message for an event, or nullopt to skip it.
  using Transform = std::function<std::optional<Msg>(const core::Event&)>;
  // Engine thread, once at subscription: messages to send first, or an error
  // that ends the stream (e.g. NOT_FOUND for an unknown agent).
  using Init = std::function<absl::StatusOr<std::vector<Msg>>(const core::Engine&)>;
  // Engine thread, every tick: the message to send, or nullopt for none.
  using Tick = std::function<std::optional<Msg>(const core::Engine&, absl::Time)>;

  // Engine thread, once at subscription: the backlog to send before live
  // messages (null for none), or an error that ends the stream.
  using MakeBacklog =
      std::function<absl::StatusOr<std::unique_ptr<Backlog<Msg>>>(const core::Engine&)>;

  // The stream's place among the live streams (null: unlimited), or why it
  // has none.
  using LeaseOr = absl::StatusOr<std::unique_ptr<StreamLimiter::Lease>>;

  // `interest` says which events reach `transform` at all (see
  // runtime::Interest); `transform` may still skip some of those.
  // `max_buffered` 0: the lease's buffer (kDefaultStreamBuffer without one).
  static grpc::ServerWriteReactor<Msg>* Start(runtime::Runtime* runtime, LeaseOr lease,
                                              runtime::Interest interest, Transform transform,
                                              Init init = {}, size_t max_buffered = 0,
                                              Tick tick = {},
                                              absl::Duration interval = absl::ZeroDuration()) {
    if (!lease.ok()) return new RefusedStream<Msg>(lease.status());
    return Launch(runtime, *std::move(lease), std::move(interest), std::move(transform),
                  std::move(init), {}, max_buffered, std::move(tick), interval);
  }

  static grpc::ServerWriteReactor<Msg>* StartResumed(runtime::Runtime* runtime, LeaseOr lease,
                                                     runtime::Interest interest,
                                                     Transform transform, MakeBacklog make_backlog,
                                                     size_t max_buffered = 0) {
    if (!lease.ok()) return new RefusedStream<Msg>(lease.status());
    return Launch(runtime, *std::move(lease), std::move(interest), std::move(transform), {},
                  std::move(make_backlog), max_buffered, {}, absl::ZeroDuration());
  }

  // gRPC's reactions below run after Launch has returned the reactor (see
  // HappensBefore there).
  void OnSendInitialMetadataDone(bool ok) override {
    HappensAfter(this);
    if (!ok) {
      MutexLock lock(&shared_->mu);
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "stream broken"));
      return;
    }
    FetchBacklog();
  }

  void OnWriteDone(bool ok) override {
    HappensAfter(this);
    ReleasableMutexLock lock(&shared_->mu);
    Account(-static_cast<int64_t>(queue_.front().ByteSizeLong()));
    queue_.pop_front();
    writing_ = false;
    if (!ok) {
      // The client is gone; OnCancel or OnDone follows.
      DropPending();
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "stream broken"));
      return;
    }
    if (ShouldFetchLocked()) {
      lock.Release();
      FetchBacklog();
      return;
    }
    Pump();
  }

  void OnCancel() override {
    HappensAfter(this);
    MutexLock lock(&shared_->mu);
    DropPending();
    FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    HappensAfter(this);
    {
      MutexLock lock(&shared_->mu);
      shared_->reactor = nullptr;
      // Messages left unsent by a Finish no longer count.
      Account(-buffered_bytes_);
    }
    runtime_->Unsubscribe(subscription_);
    delete this;
  }

 private:
  struct Shared {
    Mutex mu;
    StreamReactor* reactor ABSL_GUARDED_BY(mu) = nullptr;  };

  // Sink and lease callbacks lock Shared::mu, then reach the reactor through
  // Shared::reactor; its shared_->mu is that same lock, which clang's
  // analysis cannot see through the pointer: they assert it with
  // `r->shared_->mu.AssertHeld()`.

  class Sink : public runtime::EventSink {
   public:
    Sink(std::shared_ptr<Shared> shared, Transform transform, Tick tick)
        : shared_(std::move(shared)), transform_(std::move(transform)), tick_(std::move(tick)) {}

    void Begin(absl::StatusOr<std::vector<Msg>> first,
               absl::StatusOr<std::unique_ptr<Backlog<Msg>>> backlog) {
      MutexLock lock(&shared_->mu);
      StreamReactor* reactor = shared_->reactor;
      if (reactor == nullptr) return;
      reactor->shared_->mu.AssertHeld();
      // Cancelled before subscribing: nothing may start after Finish.
      if (reactor->finishing_) return;
      if (!first.ok() || !backlog.ok()) {
        reactor->FinishLocked(ToGrpcStatus(!first.ok() ? first.status() : backlog.status()));
        return;
      }
      reactor->StartSendInitialMetadata();
      for (Msg& m : *first) {
        if (!reactor->EnqueueLocked(std::move(m))) return;
      }
      // From here live messages wait until the backlog is sent. Its first
      // page is read once the initial metadata is out, on a gRPC thread (that
      // callback takes the lock, so it sees backlog_ set).
      if (*backlog != nullptr) reactor->backlog_ = std::move(*backlog);
    }
    bool OnEvent(const core::Event& event) override {
      std::optional<Msg> msg = transform_(event);
      // Nothing to send, no lock: a gone reactor is dropped by its
      // Unsubscribe, or at its next message.
      if (!msg) return true;
      MutexLock lock(&shared_->mu);
      StreamReactor* reactor = shared_->reactor;
      if (reactor == nullptr) return false;
      reactor->shared_->mu.AssertHeld();
      return reactor->EnqueueLocked(std::move(*msg));
    }
    bool OnTick(const core::Engine& engine, absl::Time now) override {
      if (!tick_) return true;
      std::optional<Msg> msg = tick_(engine, now);
      MutexLock lock(&shared_->mu);
      StreamReactor* reactor = shared_->reactor;
      if (reactor == nullptr) return false;
      if (!msg) return true;
      reactor->shared_->mu.AssertHeld();
      return reactor->EnqueueLocked(std::move(*msg));
    }
    void OnClose(const absl::Status& status) override {
      MutexLock lock(&shared_->mu);
      StreamReactor* reactor = shared_->reactor;
      if (reactor == nullptr) return;
      reactor->shared_->mu.AssertHeld();
      reactor->CloseLocked(ToGrpcStatus(status));
    }

   private:
    std::shared_ptr<Shared> shared_;
    Transform transform_;
    Tick tick_;
  };

  static StreamReactor* Launch(runtime::Runtime* runtime,
                               std::unique_ptr<StreamLimiter::Lease> lease,
                               runtime::Interest interest, Transform transform, Init init,
                               MakeBacklog make_backlog, size_t max_buffered, Tick tick,
                               absl::Duration interval) {
    if (max_buffered == 0) max_buffered = lease != nullptr ? lease->buffer() : kDefaultStreamBuffer;
    auto* reactor = new StreamReactor(runtime, max_buffered);
    if (lease != nullptr) {
      lease->OnReplaced([shared = reactor->shared_] {
        MutexLock lock(&shared->mu);
        StreamReactor* reactor = shared->reactor;
        if (reactor == nullptr) return;
        reactor->shared_->mu.AssertHeld();
        reactor->DropPending();
        reactor->FinishLocked(grpc::Status(
            grpc::StatusCode::ABORTED, "replaced by a newer stream for the same agent"));
      });
      reactor->lease_ = std::move(lease);
    }
    auto sink = std::make_shared<Sink>(reactor->shared_, std::move(transform), std::move(tick));
    reactor->subscription_ = runtime->Subscribe(
        sink, std::move(interest),
        [sink, init = std::move(init),
         make_backlog = std::move(make_backlog)](const core::Engine& engine) {
          absl::StatusOr<std::vector<Msg>> first = std::vector<Msg>{};
          if (init) first = init(engine);
          absl::StatusOr<std::unique_ptr<Backlog<Msg>>> backlog = nullptr;
          if (first.ok() && make_backlog) backlog = make_backlog(engine);
          sink->Begin(std::move(first), std::move(backlog));
        },
        interval);
    // gRPC runs the reactions only after the handler returns the reactor:
    // what was set up here is theirs without a lock.
    HappensBefore(reactor);
    return reactor;
  }

  StreamReactor(runtime::Runtime* runtime, size_t max_buffered)
      : runtime_(runtime), max_buffered_(max_buffered), shared_(std::make_shared<Shared>()) {
    MutexLock lock(&shared_->mu);
    shared_->reactor = this;
  }

  // Returns false once the stream takes no more messages.
  bool EnqueueLocked(Msg msg) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shared_->mu) {
    if (finishing_) return false;
    const int64_t bytes = static_cast<int64_t>(msg.ByteSizeLong());
    // Live messages wait in held_ while the backlog is sent; the stream is as
    // far behind as both.
    if (held_.size() + queue_.size() >= max_buffered_ ||
        buffered_bytes_ + bytes > static_cast<int64_t>(kStreamBufferBytes)) {
      CutOffLocked();
      return false;
    }
    Account(bytes);
    if (backlog_ != nullptr) {
      held_.push_back(std::move(msg));
      return true;
    }
    queue_.push_back(std::move(msg));
    Pump();
    return true;
  }

  // The buffered messages' bytes changed by `delta`.
  void Account(int64_t delta) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shared_->mu) {
    buffered_bytes_ += delta;
    if (lease_ != nullptr) lease_->AddBuffered(delta);
  }

  void CutOffLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(shared_->mu) {
    if (lease_ != nullptr) lease_->CountCutOff();
    DropPending();
    closing_.reset();
    FinishLocked(
        grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                     absl::StrCat("stream consumer fell more than ", max_buffered_, " messages or ",
                                  kStreamBufferBytes >> 20, " MiB behind; reconnect",
                                  backlog_ != nullptr ? " from the last seq it received" : "")));
  }

  // Whether to read the next backlog page now: the previous page is written
  // and no read is under way.
  bool ShouldFetchLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(shared_->mu) {
    return backlog_ != nullptr && !fetching_ && !writing_ && queue_.empty() && !finishing_ &&
           !finished_ && !closing_;
  }

  // gRPC thread, holding no lock: reads one backlog page and queues it, or,
  // once the backlog is done, the live messages that waited for it. The read
  // runs outside the lock so the engine thread never waits on SQLite. gRPC
  // keeps the reactor alive while the calling reaction runs, even if the
  // stream is finished meanwhile.
  void FetchBacklog() ABSL_LOCKS_EXCLUDED(shared_->mu) {
    Backlog<Msg>* backlog;
    {
      MutexLock lock(&shared_->mu);
      if (!ShouldFetchLocked()) return;
      fetching_ = true;
      backlog = backlog_.get();
    }
    absl::StatusOr<std::vector<Msg>> page = backlog->NextPage();
    MutexLock lock(&shared_->mu);
    fetching_ = false;
    if (finishing_ || finished_) return;
    if (!page.ok()) {
      DropPending();
      FinishLocked(ToGrpcStatus(page.status()));
      return;
    }
    if (page->empty()) {
      for (Msg& m : held_) {
        if (backlog_->Sent(m)) {
          Account(-static_cast<int64_t>(m.ByteSizeLong()));
        } else {
          queue_.push_back(std::move(m));
        }
      }
      held_.clear();
      backlog_.reset();
    } else {
      for (Msg& m : *page) {
        Account(static_cast<int64_t>(m.ByteSizeLong()));
        queue_.push_back(std::move(m));
      }
    }
    Pump();
  }

  // Drops buffered messages, except one gRPC is still writing from.
  void DropPending() ABSL_EXCLUSIVE_LOCKS_REQUIRED(shared_->mu) {
    for (const Msg& m : held_) Account(-static_cast<int64_t>(m.ByteSizeLong()));
    held_.clear();
    while (queue_.size() > (writing_ ? 1u : 0u)) {
      Account(-static_cast<int64_t>(queue_.back().ByteSizeLong()));
      queue_.pop_back();
    }
  }

  // Sends what is buffered, then finishes with `status`.
  void CloseLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shared_->mu) {
    if (finishing_) return;
    closing_ = std::move(status);
    Pump();
  }

  void Pump() ABSL_EXCLUSIVE_LOCKS_REQUIRED(shared_->mu) {
    if (writing_ || finished_) return;
    if (!queue_.empty() && !finishing_) {
      writing_ = true;
      this->StartWrite(&queue_.front());
      return;
    }
    if (finishing_ || closing_) {
      finished_ = true;
      this->Finish(finishing_ ? *finish_status_ : *closing_);
    }
  }

  // Finishes as soon as no write is outstanding.
  // Pumps even when already finishing: a cancel during a write sets
  // finishing_, and only the OnWriteDone that follows can send the Finish.
  void FinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shared_->mu) {
    if (!finishing_) {
      finishing_ = true;
      finish_status_ = std::move(status);
    }
    Pump();
  }

  runtime::Runtime* runtime_;
  // Frees this stream's place when the reactor is deleted (after OnDone).
  std::unique_ptr<StreamLimiter::Lease> lease_;
  const size_t max_buffered_;
  std::shared_ptr<Shared> shared_;
  uint64_t subscription_ = 0;
  // The stream's state, under its shared lock.
  std::deque<Msg> queue_ ABSL_GUARDED_BY(shared_->mu);  // front is being written while writing_
  // While set, the backlog is being sent and live messages wait in held_.
  std::unique_ptr<Backlog<Msg>> backlog_ ABSL_GUARDED_BY(shared_->mu);
  std::deque<Msg> held_ ABSL_GUARDED_BY(shared_->mu);
  // Bytes of the messages in queue_ and held_ (ByteSizeLong, when each comes
  // and when it goes: a moved message loses its cached size).
  int64_t buffered_bytes_ ABSL_GUARDED_BY(shared_->mu) = 0;
  bool fetching_ ABSL_GUARDED_BY(shared_->mu) = false;  // a backlog page is being read
  bool writing_ ABSL_GUARDED_BY(shared_->mu) = false;
  bool finishing_ ABSL_GUARDED_BY(shared_->mu) = false;  // finish without sending the rest
  bool finished_ ABSL_GUARDED_BY(shared_->mu) = false;
  std::optional<grpc::Status> finish_status_ ABSL_GUARDED_BY(shared_->mu);
  // Finish after sending the rest.
  std::optional<grpc::Status> closing_ ABSL_GUARDED_BY(shared_->mu);
};

}  // namespace acd::rpc

#endif  // ACD_SERVER_RPC_STREAM_REACTOR_H_
