#include "client/acdctl/output.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"

namespace acd::ctl {
namespace {

constexpr int kColumnGap = 2;

// Cells padded to `widths` (a missing width counts as 0) and joined by the
// gap; no trailing blanks, which only get in the way of diff and tests.
std::string FormatLine(const std::vector<std::string>& cells, const std::vector<size_t>& widths) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) line.append(kColumnGap, ' ');
    line += cells[i];
    const size_t width = i < widths.size() ? widths[i] : 0;
    if (cells[i].size() < width) line.append(width - cells[i].size(), ' ');
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

// CallState -> "CALL_STATE_".
std::string EnumPrefix(const std::string& type_name) {
  std::string prefix;
  for (size_t i = 0; i < type_name.size(); ++i) {
    const char c = type_name[i];
    if (i > 0 && absl::ascii_isupper(c)) prefix += '_';
    prefix += absl::ascii_toupper(c);
  }
  return prefix + "_";
}

}  // namespace

Table::Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }

void Table::AddRow(std::vector<std::string> row) {
  row.resize(std::max(row.size(), rows_.front().size()));
  rows_.push_back(std::move(row));
}

void Table::Print(std::ostream& out) const {
  std::vector<size_t> widths(rows_.front().size(), 0);
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  for (const auto& row : rows_) out << FormatLine(row, widths) << '\n';
}

void Table::PrintCsv(std::ostream& out) const {
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) out << ',';
      const std::string& cell = row[i];
      if (cell.find_first_of(",\"\r\n") == std::string::npos) {
        out << cell;
      } else {
        out << '"' << absl::StrReplaceAll(cell, {{"\"", "\"\""}}) << '"';
      }
    }
    out << '\n';
  }
}

StreamTable::StreamTable(std::vector<Column> columns) : columns_(std::move(columns)) {}

void StreamTable::PrintRow(std::ostream& out, const std::vector<std::string>& cells) {
  if (!header_printed_) {
    std::vector<std::string> header;
    for (const auto& column : columns_) header.push_back(column.header);
    PrintLine(out, header);
    header_printed_ = true;
  }
  PrintLine(out, cells);
}

void StreamTable::PrintLine(std::ostream& out, const std::vector<std::string>& cells) const {
  std::vector<size_t> widths;
  for (const auto& column : columns_) widths.push_back(column.width);
  out << FormatLine(cells, widths) << std::endl;
}

void PrintFields(std::ostream& out, const Fields& fields) {
  size_t width = 0;
  for (const auto& [key, value] : fields) width = std::max(width, key.size() + 1);
  for (const auto& [key, value] : fields) {
    out << key << ':' << std::string(width - key.size() - 1 + kColumnGap, ' ') << value << '\n';
  }
}

void PrintRecord(std::ostream& out, bool json, const google::protobuf::Message& message,
                 const Fields& fields) {
  if (json) {
    PrintJson(out, message, /*pretty=*/true);
  } else {
    PrintFields(out, fields);
  }
}

Clock Clock::Local() { return Clock{absl::Now(), absl::LocalTimeZone()}; }

absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

absl::Duration ToDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

bool IsSet(const google::protobuf::Timestamp& ts) { return ts.seconds() != 0 || ts.nanos() != 0; }

std::string FormatClockTime(const google::protobuf::Timestamp& ts, const Clock& clock) {
  if (!IsSet(ts)) return "-";
  return FormatClockTime(ToTime(ts), clock);
}

std::string FormatClockTime(absl::Time t, const Clock& clock) {
  const bool today = absl::ToCivilDay(t, clock.zone) == absl::ToCivilDay(clock.now, clock.zone);
  return absl::FormatTime(today ? "%H:%M:%S" : "%Y-%m-%d %H:%M:%S", t, clock.zone);
}

std::string FormatShortDuration(absl::Duration d) {
  std::string sign;
  if (d < absl::ZeroDuration()) {
    sign = "-";
    d = -d;
  }
  if (d == absl::ZeroDuration()) return "0s";
  if (d < absl::Seconds(1)) {
    return absl::StrCat(sign, absl::ToInt64Milliseconds(d), "ms");
  }
  const int64_t total = absl::ToInt64Seconds(d);
  const int64_t hours = total / 3600;
  const int64_t minutes = total / 60 % 60;
  const int64_t seconds = total % 60;
  if (hours > 0) return absl::StrFormat("%s%dh%02dm%02ds", sign, hours, minutes, seconds);
  if (minutes > 0) return absl::StrFormat("%s%dm%02ds", sign, minutes, seconds);
  return absl::StrFormat("%s%ds", sign, seconds);
}

std::string FormatShortDuration(const google::protobuf::Duration& d) {
  return FormatShortDuration(ToDuration(d));
}

std::string EnumLabel(const google::protobuf::EnumDescriptor* descriptor, int value) {
  const google::protobuf::EnumValueDescriptor* v = descriptor->FindValueByNumber(value);
  if (v == nullptr) return absl::StrCat(value);
  absl::string_view name = v->name();
  const std::string prefix = EnumPrefix(descriptor->name());
  if (absl::StartsWith(name, prefix) && name.size() > prefix.size()) {
    name.remove_prefix(prefix.size());
  }
  return absl::AsciiStrToLower(name);
}

std::string OrDash(absl::string_view s) { return s.empty() ? "-" : std::string(s); }

std::string ToJson(const google::protobuf::Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.add_whitespace = pretty;
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  // Only an unresolvable Any can fail here, and the acd API has none; still,
  // say so in-band rather than print nothing.
  if (!status.ok()) {
    return absl::StrCat("{\"error\": \"cannot print as JSON: ", status.ToString(), "\"}");
  }
  while (!json.empty() && absl::ascii_isspace(json.back())) json.pop_back();
  return json;
}

void PrintJson(std::ostream& out, const google::protobuf::Message& message, bool pretty) {
  out << ToJson(message, pretty) << std::endl;
}

}  // namespace acd::ctl
