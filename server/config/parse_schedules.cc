// ConfigParser's schedules section: weekly open hours by day key and holidays.
#include <algorithm>
#include <array>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "server/config/config_parser.h"

namespace acd::config::internal {
namespace {

constexpr absl::string_view kScheduleKeys[] = {"name", "timezone", "hours", "holidays"};

// Day keys of a schedule's hours, index 0 = Monday as in core::Schedule::weekly.
constexpr absl::string_view kDayNames[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
constexpr absl::string_view kFullDayNames[] = {"monday", "tuesday",  "wednesday", "thursday",
                                               "friday", "saturday", "sunday"};
constexpr absl::string_view kDaily = "daily";
constexpr absl::string_view kDayRule =
    "use mon, tue, wed, thu, fri, sat, sun, a range such as mon-fri, or daily";

// "2026-12-24" exactly: ParseCivilTime alone also takes "2026-2-3" and " 2026-02-03".
std::optional<absl::CivilDay> ParseDate(absl::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!absl::ascii_isdigit(text[i])) return std::nullopt;
  }
  absl::CivilDay day;
  if (!absl::ParseCivilTime(text, &day)) return std::nullopt;  // e.g. 2026-02-30
  return day;
}

int DayIndex(absl::string_view name) {
  for (int d = 0; d < 7; ++d) {
    if (kDayNames[d] == name) return d;
  }
  return -1;
}

// "mon" -> {0}; "mon-fri" -> {0..4}; "daily" -> all. Nullopt for anything else,
// a backwards range ("fri-mon") included.
std::optional<std::vector<int>> ParseDays(absl::string_view key) {
  std::vector<int> days;
  if (key == kDaily) {
    for (int d = 0; d < 7; ++d) days.push_back(d);
    return days;
  }
  size_t dash = key.find('-');
  int first = DayIndex(key.substr(0, dash));
  int last = dash == absl::string_view::npos ? first : DayIndex(key.substr(dash + 1));
  if (first < 0 || last < 0 || last < first) return std::nullopt;
  for (int d = first; d <= last; ++d) days.push_back(d);
  return days;
}

// Why a day key is wrong, for the message.
std::string DayKeyHint(absl::string_view key) {
  std::string lower = absl::AsciiStrToLower(key);
  for (int d = 0; d < 7; ++d) {
    if (lower == kFullDayNames[d]) return absl::StrCat("; did you mean \"", kDayNames[d], "\"?");
  }
  size_t dash = key.find('-');
  if (dash != absl::string_view::npos) {
    int first = DayIndex(key.substr(0, dash));
    int last = DayIndex(key.substr(dash + 1));
    if (first >= 0 && last >= 0 && last < first) {
      std::string tail = last == 0 ? "mon" : absl::StrCat("mon-", kDayNames[last]);
      return absl::StrCat("; a range runs from mon to sun: split it into \"", kDayNames[first],
                          "-sun\" and \"", tail, "\"");
    }
  }
  std::vector<absl::string_view> words(std::begin(kDayNames), std::end(kDayNames));
  words.push_back(kDaily);
  std::optional<absl::string_view> close = internal::ClosestMatch(key, words, 1);
  return close ? absl::StrCat("; did you mean \"", *close, "\"?") : "";
}

}  // namespace

void ConfigParser::ParseSchedules(const Value& value) {
  std::optional<std::vector<Value>> items =
      checker_.Sequence(value, "schedules", "a list of schedules");
  if (!items) return;
  for (size_t i = 0; i < items->size(); ++i) ParseSchedule((*items)[i], Index("schedules", i));
}

