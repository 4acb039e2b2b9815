// EventStore: the durable event log of acd, in one SQLite database.
//
// Tables (schema version kSchemaVersion, kept in PRAGMA user_version and
// brought up to date by forward migrations when the database is opened):
//   events           append-only log: seq, time, type, ids, reason and a JSON
//                    payload that rebuilds the core::Event (event_codec.h).
//   calls            one row per call (a call detail record), upserted from the
//                    call snapshot of every event that carries one.
//   agents           one row per agent: its state and the event carrying its
//                    latest snapshot (read back at start-up, live_state.h).
//   config_versions  every applied config text, its hash and when: written
//                    with its config_applied event, in its transaction.
// The database runs in WAL mode; each Append is one transaction, and with
// synchronous_full (the default) it is on disk when Append returns.
//
// Errors: UNAVAILABLE when the database cannot be reached or written (I/O,
// disk full, busy, can't open), INTERNAL for constraint violations and SQL
// errors, DATA_LOSS for a corrupt file or an undecodable payload,
// INVALID_ARGUMENT for events out of seq order, FAILED_PRECONDITION for a
// schema newer than this code. Messages name the path, seq or call_id.
//
// Thread safety: none. An EventStore owns one SQLite connection; use it from
// one thread at a time (StoreWriter hands it to its thread). Other connections
// (other processes, read-only tools) may read the file concurrently.
#ifndef ACD_SERVER_STORE_EVENT_STORE_H_
#define ACD_SERVER_STORE_EVENT_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "server/core/types.h"
#include "server/store/event_log.h"
#include "server/store/sqlite.h"
#include "server/store/store_options.h"

namespace acd::store {

// The schema version this code writes; databases at a newer one are refused.
inline constexpr int kSchemaVersion = 6;

// Opens `path` read-only for a reader beside the store (reports, event
// backlogs), waiting up to `busy_timeout` on locks. The database must be at
// kSchemaVersion (EventStore::Open creates and migrates it): FAILED_PRECONDITION
// otherwise, naming `purpose` ("reports").
absl::StatusOr<sqlite::Database> OpenReadConnection(const std::string& path,
                                                    absl::Duration busy_timeout,
                                                    absl::string_view purpose);

class EventStore final : public EventLog {
 public:
  // Opens or creates the database at `path` and migrates it to kSchemaVersion.
  static absl::StatusOr<std::unique_ptr<EventStore>> Open(const std::string& path,
                                                          const StoreOptions& options);

  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;
  ~EventStore() override;

  // Appends `events` (seq strictly increasing, the first above LastSeq()),
  // upserts the `calls` row of each event that carries a call snapshot, and
  // writes each of `configs` to `config_versions` with its config_applied
  // event (see EventLog), all in one transaction. On error nothing is
  // written. No events and no configs is a no-op.
  absl::Status Append(absl::Span<const core::Event> events,
                      absl::Span<const ConfigVersion> configs) override;

  // The highest stored seq, 0 for an empty log.
  absl::StatusOr<int64_t> LastSeq() override;

  // Keeps `checkpoint` as the one to resume the live KPIs from, in place of
  // the last, in its own transaction. `seq` must be committed already.
  absl::Status SaveKpiCheckpoint(int64_t seq, const core::LiveStatsCheckpoint& checkpoint) override;

  const std::string& path() const override { return db_.path(); }
  // Write transactions committed through this object (Append and
  // SaveKpiCheckpoint; not schema migrations).
  int64_t transactions_committed() const { return transactions_committed_; }

 private:
  EventStore(sqlite::Database db, StoreOptions options);

  absl::Status PrepareStatements();
  absl::Status AppendInTransaction(absl::Span<const core::Event> events,
                                   absl::Span<const ConfigVersion> configs);
  absl::Status InsertConfig(const ConfigVersion& version);
  absl::Status UpsertCall(const core::Event& event);
  absl::Status UpsertAgent(const core::Event& event);
  // Rolls back the open transaction, if SQLite has not already done so.
  void Rollback();

  sqlite::Database db_;
  StoreOptions options_;
  int64_t transactions_committed_ = 0;

  // Cached statements, prepared once at Open.
  sqlite::Statement begin_;
  sqlite::Statement commit_;
  sqlite::Statement rollback_;
  sqlite::Statement last_seq_;
  sqlite::Statement save_checkpoint_;
  sqlite::Statement insert_event_;
  sqlite::Statement upsert_call_;
  sqlite::Statement update_call_;
  sqlite::Statement upsert_agent_;
  sqlite::Statement insert_config_;
};

}  // namespace acd::store

#endif  // ACD_SERVER_STORE_EVENT_STORE_H_
