// Schedule tests: open hours, edges, holidays, midnight and DST in real zones.
#include "server/core/schedule.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace acd::core {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Optional;

constexpr int kMonday = 0;
constexpr int kFriday = 4;
constexpr int kSaturday = 5;
constexpr int kSunday = 6;

// Loads a zone or skips the test: the tz database should be installed, but a
// missing file is an environment problem, not a schedule bug.
#define LOAD_ZONE_OR_SKIP(var, name) \
  absl::TimeZone var;                \
  if (!absl::LoadTimeZone(name, &var)) GTEST_SKIP() << "no zone " << name;

OpenInterval Hours(int start_h, int start_m, int end_h, int end_m) {
  return {start_h * 60 + start_m, end_h * 60 + end_m};
}

Schedule Weekdays(const absl::TimeZone& zone, std::vector<OpenInterval> hours) {
  Schedule s{.name = "support", .zone = zone};
  for (int day = kMonday; day <= kFriday; ++day) s.weekly[day] = hours;
  return s;
}

Schedule AllWeek(const absl::TimeZone& zone) {
  Schedule s{.name = "24x7", .zone = zone};
  for (auto& day : s.weekly) day = {Hours(0, 0, 24, 0)};
  return s;
}

absl::Time Local(const absl::TimeZone& zone, int y, int mo, int d, int h = 0, int mi = 0) {
  return absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi), zone);
}

absl::Time Utc(int y, int mo, int d, int h = 0, int mi = 0) {
  return absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi), absl::UTCTimeZone());
}

// ---- ParseInterval / FormatInterval ----

TEST(ParseIntervalTest, AcceptsWellFormedIntervals) {
  ASSERT_TRUE(ParseInterval("09:00-17:30").ok()) << ParseInterval("09:00-17:30").status();
  EXPECT_EQ(*ParseInterval("09:00-17:30"), Hours(9, 0, 17, 30));
  EXPECT_EQ(*ParseInterval("00:00-24:00"), Hours(0, 0, 24, 0));
  EXPECT_EQ(*ParseInterval("22:00-24:00"), Hours(22, 0, 24, 0));
  // One-digit hours are accepted, as operators write them.
  EXPECT_EQ(*ParseInterval("9:00-17:00"), Hours(9, 0, 17, 0));
  EXPECT_EQ(*ParseInterval(" 09:15 - 12:45 "), Hours(9, 15, 12, 45));
  EXPECT_EQ(*ParseInterval("23:59-24:00"), Hours(23, 59, 24, 0));
}

TEST(ParseIntervalTest, RejectsBadText) {
  for (const char* text :
       {"17:00-09:00", "09:00-24:01", "24:00-24:00", "09:00-09:00", "25:00-26:00", "09:60-10:00",
        "9-17", "0900-1700", "09:00", "", "09:00-10:00-11:00", "009:00-10:00", "09:0-10:00",
        "-1:00-02:00", "09:00-", "ab:cd-ef:gh", "+9:00-10:00"}) {
    absl::StatusOr<OpenInterval> parsed = ParseInterval(text);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(parsed.status().message(), HasSubstr(absl::StrCat("\"", text, "\""))) << text;
  }
}

TEST(ParseIntervalTest, ErrorsSayWhatIsWrong) {
  EXPECT_THAT(ParseInterval("17:00-09:00").status().message(),
              AllOf(HasSubstr("not after the start"), HasSubstr("17:00-24:00 and 00:00-09:00")));
  EXPECT_THAT(ParseInterval("09:00-24:01").status().message(), HasSubstr("after 24:00"));
  EXPECT_THAT(ParseInterval("24:00-24:00").status().message(),
              HasSubstr("24:00 can only end an interval"));
  EXPECT_THAT(ParseInterval("09:00-09:00").status().message(), HasSubstr("empty"));
  EXPECT_THAT(ParseInterval("09:60-10:00").status().message(), HasSubstr("minute 60"));
}

