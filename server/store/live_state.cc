#include "server/store/live_state.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/store/event_codec.h"
#include "server/store/kpi_checkpoint_codec.h"
#include "server/store/status_macros.h"

namespace acd::store {
namespace {

// Must match the WHERE of the calls_live index (event_store.cc) to use it.
constexpr char kLiveCallsSql[] = R"sql(
SELECT e.seq, e.payload, c.request FROM calls c JOIN events e ON e.seq = c.last_seq
WHERE c.state IN ('queued', 'offered', 'connected', 'wrap_up', 'callback_scheduled')
)sql";

constexpr char kCountLiveCallsSql[] = R"sql(
SELECT count(*) FROM calls
WHERE state IN ('queued', 'offered', 'connected', 'wrap_up', 'callback_scheduled')
)sql";

// Must match the WHERE of the calls_finished index to use it.
constexpr char kFinishedCallsSql[] = R"sql(
SELECT e.seq, e.payload, c.request FROM calls c JOIN events e ON e.seq = c.last_seq
WHERE c.state NOT IN ('queued', 'offered', 'connected', 'wrap_up', 'callback_scheduled')
ORDER BY c.last_seq DESC LIMIT ?1
)sql";

constexpr char kAgentsSql[] =
    "SELECT e.seq, e.payload FROM agents a JOIN events e ON e.seq = a.last_seq ORDER BY a.agent_id";

// Latest arrivals first: close enough to "latest completed" and served by
// the calls_by_queue index.
constexpr char kHandleTimesSql[] = R"sql(
SELECT completed_at_us - connected_at_us FROM calls
WHERE queue = ?1 AND state = 'completed' AND connected_at_us IS NOT NULL
  AND completed_at_us IS NOT NULL
ORDER BY enqueued_at_us DESC LIMIT ?2
)sql";

absl::StatusOr<core::Event> DecodeRow(sqlite::Statement& rows, absl::string_view what) {
  int64_t seq = rows.ColumnInt64(0);
  absl::StatusOr<core::Event> event = DecodeEventPayload(rows.ColumnText(1));
  if (!event.ok()) {
    return absl::DataLossError(absl::StrCat("the latest snapshot of ", what, " (event seq ", seq,
                                            ") does not decode: ", event.status().message()));
  }
  return event;
}

// Appends the calls of `rows` (seq, payload, request) to `out`.
absl::Status ReadCalls(sqlite::Statement& rows, absl::string_view what, const std::string& context,
                       const std::string& path, std::vector<core::RestoredCall>* out) {
  while (true) {
    ACD_ASSIGN_OR_RETURN(bool row, rows.Step(context));
    if (!row) return absl::OkStatus();
    ACD_ASSIGN_OR_RETURN(core::Event event, DecodeRow(rows, what));
    if (!event.call.has_value()) {
      return absl::DataLossError(absl::StrCat("event seq ", event.seq, " in '", path,
                                              "' is a call's latest but carries no call"));
    }
    core::RestoredCall& call = out->emplace_back();
    call.call = std::move(*event.call);
    if (!rows.ColumnIsNull(2)) {
      absl::StatusOr<core::EnqueueRequest> request = DecodeEnqueueRequest(rows.ColumnText(2));
      if (!request.ok()) {
        return absl::DataLossError(absl::StrCat("the request of call '", call.call.call_id,
                                                "' in '", path,
                                                "' does not decode: ", request.status().message()));
      }
      call.request = std::move(*request);
    }
  }
}

}  // namespace

