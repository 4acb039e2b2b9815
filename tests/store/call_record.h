// ReadCallRecord: a row of `calls` (a call detail record) as the store tests
// read it back, with SQL over a connection of their own. The daemon never reads
// a single row: reports aggregate the table (report_reader.h) and a restart
// reads the snapshots the rows point at (live_state.h).
#ifndef ACD_TESTS_STORE_CALL_RECORD_H_
#define ACD_TESTS_STORE_CALL_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/core/types.h"
#include "server/store/event_codec.h"
#include "server/store/event_store.h"
#include "server/store/sqlite.h"

namespace acd::store::testing {

// One row of `calls`.
struct CallRecord {
  std::string call_id;
  std::string queue;
  std::string state;  // core::CallStateName
  std::string agent_id;
  std::string disposition;
  std::string notes;
  std::string end_reason;
  int priority = 0;
  int missed_offers = 0;
  core::SkillLevels required_skills;
  core::Attributes attributes;
  std::optional<absl::Time> enqueued_at;
  std::optional<absl::Time> offered_at;
  std::optional<absl::Time> connected_at;
  std::optional<absl::Time> ended_at;
  std::optional<absl::Time> completed_at;
  // Millisecond precision. wait: until connected, or until the call ended
  // without being connected (abandoned, timed out ...). talk: connected to
  // ended. wrap_up: ended to completed. Absent while not known.
  std::optional<absl::Duration> wait;
  std::optional<absl::Duration> talk;
  std::optional<absl::Duration> wrap_up;
  int transfers = 0;
  std::string callback_number;
  int callback_attempts = 0;
  int64_t last_seq = 0;  // the event that last updated the row
};

// The row of `call_id` in the database at `path`, or nullopt if no event
// carried the call.
inline absl::StatusOr<std::optional<CallRecord>> ReadCallRecord(const std::string& path,
                                                                absl::string_view call_id) {
  absl::StatusOr<sqlite::Database> db = OpenReadConnection(path, absl::Seconds(5), "a test");
  if (!db.ok()) return db.status();
  absl::StatusOr<sqlite::Statement> statement = db->Prepare(
      "SELECT call_id, queue, state, priority, agent_id, enqueued_at_us, "
      "offered_at_us, connected_at_us, ended_at_us, completed_at_us, wait_ms, talk_ms, "
      "wrap_up_ms, disposition, notes, end_reason, missed_offers, attributes, "
      "required_skills, last_seq, transfers, callback_number, callback_attempts "
      "FROM calls WHERE call_id = ?1");
  if (!statement.ok()) return statement.status();
  sqlite::Statement& s = *statement;
  s.BindText(1, call_id);
  absl::StatusOr<bool> row = s.Step(absl::StrCat("reading the record of call '", call_id, "'"));
  if (!row.ok()) return row.status();
  if (!*row) return std::nullopt;
  auto time = [&s](int column) -> std::optional<absl::Time> {
    std::optional<int64_t> us = s.ColumnOptionalInt64(column);
    if (!us.has_value()) return std::nullopt;
    return absl::FromUnixMicros(*us);
  };
  auto millis = [&s](int column) -> std::optional<absl::Duration> {
    std::optional<int64_t> ms = s.ColumnOptionalInt64(column);
    if (!ms.has_value()) return std::nullopt;
    return absl::Milliseconds(*ms);
  };
  CallRecord record;
  record.call_id = std::string(s.ColumnText(0));
  record.queue = std::string(s.ColumnText(1));
  record.state = std::string(s.ColumnText(2));
  record.priority = static_cast<int>(s.ColumnInt64(3));
  record.agent_id = std::string(s.ColumnText(4));
  record.enqueued_at = time(5);
  record.offered_at = time(6);
  record.connected_at = time(7);
  record.ended_at = time(8);
  record.completed_at = time(9);
  record.wait = millis(10);
  record.talk = millis(11);
  record.wrap_up = millis(12);
  record.disposition = std::string(s.ColumnText(13));
  record.notes = std::string(s.ColumnText(14));
  record.end_reason = std::string(s.ColumnText(15));
  record.missed_offers = static_cast<int>(s.ColumnInt64(16));
  absl::StatusOr<core::Attributes> attributes = DecodeAttributes(s.ColumnText(17));
  if (!attributes.ok()) return attributes.status();
  record.attributes = *std::move(attributes);
  absl::StatusOr<core::SkillLevels> skills = DecodeSkillLevels(s.ColumnText(18));
  if (!skills.ok()) return skills.status();
  record.required_skills = *std::move(skills);
  record.last_seq = s.ColumnInt64(19);
  record.transfers = static_cast<int>(s.ColumnInt64(20));
  record.callback_number = std::string(s.ColumnText(21));
  record.callback_attempts = static_cast<int>(s.ColumnInt64(22));
  return record;
}

}  // namespace acd::store::testing

#endif  // ACD_TESTS_STORE_CALL_RECORD_H_