TEST(FormatIntervalTest, RoundTripsThroughParse) {
  for (const char* text : {"00:00-24:00", "09:05-17:30", "22:00-24:00", "00:00-00:01"}) {
    absl::StatusOr<OpenInterval> parsed = ParseInterval(text);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(FormatInterval(*parsed), text);
  }
  EXPECT_EQ(WeekdayName(kMonday), "Monday");
  EXPECT_EQ(WeekdayName(kSunday), "Sunday");
}

// ---- Validate ----

TEST(ValidateTest, AcceptsSortedTouchingIntervals) {
  Schedule s =
      Weekdays(absl::UTCTimeZone(), {Hours(0, 0, 9, 0), Hours(9, 0, 12, 0), Hours(13, 0, 24, 0)});
  EXPECT_TRUE(Validate(s).ok()) << Validate(s);
  EXPECT_TRUE(Validate(Schedule{}).ok());
}

TEST(ValidateTest, RejectsOverlapNamingDayAndIntervals) {
  Schedule s{.name = "support"};
  s.weekly[1] = {Hours(9, 0, 12, 30), Hours(12, 0, 13, 0)};
  absl::Status status = Validate(s);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("schedule \"support\": Tuesday 12:00-13:00 overlaps 09:00-12:30"));
}

TEST(ValidateTest, RejectsUnsortedIntervals) {
  Schedule s{.name = "sales"};
  s.weekly[kFriday] = {Hours(13, 0, 17, 0), Hours(9, 0, 12, 0)};
  absl::Status status = Validate(s);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("Friday 09:00-12:00 is out of order"));
  EXPECT_THAT(status.message(), HasSubstr("13:00-17:00"));
}

TEST(ValidateTest, RejectsOutOfRangeAndEmptyIntervals) {
  Schedule s{.name = "x"};
  s.weekly[kMonday] = {{-1, 60}};
  s.weekly[kSaturday] = {{600, 1441}};
  s.weekly[kSunday] = {Hours(10, 0, 10, 0), Hours(12, 0, 11, 0)};
  absl::Status status = Validate(s);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  // Every problem is reported at once.
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr("Monday [start_minute -1, end_minute 60) is out of range"),
                    HasSubstr("Saturday [start_minute 600, end_minute 1441) is out of range"),
                    HasSubstr("Sunday 10:00-10:00 does not end after it starts"),
                    HasSubstr("Sunday 12:00-11:00 does not end after it starts")));
}

// ---- Weekday hours, edges ----

TEST(ScheduleTest, BerlinWeekdayHoursStartInclusiveEndExclusive) {
  LOAD_ZONE_OR_SKIP(berlin, "Europe/Berlin");
  Schedule s = Weekdays(berlin, {Hours(9, 0, 17, 0)});
  // Monday 2026-06-15, CEST (UTC+2): 09:00 local is 07:00 UTC.
  EXPECT_FALSE(IsOpen(s, Utc(2026, 6, 15, 7) - absl::Seconds(1)));
  EXPECT_TRUE(IsOpen(s, Utc(2026, 6, 15, 7)));
  EXPECT_TRUE(IsOpen(s, Local(berlin, 2026, 6, 15, 17) - absl::Nanoseconds(1)));
  EXPECT_FALSE(IsOpen(s, Local(berlin, 2026, 6, 15, 17)));
  EXPECT_FALSE(IsOpen(s, Local(berlin, 2026, 6, 20, 12)));  // Saturday.
  EXPECT_THAT(NextChange(s, Local(berlin, 2026, 6, 15, 9)), Optional(Utc(2026, 6, 15, 15)));
}

