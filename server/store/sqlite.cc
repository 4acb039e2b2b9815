#include "server/store/sqlite.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace acd::store::sqlite {

absl::Status SqliteStatus(int rc, sqlite3* db, absl::string_view context) {
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return absl::OkStatus();
  // sqlite3_errmsg describes the most recent failure on `db`; only trust it
  // when it is about this result code.
  std::string detail = sqlite3_errstr(rc);
  if (db != nullptr && sqlite3_extended_errcode(db) == rc) detail = sqlite3_errmsg(db);
  std::string message = absl::StrCat(context, ": ", detail, " (sqlite ", rc, ")");
  if (db != nullptr && sqlite3_system_errno(db) != 0 &&
      ((rc & 0xff) == SQLITE_CANTOPEN || (rc & 0xff) == SQLITE_IOERR)) {
    absl::StrAppend(&message, ": ", std::strerror(sqlite3_system_errno(db)));
  }
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_PROTOCOL:
    case SQLITE_NOLFS:
    case SQLITE_INTERRUPT:
      return absl::UnavailableError(message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(message);
    case SQLITE_NOMEM:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::InternalError(message);
  }
}

// --- Statement ---

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      bind_rc_(other.bind_rc_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
    bind_rc_ = other.bind_rc_;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::BindInt64(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

void Statement::BindText(int index, absl::string_view value) {
  int rc =
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

void Statement::BindBlob(int index, absl::string_view bytes) {
  int rc = sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

void Statement::BindTextOrNull(int index, absl::string_view value) {
  if (value.empty()) {
    int rc = sqlite3_bind_null(stmt_, index);
    if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  } else {
    BindText(index, value);
  }
}

void Statement::BindOptionalInt64(int index, std::optional<int64_t> value) {
  if (value.has_value()) {
    BindInt64(index, *value);
  } else {
    int rc = sqlite3_bind_null(stmt_, index);
    if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }
}

absl::Status Statement::BindStatus(absl::string_view context) {
  return SqliteStatus(bind_rc_, db_, absl::StrCat(context, " (binding parameters)"));
}

absl::StatusOr<bool> Statement::Step(absl::string_view context) {
  if (bind_rc_ != SQLITE_OK) return BindStatus(context);
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteStatus(rc, db_, context);
}

absl::Status Statement::Run(absl::string_view context) {
  while (true) {
    absl::StatusOr<bool> row = Step(context);
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
  }
}

void Statement::Reset() {
  // sqlite3_reset repeats the last step's error; that error was already
  // reported by Step().
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_rc_ = SQLITE_OK;
}

bool Statement::ColumnIsNull(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

int64_t Statement::ColumnInt64(int index) const { return sqlite3_column_int64(stmt_, index); }

std::optional<int64_t> Statement::ColumnOptionalInt64(int index) const {
  if (ColumnIsNull(index)) return std::nullopt;
  return ColumnInt64(index);
}

absl::string_view Statement::ColumnBlob(int index) const {
  const void* bytes = sqlite3_column_blob(stmt_, index);
  if (bytes == nullptr) return {};
  return absl::string_view(static_cast<const char*>(bytes),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, index)));
}

absl::string_view Statement::ColumnText(int index) const {
  const unsigned char* text = sqlite3_column_text(stmt_, index);
  if (text == nullptr) return {};
  return absl::string_view(reinterpret_cast<const char*>(text),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, index)));
}

// --- Database ---

absl::StatusOr<Database> Database::Open(const std::string& path, bool create) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (create) flags |= SQLITE_OPEN_CREATE;
  return OpenWithFlags(path, flags);
}

absl::StatusOr<Database> Database::OpenReadOnly(const std::string& path) {
  return OpenWithFlags(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
}

absl::StatusOr<Database> Database::OpenWithFlags(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = SqliteStatus(rc, db, absl::StrCat("cannot open database '", path, "'"));
    sqlite3_close_v2(db);  // a handle is allocated even on failure
    return status;
  }
  // Extended codes name the failing operation (e.g. SQLITE_IOERR_FSYNC).
  sqlite3_extended_result_codes(db, 1);
  return Database(db, path);
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

// close_v2 defers the close until every statement is finalized, so member
// destruction order between a Database and its Statements does not matter.
Database::~Database() { sqlite3_close_v2(db_); }

absl::Status Database::Exec(const std::string& sql, absl::string_view context) {
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  return SqliteStatus(rc, db_, context);
}

absl::StatusOr<Statement> Database::Prepare(absl::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, db_, absl::StrCat("preparing \"", sql, "\" on '", path_, "'"));
  }
  return Statement(db_, stmt);
}

absl::StatusOr<int64_t> Database::QueryInt64(const std::string& sql, absl::string_view context) {
  absl::StatusOr<Statement> stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  absl::StatusOr<bool> row = stmt->Step(context);
  if (!row.ok()) return row.status();
  if (!*row) return absl::InternalError(absl::StrCat(context, ": no row from \"", sql, "\""));
  return stmt->ColumnInt64(0);
}

absl::StatusOr<std::string> Database::QueryText(const std::string& sql, absl::string_view context) {
  absl::StatusOr<Statement> stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  absl::StatusOr<bool> row = stmt->Step(context);
  if (!row.ok()) return row.status();
  if (!*row) return absl::InternalError(absl::StrCat(context, ": no row from \"", sql, "\""));
  return std::string(stmt->ColumnText(0));
}

}  // namespace acd::store::sqlite
