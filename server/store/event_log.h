// EventLog: the narrow interface the StoreWriter commits through. EventStore
// implements it on SQLite; tests wrap one to inject faults (see
// tests/support/fault_injection_event_log.h), the way leveldb tests wrap Env.
//
// Contract: Append writes `events` (seq strictly increasing, the first above
// LastSeq()) in one transaction, all or nothing; on error nothing is written
// and the same events may be appended again. LastSeq is the highest stored seq
// (0 for an empty log). path() names the log in messages. SaveKpiCheckpoint
// keeps the live KPIs' checkpoint at a committed `seq`; a log that keeps none
// (the default) makes a restart replay the day's events instead.
//
// Thread safety: none; one thread at a time (the StoreWriter's).
#ifndef ACD_SERVER_STORE_EVENT_LOG_H_
#define ACD_SERVER_STORE_EVENT_LOG_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "server/core/live_stats.h"
#include "server/core/types.h"

namespace acd::store {

class EventLog {
 public:
  virtual ~EventLog() = default;
  virtual absl::Status Append(absl::Span<const core::Event> events) = 0;
  virtual absl::StatusOr<int64_t> LastSeq() = 0;
  virtual absl::Status SaveKpiCheckpoint(int64_t /*seq*/,
                                         const core::LiveStatsCheckpoint& /*checkpoint*/) {
    return absl::OkStatus();
  }
  virtual const std::string& path() const = 0;
};

}  // namespace acd::store

#endif  // ACD_SERVER_STORE_EVENT_LOG_H_