TEST(ScheduleTest, NewYorkWeekdayHours) {
  LOAD_ZONE_OR_SKIP(new_york, "America/New_York");
  Schedule s = Weekdays(new_york, {Hours(8, 30, 12, 0), Hours(13, 0, 18, 0)});
  // Monday 2026-01-12, EST (UTC-5).
  EXPECT_FALSE(IsOpen(s, Utc(2026, 1, 12, 13, 29)));
  EXPECT_TRUE(IsOpen(s, Utc(2026, 1, 12, 13, 30)));
  EXPECT_FALSE(IsOpen(s, Local(new_york, 2026, 1, 12, 12, 30)));  // Lunch.
  EXPECT_THAT(NextChange(s, Utc(2026, 1, 12, 14)), Optional(Utc(2026, 1, 12, 17)));
  EXPECT_THAT(NextChange(s, Utc(2026, 1, 12, 17)), Optional(Utc(2026, 1, 12, 18)));
  EXPECT_THAT(NextChange(s, Utc(2026, 1, 12, 18)), Optional(Utc(2026, 1, 12, 23)));
  // 18:00 New York is the next day in UTC; the local day decides.
  EXPECT_TRUE(IsOpen(s, Utc(2026, 1, 12, 22, 59)));
  EXPECT_FALSE(IsOpen(s, Utc(2026, 1, 12, 23)));
}

TEST(ScheduleTest, NextChangeFromAnEdgeIsTheFollowingEdge) {
  Schedule s = Weekdays(absl::UTCTimeZone(), {Hours(9, 0, 17, 0)});
  EXPECT_THAT(NextChange(s, Utc(2026, 6, 15, 9)), Optional(Utc(2026, 6, 15, 17)));
  EXPECT_THAT(NextChange(s, Utc(2026, 6, 15, 17)), Optional(Utc(2026, 6, 16, 9)));
  EXPECT_THAT(NextChange(s, Utc(2026, 6, 15, 9) - absl::Nanoseconds(1)),
              Optional(Utc(2026, 6, 15, 9)));
}

TEST(ScheduleTest, NextChangeAcrossWeekend) {
  LOAD_ZONE_OR_SKIP(berlin, "Europe/Berlin");
  Schedule s = Weekdays(berlin, {Hours(9, 0, 17, 0)});
  EXPECT_THAT(NextChange(s, Local(berlin, 2026, 6, 19, 16)),
              Optional(Local(berlin, 2026, 6, 19, 17)));
  EXPECT_THAT(NextChange(s, Local(berlin, 2026, 6, 19, 17)),
              Optional(Local(berlin, 2026, 6, 22, 9)));
  EXPECT_THAT(NextChange(s, Local(berlin, 2026, 6, 20, 12)),
              Optional(Local(berlin, 2026, 6, 22, 9)));
  EXPECT_THAT(NextOpen(s, Local(berlin, 2026, 6, 21, 23, 59)),
              Optional(Local(berlin, 2026, 6, 22, 9)));
  // Open now: NextOpen is now.
  EXPECT_THAT(NextOpen(s, Local(berlin, 2026, 6, 22, 10)),
              Optional(Local(berlin, 2026, 6, 22, 10)));
}

TEST(ScheduleTest, HolidayClosesTheWholeLocalDay) {
  LOAD_ZONE_OR_SKIP(berlin, "Europe/Berlin");
  Schedule s = Weekdays(berlin, {Hours(9, 0, 17, 0)});
  s.holidays = {absl::CivilDay(2026, 12, 25)};  // A Friday.
  EXPECT_TRUE(IsOpen(s, Local(berlin, 2026, 12, 24, 12)));
  EXPECT_FALSE(IsOpen(s, Local(berlin, 2026, 12, 25, 12)));
  EXPECT_THAT(NextChange(s, Local(berlin, 2026, 12, 24, 12)),
              Optional(Local(berlin, 2026, 12, 24, 17)));
  // Thursday evening: Friday is skipped, the next edge is Monday.
  EXPECT_THAT(NextChange(s, Local(berlin, 2026, 12, 24, 17)),
              Optional(Local(berlin, 2026, 12, 28, 9)));
  // From inside the holiday.
  EXPECT_THAT(NextOpen(s, Local(berlin, 2026, 12, 25, 12)),
              Optional(Local(berlin, 2026, 12, 28, 9)));
  // The holiday is a local date: 23:30 UTC on the 24th is already the 25th in
  // Berlin (CET, UTC+1).
  Schedule all_week = AllWeek(berlin);
  all_week.holidays = s.holidays;
  EXPECT_FALSE(IsOpen(all_week, Utc(2026, 12, 24, 23, 30)));
  EXPECT_TRUE(IsOpen(all_week, Utc(2026, 12, 24, 22, 59)));
  EXPECT_THAT(NextChange(all_week, Utc(2026, 12, 24, 12)), Optional(Utc(2026, 12, 24, 23)));
}

