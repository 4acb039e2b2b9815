// StoreWriter: the store thread. It takes event batches from the engine and
// commits them to an EventLog (the SQLite EventStore) with group commit:
// whatever has queued up while the previous transaction was being written (up
// to StoreOptions::max_batch_events) goes into the next transaction, so one
// fsync covers many events and the cost of synchronous=FULL is shared.
//
// Config versions travel with their events: each is committed in the
// transaction that holds its config_applied event, never in another (a batch
// cut at max_batch_events takes the versions of the events it holds).
//
// Durability contract: after each transaction the commit callback gets the
// highest committed seq; an event is reported committed only once its
// transaction has committed. A failed commit is reported with its error
// (committed_seq unchanged) and the same batch is retried with backoff
// (StoreOptions::retry_backoff_min doubling to retry_backoff_max) until it
// succeeds: events are never dropped, nor committed out of order, while the
// writer runs. Only Stop() gives up, at its deadline, and then reports (through
// the callback and its result) how many events were not committed.
//
// Ownership: owns the EventLog; from Start() until Stop() returns, only the
// writer thread touches it.
//
// Thread safety: Append, committed_seq and transactions may be called from any
// thread; Append never waits for I/O. Start and Stop are for the owner. The
// callback runs on the writer thread, never under the writer's lock, so it may
// call Append or the accessors (but not Stop).
#ifndef ACD_SERVER_STORE_STORE_WRITER_H_
#define ACD_SERVER_STORE_STORE_WRITER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/base/mutex.h"
#include "server/base/time_system.h"
#include "server/core/types.h"
#include "server/store/event_log.h"
#include "server/store/store_options.h"

namespace acd::store {

class StoreWriter {
 public:
  // Called on the writer thread after each transaction attempt: the highest
  // committed seq and OK, or the unchanged committed seq and the error.
  using CommitCallback = std::function<void(int64_t committed_seq, const absl::Status& status)>;

  // `store` must not be null. committed_seq() starts at the store's LastSeq().
  // Retry backoffs and the stop deadline follow `time`, which must outlive
  // the writer.
  StoreWriter(std::unique_ptr<EventLog> store, StoreOptions options, CommitCallback on_commit,
              TimeSystem* time = &RealTimeSystem::Get());
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;
  ~StoreWriter();  // Stop()

  // Starts the writer thread. Events appended before are committed after it.
  // Idempotent; does nothing after Stop().
  void Start();

  // Queues events for commit (seq increasing across calls), with the config
  // versions of config_applied events among them (see EventLog). Never blocks
  // on I/O. Nothing is taken on error: FAILED_PRECONDITION once Stop() has
  // begun, INVALID_ARGUMENT for a version that names no config_applied event
  // of `events`.
  absl::Status Append(std::vector<core::Event> events, std::vector<ConfigVersion> configs = {});

  // Hands over the live KPIs' checkpoint taken after the event `seq` (appended
  // already). It is saved once `seq` is committed, in a transaction of its own;
  // a later checkpoint replaces one not yet saved. Saving is best effort: a
  // failure is logged, and a restart then replays more events.
  void AppendCheckpoint(int64_t seq, core::LiveStatsCheckpoint checkpoint);

  // Commits everything appended so far, then joins the thread (starting it
  // first if events are waiting and Start() was never called). A failing
  // commit is retried until `give_up_at` (default: now +
  // StoreOptions::stop_timeout), then the events still pending are dropped.
  // Returns OK when everything appended was committed, else the error naming
  // the events that were not. Idempotent: later calls return the same.
  absl::Status Stop(std::optional<absl::Time> give_up_at = std::nullopt);

  int64_t committed_seq() const { return committed_seq_.load(std::memory_order_acquire); }
  // Transactions committed by this writer.
  int64_t transactions() const { return transactions_.load(std::memory_order_acquire); }

 private:
  void Run();
  // Commits `batch` and its `configs`, retrying until it succeeds (true) or
  // Stop() gives up (false).
  bool CommitWithRetry(const std::vector<core::Event>& batch,
                       const std::vector<ConfigVersion>& configs);
  // Saves the pending checkpoint if its seq is committed.
  void SaveCheckpoint();
  bool CheckpointDue() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return checkpoint_.has_value() && checkpoint_->seq <= committed_seq();
  }
  bool HasWorkOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !pending_.empty() || stopping_ || CheckpointDue();
  }
  void Report(int64_t committed_seq, const absl::Status& status) const {
    if (on_commit_) on_commit_(committed_seq, status);
  }

  const std::unique_ptr<EventLog> store_;
  const StoreOptions options_;
  const CommitCallback on_commit_;
  TimeSystem* const time_;

  Mutex mu_;
  std::deque<core::Event> pending_ ABSL_GUARDED_BY(mu_);
  // The versions of config_applied events in pending_, in seq order.
  std::deque<ConfigVersion> pending_configs_ ABSL_GUARDED_BY(mu_);
  struct Checkpoint {
    int64_t seq;
    core::LiveStatsCheckpoint stats;
  };
  std::optional<Checkpoint> checkpoint_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Set by Stop(): when retries of a failing commit give up.
  absl::Time stop_deadline_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();

  // Serialises Stop() so the thread is joined once.
  Mutex stop_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::thread thread_ ABSL_GUARDED_BY(stop_mu_);
  // Writer thread until joined, then Stop()'s result: what was not committed.
  absl::Status stop_status_;

  std::atomic<int64_t> committed_seq_{0};
  std::atomic<int64_t> transactions_{0};
};

}  // namespace acd::store

#endif  // ACD_SERVER_STORE_STORE_WRITER_H_
