#include "server/core/schedule.h"

#include <algorithm>
#include <cstddef>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace acd::core {
namespace {

// Local days scanned on either side of the days of interest. A local time maps
// to an instant at most about a day from its nominal day (the worst case being
// a zone that skips a whole day, like Pacific/Apia on 2011-12-30), so spans of
// days further out cannot reach the instants being asked about.
constexpr int kMarginDays = 2;
// Local days after today that cover kScheduleLookAhead plus the margins.
constexpr int kMaxDaysAhead = kScheduleLookAheadDays + 2 * kMarginDays + 1;
// First window scanned by NextChange; doubled until an edge is found, so a
// business-hours schedule costs a week of intervals, not 400 days.
constexpr int kInitialDaysAhead = 8;

struct Span {
  absl::Time start;
  absl::Time end;
};

// The holidays, sorted once per query so each day costs a binary search.
class HolidaySet {
 public:
  explicit HolidaySet(const std::vector<absl::CivilDay>& days) : days_(days) {
    std::sort(days_.begin(), days_.end());
  }
  bool Contains(absl::CivilDay day) const {
    return std::binary_search(days_.begin(), days_.end(), day);
  }

 private:
  std::vector<absl::CivilDay> days_;
};

absl::Time LocalInstant(const absl::TimeZone& zone, absl::CivilDay day, int minute) {
  // FromCivil maps a skipped time to its transition and a repeated one to its
  // first occurrence; schedule.h documents what that means for intervals.
  return absl::FromCivil(absl::CivilMinute(day) + minute, zone);
}

// Appends the non-empty open spans of local days [first, last], in day order
// but not merged.
void AppendSpans(const Schedule& s, const HolidaySet& holidays, absl::CivilDay first,
                 absl::CivilDay last, std::vector<Span>* out) {
  for (absl::CivilDay day = first; day <= last; ++day) {
    if (holidays.Contains(day)) continue;
    const int weekday = static_cast<int>(absl::GetWeekday(day));
    for (const OpenInterval& interval : s.weekly[weekday]) {
      // Clamped so an unvalidated schedule stays within the scanned margins.
      const int start = std::clamp(interval.start_minute, 0, kMinutesPerDay);
      const int end = std::clamp(interval.end_minute, 0, kMinutesPerDay);
      if (start >= end) continue;
      Span span{LocalInstant(s.zone, day, start), LocalInstant(s.zone, day, end)};
      if (span.start < span.end) out->push_back(span);
    }
  }
}

// Sorts spans and merges those that touch (or overlap, in an unvalidated
// schedule), so every remaining start and end is an instant where the schedule
// opens or closes.
void Normalize(std::vector<Span>* spans) {
  std::sort(spans->begin(), spans->end(),
            [](const Span& a, const Span& b) { return a.start < b.start; });
  std::size_t kept = 0;
  for (const Span& span : *spans) {
    if (kept > 0 && span.start <= (*spans)[kept - 1].end) {
      (*spans)[kept - 1].end = std::max((*spans)[kept - 1].end, span.end);
    } else {
      (*spans)[kept++] = span;
    }
  }
  spans->resize(kept);
}

// Infinite times have no local day (civil arithmetic would overflow); they are
// treated as closed and changeless.
bool IsFinite(absl::Time t) { return t != absl::InfiniteFuture() && t != absl::InfinitePast(); }

struct Probe {
  bool open = false;
  std::optional<absl::Time> next_change;
};

// Whether s is open at t and its first edge after t within kScheduleLookAhead.
Probe Scan(const Schedule& s, absl::Time t) {
  if (!IsFinite(t)) return {};
  const HolidaySet holidays(s.holidays);
  const absl::CivilDay today = absl::ToCivilDay(t, s.zone);
  const absl::Time horizon = t + kScheduleLookAhead;
  std::vector<Span> spans;
  for (int days_ahead = kInitialDaysAhead;; days_ahead = std::min(2 * days_ahead, kMaxDaysAhead)) {
    const absl::CivilDay last = today + days_ahead;
    spans.clear();
    AppendSpans(s, holidays, today - kMarginDays, last, &spans);
    Normalize(&spans);
    // Edges before `settled` are final: days after `last` cannot reach back
    // to merge with them.
    const absl::Time settled = LocalInstant(s.zone, last - kMarginDays, 0);

    Probe probe;
    std::optional<absl::Time> edge;
    // Merged spans are disjoint and sorted, so their ends increase too.
    auto it = std::upper_bound(spans.begin(), spans.end(), t,
                               [](absl::Time time, const Span& span) { return time < span.end; });
    if (it != spans.end()) {
      probe.open = it->start <= t;
      edge = probe.open ? it->end : it->start;
    }
    if (edge.has_value() && *edge < settled) {
      if (*edge <= horizon) probe.next_change = edge;
      return probe;
    }
    if (settled > horizon || days_ahead >= kMaxDaysAhead) return probe;
  }
}

std::string TwoDigits(int n) { return n < 10 ? absl::StrCat("0", n) : absl::StrCat(n); }

std::string FormatMinute(int minute) {
  return absl::StrCat(TwoDigits(minute / 60), ":", TwoDigits(minute % 60));
}

bool InRange(const OpenInterval& interval) {
  return interval.start_minute >= 0 && interval.start_minute <= kMinutesPerDay &&
         interval.end_minute >= 0 && interval.end_minute <= kMinutesPerDay;
}

std::string Describe(const OpenInterval& interval) {
  if (InRange(interval)) return FormatInterval(interval);
  return absl::StrCat("[start_minute ", interval.start_minute, ", end_minute ", interval.end_minute,
                      ")");
}

bool AllDigits(absl::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return absl::ascii_isdigit(c); });
}