TEST(ScheduleTest, NextOpenSkipsSeveralHolidaysInAnyOrder) {
  LOAD_ZONE_OR_SKIP(new_york, "America/New_York");
  Schedule s = Weekdays(new_york, {Hours(9, 0, 17, 0)});
  s.holidays = {absl::CivilDay(2026, 12, 28), absl::CivilDay(2026, 12, 24),
                absl::CivilDay(2026, 12, 25), absl::CivilDay(2026, 12, 24)};
  EXPECT_THAT(NextOpen(s, Local(new_york, 2026, 12, 24, 10)),
              Optional(Local(new_york, 2026, 12, 29, 9)));
}

// ---- Midnight ----

TEST(ScheduleTest, IntervalAcrossMidnightHasNoEdgeAtMidnight) {
  LOAD_ZONE_OR_SKIP(new_york, "America/New_York");
  Schedule s{.name = "late", .zone = new_york};
  s.weekly[kFriday] = {Hours(22, 0, 24, 0)};
  s.weekly[kSaturday] = {Hours(0, 0, 2, 0)};
  ASSERT_TRUE(Validate(s).ok());
  EXPECT_THAT(NextChange(s, Local(new_york, 2026, 6, 19, 21)),
              Optional(Local(new_york, 2026, 6, 19, 22)));
  EXPECT_THAT(NextChange(s, Local(new_york, 2026, 6, 19, 22)),
              Optional(Local(new_york, 2026, 6, 20, 2)));
  EXPECT_THAT(NextChange(s, Local(new_york, 2026, 6, 19, 23, 59)),
              Optional(Local(new_york, 2026, 6, 20, 2)));
  EXPECT_TRUE(IsOpen(s, Local(new_york, 2026, 6, 19, 23, 59)));
  EXPECT_TRUE(IsOpen(s, Local(new_york, 2026, 6, 20, 0)));
  EXPECT_TRUE(IsOpen(s, Local(new_york, 2026, 6, 20, 2) - absl::Nanoseconds(1)));
  EXPECT_FALSE(IsOpen(s, Local(new_york, 2026, 6, 20, 2)));
  EXPECT_THAT(NextChange(s, Local(new_york, 2026, 6, 20, 2)),
              Optional(Local(new_york, 2026, 6, 26, 22)));

  // A holiday on the Saturday cuts the stretch at midnight.
  s.holidays = {absl::CivilDay(2026, 6, 20)};
  EXPECT_THAT(NextChange(s, Local(new_york, 2026, 6, 19, 22)),
              Optional(Local(new_york, 2026, 6, 20, 0)));
  EXPECT_FALSE(IsOpen(s, Local(new_york, 2026, 6, 20, 1)));
}

TEST(ScheduleTest, AdjacentIntervalsAndWholeDaysMerge) {
  Schedule split = Weekdays(absl::UTCTimeZone(), {Hours(9, 0, 12, 0), Hours(12, 0, 17, 0)});
  EXPECT_THAT(NextChange(split, Utc(2026, 6, 15, 10)), Optional(Utc(2026, 6, 15, 17)));
  EXPECT_TRUE(IsOpen(split, Utc(2026, 6, 15, 12)));

  // Whole weekdays: one stretch Monday 00:00 .. Saturday 00:00.
  Schedule days = Weekdays(absl::UTCTimeZone(), {Hours(0, 0, 24, 0)});
  EXPECT_THAT(NextChange(days, Utc(2026, 6, 15, 10)), Optional(Utc(2026, 6, 20)));
  EXPECT_THAT(NextChange(days, Utc(2026, 6, 20)), Optional(Utc(2026, 6, 22)));
  EXPECT_THAT(NextOpen(days, Utc(2026, 6, 13)), Optional(Utc(2026, 6, 15)));
}

