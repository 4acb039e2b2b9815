// ReportReader: historical reports (AdminService.GetReport) computed from the
// `calls` table, the call detail records that EventStore keeps.
//
// A report covers [from, to) of one queue or one agent in intervals of 15, 30
// or 60 minutes aligned to the interval boundary in UTC (10:00, 10:15 ...);
// the first and last intervals are clipped to [from, to). Every interval is
// returned, empty ones included, plus the total. Rows are streamed into
// core::CallTally (kpi.h), so reports and live KPIs count alike.
//
// Counting, per `calls` row (one per call; the row keeps only the queue the
// call was last in, so a call counts in the queue it finished in):
//   - it belongs to the interval of its arrival (enqueued_at);
//   - queue report: every row is offered; a row with connected_at is answered
//     (wait = wait_ms); state abandoned is abandoned (wait = wait_ms, short
//     per the queue's threshold); timed_out, overflowed as such; state
//     completed after an answer is handled (talk + wrap-up); transfers are
//     summed; a row with a callback number is a callback. Live calls count as
//     offered and, once connected, as answered.
//   - agent report: only rows whose agent_id is the agent and that were
//     connected: answered (with the thresholds of the row's queue), handled,
//     transfers, callbacks. Nothing is offered or abandoned: a row does not
//     record the offers an agent missed or rejected, nor the agents a call
//     reached before a transfer.
//
// Cost is bounded: at most kMaxReportRange per report, read through the
// (queue | agent_id, enqueued_at_us) indexes.
//
// Thread safety: ReportReader is safe to call from any thread (gRPC threads):
// it owns one read-only SQLite connection, used under a mutex. In WAL mode the
// connection reads a consistent snapshot while the store thread writes; one
// report is one SELECT, so it never sees half a batch.
#ifndef ACD_SERVER_STORE_REPORT_READER_H_
#define ACD_SERVER_STORE_REPORT_READER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/base/mutex.h"
#include "server/core/kpi.h"
#include "server/store/sqlite.h"

namespace acd::store {

// The longest [from, to) a report may cover.
inline constexpr absl::Duration kMaxReportRange = absl::Hours(24 * 31);

enum class ReportSubject { kQueue, kAgent };

struct ReportQuery {
  ReportSubject subject = ReportSubject::kQueue;
  std::string name;  // the queue, or the agent_id
  absl::Time from;   // inclusive
  absl::Time to;     // exclusive
  absl::Duration interval = absl::Minutes(60);
  // KPI thresholds by queue name; a queue not listed uses `default_thresholds`.
  absl::flat_hash_map<std::string, core::KpiThresholds> thresholds;
  core::KpiThresholds default_thresholds;

  const core::KpiThresholds& ThresholdsOf(absl::string_view queue) const {
    auto found = thresholds.find(queue);
    return found == thresholds.end() ? default_thresholds : found->second;
  }
};

struct ReportInterval {
  absl::Time start;  // clipped to [from, to)
  absl::Time end;
  core::CallTally tally;
};

struct Report {
  std::vector<ReportInterval> intervals;  // in time order, none skipped
  core::CallTally total;
};

// INVALID_ARGUMENT naming the value unless the interval is 15, 30 or 60
// minutes, from < to and to - from <= kMaxReportRange.
absl::Status ValidateReportQuery(const ReportQuery& query);

class ReportReader {
 public:
  // Opens the database at `path` read-only. It must exist at the schema
  // version this code writes (EventStore::Open creates and migrates it):
  // FAILED_PRECONDITION otherwise.
  static absl::StatusOr<std::unique_ptr<ReportReader>> Open(const std::string& path,
                                                            absl::Duration busy_timeout);

  ReportReader(const ReportReader&) = delete;
  ReportReader& operator=(const ReportReader&) = delete;
  ~ReportReader();

  // The report for `query` (validated first, see ValidateReportQuery). An
  // unknown queue or agent is an empty report: the caller decides what is known.
  absl::StatusOr<Report> Read(const ReportQuery& query) ABSL_LOCKS_EXCLUDED(mu_);

  // Whether any call row names the queue (or the agent): lets a report cover
  // a queue or agent that a config reload has since removed.
  absl::StatusOr<bool> HasCalls(ReportSubject subject, absl::string_view name)
      ABSL_LOCKS_EXCLUDED(mu_);

  const std::string& path() const { return path_; }

 private:
  explicit ReportReader(sqlite::Database db);

  const std::string path_;
  Mutex mu_;
  sqlite::Database db_ ABSL_GUARDED_BY(mu_);
  sqlite::Statement queue_rows_ ABSL_GUARDED_BY(mu_);
  sqlite::Statement agent_rows_ ABSL_GUARDED_BY(mu_);
  sqlite::Statement queue_exists_ ABSL_GUARDED_BY(mu_);
  sqlite::Statement agent_exists_ ABSL_GUARDED_BY(mu_);
};

}  // namespace acd::store

#endif  // ACD_SERVER_STORE_REPORT_READER_H_
