// Thin RAII wrappers over the SQLite C API, with errors mapped to absl::Status.
//
// Database owns one connection (sqlite3*); Statement owns one prepared
// statement (sqlite3_stmt*) and must not outlive the Database it came from.
// Both are move-only. Error mapping (SqliteStatus): busy, locked, I/O, full,
// can't open, read-only -> UNAVAILABLE (retrying may help); corrupt or not a
// database -> DATA_LOSS; out of memory -> RESOURCE_EXHAUSTED; everything else
// (constraints, SQL errors, misuse) -> INTERNAL. Messages carry the caller's
// context (what was being done, to which path or id), SQLite's own message and
// the result code name.
//
// Thread safety: none. A connection is opened with SQLITE_OPEN_NOMUTEX, so a
// Database and its Statements are used by one thread at a time.
#ifndef ACD_SERVER_STORE_SQLITE_H_
#define ACD_SERVER_STORE_SQLITE_H_

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace acd::store::sqlite {

// Maps a SQLite result code to a Status; `db` (may be null) supplies the
// detailed message when it has one for `rc`.
absl::Status SqliteStatus(int rc, sqlite3* db, absl::string_view context);

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based, as in SQLite. Text is copied (SQLITE_TRANSIENT),
  // so the argument need not outlive the call. Bind errors are reported by the
  // following Step(), which is where SQLite reports them too.
  void BindInt64(int index, int64_t value);
  void BindText(int index, absl::string_view value);
  void BindBlob(int index, absl::string_view bytes);
  // Binds NULL for an empty string: absent ids and reasons are NULL in the db.
  void BindTextOrNull(int index, absl::string_view value);
  void BindOptionalInt64(int index, std::optional<int64_t> value);

  // Advances the statement: true if a row is available, false when done.
  absl::StatusOr<bool> Step(absl::string_view context);
  // Steps a statement that returns no rows (or ignores them) to completion.
  absl::Status Run(absl::string_view context);
  // Makes the statement ready to run again and clears its bindings. Cheap;
  // cached statements are reset before every use.
  void Reset();

  // Columns are 0-based. Text of a NULL column is "".
  bool ColumnIsNull(int index) const;
  int64_t ColumnInt64(int index) const;
  std::optional<int64_t> ColumnOptionalInt64(int index) const;
  // Valid until the next Step() or Reset().
  absl::string_view ColumnText(int index) const;
  absl::string_view ColumnBlob(int index) const;

 private:
  absl::Status BindStatus(absl::string_view context);

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  // First bind error since the last Reset(); returned by Step().
  int bind_rc_ = SQLITE_OK;
};

// Resets a statement when leaving scope, so a cached statement never keeps a
// read transaction open (which would hold back WAL checkpoints) or stale
// bindings, whichever way the scope is left.
class ScopedReset {
 public:
  explicit ScopedReset(Statement* statement) : statement_(statement) {}
  ScopedReset(const ScopedReset&) = delete;
  ScopedReset& operator=(const ScopedReset&) = delete;
  ~ScopedReset() { statement_->Reset(); }

 private:
  Statement* statement_;
};

class Database {
 public:
  // Opens (creating if `create`) the database file at `path`.
  static absl::StatusOr<Database> Open(const std::string& path, bool create);
  // Opens an existing database file for reading only: SQLite refuses every
  // write through it (SQLITE_READONLY -> UNAVAILABLE).
  static absl::StatusOr<Database> OpenReadOnly(const std::string& path);

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Runs one or more SQL statements that return no rows.
  absl::Status Exec(const std::string& sql, absl::string_view context);
  absl::StatusOr<Statement> Prepare(absl::string_view sql);
  // Runs a query expected to return one integer (e.g. PRAGMA user_version).
  absl::StatusOr<int64_t> QueryInt64(const std::string& sql, absl::string_view context);
  // Runs a query expected to return one text value (e.g. PRAGMA journal_mode).
  absl::StatusOr<std::string> QueryText(const std::string& sql, absl::string_view context);

  // True outside any explicit transaction (SQLite rolls back by itself on some
  // errors, after which ROLLBACK would fail).
  bool autocommit() const { return sqlite3_get_autocommit(db_) != 0; }
  const std::string& path() const { return path_; }
  sqlite3* get() const { return db_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  static absl::StatusOr<Database> OpenWithFlags(const std::string& path, int flags);

  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace acd::store::sqlite

#endif  // ACD_SERVER_STORE_SQLITE_H_
