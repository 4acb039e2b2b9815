#include "server/store/event_store.h"

#include <iterator>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/store/event_codec.h"
#include "server/store/kpi_checkpoint_codec.h"
#include "server/store/status_macros.h"

namespace acd::store {
namespace {

// Forward migrations: entry i takes the schema from version i to i + 1. Each
// runs in its own transaction together with the user_version bump, so a crash
// leaves the database at a whole version. Append only; never edit a shipped
// entry.
constexpr const char* kMigrations[] = {
    // 0 -> 1: the initial schema.
    R"sql(
CREATE TABLE events (
  seq      INTEGER PRIMARY KEY,
  time_us  INTEGER NOT NULL,
  type     TEXT NOT NULL,
  call_id  TEXT,
  agent_id TEXT,
  queue    TEXT,
  reason   TEXT,
  payload  TEXT NOT NULL
);
CREATE INDEX events_by_call ON events(call_id) WHERE call_id IS NOT NULL;
CREATE INDEX events_by_agent ON events(agent_id) WHERE agent_id IS NOT NULL;

CREATE TABLE calls (
  call_id         TEXT PRIMARY KEY,
  queue           TEXT NOT NULL,
  state           TEXT NOT NULL,
  priority        INTEGER NOT NULL,
  agent_id        TEXT,
  enqueued_at_us  INTEGER,
  offered_at_us   INTEGER,
  connected_at_us INTEGER,
  ended_at_us     INTEGER,
  completed_at_us INTEGER,
  wait_ms         INTEGER,
  talk_ms         INTEGER,
  wrap_up_ms      INTEGER,
  disposition     TEXT,
  notes           TEXT,
  end_reason      TEXT,
  missed_offers   INTEGER NOT NULL DEFAULT 0,
  attributes      TEXT NOT NULL DEFAULT '{}',
  required_skills TEXT NOT NULL DEFAULT '{}',
  last_seq        INTEGER NOT NULL
);
CREATE INDEX calls_by_queue ON calls(queue, enqueued_at_us);
CREATE INDEX calls_by_agent ON calls(agent_id) WHERE agent_id IS NOT NULL;

CREATE TABLE config_versions (
  id            INTEGER PRIMARY KEY,
  hash          TEXT NOT NULL,
  text          TEXT NOT NULL,
  applied_at_us INTEGER NOT NULL
);
)sql",
    // 1 -> 2: what reports need of a call (transfers, callbacks), and agent
    // reports read by (agent, arrival) like queue reports by (queue, arrival).
    // Rows written at v1 get the values from the snapshot of the event that
    // last wrote them (payloads carry these fields); 0 / NULL where it has none.
    R"sql(
ALTER TABLE calls ADD COLUMN transfers INTEGER NOT NULL DEFAULT 0;
ALTER TABLE calls ADD COLUMN callback_number TEXT;
ALTER TABLE calls ADD COLUMN callback_attempts INTEGER NOT NULL DEFAULT 0;
UPDATE calls SET
  transfers = coalesce((SELECT json_extract(payload, '$.call.transfers') FROM events
                        WHERE seq = calls.last_seq AND json_valid(payload)), 0),
  callback_number = (SELECT nullif(json_extract(payload, '$.call.callback_number'), '')
                     FROM events WHERE seq = calls.last_seq AND json_valid(payload)),
  callback_attempts = coalesce((SELECT json_extract(payload, '$.call.callback_attempts')
                                FROM events WHERE seq = calls.last_seq AND json_valid(payload)), 0);
DROP INDEX calls_by_agent;
CREATE INDEX calls_by_agent ON calls(agent_id, enqueued_at_us) WHERE agent_id IS NOT NULL;
)sql",
    // 2 -> 3: what a restart reads back (live_state.h): each call's original
    // request (NULL for calls written before), the latest snapshot of every
    // agent (found from the log here), and an index of the live calls.
    R"sql(
ALTER TABLE calls ADD COLUMN request TEXT;
CREATE TABLE agents (
  agent_id TEXT PRIMARY KEY,
  state    TEXT NOT NULL,
  last_seq INTEGER NOT NULL
);
INSERT INTO agents (agent_id, state, last_seq)
  SELECT agent_id, json_extract(payload, '$.agent.state'), max(seq) FROM events
  WHERE agent_id IS NOT NULL AND json_valid(payload)
    AND json_extract(payload, '$.agent.agent_id') IS NOT NULL
  GROUP BY agent_id;
CREATE INDEX calls_live ON calls(last_seq)
  WHERE state IN ('queued', 'offered', 'connected', 'wrap_up', 'callback_scheduled');
)sql",
    // 3 -> 4: the latest finished calls, read back at start-up too (so that
    // GetCall and a retried EnqueueCall find them as before the restart),
    // newest first.
    R"sql(
