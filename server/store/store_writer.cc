#include "server/store/store_writer.h"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace acd::store {

StoreWriter::StoreWriter(std::unique_ptr<EventLog> store, StoreOptions options,
                         CommitCallback on_commit, TimeSystem* time)
    : store_(std::move(store)),
      options_(std::move(options)),
      on_commit_(std::move(on_commit)),
      time_(time) {
  // Until the first commit, what is already on disk is what is committed. If
  // it cannot be read, the first commit (or its error) will tell.
  absl::StatusOr<int64_t> last_seq = store_->LastSeq();
  if (last_seq.ok()) committed_seq_.store(*last_seq, std::memory_order_release);
}

StoreWriter::~StoreWriter() { Stop().IgnoreError(); }

void StoreWriter::Start() {
  MutexLock stop_lock(&stop_mu_);
  MutexLock lock(&mu_);
  if (started_ || stopping_) return;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
}

absl::Status StoreWriter::Append(std::vector<core::Event> events,
                                 std::vector<ConfigVersion> configs) {
  // Refused here rather than by the store, where the writer would retry it
  // forever.
  if (absl::Status s = CheckConfigVersions(events, configs, store_->path()); !s.ok()) return s;
  if (events.empty()) return absl::OkStatus();
  MutexLock lock(&mu_);
  if (stopping_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "store writer for '", store_->path(), "' is stopped: ", events.size(), " events (seq ",
        events.front().seq, "..", events.back().seq, ") not accepted"));
  }
  pending_.insert(pending_.end(), std::make_move_iterator(events.begin()),
                  std::make_move_iterator(events.end()));
  pending_configs_.insert(pending_configs_.end(), std::make_move_iterator(configs.begin()),
                          std::make_move_iterator(configs.end()));
  return absl::OkStatus();
}

void StoreWriter::AppendCheckpoint(int64_t seq, core::LiveStatsCheckpoint checkpoint) {
  MutexLock lock(&mu_);
  if (stopping_) return;
  checkpoint_ = Checkpoint{seq, std::move(checkpoint)};
}

void StoreWriter::SaveCheckpoint() {
  std::optional<Checkpoint> due;
  {
    MutexLock lock(&mu_);
    if (!CheckpointDue()) return;
    due = std::move(checkpoint_);
    checkpoint_.reset();
  }
  if (absl::Status s = store_->SaveKpiCheckpoint(due->seq, due->stats); !s.ok()) {
    spdlog::warn("store: {} (a restart will replay the events since the last checkpoint)",
                 std::string(s.message()));
  }
}

absl::Status StoreWriter::Stop(std::optional<absl::Time> give_up_at) {
  MutexLock stop_lock(&stop_mu_);
  {
    MutexLock lock(&mu_);
    if (!stopping_) {
      stopping_ = true;
      stop_deadline_ = give_up_at.value_or(time_->Now() + options_.stop_timeout);
      if (!started_ && !pending_.empty()) {
        started_ = true;
        thread_ = std::thread([this] { Run(); });
      }
    }
  }
  if (thread_.joinable()) thread_.join();
  return stop_status_;
}

void StoreWriter::Run() {
  const size_t max_batch = static_cast<size_t>(std::max(1, options_.max_batch_events));
  std::vector<core::Event> batch;
  std::vector<ConfigVersion> configs;
  while (true) {
    bool last_round;
    {
      MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &StoreWriter::HasWorkOrStopping));
      // Stopping, and every event is committed: a checkpoint due is saved first.
      last_round = pending_.empty() && stopping_;
      size_t n = std::min(pending_.size(), max_batch);
      batch.clear();
      batch.reserve(n);
      std::move(pending_.begin(), pending_.begin() + n, std::back_inserter(batch));
      pending_.erase(pending_.begin(), pending_.begin() + n);
      // The versions of the events in the batch go with it.
      configs.clear();
      while (!batch.empty() && !pending_configs_.empty() &&
             pending_configs_.front().seq <= batch.back().seq) {
        configs.push_back(std::move(pending_configs_.front()));
        pending_configs_.pop_front();
      }
    }
    if (!batch.empty() && !CommitWithRetry(batch, configs)) return;
    SaveCheckpoint();
    if (last_round) return;
  }
}

bool StoreWriter::CommitWithRetry(const std::vector<core::Event>& batch,
                                  const std::vector<ConfigVersion>& configs) {
  absl::Duration backoff = options_.retry_backoff_min;
  while (true) {
    const auto started = std::chrono::steady_clock::now();
    absl::Status status = store_->Append(batch, configs);
    if (status.ok()) {
      if (options_.observe_commit) {
        options_.observe_commit(batch.size(),
                                absl::FromChrono(std::chrono::steady_clock::now() - started));
      }
      committed_seq_.store(batch.back().seq, std::memory_order_release);
      transactions_.fetch_add(1, std::memory_order_acq_rel);
      Report(batch.back().seq, status);
      return true;
    }
    int64_t committed = committed_seq();
    Report(committed, status);

    absl::Status gave_up;
    {
      MutexLock lock(&mu_);
      if (stopping_ && time_->Now() >= stop_deadline_) {
        // Shutting down and the store is still failing: waiting longer would
        // hang the shutdown. Say exactly what is lost; report nothing as
        // committed that is not.
        size_t lost = batch.size() + pending_.size();
        size_t lost_configs = configs.size() + pending_configs_.size();
        int64_t last = pending_.empty() ? batch.back().seq : pending_.back().seq;
        pending_.clear();
        pending_configs_.clear();
        gave_up = absl::Status(
            status.code(),
            absl::StrCat(
                "store writer stopped with the store still failing: ", lost, " events (seq ",
                batch.front().seq, "..", last, ")",
                lost_configs > 0 ? absl::StrCat(" and ", lost_configs, " config versions") : "",
                " were not committed to '", store_->path(), "'; last error: ", status.message()));
      } else {
        absl::Duration wait = backoff;
        if (stopping_) wait = std::min(wait, stop_deadline_ - time_->Now());
        // Wake early when Stop() begins, so a stop does not sit out a long
        // backoff before its next attempt.
        const bool was_stopping = stopping_;
        auto stop_began = [this, was_stopping]() {
          mu_.AssertHeld();  // Await evaluates it under mu_
          return stopping_ != was_stopping;
        };
        time_->AwaitWithTimeout(mu_, absl::Condition(&stop_began), wait);
        backoff = std::min(backoff * 2, options_.retry_backoff_max);
      }
    }
    if (!gave_up.ok()) {
      stop_status_ = gave_up;
      Report(committed, gave_up);
      return false;
    }
  }
}

}  // namespace acd::store
