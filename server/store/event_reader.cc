#include "server/store/event_reader.h"

#include <utility>

#include "absl/strings/str_cat.h"
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

absl::StatusOr<std::unique_ptr<EventReader>> EventReader::Open(const std::string& path,
                                                               absl::Duration busy_timeout) {
  ACD_ASSIGN_OR_RETURN(sqlite::Database db,
                       OpenReadConnection(path, busy_timeout, "resuming event streams"));
  std::unique_ptr<EventReader> reader(new EventReader(std::move(db)));
  MutexLock lock(&reader->mu_);
  ACD_ASSIGN_OR_RETURN(reader->read_, reader->db_.Prepare(kReadSql));
  return reader;
}

EventReader::EventReader(sqlite::Database db) : path_(db.path()), db_(std::move(db)) {}

EventReader::~EventReader() = default;

absl::StatusOr<std::vector<core::Event>> EventReader::Read(const EventQuery& query) {
  if (query.limit < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("event read limit ", query.limit, " is below 1"));
  }
  const std::string context = absl::StrCat("reading events after seq ", query.after_seq, " up to ",
                                           query.up_to_seq, " from '", path_, "'");
  MutexLock lock(&mu_);
  sqlite::ScopedReset reset(&read_);
  read_.BindInt64(1, query.after_seq);
  read_.BindInt64(2, query.up_to_seq);
  read_.BindTextOrNull(3, query.call_id);
  read_.BindTextOrNull(4, query.agent_id);
  read_.BindTextOrNull(5, query.queue);
  read_.BindInt64(6, query.limit);
  return DecodeEventRows(read_, context, path_);
}

}  // namespace acd::store