// Parses "H:MM" or "HH:MM" into minutes since midnight, 0..1440; on failure
// returns nullopt and says why.
std::optional<int> ParseClock(absl::string_view text, std::string* why) {
  text = absl::StripAsciiWhitespace(text);
  const std::size_t colon = text.find(':');
  if (colon == absl::string_view::npos) {
    *why = absl::StrCat("\"", text, "\" is not a time of day (HH:MM)");
    return std::nullopt;
  }
  const absl::string_view hours = text.substr(0, colon);
  const absl::string_view minutes = text.substr(colon + 1);
  if (!AllDigits(hours) || hours.size() > 2 || !AllDigits(minutes) || minutes.size() != 2) {
    *why = absl::StrCat("\"", text, "\" is not a time of day (HH:MM)");
    return std::nullopt;
  }
  const int h = std::atoi(std::string(hours).c_str());
  const int m = std::atoi(std::string(minutes).c_str());
  if (m > 59) {
    *why = absl::StrCat("\"", text, "\" has minute ", m, " (00..59)");
    return std::nullopt;
  }
  if (h > 24 || (h == 24 && m != 0)) {
    *why = absl::StrCat("\"", text, "\" is after 24:00");
    return std::nullopt;
  }
  return h * 60 + m;
}

}  // namespace

bool IsOpen(const Schedule& s, absl::Time t) {
  if (!IsFinite(t)) return false;
  // Containment in the union needs no sorting or merging.
  const HolidaySet holidays(s.holidays);
  const absl::CivilDay today = absl::ToCivilDay(t, s.zone);
  std::vector<Span> spans;
  AppendSpans(s, holidays, today - kMarginDays, today + kMarginDays, &spans);
  return std::any_of(spans.begin(), spans.end(),
                     [t](const Span& span) { return span.start <= t && t < span.end; });
}

std::optional<absl::Time> NextChange(const Schedule& s, absl::Time t) {
  return Scan(s, t).next_change;
}

std::optional<absl::Time> NextOpen(const Schedule& s, absl::Time t) {
  const Probe probe = Scan(s, t);
  if (probe.open) return t;
  // Closed now, so the next change is an opening.
  return probe.next_change;
}

absl::Status Validate(const Schedule& s) {
  std::vector<std::string> problems;
  for (int day = 0; day < 7; ++day) {
    const OpenInterval* previous = nullptr;
    for (const OpenInterval& interval : s.weekly[day]) {
      const std::string where = absl::StrCat(WeekdayName(day), " ", Describe(interval));
      if (!InRange(interval)) {
        problems.push_back(absl::StrCat(where, " is out of range (00:00..24:00)"));
        continue;
      }
      if (interval.start_minute >= interval.end_minute) {
        problems.push_back(absl::StrCat(where, " does not end after it starts"));
        continue;
      }
      if (previous != nullptr) {
        if (interval.start_minute < previous->start_minute) {
          problems.push_back(absl::StrCat(where, " is out of order: it comes after ",
                                          FormatInterval(*previous), " but starts earlier"));
        } else if (interval.start_minute < previous->end_minute) {
          problems.push_back(absl::StrCat(where, " overlaps ", FormatInterval(*previous)));
        }
      }
      previous = &interval;
    }
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("schedule \"", s.name, "\": ", absl::StrJoin(problems, "; ")));
}

absl::StatusOr<OpenInterval> ParseInterval(absl::string_view text) {
  const auto invalid = [text](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("invalid open interval \"", text, "\": ", why));
  };
  const std::size_t dash = text.find('-');
  if (dash == absl::string_view::npos || text.find('-', dash + 1) != absl::string_view::npos) {
    return invalid("expected HH:MM-HH:MM, e.g. 09:00-17:30");
  }
  std::string why;
  const std::optional<int> start = ParseClock(text.substr(0, dash), &why);
  if (!start.has_value()) return invalid(why);
  const std::optional<int> end = ParseClock(text.substr(dash + 1), &why);
  if (!end.has_value()) return invalid(why);
  if (*start == kMinutesPerDay) return invalid("24:00 can only end an interval");
  if (*end == *start) return invalid("the interval is empty");
  if (*end < *start) {
    return invalid(
        absl::StrCat("the end is not after the start; write an interval across "
                     "midnight as two, e.g. ",
                     FormatMinute(*start), "-24:00 and 00:00-", FormatMinute(*end)));
  }
  return OpenInterval{*start, *end};
}

std::string FormatInterval(const OpenInterval& interval) {
  return absl::StrCat(FormatMinute(interval.start_minute), "-", FormatMinute(interval.end_minute));
}

std::string WeekdayName(int day) {
  static constexpr absl::string_view kNames[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                 "Friday", "Saturday", "Sunday"};
  if (day < 0 || day >= 7) return absl::StrCat("day ", day);
  return std::string(kNames[day]);
}

}  // namespace acd::core
