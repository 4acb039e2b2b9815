#include "server/store/report_reader.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/store/event_store.h"
#include "server/store/status_macros.h"

namespace acd::store {
namespace {

// Both read the same columns, in this order, for CountRow.
constexpr char kQueueRowsSql[] =
    "SELECT enqueued_at_us, queue, state, connected_at_us IS NOT NULL, wait_ms, talk_ms, "
    "wrap_up_ms, transfers, callback_number IS NOT NULL FROM calls "
    "WHERE queue = ?1 AND enqueued_at_us >= ?2 AND enqueued_at_us < ?3";
constexpr char kAgentRowsSql[] =
    "SELECT enqueued_at_us, queue, state, connected_at_us IS NOT NULL, wait_ms, talk_ms, "
    "wrap_up_ms, transfers, callback_number IS NOT NULL FROM calls "
    "WHERE agent_id = ?1 AND enqueued_at_us >= ?2 AND enqueued_at_us < ?3 "
    "AND connected_at_us IS NOT NULL";

// The start of the UTC-aligned interval holding `t`. The Unix epoch is a UTC
// midnight and 15, 30 and 60 minutes divide an hour, so multiples of the
// interval since the epoch are the boundaries.
absl::Time AlignDown(absl::Time t, absl::Duration interval) {
  absl::Duration rem;
  int64_t n = absl::IDivDuration(t - absl::UnixEpoch(), interval, &rem);
  if (rem < absl::ZeroDuration()) --n;
  return absl::UnixEpoch() + n * interval;
}

absl::Duration Millis(const sqlite::Statement& s, int column) {
  return absl::Milliseconds(s.ColumnOptionalInt64(column).value_or(0));
}

// Adds the current row of a kQueueRowsSql / kAgentRowsSql statement to
// `tally` (see the counting rules in the header).
void CountRow(const sqlite::Statement& s, const ReportQuery& query, core::CallTally& tally) {
  const absl::string_view queue = s.ColumnText(1);
  const absl::string_view state = s.ColumnText(2);
  const bool connected = s.ColumnInt64(3) != 0;
  const core::KpiThresholds& thresholds = query.ThresholdsOf(queue);

  if (query.subject == ReportSubject::kQueue) {
    ++tally.offered;
    if (state == "abandoned") tally.AddAbandoned(Millis(s, 4), thresholds);
    if (state == "timed_out") ++tally.timed_out;
    if (state == "overflowed") ++tally.overflowed;
  }
  if (connected) tally.AddAnswered(Millis(s, 4), thresholds);
  if (connected && state == "completed") tally.AddHandled(Millis(s, 5), Millis(s, 6));
  tally.transfers += s.ColumnInt64(7);
  if (s.ColumnInt64(8) != 0) ++tally.callbacks;
}

}  // namespace

absl::Status ValidateReportQuery(const ReportQuery& query) {
  if (query.interval != absl::Minutes(15) && query.interval != absl::Minutes(30) &&
      query.interval != absl::Minutes(60)) {
    return absl::InvalidArgumentError(
        absl::StrCat("interval ", absl::FormatDuration(query.interval), " is not 15m, 30m or 60m"));
  }
  if (query.from >= query.to) {
    return absl::InvalidArgumentError(absl::StrCat(
        "from ", absl::FormatTime(query.from), " is not before to ", absl::FormatTime(query.to)));
  }
  if (query.to - query.from > kMaxReportRange) {
    return absl::InvalidArgumentError(absl::StrCat(
        "range from ", absl::FormatTime(query.from), " to ", absl::FormatTime(query.to), " is ",
        absl::FormatDuration(query.to - query.from), "; a report covers at most 31 days (744h)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ReportReader>> ReportReader::Open(const std::string& path,
                                                                 absl::Duration busy_timeout) {
  ACD_ASSIGN_OR_RETURN(sqlite::Database db, OpenReadConnection(path, busy_timeout, "reports"));
  std::unique_ptr<ReportReader> reader(new ReportReader(std::move(db)));
  MutexLock lock(&reader->mu_);
  ACD_ASSIGN_OR_RETURN(reader->queue_rows_, reader->db_.Prepare(kQueueRowsSql));
  ACD_ASSIGN_OR_RETURN(reader->agent_rows_, reader->db_.Prepare(kAgentRowsSql));
  ACD_ASSIGN_OR_RETURN(reader->queue_exists_,
                       reader->db_.Prepare("SELECT 1 FROM calls WHERE queue = ?1 LIMIT 1"));
  ACD_ASSIGN_OR_RETURN(reader->agent_exists_,
                       reader->db_.Prepare("SELECT 1 FROM calls WHERE agent_id = ?1 LIMIT 1"));
  return reader;
}

ReportReader::ReportReader(sqlite::Database db) : path_(db.path()), db_(std::move(db)) {}

ReportReader::~ReportReader() = default;

absl::StatusOr<Report> ReportReader::Read(const ReportQuery& query) {
  ACD_RETURN_IF_ERROR(ValidateReportQuery(query));
  Report report;
  const absl::Time first = AlignDown(query.from, query.interval);
  for (absl::Time start = first; start < query.to; start += query.interval) {
    ReportInterval& interval = report.intervals.emplace_back();
    interval.start = std::max(start, query.from);
    interval.end = std::min(start + query.interval, query.to);
  }

  const bool by_queue = query.subject == ReportSubject::kQueue;
  const std::string context = absl::StrCat("reading the report of ", by_queue ? "queue" : "agent",
                                           " '", query.name, "' from '", path_, "'");
  MutexLock lock(&mu_);
  sqlite::Statement& rows = by_queue ? queue_rows_ : agent_rows_;
  sqlite::ScopedReset reset(&rows);
  rows.BindText(1, query.name);
  rows.BindInt64(2, absl::ToUnixMicros(query.from));
  rows.BindInt64(3, absl::ToUnixMicros(query.to));
  while (true) {
    ACD_ASSIGN_OR_RETURN(bool row, rows.Step(context));
    if (!row) break;
    const absl::Time enqueued = absl::FromUnixMicros(rows.ColumnInt64(0));
    absl::Duration unused;
    const int64_t index = absl::IDivDuration(enqueued - first, query.interval, &unused);
    if (index < 0 || index >= static_cast<int64_t>(report.intervals.size())) {
      return absl::InternalError(absl::StrCat(context, ": arrival ", absl::FormatTime(enqueued),
                                              " is outside the report"));
    }
    CountRow(rows, query, report.intervals[index].tally);
  }
  for (const ReportInterval& interval : report.intervals) report.total += interval.tally;
  return report;
}

absl::StatusOr<bool> ReportReader::HasCalls(ReportSubject subject, absl::string_view name) {
  MutexLock lock(&mu_);
  sqlite::Statement& exists = subject == ReportSubject::kQueue ? queue_exists_ : agent_exists_;
  sqlite::ScopedReset reset(&exists);
  exists.BindText(1, name);
  return exists.Step(absl::StrCat("looking for calls of '", name, "' in '", path_, "'"));
}

}  // namespace acd::store
