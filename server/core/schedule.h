// Schedule: a queue's business hours. Weekly open intervals in a named time
// zone, minus holidays (local dates closed all day). The engine asks whether a
// queue is open at an instant, when the next open/close edge comes (it arms a
// deadline for it), and when the queue opens next (told to callers rejected
// while it is closed).
//
// Model: each local day D contributes the open spans
//   [FromCivil(D + start_minute), FromCivil(D + end_minute))
// for the intervals of its weekday, or nothing if D is a holiday. The schedule
// is open at t iff t lies in one of these spans. Spans that touch or overlap
// (09:00-12:00 + 12:00-17:00, Fri 22:00-24:00 + Sat 00:00-02:00) form one open
// stretch: NextChange reports no edge where one ends and the next begins.
// IsOpen, NextChange and NextOpen all derive from the same spans, so an edge
// from NextChange is always an instant where IsOpen flips.
//
// Daylight saving: local times are turned into instants with absl::FromCivil,
// which is order-preserving (a later local time never maps to an earlier
// instant):
//  - A skipped local time (spring forward) maps to the transition instant, so
//    an interval keeps only the part that exists. In America/New_York on
//    2026-03-08 (02:00 EST jumps to 03:00 EDT), 01:30-02:30 is open 01:30 EST
//    .. 03:00 EDT, half a real hour; 02:30-03:15 is open 03:00 .. 03:15 EDT;
//    an interval wholly inside the gap (02:15-02:45) is not open that day.
//  - A repeated local time (fall back) means its first occurrence (the
//    pre-transition offset). In America/New_York on 2026-11-01 (02:00 EDT
//    falls back to 01:00 EST), 01:30-02:30 is open 01:30 EDT .. 02:30 EST, two
//    real hours covering both 01:30s; an interval ending at 01:30 closes at the
//    first 01:30 and stays closed through the second.
//  - Hours away from a transition (09:00-17:00) are unaffected: they follow
//    local wall-clock time across DST changes.
//
// Bounds: NextChange looks at most kScheduleLookAhead past t, and costs
// O(intervals in the days scanned) (no per-minute loops); a change further
// out is reported as none. A queue that runs that long without another edge
// (e.g. 24/7) should ask again later, e.g. on the next config apply.
//
// Preconditions: the results below are defined for schedules that pass
// Validate(); others give unspecified (but safe) answers. absl::InfiniteFuture
// and absl::InfinitePast are closed with no change.
//
// Thread safety: plain values and pure functions; a const Schedule may be read
// from any number of threads.
#ifndef ACD_SERVER_CORE_SCHEDULE_H_
#define ACD_SERVER_CORE_SCHEDULE_H_

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace acd::core {

inline constexpr int kMinutesPerDay = 24 * 60;
// How far ahead NextChange and NextOpen look.
inline constexpr int kScheduleLookAheadDays = 400;
inline constexpr absl::Duration kScheduleLookAhead = absl::Hours(24 * kScheduleLookAheadDays);

// Minutes since local midnight, [start_minute, end_minute), 0 <= start < end <=
// 1440. end_minute 1440 is the following midnight. An interval across midnight
// is written as two: 22:00-24:00 on one day and 00:00-02:00 on the next.
struct OpenInterval {
  int start_minute = 0;
  int end_minute = 0;

  bool operator==(const OpenInterval&) const = default;
};

struct Schedule {
  std::string name = {};
  absl::TimeZone zone = absl::UTCTimeZone();
  // Index 0 = Monday .. 6 = Sunday (absl::Weekday order). Each day's intervals
  // sorted by start and non-overlapping; touching is fine.
  std::array<std::vector<OpenInterval>, 7> weekly = {};
  // Local dates closed all day whatever the weekly hours say. Any order;
  // duplicates are harmless.
  std::vector<absl::CivilDay> holidays = {};
};

// Whether the schedule is open at t. Spans include their start and exclude
// their end.
bool IsOpen(const Schedule& s, absl::Time t);

// The first instant after t at which IsOpen changes, or nullopt if it does not
// change within kScheduleLookAhead (always open, always closed, or an edge too
// far out).
std::optional<absl::Time> NextChange(const Schedule& s, absl::Time t);

// The first instant >= t at which the schedule is open: t itself if open now,
// else the next opening within kScheduleLookAhead, else nullopt (e.g. no open
// hours at all).
std::optional<absl::Time> NextOpen(const Schedule& s, absl::Time t);

// Checks every day's intervals: in range (0 <= start < end <= 1440), sorted by
// start, non-overlapping. InvalidArgument listing each problem with the
// schedule, the day and the interval, e.g.
//   schedule "support": Tuesday 12:00-13:00 overlaps 09:00-12:30
absl::Status Validate(const Schedule& s);

// Parses "HH:MM-HH:MM" ("09:00-17:30", "00:00-24:00"). The hour may have one
// or two digits ("9:00-17:00" is accepted, as operators write it); minutes have
// exactly two. Whitespace around the times is ignored. 24:00 is allowed only
// as an end. The end must be after the start: an interval across midnight is
// two intervals. InvalidArgument naming the text otherwise.
absl::StatusOr<OpenInterval> ParseInterval(absl::string_view text);

// "09:00-17:30"; the inverse of ParseInterval for valid intervals.
std::string FormatInterval(const OpenInterval& interval);

// "Monday" .. "Sunday" for 0..6 (the index into Schedule::weekly); "day <n>"
// otherwise.
std::string WeekdayName(int day);

}  // namespace acd::core

#endif  // ACD_SERVER_CORE_SCHEDULE_H_