CREATE INDEX calls_finished ON calls(last_seq)
  WHERE state NOT IN ('queued', 'offered', 'connected', 'wrap_up', 'callback_scheduled');
)sql",
    // 4 -> 5: no reader uses the events indexes by call and agent (event
    // streams read a seq range of the primary key and filter it), and every
    // event paid for them in each commit's WAL pages.
    R"sql(
DROP INDEX IF EXISTS events_by_call;
DROP INDEX IF EXISTS events_by_agent;
)sql",
    // 5 -> 6: the live KPIs' latest checkpoint (one row), so that a restart
    // replays the events after it rather than the whole day's.
    R"sql(
CREATE TABLE kpi_checkpoint (
  id      INTEGER PRIMARY KEY CHECK (id = 1),
  seq     INTEGER NOT NULL,
  payload BLOB NOT NULL
);
)sql",
};
static_assert(std::size(kMigrations) == kSchemaVersion,
              "kSchemaVersion must equal the number of migrations");

constexpr char kInsertEventSql[] =
    "INSERT INTO events (seq, time_us, type, call_id, agent_id, queue, reason, payload) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

// Later events win; the WHERE keeps an older snapshot from overwriting a newer
// one should events ever be replayed.
constexpr char kUpsertCallSql[] = R"sql(
INSERT INTO calls (call_id, queue, state, priority, agent_id, enqueued_at_us, offered_at_us,
                   connected_at_us, ended_at_us, completed_at_us, wait_ms, talk_ms, wrap_up_ms,
                   disposition, notes, end_reason, missed_offers, attributes, required_skills,
                   last_seq, transfers, callback_number, callback_attempts, request)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
        ?21, ?22, ?23, ?24)
ON CONFLICT (call_id) DO UPDATE SET
  queue = excluded.queue, state = excluded.state, priority = excluded.priority,
  agent_id = excluded.agent_id, enqueued_at_us = excluded.enqueued_at_us,
  offered_at_us = excluded.offered_at_us, connected_at_us = excluded.connected_at_us,
  ended_at_us = excluded.ended_at_us, completed_at_us = excluded.completed_at_us,
  wait_ms = excluded.wait_ms, talk_ms = excluded.talk_ms, wrap_up_ms = excluded.wrap_up_ms,
  disposition = excluded.disposition, notes = excluded.notes, end_reason = excluded.end_reason,
  missed_offers = excluded.missed_offers, attributes = excluded.attributes,
  required_skills = excluded.required_skills, last_seq = excluded.last_seq,
  transfers = excluded.transfers, callback_number = excluded.callback_number,
  callback_attempts = excluded.callback_attempts,
  request = coalesce(excluded.request, calls.request)
WHERE excluded.last_seq > calls.last_seq
)sql";

