// Generic output helpers of acdctl: aligned tables, key/value views, times,
// durations, enum labels and JSON. Nothing here knows the acd messages; the
// per-message views are in views.h.
#ifndef ACD_CLIENT_ACDCTL_OUTPUT_H_
#define ACD_CLIENT_ACDCTL_OUTPUT_H_

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/generated_enum_reflection.h>
#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include <cstddef>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace acd::ctl {

// Columns aligned to the widest cell. Rows are buffered until Print().
class Table {
 public:
  explicit Table(std::vector<std::string> header);

  // A row shorter than the header is padded with empty cells.
  void AddRow(std::vector<std::string> row);
  void Print(std::ostream& out) const;
  // The same rows as CSV (RFC 4180): comma-separated, a cell quoted when it
  // holds a comma, a quote or a line break.
  void PrintCsv(std::ostream& out) const;

 private:
  std::vector<std::vector<std::string>> rows_;  // rows_[0] is the header.
};

// Fixed-width columns for live streams, where a later row cannot widen the
// rows already printed. A cell wider than its column pushes the rest right.
// The header comes with the first row, so a failed or empty stream prints none.
class StreamTable {
 public:
  struct Column {
    std::string header;
    size_t width;
  };

  explicit StreamTable(std::vector<Column> columns);

  // Prints one line and flushes, so `| grep` sees it at once.
  void PrintRow(std::ostream& out, const std::vector<std::string>& cells);

 private:
  void PrintLine(std::ostream& out, const std::vector<std::string>& cells) const;

  std::vector<Column> columns_;
  bool header_printed_ = false;
};

// "key:  value" lines with the values aligned: the view of one record.
using Fields = std::vector<std::pair<std::string, std::string>>;
void PrintFields(std::ostream& out, const Fields& fields);

// One reply: its JSON (indented) in json mode, else `fields` as a view.
void PrintRecord(std::ostream& out, bool json, const google::protobuf::Message& message,
                 const Fields& fields);

// What relative formatting needs: the current time and the local time zone.
// Passed in rather than read inside, so output is reproducible.
struct Clock {
  absl::Time now;
  absl::TimeZone zone;

  static Clock Local();
};

absl::Time ToTime(const google::protobuf::Timestamp& ts);
absl::Duration ToDuration(const google::protobuf::Duration& d);
bool IsSet(const google::protobuf::Timestamp& ts);

// "HH:MM:SS" for today in `clock.zone`, "YYYY-MM-DD HH:MM:SS" otherwise, "-"
// for an unset timestamp.
std::string FormatClockTime(const google::protobuf::Timestamp& ts, const Clock& clock);
std::string FormatClockTime(absl::Time t, const Clock& clock);

// "45s", "1m05s", "2h03m07s"; below a second "250ms"; "0s" for zero.
std::string FormatShortDuration(absl::Duration d);
std::string FormatShortDuration(const google::protobuf::Duration& d);

// An enum value without its type prefix, lower-case: CALL_STATE_WRAP_UP ->
// "wrap_up". An unknown number prints as the number.
std::string EnumLabel(const google::protobuf::EnumDescriptor* descriptor, int value);
template <typename Enum>
std::string Label(Enum value) {
  return EnumLabel(google::protobuf::GetEnumDescriptor<Enum>(), static_cast<int>(value));
}

// "-" for an empty string, so table cells never vanish.
std::string OrDash(absl::string_view s);

// Proto3 JSON with the .proto field names. `pretty` indents (for one reply);
// otherwise one line (for streams: one object per line).
std::string ToJson(const google::protobuf::Message& message, bool pretty);
void PrintJson(std::ostream& out, const google::protobuf::Message& message, bool pretty);

}  // namespace acd::ctl

#endif  // ACD_CLIENT_ACDCTL_OUTPUT_H_