absl::StatusOr<core::RestoredState> LoadLiveState(sqlite::Database& db,
                                                  const std::vector<std::string>& queues,
                                                  const LiveStateLimits& limits) {
  core::RestoredState state;
  const std::string context = absl::StrCat("reading the live state from '", db.path(), "'");

  // Reserved up front: a RestoredCall is about a kilobyte, and growing the
  // vector by doubling moved 100,000 of them seventeen times.
  ACD_ASSIGN_OR_RETURN(int64_t live, db.QueryInt64(kCountLiveCallsSql, context));
  state.calls.reserve(static_cast<size_t>(live));
  state.finished.reserve(limits.finished_calls);
  ACD_ASSIGN_OR_RETURN(sqlite::Statement calls, db.Prepare(kLiveCallsSql));
  ACD_RETURN_IF_ERROR(ReadCalls(calls, "a live call", context, db.path(), &state.calls));
  ACD_ASSIGN_OR_RETURN(sqlite::Statement finished, db.Prepare(kFinishedCallsSql));
  finished.BindInt64(1, static_cast<int64_t>(limits.finished_calls));
  ACD_RETURN_IF_ERROR(ReadCalls(finished, "a finished call", context, db.path(), &state.finished));
  std::reverse(state.finished.begin(), state.finished.end());  // oldest first

  ACD_ASSIGN_OR_RETURN(sqlite::Statement agents, db.Prepare(kAgentsSql));
  while (true) {
    ACD_ASSIGN_OR_RETURN(bool row, agents.Step(context));
    if (!row) break;
    ACD_ASSIGN_OR_RETURN(core::Event event, DecodeRow(agents, "an agent"));
    if (event.agent.has_value()) state.agents.push_back(std::move(*event.agent));
  }

  ACD_ASSIGN_OR_RETURN(sqlite::Statement handle_times, db.Prepare(kHandleTimesSql));
  for (const std::string& queue : queues) {
    sqlite::ScopedReset reset(&handle_times);
    handle_times.BindText(1, queue);
    handle_times.BindInt64(2, limits.handle_time_samples);
    std::vector<absl::Duration> times;
    while (true) {
      ACD_ASSIGN_OR_RETURN(bool row, handle_times.Step(context));
      if (!row) break;
      times.push_back(absl::Microseconds(handle_times.ColumnInt64(0)));
    }
    if (times.empty()) continue;
    std::reverse(times.begin(), times.end());  // oldest first
    state.handle_times[queue] = std::move(times);
  }
  return state;
}

absl::StatusOr<std::optional<StoredKpiCheckpoint>> LoadKpiCheckpoint(sqlite::Database& db) {
  const std::string context = absl::StrCat("reading the live KPIs' checkpoint of '", db.path(), "'");
  ACD_ASSIGN_OR_RETURN(sqlite::Statement read,
                       db.Prepare("SELECT seq, payload FROM kpi_checkpoint WHERE id = 1"));
  ACD_ASSIGN_OR_RETURN(bool row, read.Step(context));
  if (!row) return std::nullopt;
  absl::StatusOr<core::LiveStatsCheckpoint> checkpoint = DecodeKpiCheckpoint(read.ColumnBlob(1));
  if (!checkpoint.ok()) {
    return absl::DataLossError(absl::StrCat(context, ": ", checkpoint.status().message()));
  }
  return StoredKpiCheckpoint{read.ColumnInt64(0), *std::move(checkpoint)};
}

absl::StatusOr<int64_t> FirstSeqAtOrAfter(sqlite::Database& db, absl::Time time) {
  const std::string context = absl::StrCat("searching the events of '", db.path(), "' by time");
  ACD_ASSIGN_OR_RETURN(int64_t last,
                       db.QueryInt64("SELECT coalesce(max(seq), 0) FROM events", context));
  ACD_ASSIGN_OR_RETURN(sqlite::Statement time_of,
                       db.Prepare("SELECT time_us FROM events WHERE seq = ?1"));
  const int64_t target = absl::ToUnixMicros(time);
  // Seqs are gap-free from 1; find the first whose time is >= target.
  int64_t lo = 1, hi = last + 1;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    sqlite::ScopedReset reset(&time_of);
    time_of.BindInt64(1, mid);
    ACD_ASSIGN_OR_RETURN(bool row, time_of.Step(context));
    if (row && time_of.ColumnInt64(0) >= target) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

}  // namespace acd::store