// The same snapshot, when the row exists with the same queue, agent and
// arrival: only the columns no index keys on (calls_by_queue, calls_by_agent)
// are set. SQLite rewrites an index whose column an UPDATE sets, even to the
// value it has, so the upsert above would cost both indexes a page on every
// event of a call; this costs them nothing on most. Changes no row otherwise,
// and the upsert runs instead. Binds the upsert's parameters.
constexpr char kUpdateCallSql[] = R"sql(
UPDATE calls SET
  state = ?3, priority = ?4, offered_at_us = ?7, connected_at_us = ?8, ended_at_us = ?9,
  completed_at_us = ?10, wait_ms = ?11, talk_ms = ?12, wrap_up_ms = ?13, disposition = ?14,
  notes = ?15, end_reason = ?16, missed_offers = ?17, attributes = ?18, required_skills = ?19,
  last_seq = ?20, transfers = ?21, callback_number = ?22, callback_attempts = ?23,
  request = coalesce(?24, request)
WHERE call_id = ?1 AND queue = ?2 AND agent_id IS ?5 AND enqueued_at_us = ?6 AND last_seq < ?20
)sql";

constexpr char kUpsertAgentSql[] = R"sql(
INSERT INTO agents (agent_id, state, last_seq) VALUES (?1, ?2, ?3)
ON CONFLICT (agent_id) DO UPDATE SET state = excluded.state, last_seq = excluded.last_seq
WHERE excluded.last_seq > agents.last_seq
)sql";

std::optional<int64_t> Micros(const std::optional<absl::Time>& t) {
  if (!t.has_value()) return std::nullopt;
  return absl::ToUnixMicros(*t);
}

std::optional<int64_t> MillisBetween(const std::optional<absl::Time>& from,
                                     const std::optional<absl::Time>& to) {
  if (!from.has_value() || !to.has_value()) return std::nullopt;
  return absl::ToInt64Milliseconds(*to - *from);
}

// The database's schema version; FAILED_PRECONDITION if this code is too old
// for it.
absl::StatusOr<int64_t> ReadSchemaVersion(sqlite::Database& db) {
  const std::string& path = db.path();
  ACD_ASSIGN_OR_RETURN(int64_t version,
                       db.QueryInt64("PRAGMA user_version",
                                     absl::StrCat("reading the schema version of '", path, "'")));
  if (version > kSchemaVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("database '", path, "' has schema version ", version,
                     ", newer than the version this acd knows (", kSchemaVersion,
                     "); run a newer acd or restore an older database"));
  }
  return version;
}

