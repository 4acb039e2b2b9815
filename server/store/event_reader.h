// Reading the stored event log back: ReadEvents, over a connection the caller
// owns, is the one way events are read (the daemon's replay of the live KPIs
// at start-up, tests); EventReader wraps it for streams that resume from a
// seq (CallService.WatchEvents with after_seq), beside the store thread that
// writes the log.
//
// In WAL mode each read is one SELECT over a consistent snapshot, so it sees
// whole committed batches only; an event the store has reported committed is
// always visible to it.
#ifndef ACD_SERVER_STORE_EVENT_READER_H_
#define ACD_SERVER_STORE_EVENT_READER_H_

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/base/mutex.h"
#include "server/core/types.h"
#include "server/store/sqlite.h"

namespace acd::store {

// Which events to read: a seq range (after_seq, up_to_seq] and, where not
// empty, the call, agent and queue the event must name.
struct EventQuery {
  int64_t after_seq = 0;
  int64_t up_to_seq = std::numeric_limits<int64_t>::max();
  std::string call_id;
  std::string agent_id;
  std::string queue;
  int limit = 256;  // most events returned
};

// Up to `query.limit` events of `db` matching `query`, in seq order, decoded
// fully. INVALID_ARGUMENT for a limit below 1; DATA_LOSS naming the seq for a
// payload that does not decode. Uses `db` from the calling thread only (see
// sqlite.h).
absl::StatusOr<std::vector<core::Event>> ReadEvents(sqlite::Database& db, const EventQuery& query);

// EventReader: ReadEvents over a read-only connection of its own.
//
// Thread safety: safe from any thread (gRPC threads); the connection is used
// under a mutex.
class EventReader {
 public:
  // Opens the database at `path` read-only (see OpenReadConnection).
  static absl::StatusOr<std::unique_ptr<EventReader>> Open(const std::string& path,
                                                           absl::Duration busy_timeout);

  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;
  ~EventReader();

  // ReadEvents(query) over the reader's connection.
  absl::StatusOr<std::vector<core::Event>> Read(const EventQuery& query) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  explicit EventReader(sqlite::Database db);

  Mutex mu_;
  sqlite::Database db_ ABSL_GUARDED_BY(mu_);
};

}  // namespace acd::store

#endif  // ACD_SERVER_STORE_EVENT_READER_H_