// ---- DST ----

TEST(ScheduleTest, NewYorkSpringForward) {
  LOAD_ZONE_OR_SKIP(new_york, "America/New_York");
  // 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00 UTC); 02:00-03:00 does
  // not exist and maps to the transition instant.
  Schedule s{.name = "night", .zone = new_york};
  s.weekly[kSunday] = {Hours(1, 30, 2, 30)};
  // 01:30 EST = 06:30 UTC .. 03:00 EDT = 07:00 UTC: the half hour that exists.
  EXPECT_THAT(NextOpen(s, Local(new_york, 2026, 3, 8)), Optional(Utc(2026, 3, 8, 6, 30)));
  EXPECT_THAT(NextChange(s, Utc(2026, 3, 8, 6, 30)), Optional(Utc(2026, 3, 8, 7)));
  EXPECT_TRUE(IsOpen(s, Utc(2026, 3, 8, 6, 59)));
  EXPECT_FALSE(IsOpen(s, Utc(2026, 3, 8, 7)));
  EXPECT_FALSE(IsOpen(s, Utc(2026, 3, 8, 7, 15)));  // 03:15 EDT.
  // A normal Sunday for contrast: a full hour, 01:30-02:30 EST.
  EXPECT_THAT(NextOpen(s, Local(new_york, 2026, 3, 1)), Optional(Utc(2026, 3, 1, 6, 30)));
  EXPECT_THAT(NextChange(s, Utc(2026, 3, 1, 6, 30)), Optional(Utc(2026, 3, 1, 7, 30)));

  // Starting in the gap: opens at the transition, 03:00 EDT.
  Schedule late{.name = "late", .zone = new_york};
  late.weekly[kSunday] = {Hours(2, 30, 3, 15)};
  EXPECT_THAT(NextOpen(late, Local(new_york, 2026, 3, 8)), Optional(Utc(2026, 3, 8, 7)));
  EXPECT_THAT(NextChange(late, Utc(2026, 3, 8, 7)), Optional(Utc(2026, 3, 8, 7, 15)));

  // Wholly inside the gap: not open that day; next Sunday it is.
  Schedule gap{.name = "gap", .zone = new_york};
  gap.weekly[kSunday] = {Hours(2, 15, 2, 45)};
  EXPECT_FALSE(IsOpen(gap, Utc(2026, 3, 8, 7)));
  EXPECT_THAT(NextOpen(gap, Local(new_york, 2026, 3, 8)), Optional(Utc(2026, 3, 15, 6, 15)));

  // Wall-clock hours follow the change: 09:00 is 14:00 UTC before, 13:00 after.
  Schedule office = Weekdays(new_york, {Hours(9, 0, 17, 0)});
  EXPECT_THAT(NextChange(office, Utc(2026, 3, 6, 23)), Optional(Utc(2026, 3, 9, 13)));
  EXPECT_THAT(NextChange(office, Utc(2026, 3, 9, 13)), Optional(Utc(2026, 3, 9, 21)));
}

TEST(ScheduleTest, NewYorkFallBack) {
  LOAD_ZONE_OR_SKIP(new_york, "America/New_York");
  // 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:00-02:00 happens twice.
  Schedule s{.name = "night", .zone = new_york};
  s.weekly[kSunday] = {Hours(1, 30, 2, 30)};
  // 01:30 is its first occurrence (EDT, 05:30 UTC); 02:30 is EST (07:30 UTC).
  // Open two real hours, covering both 01:30s.
  EXPECT_THAT(NextOpen(s, Local(new_york, 2026, 11, 1)), Optional(Utc(2026, 11, 1, 5, 30)));
  EXPECT_THAT(NextChange(s, Utc(2026, 11, 1, 5, 30)), Optional(Utc(2026, 11, 1, 7, 30)));
  EXPECT_TRUE(IsOpen(s, Utc(2026, 11, 1, 6, 30)));  // 01:30 EST, the second one.
  EXPECT_FALSE(IsOpen(s, Utc(2026, 11, 1, 5, 29)));

  // An interval ending in the repeated hour ends at its first occurrence.
  Schedule early{.name = "early", .zone = new_york};
  early.weekly[kSunday] = {Hours(0, 0, 1, 30)};
  EXPECT_THAT(NextChange(early, Utc(2026, 11, 1, 4)), Optional(Utc(2026, 11, 1, 5, 30)));
  EXPECT_FALSE(IsOpen(early, Utc(2026, 11, 1, 6, 15)));  // 01:15 EST.
  EXPECT_THAT(NextOpen(early, Utc(2026, 11, 1, 6, 15)), Optional(Utc(2026, 11, 8, 5)));
}

