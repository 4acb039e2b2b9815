// EventReader: reads the stored event log for streams that resume from a seq
// (CallService.WatchEvents with after_seq), beside the store thread that
// writes it.
//
// Thread safety: safe from any thread (gRPC threads). It owns one read-only
// SQLite connection, used under a mutex. In WAL mode each Read is one SELECT
// over a consistent snapshot, so it sees whole committed batches only; an
// event the store has reported committed is always visible to it.
#ifndef ACD_SERVER_STORE_EVENT_READER_H_
#define ACD_SERVER_STORE_EVENT_READER_H_

#include <cstdint>
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
  int64_t up_to_seq = 0;
  std::string call_id;
  std::string agent_id;
  std::string queue;
  int limit = 256;  // most events returned
};

class EventReader {
 public:
  // Opens the database at `path` read-only (see OpenReadConnection).
  static absl::StatusOr<std::unique_ptr<EventReader>> Open(const std::string& path,
                                                           absl::Duration busy_timeout);

  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;
  ~EventReader();

  // Up to `query.limit` matching events, in seq order, decoded fully.
  // INVALID_ARGUMENT for a limit below 1.
  absl::StatusOr<std::vector<core::Event>> Read(const EventQuery& query) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  explicit EventReader(sqlite::Database db);

  const std::string path_;
  Mutex mu_;
  sqlite::Database db_ ABSL_GUARDED_BY(mu_);
  sqlite::Statement read_ ABSL_GUARDED_BY(mu_);
};

}  // namespace acd::store

#endif  // ACD_SERVER_STORE_EVENT_READER_H_
