// EventLog: the narrow interface the StoreWriter commits through. EventStore
// implements it on SQLite; tests wrap one to inject faults (see
// tests/support/fault_injection_event_log.h), the way leveldb tests wrap Env.
//
// Contract: Append writes `events` (seq strictly increasing, the first above
// LastSeq()) and `configs` in one transaction, all or nothing; on error
// nothing is written and the same events and configs may be appended again.
// Each config version names, by seq, a config_applied event of the same
// Append, so a version is stored exactly when the event saying it was applied
// is (INVALID_ARGUMENT, and nothing written, for one that names none).
// LastSeq is the highest stored seq (0 for an empty log). path() names the
// log in messages. SaveKpiCheckpoint keeps the live KPIs' checkpoint at a
// committed `seq`; a log that keeps none (the default) makes a restart replay
// the day's events instead.
//
// Thread safety: none; one thread at a time (the StoreWriter's).
#ifndef ACD_SERVER_STORE_EVENT_LOG_H_
#define ACD_SERVER_STORE_EVENT_LOG_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "server/core/live_stats.h"
#include "server/core/types.h"

namespace acd::store {

// An applied config, for one row of `config_versions`.
struct ConfigVersion {
  int64_t seq = 0;   // its config_applied event
  std::string hash;  // SHA-256 of `text`, hex
  std::string text;  // the exact config text
  absl::Time applied_at;
};

// OK when `configs` are in seq order and each names a distinct
// config_applied event of `events` (in seq order); else INVALID_ARGUMENT
// naming the first that does not, and `path`.
absl::Status CheckConfigVersions(absl::Span<const core::Event> events,
                                 absl::Span<const ConfigVersion> configs, const std::string& path);

class EventLog {
 public:
  virtual ~EventLog() = default;
  virtual absl::Status Append(absl::Span<const core::Event> events,
                              absl::Span<const ConfigVersion> configs) = 0;
  virtual absl::StatusOr<int64_t> LastSeq() = 0;
  virtual absl::Status SaveKpiCheckpoint(int64_t /*seq*/,
                                         const core::LiveStatsCheckpoint& /*checkpoint*/) {
    return absl::OkStatus();
  }
  virtual const std::string& path() const = 0;
};

}  // namespace acd::store

#endif  // ACD_SERVER_STORE_EVENT_LOG_H_