TEST(ScheduleTest, LondonTransitions) {
  LOAD_ZONE_OR_SKIP(london, "Europe/London");
  Schedule s{.name = "night", .zone = london};
  s.weekly[kSunday] = {Hours(0, 30, 1, 30)};
  // 2026-03-29: 01:00 GMT jumps to 02:00 BST. 01:30 does not exist and maps
  // to the transition (01:00 UTC): open 00:30 .. 01:00 UTC.
  EXPECT_THAT(NextOpen(s, Local(london, 2026, 3, 29)), Optional(Utc(2026, 3, 29, 0, 30)));
  EXPECT_THAT(NextChange(s, Utc(2026, 3, 29, 0, 30)), Optional(Utc(2026, 3, 29, 1)));
  EXPECT_FALSE(IsOpen(s, Utc(2026, 3, 29, 1, 15)));
  // The Sunday before: a full hour.
  EXPECT_THAT(NextChange(s, Utc(2026, 3, 22, 0, 30)), Optional(Utc(2026, 3, 22, 1, 30)));

  // 2026-10-25: 02:00 BST falls back to 01:00 GMT. 01:30-02:30 runs from the
  // first 01:30 (BST, 00:30 UTC) to 02:30 GMT (02:30 UTC): two real hours.
  Schedule fall{.name = "fall", .zone = london};
  fall.weekly[kSunday] = {Hours(1, 30, 2, 30)};
  EXPECT_THAT(NextOpen(fall, Local(london, 2026, 10, 25)), Optional(Utc(2026, 10, 25, 0, 30)));
  EXPECT_THAT(NextChange(fall, Utc(2026, 10, 25, 0, 30)), Optional(Utc(2026, 10, 25, 2, 30)));
}

TEST(ScheduleTest, BerlinWeekendAcrossSpringForwardIsAnHourShorter) {
  LOAD_ZONE_OR_SKIP(berlin, "Europe/Berlin");
  Schedule s = Weekdays(berlin, {Hours(9, 0, 17, 0)});
  // Friday 2026-03-27 17:00 CET = 16:00 UTC; Monday 09:00 CEST = 07:00 UTC.
  std::optional<absl::Time> close = NextChange(s, Local(berlin, 2026, 3, 27, 12));
  ASSERT_THAT(close, Optional(Utc(2026, 3, 27, 16)));
  std::optional<absl::Time> open = NextChange(s, *close);
  ASSERT_THAT(open, Optional(Utc(2026, 3, 30, 7)));
  EXPECT_EQ(*open - *close, absl::Hours(63));
}

TEST(ScheduleTest, EveryEdgeOfAYearFlipsIsOpen) {
  LOAD_ZONE_OR_SKIP(berlin, "Europe/Berlin");
  Schedule s = Weekdays(berlin, {Hours(9, 0, 12, 0), Hours(12, 0, 17, 0)});
  // Thursday, Friday, Friday, Saturday: three of them are weekdays.
  s.holidays = {absl::CivilDay(2026, 1, 1), absl::CivilDay(2026, 5, 1),
                absl::CivilDay(2026, 12, 25), absl::CivilDay(2026, 12, 26)};
  const absl::Time end = Local(berlin, 2027, 1, 1);
  absl::Time t = Local(berlin, 2026, 1, 1);
  bool open = IsOpen(s, t);
  EXPECT_FALSE(open);
  int edges = 0;
  for (std::optional<absl::Time> next = NextChange(s, t); next.has_value() && *next < end;
       next = NextChange(s, t)) {
    ASSERT_GT(*next, t);
    EXPECT_EQ(IsOpen(s, *next - absl::Nanoseconds(1)), open) << *next;
    EXPECT_NE(IsOpen(s, *next), open) << *next;
    open = !open;
    t = *next;
    ++edges;
  }
  // 2026 has 261 weekdays; 258 are not holidays; each opens and closes once.
  EXPECT_EQ(edges, 2 * 258);
}