void ConfigParser::ParseSchedule(const Value& value, const std::string& path) {
  std::optional<Fields> fields = checker_.Mapping(
      value, path, "a schedule (a mapping with \"name\", \"timezone\" and \"hours\")",
      kScheduleKeys);
  if (!fields) return;
  core::Schedule schedule;
  if (const Field* f = fields->Get("name")) {
    std::string name_path = Child(path, "name");
    if (auto name = ReadName(f->value, name_path, "schedule name")) {
      if (Remember(schedules_seen_, *name, f->value.place, name_path, "schedule name", "defined")) {
        schedule_names_.push_back(*name);
      }
      schedule.name = *name;
    } else if (f->value.node.IsScalar()) {
      // Known despite its form, so queues naming it add no second problem.
      schedules_seen_.try_emplace(f->value.node.Scalar(), f->value.place);
    }
  } else {
    checker_.Report(value.place, path, "missing required key \"name\"");
  }
  if (const Field* f = fields->Get("timezone")) {
    ReadTimeZone(f->value, Child(path, "timezone"), &schedule.zone);
  } else {
    // No default: hours silently read in UTC would be off by the local offset.
    checker_.Report(value.place, path, "missing required key \"timezone\"");
  }
  if (const Field* f = fields->Get("hours")) {
    ParseHours(f->value, Child(path, "hours"), schedule);
  } else {
    checker_.Report(value.place, path,
                    "missing required key \"hours\" (e.g. hours: {mon-fri: [\"09:00-17:00\"]})");
  }
  if (const Field* f = fields->Get("holidays"); f != nullptr && !f->value.node.IsNull()) {
    ParseHolidays(f->value, Child(path, "holidays"), schedule);
  }
  config_.routing.schedules.push_back(std::move(schedule));
}

void ConfigParser::ParseHours(const Value& value, const std::string& path,
                              core::Schedule& schedule) {
  std::optional<Fields> fields = checker_.Mapping(
      value, path, "a mapping of days to open hours, e.g. {mon-fri: [\"09:00-17:00\"]}");
  if (!fields) return;
  std::array<std::vector<PlacedInterval>, 7> week;
  for (const Field& f : fields->all()) {
    std::string day_path = Child(path, f.key);
    std::optional<std::vector<int>> days = ParseDays(f.key);
    if (!days) {
      checker_.Report(
          f.key_place, day_path,
          absl::StrCat("invalid day ", Quote(f.key), " (", kDayRule, DayKeyHint(f.key), ")"));
    }
    std::optional<std::vector<Value>> items =
        checker_.Sequence(f.value, day_path, "a list of open intervals such as [\"09:00-17:00\"]");
    if (!items) continue;
    for (size_t i = 0; i < items->size(); ++i) {
      const Value& item = (*items)[i];
      std::string item_path = Index(day_path, i);
      std::optional<std::string> text =
          checker_.Scalar(item, item_path, "an open interval such as \"09:00-17:00\"");
      if (!text) continue;
      absl::StatusOr<core::OpenInterval> interval = core::ParseInterval(*text);
      if (!interval.ok()) {
        checker_.Report(item.place, item_path, std::string(interval.status().message()));
        continue;
      }
      if (!days) continue;
      // An overlap is reported at the later interval, once, naming the earlier.
      bool reported = false;
      for (int d : *days) {
        for (const PlacedInterval& other : week[d]) {
          if (reported || interval->start_minute >= other.interval.end_minute ||
              other.interval.start_minute >= interval->end_minute) {
            continue;
          }
          checker_.Report(item.place, item_path,
                          absl::StrCat(Quote(*text), " overlaps ", Quote(other.text), " on ",
                                       core::WeekdayName(d), " (line ", other.line, ")"));
          reported = true;
        }
        if (!reported) week[d].push_back({*interval, *text, item.place.line});
      }
    }
  }
  for (int d = 0; d < 7; ++d) {
    std::sort(week[d].begin(), week[d].end(), [](const auto& a, const auto& b) {
      return a.interval.start_minute < b.interval.start_minute;
    });
    for (const PlacedInterval& placed : week[d]) schedule.weekly[d].push_back(placed.interval);
  }
  // Not expected to fire after the checks above; a safety net should they and
  // core::Validate ever disagree.
  if (absl::Status valid = core::Validate(schedule); !valid.ok()) {
    checker_.Report(value.place, path, std::string(valid.message()));
  }
}

void ConfigParser::ParseHolidays(const Value& value, const std::string& path,
                                 core::Schedule& schedule) {
  std::optional<std::vector<Value>> items =
      checker_.Sequence(value, path, "a list of dates such as [2026-12-25]");
  if (!items) return;
  for (size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    std::string item_path = Index(path, i);
    std::optional<std::string> text = checker_.Scalar(item, item_path, "a date such as 2026-12-25");
    if (!text) continue;
    if (std::optional<absl::CivilDay> day = ParseDate(*text)) {
      schedule.holidays.push_back(*day);
    } else {
      checker_.Report(item.place, item_path,
                      absl::StrCat("invalid holiday ", Quote(*text),
                                   " (use a date YYYY-MM-DD, e.g. 2026-12-25)"));
    }
  }
}

}  // namespace acd::config::internal
