// FaultInjectionEventLog: an EventLog that forwards to a real EventStore (a
// real SQLite file) and fails appends on command, the way leveldb's
// FaultInjectionTestEnv wraps its Env. A failed append writes nothing, like a
// real failed transaction, so what the file holds is exactly what was
// reported committed.
//
// The test keeps a shared StoreFaults to steer the log after handing it to a
// StoreWriter (or a Daemon through DaemonOptions::wrap_event_log).
//
// Thread safety: StoreFaults may be used from any thread; the log itself from
// one thread at a time (the writer's), like any EventLog.
#ifndef ACD_TESTS_SUPPORT_FAULT_INJECTION_EVENT_LOG_H_
#define ACD_TESTS_SUPPORT_FAULT_INJECTION_EVENT_LOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/base/mutex.h"
#include "server/store/event_log.h"
#include "server/store/event_store.h"

namespace acd::testing {

class StoreFaults {
 public:
  // The next `n` appends fail with `status`, then appends succeed again.
  void FailNext(int n, absl::Status status) {
    MutexLock lock(&mu_);
    fail_next_ = n;
    fail_all_ = false;
    status_ = std::move(status);
  }
  // Every append fails with `status` until Clear().
  void FailAll(absl::Status status) {
    MutexLock lock(&mu_);
    fail_all_ = true;
    status_ = std::move(status);
  }
  void Clear() {
    MutexLock lock(&mu_);
    fail_all_ = false;
    fail_next_ = 0;
  }

  // Appends tried so far, and those of them that failed.
  int appends() const {
    MutexLock lock(&mu_);
    return appends_;
  }
  int failures() const {
    MutexLock lock(&mu_);
    return failures_;
  }
  // Waits until at least `n` appends failed, or `timeout` passes.
  bool WaitForFailures(int n, absl::Duration timeout) const {
    MutexLock lock(&mu_);
    auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return failures_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  }

  // The fault for the next append (OK for none); counts it.
  absl::Status Next() {
    MutexLock lock(&mu_);
    ++appends_;
    if (fail_all_ || fail_next_ > 0) {
      if (fail_next_ > 0) --fail_next_;
      ++failures_;
      return status_;
    }
    return absl::OkStatus();
  }

 private:
  mutable Mutex mu_;
  bool fail_all_ ABSL_GUARDED_BY(mu_) = false;
  int fail_next_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  int appends_ ABSL_GUARDED_BY(mu_) = 0;
  int failures_ ABSL_GUARDED_BY(mu_) = 0;
};

class FaultInjectionEventLog final : public store::EventLog {
 public:
  FaultInjectionEventLog(std::unique_ptr<store::EventStore> target,
                         std::shared_ptr<StoreFaults> faults)
      : target_(std::move(target)), faults_(std::move(faults)) {}

  absl::Status Append(absl::Span<const core::Event> events,
                      absl::Span<const store::ConfigVersion> configs) override {
    if (absl::Status fault = faults_->Next(); !fault.ok()) return fault;
    return target_->Append(events, configs);
  }
  absl::StatusOr<int64_t> LastSeq() override { return target_->LastSeq(); }
  absl::Status SaveKpiCheckpoint(int64_t seq,
                                 const core::LiveStatsCheckpoint& checkpoint) override {
    return target_->SaveKpiCheckpoint(seq, checkpoint);
  }
  const std::string& path() const override { return target_->path(); }

  // A DaemonOptions::wrap_event_log that injects `faults`.
  static std::function<std::unique_ptr<store::EventLog>(std::unique_ptr<store::EventStore>)>
  Wrapper(std::shared_ptr<StoreFaults> faults) {
    return [faults](std::unique_ptr<store::EventStore> store) -> std::unique_ptr<store::EventLog> {
      return std::make_unique<FaultInjectionEventLog>(std::move(store), faults);
    };
  }

 private:
  std::unique_ptr<store::EventStore> target_;
  std::shared_ptr<StoreFaults> faults_;
};

}  // namespace acd::testing

#endif  // ACD_TESTS_SUPPORT_FAULT_INJECTION_EVENT_LOG_H_