// ---- Always and never ----

TEST(ScheduleTest, AlwaysOpenHasNoChange) {
  LOAD_ZONE_OR_SKIP(new_york, "America/New_York");
  Schedule s = AllWeek(new_york);
  // Across both DST transitions of 2026.
  const absl::Time t = Local(new_york, 2026, 3, 1);
  EXPECT_TRUE(IsOpen(s, t));
  EXPECT_TRUE(IsOpen(s, Utc(2026, 3, 8, 7)));
  EXPECT_TRUE(IsOpen(s, Utc(2026, 11, 1, 6)));
  EXPECT_EQ(NextChange(s, t), std::nullopt);
  EXPECT_THAT(NextOpen(s, t), Optional(t));
}

TEST(ScheduleTest, LookAheadIsBounded) {
  Schedule s = AllWeek(absl::UTCTimeZone());
  const absl::Time t = Utc(2026, 1, 1);
  // A holiday 399 days out is seen; one 401 days out is beyond the horizon.
  s.holidays = {absl::CivilDay(2027, 2, 4)};
  EXPECT_THAT(NextChange(s, t), Optional(t + absl::Hours(24 * 399)));
  s.holidays = {absl::CivilDay(2027, 2, 6)};
  EXPECT_EQ(NextChange(s, t), std::nullopt);

  // Likewise an opening too far out is "never": Friday 09:00-10:00, with
  // every day from t to 2027-02-28 a holiday except `free_day`.
  auto rare_with_free_day = [](absl::CivilDay free_day) {
    Schedule rare{.name = "rare", .zone = absl::UTCTimeZone()};
    rare.weekly[kFriday] = {Hours(9, 0, 10, 0)};
    for (absl::CivilDay d(2026, 1, 1); d < absl::CivilDay(2027, 3, 1); ++d) {
      if (d != free_day) rare.holidays.push_back(d);
    }
    return rare;
  };
  Schedule none = rare_with_free_day(absl::CivilDay(2026, 1, 1));
  EXPECT_EQ(NextOpen(none, t), std::nullopt);
  EXPECT_EQ(NextChange(none, t), std::nullopt);
  // Friday 2027-01-29 is 393 days out; Friday 2027-02-05 09:00 is just past 400.
  EXPECT_THAT(NextOpen(rare_with_free_day(absl::CivilDay(2027, 1, 29)), t),
              Optional(Utc(2027, 1, 29, 9)));
  EXPECT_EQ(NextOpen(rare_with_free_day(absl::CivilDay(2027, 2, 5)), t), std::nullopt);
}

TEST(ScheduleTest, NeverOpen) {
  LOAD_ZONE_OR_SKIP(berlin, "Europe/Berlin");
  Schedule s{.name = "closed", .zone = berlin};
  const absl::Time t = Local(berlin, 2026, 6, 15, 12);
  EXPECT_TRUE(Validate(s).ok());
  EXPECT_FALSE(IsOpen(s, t));
  EXPECT_EQ(NextChange(s, t), std::nullopt);
  EXPECT_EQ(NextOpen(s, t), std::nullopt);
}

TEST(ScheduleTest, InfiniteTimesAreClosedWithNoChange) {
  Schedule s = AllWeek(absl::UTCTimeZone());
  for (absl::Time t : {absl::InfiniteFuture(), absl::InfinitePast()}) {
    EXPECT_FALSE(IsOpen(s, t));
    EXPECT_EQ(NextChange(s, t), std::nullopt);
    EXPECT_EQ(NextOpen(s, t), std::nullopt);
  }
}

}  // namespace
}  // namespace acd::core
