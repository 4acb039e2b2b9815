// Live state from the store: what a restarting acdd reads back to restore its
// engine (core::Engine::Restore) after a crash or a stop.
//
// The `calls` and `agents` tables point at the event holding each call's and
// each agent's latest snapshot (last_seq); that snapshot, decoded, is the
// state to restore, and a call's original request comes from its row. The
// store commits an event before acdd acknowledges it, so what is read here
// holds everything acknowledged, and nothing a crash took back.
//
// Cost: one indexed read of the live calls, one of the latest finished calls
// (bounded), one row per agent, and a short indexed read per queue for handle
// times: independent of the log's length.
//
// Thread safety: functions over a connection the caller owns; use it from one
// thread at a time.
#ifndef ACD_SERVER_STORE_LIVE_STATE_H_
#define ACD_SERVER_STORE_LIVE_STATE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/core/engine.h"
#include "server/core/live_stats.h"
#include "server/store/sqlite.h"

namespace acd::store {

struct LiveStateLimits {
  // The latest finished calls read back. Each costs a payload decode and a
  // place in the engine (tests/bench/restore_bench), so fewer than the engine
  // keeps: about an hour of a large centre's calls.
  size_t finished_calls = 10000;
  // Handle times per queue, of its latest completed calls.
  int handle_time_samples = 20;
};

// The live calls, the latest finished ones, every agent's latest snapshot,
// and the handle times of the latest completed calls of each of `queues`.
// DATA_LOSS naming the seq for a snapshot that does not decode.
absl::StatusOr<core::RestoredState> LoadLiveState(sqlite::Database& db,
                                                  const std::vector<std::string>& queues,
                                                  const LiveStateLimits& limits = {});

// The live KPIs' latest checkpoint (EventStore::SaveKpiCheckpoint) and the
// seq it was taken at, or nullopt if none was kept. DATA_LOSS if it does not
// decode.
struct StoredKpiCheckpoint {
  int64_t seq = 0;
  core::LiveStatsCheckpoint checkpoint;
};
absl::StatusOr<std::optional<StoredKpiCheckpoint>> LoadKpiCheckpoint(sqlite::Database& db);

// The seq of the first event at or after `time` (events are in time order),
// or the last seq + 1 if there is none. O(log n) lookups.
absl::StatusOr<int64_t> FirstSeqAtOrAfter(sqlite::Database& db, absl::Time time);

}  // namespace acd::store

#endif  // ACD_SERVER_STORE_LIVE_STATE_H_
