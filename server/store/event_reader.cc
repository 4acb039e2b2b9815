#include "server/store/event_reader.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/store/event_codec.h"
#include "server/store/event_store.h"
#include "server/store/status_macros.h"

namespace acd::store {
namespace {

// A NULL filter matches every row; the ids are stored as NULL when empty, so
// `= ?` with a value never matches those rows, as a live filter would not.
// The range scans the seq primary key.
constexpr char kReadSql[] =
    "SELECT seq, payload FROM events WHERE seq > ?1 AND seq <= ?2 "
    "AND (?3 IS NULL OR call_id = ?3) AND (?4 IS NULL OR agent_id = ?4) "
    "AND (?5 IS NULL OR queue = ?5) ORDER BY seq LIMIT ?6";

}  // namespace

absl::StatusOr<std::vector<core::Event>> ReadEvents(sqlite::Database& db, const EventQuery& query) {
  if (query.limit < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("event read limit ", query.limit, " is below 1"));
  }
  const std::string context = absl::StrCat("reading events after seq ", query.after_seq, " up to ",
                                           query.up_to_seq, " from '", db.path(), "'");
  ACD_ASSIGN_OR_RETURN(sqlite::Statement rows, db.Prepare(kReadSql));
  rows.BindInt64(1, query.after_seq);
  rows.BindInt64(2, query.up_to_seq);
  rows.BindTextOrNull(3, query.call_id);
  rows.BindTextOrNull(4, query.agent_id);
  rows.BindTextOrNull(5, query.queue);
  rows.BindInt64(6, query.limit);
  std::vector<core::Event> events;
  while (true) {
    ACD_ASSIGN_OR_RETURN(bool row, rows.Step(context));
    if (!row) break;
    const int64_t seq = rows.ColumnInt64(0);
    absl::StatusOr<core::Event> event = DecodeEventPayload(rows.ColumnText(1));
    if (!event.ok()) {
      return absl::DataLossError(absl::StrCat("event seq ", seq, " in '", db.path(),
                                              "' has a bad payload: ", event.status().message()));
    }
    if (event->seq != seq) {
      return absl::DataLossError(absl::StrCat("event seq ", seq, " in '", db.path(),
                                              "' has a payload for seq ", event->seq));
    }
    events.push_back(*std::move(event));
  }
  return events;
}

absl::StatusOr<std::unique_ptr<EventReader>> EventReader::Open(const std::string& path,
                                                               absl::Duration busy_timeout) {
  ACD_ASSIGN_OR_RETURN(sqlite::Database db,
                       OpenReadConnection(path, busy_timeout, "resuming event streams"));
  return std::unique_ptr<EventReader>(new EventReader(std::move(db)));
}

EventReader::EventReader(sqlite::Database db) : db_(std::move(db)) {}

EventReader::~EventReader() = default;

absl::StatusOr<std::vector<core::Event>> EventReader::Read(const EventQuery& query) {
  MutexLock lock(&mu_);
  return ReadEvents(db_, query);
}

}  // namespace acd::store
