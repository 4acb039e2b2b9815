// StoreOptions: how the store commits (durability, batching, lock waits) and
// how its writer retries and stops. A plain struct of the store's knobs, apart
// from the backend so that its users need not include SQLite.
#ifndef ACD_SERVER_STORE_STORE_OPTIONS_H_
#define ACD_SERVER_STORE_STORE_OPTIONS_H_

#include <cstddef>
#include <functional>

#include "absl/time/time.h"

namespace acd::store {

struct StoreOptions {
  // PRAGMA synchronous=FULL (a commit survives power loss), else NORMAL (in WAL
  // mode a commit survives a process crash but not power loss).
  bool synchronous_full = true;
  // StoreWriter: most events per transaction.
  int max_batch_events = 4096;
  // How long a statement waits for a lock held by another connection.
  absl::Duration busy_timeout = absl::Seconds(5);
  // StoreWriter::Stop: how long to keep retrying a failing commit before
  // giving up on the events still pending (reported through the callback).
  absl::Duration stop_timeout = absl::Seconds(10);
  // StoreWriter: the wait before retrying a failed commit, doubling from min
  // to max (tests shorten them).
  absl::Duration retry_backoff_min = absl::Milliseconds(10);
  absl::Duration retry_backoff_max = absl::Seconds(1);
  // StoreWriter: told of each committed transaction on the writer thread (its
  // events and how long the commit took), for metrics. Must not block.
  std::function<void(size_t events, absl::Duration took)> observe_commit = nullptr;
};

}  // namespace acd::store

#endif  // ACD_SERVER_STORE_STORE_OPTIONS_H_