absl::Status Migrate(sqlite::Database& db) {
  const std::string& path = db.path();
  ACD_ASSIGN_OR_RETURN(int64_t version, ReadSchemaVersion(db));
  for (int target = static_cast<int>(version) + 1; target <= kSchemaVersion; ++target) {
    std::string context = absl::StrCat("migrating '", path, "' to schema version ", target);
    ACD_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE", context));
    // Another process may have migrated between our read and our lock.
    absl::StatusOr<int64_t> current = db.QueryInt64("PRAGMA user_version", context);
    absl::Status status = current.status();
    if (status.ok() && *current < target) {
      status = db.Exec(kMigrations[target - 1], context);
      if (status.ok()) status = db.Exec(absl::StrCat("PRAGMA user_version = ", target), context);
    }
    if (status.ok()) status = db.Exec("COMMIT", context);
    if (!status.ok()) {
      if (!db.autocommit()) db.Exec("ROLLBACK", context).IgnoreError();
      return status;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventStore>> EventStore::Open(const std::string& path,
                                                             const StoreOptions& options) {
  ACD_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(path, /*create=*/true));
  std::string context = absl::StrCat("opening '", path, "'");
  sqlite3_busy_timeout(db.get(), static_cast<int>(absl::ToInt64Milliseconds(options.busy_timeout)));
  // Check the version before anything writes to the file (journal_mode=WAL
  // does), so a newer database is left exactly as it was.
  ACD_RETURN_IF_ERROR(ReadSchemaVersion(db).status());

  ACD_ASSIGN_OR_RETURN(std::string mode, db.QueryText("PRAGMA journal_mode = WAL", context));
  mode = absl::AsciiStrToLower(mode);
  if (mode != "wal" && !(path == ":memory:" && mode == "memory")) {
    return absl::FailedPreconditionError(
        absl::StrCat(context, ": the database cannot use WAL mode (journal_mode is '", mode, "')"));
  }
  ACD_RETURN_IF_ERROR(db.Exec(
      options.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
      context));
  ACD_RETURN_IF_ERROR(Migrate(db));

  std::unique_ptr<EventStore> store(new EventStore(std::move(db), options));
  ACD_RETURN_IF_ERROR(store->PrepareStatements());
  return store;
}

EventStore::EventStore(sqlite::Database db, StoreOptions options)
    : db_(std::move(db)), options_(std::move(options)) {}

EventStore::~EventStore() = default;

absl::Status EventStore::PrepareStatements() {
  // IMMEDIATE takes the write lock up front: a deferred transaction that
  // upgrades from read to write can fail with SQLITE_BUSY without waiting.
  ACD_ASSIGN_OR_RETURN(begin_, db_.Prepare("BEGIN IMMEDIATE"));
  ACD_ASSIGN_OR_RETURN(commit_, db_.Prepare("COMMIT"));
  ACD_ASSIGN_OR_RETURN(rollback_, db_.Prepare("ROLLBACK"));
  ACD_ASSIGN_OR_RETURN(last_seq_, db_.Prepare("SELECT coalesce(max(seq), 0) FROM events"));
  ACD_ASSIGN_OR_RETURN(save_checkpoint_,
                       db_.Prepare("INSERT OR REPLACE INTO kpi_checkpoint (id, seq, payload) "
                                   "VALUES (1, ?1, ?2)"));
  ACD_ASSIGN_OR_RETURN(insert_event_, db_.Prepare(kInsertEventSql));
  ACD_ASSIGN_OR_RETURN(upsert_call_, db_.Prepare(kUpsertCallSql));
  ACD_ASSIGN_OR_RETURN(update_call_, db_.Prepare(kUpdateCallSql));
  ACD_ASSIGN_OR_RETURN(upsert_agent_, db_.Prepare(kUpsertAgentSql));
  ACD_ASSIGN_OR_RETURN(insert_config_,
                       db_.Prepare("INSERT INTO config_versions (hash, text, applied_at_us) "
                                   "VALUES (?1, ?2, ?3)"));
  return absl::OkStatus();
}

absl::Status EventStore::Append(absl::Span<const core::Event> events,
                                absl::Span<const ConfigVersion> configs) {
  if (events.empty() && configs.empty()) return absl::OkStatus();
  for (size_t i = 1; i < events.size(); ++i) {
    if (events[i].seq <= events[i - 1].seq) {
      return absl::InvalidArgumentError(absl::StrCat("events to append to '", path(),
                                                     "' are out of order: seq ", events[i].seq,
                                                     " follows seq ", events[i - 1].seq));
    }
  }
  ACD_RETURN_IF_ERROR(CheckConfigVersions(events, configs, path()));
  std::string context = absl::StrCat("appending events ", events.front().seq, "..",
                                     events.back().seq, " to '", path(), "'");
  {
    sqlite::ScopedReset reset(&begin_);
    ACD_RETURN_IF_ERROR(begin_.Run(context));
  }
  absl::Status status = AppendInTransaction(events, configs);
  if (status.ok()) {
    sqlite::ScopedReset reset(&commit_);
    status = commit_.Run(absl::StrCat("committing ", context));
  }
  if (!status.ok()) {
    Rollback();
    return status;
  }
  ++transactions_committed_;
  return absl::OkStatus();
}

absl::Status EventStore::AppendInTransaction(absl::Span<const core::Event> events,
                                             absl::Span<const ConfigVersion> configs) {
  // Checked inside the transaction, against what is on disk.
  ACD_ASSIGN_OR_RETURN(int64_t last_seq, LastSeq());
  if (events.front().seq <= last_seq) {
    return absl::InvalidArgumentError(absl::StrCat("cannot append event seq ", events.front().seq,
                                                   " to '", path(), "': seq ", last_seq,
                                                   " is already stored"));
  }
  // CheckConfigVersions matched each version to its event, in order.
  const ConfigVersion* next_config = configs.begin();
  for (const core::Event& event : events) {
    sqlite::ScopedReset reset(&insert_event_);
    insert_event_.BindInt64(1, event.seq);
    insert_event_.BindInt64(2, absl::ToUnixMicros(event.time));
    insert_event_.BindText(3, core::EventTypeName(event.type));
    insert_event_.BindTextOrNull(4, event.call_id);
    insert_event_.BindTextOrNull(5, event.agent_id);
    insert_event_.BindTextOrNull(6, event.queue);
    insert_event_.BindTextOrNull(7, event.reason);
    insert_event_.BindText(8, EncodeEventPayload(event));
    ACD_RETURN_IF_ERROR(
        insert_event_.Run(absl::StrCat("inserting event seq ", event.seq, " into '", path(), "'")));
    if (event.call.has_value()) ACD_RETURN_IF_ERROR(UpsertCall(event));
    if (event.agent.has_value()) ACD_RETURN_IF_ERROR(UpsertAgent(event));
    if (next_config != configs.end() && next_config->seq == event.seq) {
      ACD_RETURN_IF_ERROR(InsertConfig(*next_config));
      ++next_config;
    }
  }
  return absl::OkStatus();
}

absl::Status EventStore::InsertConfig(const ConfigVersion& version) {
  sqlite::ScopedReset reset(&insert_config_);
  insert_config_.BindText(1, version.hash);
  insert_config_.BindText(2, version.text);
  insert_config_.BindInt64(3, absl::ToUnixMicros(version.applied_at));
  return insert_config_.Run(
      absl::StrCat("recording config version ", version.hash, " in '", path(), "'"));
}

absl::Status EventStore::UpsertCall(const core::Event& event) {
  const core::Call& call = *event.call;
  const std::string& call_id = call.call_id.empty() ? event.call_id : call.call_id;
  std::string context = absl::StrCat("updating the record of call '", call_id, "' (event seq ",
                                     event.seq, ") in '", path(), "'");

  // A call that ended without being connected (abandoned, timed out,
  // rejected ...) waited until it ended; if the snapshot has no end time the
  // event that finished it does.
  std::optional<absl::Time> ended_at = call.ended_at;
  if (!ended_at.has_value() && !call.connected_at.has_value() && core::IsFinal(call.state)) {
    ended_at = event.time;
  }
  std::optional<int64_t> wait_ms = call.connected_at.has_value()
                                       ? MillisBetween(call.enqueued_at, call.connected_at)
                                       : MillisBetween(call.enqueued_at, ended_at);

  const std::string attributes = EncodeAttributes(call.attributes);
  const std::string required_skills = EncodeSkillLevels(call.required_skills);
  const std::string request =
      event.request.has_value() ? EncodeEnqueueRequest(*event.request) : std::string();
  auto bind = [&](sqlite::Statement& row) {
    row.BindText(1, call_id);
    row.BindText(2, call.queue);
    row.BindText(3, core::CallStateName(call.state));
    row.BindInt64(4, call.priority);
    row.BindTextOrNull(5, call.agent_id);
    row.BindInt64(6, absl::ToUnixMicros(call.enqueued_at));
    row.BindOptionalInt64(7, Micros(call.offered_at));
    row.BindOptionalInt64(8, Micros(call.connected_at));
    row.BindOptionalInt64(9, Micros(ended_at));
    row.BindOptionalInt64(10, Micros(call.completed_at));
    row.BindOptionalInt64(11, wait_ms);
    row.BindOptionalInt64(12, MillisBetween(call.connected_at, call.ended_at));
    row.BindOptionalInt64(13, MillisBetween(call.ended_at, call.completed_at));
    row.BindTextOrNull(14, call.disposition);
    row.BindTextOrNull(15, call.notes);
    row.BindTextOrNull(16, call.end_reason);
    row.BindInt64(17, call.missed_offers);
    row.BindText(18, attributes);
    row.BindText(19, required_skills);
    row.BindInt64(20, event.seq);
    row.BindInt64(21, call.transfers);
    row.BindTextOrNull(22, call.callback_number);
    row.BindInt64(23, call.callback_attempts);
    row.BindTextOrNull(24, request);
  };
  {
    sqlite::ScopedReset reset(&update_call_);
    bind(update_call_);
    ACD_RETURN_IF_ERROR(update_call_.Run(context));
    if (sqlite3_changes(db_.get()) > 0) return absl::OkStatus();
  }
  sqlite::ScopedReset reset(&upsert_call_);
  bind(upsert_call_);
  return upsert_call_.Run(context);
}

absl::Status EventStore::UpsertAgent(const core::Event& event) {
  const core::Agent& agent = *event.agent;
  sqlite::ScopedReset reset(&upsert_agent_);
  upsert_agent_.BindText(1, agent.agent_id);
  upsert_agent_.BindText(2, core::AgentStateName(agent.state));
  upsert_agent_.BindInt64(3, event.seq);
  return upsert_agent_.Run(absl::StrCat("updating the record of agent '", agent.agent_id,
                                        "' (event seq ", event.seq, ") in '", path(), "'"));
}

void EventStore::Rollback() {
  // After some errors (e.g. SQLITE_FULL, SQLITE_IOERR) SQLite has already
  // rolled back, and a second ROLLBACK would only add a confusing error.
  if (db_.autocommit()) return;
  sqlite::ScopedReset reset(&rollback_);
  rollback_.Run("rollback").IgnoreError();
}

absl::StatusOr<int64_t> EventStore::LastSeq() {
  sqlite::ScopedReset reset(&last_seq_);
  std::string context = absl::StrCat("reading the last seq of '", path(), "'");
  ACD_ASSIGN_OR_RETURN(bool row, last_seq_.Step(context));
  if (!row) return absl::InternalError(absl::StrCat(context, ": no row"));
  return last_seq_.ColumnInt64(0);
}

absl::StatusOr<sqlite::Database> OpenReadConnection(const std::string& path,
                                                    absl::Duration busy_timeout,
                                                    absl::string_view purpose) {
  ACD_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::OpenReadOnly(path));
  sqlite3_busy_timeout(db.get(), static_cast<int>(absl::ToInt64Milliseconds(busy_timeout)));
  const std::string context = absl::StrCat("opening '", path, "' for ", purpose);
  ACD_ASSIGN_OR_RETURN(int64_t version, db.QueryInt64("PRAGMA user_version", context));
  if (version != kSchemaVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat(context, ": schema version ", version, ", expected ", kSchemaVersion,
                     " (open it with the event store first, which migrates it)"));
  }
  return db;
}

absl::Status EventStore::SaveKpiCheckpoint(int64_t seq,
                                           const core::LiveStatsCheckpoint& checkpoint) {
  sqlite::ScopedReset reset(&save_checkpoint_);
  save_checkpoint_.BindInt64(1, seq);
  save_checkpoint_.BindBlob(2, EncodeKpiCheckpoint(checkpoint));
  // A single statement outside BEGIN is its own transaction.
  ACD_RETURN_IF_ERROR(save_checkpoint_.Run(
      absl::StrCat("saving the live KPIs' checkpoint at seq ", seq, " in '", path(), "'")));
  ++transactions_committed_;
  return absl::OkStatus();
}

}  // namespace acd::store
