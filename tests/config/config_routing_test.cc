// The routing part of the config file: schedules, queue limits and strategy,
// escalation, agent penalties and routing rules. Part of config_test.
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config/config.h"
#include "server/core/expr.h"
#include "server/core/schedule.h"
#include "tests/support/config_matchers.h"

namespace acd::config {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using Kind = core::LimitAction::Kind;

ParseOutcome Parse(std::string_view text) { return ParseConfig(text, "test.yaml"); }

core::OpenInterval Hours(int start_hour, int end_hour) { return {start_hour * 60, end_hour * 60}; }

// ---------------------------------------------------------------------------
// Happy paths: the parsed core values.

TEST(RoutingConfigTest, ReadsEveryRoutingKey) {
  ParseOutcome outcome = Parse(R"(skills: [english, spanish, billing]
schedules:
  - name: office
    timezone: Europe/Berlin
    hours:
      mon-fri: ["08:00-12:00", "13:00-18:00"]
      fri: ["19:00-20:00"]
      sat: ["9:00-13:00"]
    holidays: [2026-12-24, 2026-12-25]
  - name: always
    timezone: UTC
    hours: {daily: ["00:00-24:00"]}
queues:
  - name: support
    weight: 2
    strategy: random
    random_seed: 42
    aging_per_minute: 0.5
    max_size: 50
    on_full: reject
    max_wait: 10m
    on_timeout: disconnect
    max_wait_no_agent: 2m
    on_no_agent: disconnect
    schedule: office
    on_closed: reject
    closed_waiting: keep
    escalation:
      - after: 60s
        relax: {spanish: 2}
        drop: [billing]
        add_queues: [general]
      - after: 3m
        add_queues: [vip]
  - name: general
    on_full: {overflow: vip}
    on_timeout: {overflow: support}
    on_no_agent: {overflow: support}
    on_closed: {overflow: vip}
    closed_waiting: disconnect
    schedule: always
  - name: vip
    closed_waiting: {overflow: support}
agents:
  - id: alice
    queues: [general, {name: support, penalty: 2}, {name: vip}]
routing:
  - name: vip
    when: 'tier == "gold" && language in ["en", "es"]'
    queue: vip
    priority: 8
    skills: {english: 5}
  - name: default
    queue: support
)");
  ASSERT_TRUE(outcome.ok()) << ProblemsToStatus(outcome.problems);
  const core::RoutingConfig& routing = outcome.config->routing;

  ASSERT_THAT(routing.schedules, SizeIs(2));
  const core::Schedule& office = routing.schedules[0];
  EXPECT_EQ(office.name, "office");
  EXPECT_EQ(office.zone.name(), "Europe/Berlin");
  for (int d = 0; d < 4; ++d) {
    EXPECT_THAT(office.weekly[d], ElementsAre(Hours(8, 12), Hours(13, 18))) << d;
  }
  // Friday gets both keys' intervals, sorted.
  EXPECT_THAT(office.weekly[4], ElementsAre(Hours(8, 12), Hours(13, 18), Hours(19, 20)));
  EXPECT_THAT(office.weekly[5], ElementsAre(Hours(9, 13)));
  EXPECT_THAT(office.weekly[6], IsEmpty());
  EXPECT_THAT(office.holidays,
              ElementsAre(absl::CivilDay(2026, 12, 24), absl::CivilDay(2026, 12, 25)));
  const core::Schedule& always = routing.schedules[1];
  EXPECT_EQ(always.zone, absl::UTCTimeZone());
  for (int d = 0; d < 7; ++d) EXPECT_THAT(always.weekly[d], ElementsAre(Hours(0, 24))) << d;
  // The parsed hours mean what they say: Berlin is UTC+1 in January.
  absl::Time monday_0830 = absl::FromCivil(absl::CivilMinute(2027, 1, 4, 8, 30), office.zone);
  EXPECT_TRUE(core::IsOpen(office, monday_0830));
  EXPECT_FALSE(core::IsOpen(office, monday_0830 - absl::Hours(1)));

  ASSERT_THAT(routing.queues, SizeIs(3));
  const core::QueueConfig& support = routing.queues[0];
  EXPECT_EQ(support.weight, 2);
  EXPECT_EQ(support.strategy, core::Strategy::kRandom);
  EXPECT_EQ(support.random_seed, 42u);
  EXPECT_EQ(support.aging_per_minute, 0.5);
  EXPECT_EQ(support.max_size, 50);
  EXPECT_EQ(support.on_full.kind, Kind::kReject);
  EXPECT_EQ(support.max_wait, absl::Minutes(10));
  EXPECT_EQ(support.on_timeout.kind, Kind::kDisconnect);
  EXPECT_EQ(support.max_wait_no_agent, absl::Minutes(2));
  EXPECT_EQ(support.on_no_agent.kind, Kind::kDisconnect);
  EXPECT_EQ(support.schedule, "office");
  EXPECT_EQ(support.on_closed.kind, Kind::kReject);
  EXPECT_EQ(support.closed_waiting.kind, Kind::kKeep);
  ASSERT_THAT(support.escalation, SizeIs(2));
  EXPECT_EQ(support.escalation[0].after, absl::Seconds(60));
  EXPECT_EQ(support.escalation[0].relax, (core::SkillLevels{{"spanish", 2}}));
  EXPECT_THAT(support.escalation[0].drop, ElementsAre("billing"));
  EXPECT_THAT(support.escalation[0].add_queues, ElementsAre("general"));
  EXPECT_EQ(support.escalation[1].after, absl::Minutes(3));
  EXPECT_THAT(support.escalation[1].relax, IsEmpty());
  EXPECT_THAT(support.escalation[1].add_queues, ElementsAre("vip"));

  const core::QueueConfig& general = routing.queues[1];
  EXPECT_EQ(general.on_full.kind, Kind::kOverflow);
  EXPECT_EQ(general.on_full.queue, "vip");
  EXPECT_EQ(general.on_timeout.kind, Kind::kOverflow);
  EXPECT_EQ(general.on_timeout.queue, "support");
  EXPECT_EQ(general.on_no_agent.queue, "support");
  EXPECT_EQ(general.on_closed.queue, "vip");
  EXPECT_EQ(general.closed_waiting.kind, Kind::kDisconnect);
  EXPECT_EQ(routing.queues[2].closed_waiting.kind, Kind::kOverflow);
  EXPECT_EQ(routing.queues[2].closed_waiting.queue, "support");

  ASSERT_THAT(routing.agents, SizeIs(1));
  EXPECT_THAT(routing.agents[0].queues, ElementsAre("general", "support", "vip"));
  // Only penalties that are written; an absent one is 0.
  EXPECT_EQ(routing.agents[0].penalties, (absl::btree_map<std::string, int>{{"support", 2}}));

  ASSERT_THAT(routing.rules, SizeIs(2));
  const core::RoutingRule& vip = routing.rules[0];
  EXPECT_EQ(vip.name, "vip");
  ASSERT_NE(vip.when, nullptr);
  EXPECT_EQ(vip.when->ToString(), "tier == \"gold\" && language in [\"en\", \"es\"]");
  EXPECT_TRUE(vip.when->Evaluate({{"tier", "gold"}, {"language", "es"}}));
  EXPECT_FALSE(vip.when->Evaluate({{"tier", "gold"}, {"language", "fr"}}));
  EXPECT_EQ(vip.queue, "vip");
  EXPECT_EQ(vip.priority, 8);
  EXPECT_EQ(vip.skills, (core::SkillLevels{{"english", 5}}));
  const core::RoutingRule& fallback = routing.rules[1];
  EXPECT_EQ(fallback.name, "default");
  EXPECT_EQ(fallback.when, nullptr);
  EXPECT_EQ(fallback.queue, "support");
  EXPECT_EQ(fallback.priority, std::nullopt);
  EXPECT_THAT(fallback.skills, IsEmpty());
}

TEST(RoutingConfigTest, NewKeysDefaultToTheCoreDefaults) {
  ParseOutcome outcome = Parse("queues: [{name: q}]\nagents: [{id: a, queues: [q]}]\n");
  ASSERT_TRUE(outcome.ok()) << ProblemsToStatus(outcome.problems);
  const core::QueueConfig& q = outcome.config->routing.queues[0];
  const core::QueueConfig defaults;
  EXPECT_EQ(q.weight, 1);
  EXPECT_EQ(q.strategy, core::Strategy::kLongestIdle);
  EXPECT_EQ(q.random_seed, 1u);
  EXPECT_EQ(q.aging_per_minute, 0);
  EXPECT_EQ(q.max_size, 0);
  EXPECT_EQ(q.on_full.kind, Kind::kReject);
  EXPECT_EQ(q.max_wait, absl::ZeroDuration());
  EXPECT_EQ(q.on_timeout.kind, Kind::kDisconnect);
  EXPECT_EQ(q.max_wait_no_agent, absl::ZeroDuration());
  EXPECT_EQ(q.on_no_agent.kind, Kind::kDisconnect);
  EXPECT_EQ(q.schedule, "");
  EXPECT_EQ(q.on_closed.kind, Kind::kReject);
  EXPECT_EQ(q.closed_waiting.kind, Kind::kKeep);
  EXPECT_EQ(q.closed_waiting.kind, defaults.closed_waiting.kind);
  EXPECT_THAT(q.escalation, IsEmpty());
  EXPECT_THAT(outcome.config->routing.agents[0].penalties, IsEmpty());
  EXPECT_THAT(outcome.config->routing.rules, IsEmpty());
  EXPECT_THAT(outcome.config->routing.schedules, IsEmpty());
}

TEST(RoutingConfigTest, EmptyRoutingAndSchedulesSectionsMeanNone) {
  ParseOutcome outcome = Parse("schedules:\nqueues: [{name: q}]\nrouting:\n");
  ASSERT_TRUE(outcome.ok()) << ProblemsToStatus(outcome.problems);
  EXPECT_THAT(outcome.config->routing.rules, IsEmpty());
  EXPECT_THAT(outcome.config->routing.schedules, IsEmpty());
}

TEST(RoutingConfigTest, EveryStrategyName) {
  struct Case {
    std::string name;
    core::Strategy strategy;
  };
  for (const Case& c :
       std::initializer_list<Case>{{"longest_idle", core::Strategy::kLongestIdle},
                                   {"least_calls", core::Strategy::kLeastCalls},
                                   {"least_talk_time", core::Strategy::kLeastTalkTime},
                                   {"round_robin", core::Strategy::kRoundRobin},
                                   {"best_skill", core::Strategy::kBestSkill},
                                   {"random", core::Strategy::kRandom}}) {
    ParseOutcome outcome = Parse(absl::StrCat("queues: [{name: q, strategy: ", c.name, "}]\n"));
    ASSERT_TRUE(outcome.ok()) << c.name << ": " << ProblemsToStatus(outcome.problems);
    EXPECT_EQ(outcome.config->routing.queues[0].strategy, c.strategy) << c.name;
    EXPECT_EQ(core::StrategyName(c.strategy), c.name);
  }
}

TEST(RoutingConfigTest, BoundsAreInclusive) {
  ParseOutcome outcome = Parse(R"(queues:
  - name: a
    weight: 100
    aging_per_minute: 100
    max_wait: 24h
    max_wait_no_agent: 0s
    escalation: [{after: 24h, drop: [x]}]
  - name: b
    weight: 1
    aging_per_minute: 0
    random_seed: 0
agents: [{id: x, queues: [{name: a, penalty: 100}, {name: b, penalty: 0}]}]
routing:
  - {name: r1, when: 'n >= 0', queue: a, priority: 0}
  - {name: r2, queue: b, priority: 100, skills: {x: 10}}
)");
  ASSERT_TRUE(outcome.ok()) << ProblemsToStatus(outcome.problems);
  EXPECT_EQ(outcome.config->routing.queues[0].weight, 100);
  EXPECT_EQ(outcome.config->routing.queues[0].max_wait, absl::Hours(24));
  EXPECT_EQ(outcome.config->routing.agents[0].penalties.at("b"), 0);
  EXPECT_EQ(outcome.config->routing.rules[1].priority, 100);
}

// ---------------------------------------------------------------------------
// Schedules.

TEST(RoutingConfigTest, ScheduleProblems) {
  ParseOutcome outcome = Parse(R"(schedules:
  - name: a
    timezone: Europe/Berln
    hours:
      monday: ["09:00-17:00"]
      fri-mon: ["09:00-17:00"]
      Tue: ["09:00-17:00"]
      wed: ["9-17", "17:00-25:00", [x]]
      thu: "09:00-17:00"
      sat: ["09:00-12:00", "11:00-13:00"]
    holidays: [2026-02-30, 2026-2-3, 2026-12-25, {x: 1}]
  - name: a
    timezone: file:/etc/passwd
    hours: {}
  - timezone: ../../etc/passwd
  - name: b
    timezone: UTC
    hours:
      mon-fri: ["09:00-12:00"]
      wed: ["11:00-14:00"]
      daily: ["20:00-21:00"]
      sun: ["20:30-22:00"]
queues: [{name: q}]
)");
  EXPECT_THAT(
      outcome.problems,
      ElementsAre(
          IsProblem(3, 15, "schedules[0].timezone",
                    "unknown time zone \"Europe/Berln\" (use an IANA name such as Europe/London, "
                    "America/New_York or UTC)"),
          IsProblem(5, 7, "schedules[0].hours.monday",
                    "invalid day \"monday\" (use mon, tue, wed, thu, fri, sat, sun, a range such "
                    "as mon-fri, or daily; did you mean \"mon\"?)"),
          IsProblem(
              6, 7, "schedules[0].hours.fri-mon",
              "invalid day \"fri-mon\" (use mon, tue, wed, thu, fri, sat, sun, a range such "
              "as mon-fri, or daily; a range runs from mon to sun: split it into \"fri-sun\" and "
              "\"mon\")"),
          IsProblem(7, 7, "schedules[0].hours.Tue", "invalid day \"Tue\" (use mon,"),
          IsProblem(8, 13, "schedules[0].hours.wed[0]", "invalid open interval \"9-17\""),
          IsProblem(8, 21, "schedules[0].hours.wed[1]", "invalid open interval \"17:00-25:00\""),
          IsProblem(8, 36, "schedules[0].hours.wed[2]",
                    "expected an open interval such as \"09:00-17:00\", got a list [x]"),
          IsProblem(9, 12, "schedules[0].hours.thu",
                    "expected a list of open intervals such as [\"09:00-17:00\"], got "
                    "\"09:00-17:00\""),
          IsProblem(10, 28, "schedules[0].hours.sat[1]",
                    "\"11:00-13:00\" overlaps \"09:00-12:00\" on Saturday (line 10)"),
          IsProblem(11, 16, "schedules[0].holidays[0]",
                    "invalid holiday \"2026-02-30\" (use a date YYYY-MM-DD, e.g. 2026-12-25)"),
          IsProblem(11, 28, "schedules[0].holidays[1]", "invalid holiday \"2026-2-3\""),
          IsProblem(11, 50, "schedules[0].holidays[3]", "expected a date such as 2026-12-25"),
          IsProblem(12, 11, "schedules[1].name",
                    "duplicate schedule name \"a\" (first defined at line 2)"),
          IsProblem(13, 15, "schedules[1].timezone", "unknown time zone \"file:/etc/passwd\""),
          IsProblem(15, 5, "schedules[2]", "missing required key \"name\""),
          IsProblem(15, 5, "schedules[2]", "missing required key \"hours\""),
          IsProblem(15, 15, "schedules[2].timezone", "unknown time zone \"../../etc/passwd\""),
          IsProblem(20, 13, "schedules[3].hours.wed[0]",
                    "\"11:00-14:00\" overlaps \"09:00-12:00\" on Wednesday (line 19)"),
          IsProblem(22, 13, "schedules[3].hours.sun[0]",
                    "\"20:30-22:00\" overlaps \"20:00-21:00\" on Sunday (line 21)")));
}

TEST(RoutingConfigTest, ScheduleRequiresATimeZone) {
  EXPECT_THAT(Parse("schedules:\n  - name: s\n    hours: {}\nqueues: [{name: q}]\n").problems,
              ElementsAre(IsProblem(2, 5, "schedules[0]", "missing required key \"timezone\"")));
}

TEST(RoutingConfigTest, TouchingIntervalsAreFine) {
  ParseOutcome outcome = Parse(R"(schedules:
  - name: s
    timezone: UTC
    hours:
      mon: ["12:00-17:00", "09:00-12:00"]
      sun: []
queues: [{name: q, schedule: s}]
)");
  ASSERT_TRUE(outcome.ok()) << ProblemsToStatus(outcome.problems);
  EXPECT_THAT(outcome.config->routing.schedules[0].weekly[0],
              ElementsAre(Hours(9, 12), Hours(12, 17)));
}

// ---------------------------------------------------------------------------
// Queue settings.

TEST(RoutingConfigTest, QueueValueProblems) {
  ParseOutcome outcome = Parse(R"(queues:
  - name: a
    weight: 0
    strategy: longest-idle
    random_seed: -1
    aging_per_minute: fast
    max_size: -1
    max_wait: 10
    max_wait_no_agent: 25h
    schedule: office
  - name: b
    weight: 101
    strategy: fifo
    aging_per_minute: -0.5
    max_wait: soon
  - name: c
    aging_per_minute: 1e3
    wieght: 2
)");
  EXPECT_THAT(
      outcome.problems,
      ElementsAre(
          IsProblem(3, 13, "queues[0].weight",
                    "weight \"0\" is out of range (use an integer 1..100)"),
          IsProblem(4, 15, "queues[0].strategy",
                    "invalid strategy \"longest-idle\" (use longest_idle, least_calls, "
                    "least_talk_time, round_robin, best_skill or random; did you mean "
                    "\"longest_idle\"?)"),
          IsProblem(5, 18, "queues[0].random_seed", "random_seed \"-1\" is out of range"),
          IsProblem(6, 23, "queues[0].aging_per_minute",
                    "invalid aging_per_minute \"fast\" (use a number 0..100, e.g. 0.5)"),
          IsProblem(7, 15, "queues[0].max_size",
                    "max_size \"-1\" is out of range (use an integer >= 0)"),
          IsProblem(8, 15, "queues[0].max_wait", "invalid duration \"10\" (a unit is required"),
          IsProblem(9, 24, "queues[0].max_wait_no_agent",
                    "max_wait_no_agent \"25h\" is out of range (must be >= 0s and <= 24h)"),
          IsProblem(10, 15, "queues[0].schedule",
                    "unknown schedule \"office\" (no schedules are defined)"),
          IsProblem(12, 13, "queues[1].weight", "weight \"101\" is out of range"),
          AllOf(IsProblem(13, 15, "queues[1].strategy", "invalid strategy \"fifo\""),
                Field(&Problem::message, Not(HasSubstr("did you mean")))),
          IsProblem(14, 23, "queues[1].aging_per_minute",
                    "aging_per_minute \"-0.5\" is out of range (use a number 0..100)"),
          IsProblem(15, 15, "queues[1].max_wait", "invalid duration \"soon\""),
          IsProblem(17, 23, "queues[2].aging_per_minute", "invalid aging_per_minute \"1e3\""),
          IsProblem(18, 5, "queues[2].wieght",
                    "unknown key \"wieght\" (did you mean \"weight\"?)")));
}

TEST(RoutingConfigTest, UnknownScheduleGetsAHint) {
  ParseOutcome outcome = Parse(
      "schedules: [{name: office, timezone: UTC, hours: {}}]\n"
      "queues: [{name: q, schedule: ofice}]\n");
  EXPECT_THAT(outcome.problems,
              ElementsAre(IsProblem(2, 30, "queues[0].schedule",
                                    "unknown schedule \"ofice\" (did you mean \"office\"?)")));
}

TEST(RoutingConfigTest, LimitActionsAllowOnlyTheirKinds) {
  ParseOutcome outcome = Parse(R"(queues:
  - name: a
    on_full: disconnect
    on_timeout: reject
    on_no_agent: keep
    on_closed: overflow
    closed_waiting: rejct
  - name: b
    on_full: {overfow: a}
    on_timeout: {overflow: nowhere}
    on_no_agent: {}
    on_closed: {overflow: b}
    closed_waiting: [a]
  - name: c
    on_full: {overflow: a, then: reject}
    closed_waiting: {overflow: "a b"}
)");
  EXPECT_THAT(
      outcome.problems,
      ElementsAre(
          IsProblem(3, 14, "queues[0].on_full",
                    "invalid on_full \"disconnect\" (use reject or {overflow: QUEUE})"),
          IsProblem(4, 17, "queues[0].on_timeout",
                    "invalid on_timeout \"reject\" (use disconnect or {overflow: QUEUE})"),
          IsProblem(5, 18, "queues[0].on_no_agent", "invalid on_no_agent \"keep\""),
          IsProblem(6, 16, "queues[0].on_closed",
                    "invalid on_closed \"overflow\" (use reject or {overflow: QUEUE}; name the "
                    "queue: {overflow: QUEUE})"),
          IsProblem(7, 21, "queues[0].closed_waiting",
                    "invalid closed_waiting \"rejct\" (use keep, disconnect or {overflow: QUEUE})"),
          IsProblem(9, 15, "queues[1].on_full.overfow",
                    "unknown key \"overfow\" (did you mean \"overflow\"?)"),
          IsProblem(10, 28, "queues[1].on_timeout.overflow", "unknown queue \"nowhere\""),
          IsProblem(11, 18, "queues[1].on_no_agent", "missing required key \"overflow\""),
          IsProblem(12, 27, "queues[1].on_closed.overflow",
                    "queue \"b\" cannot overflow to itself"),
          IsProblem(13, 21, "queues[1].closed_waiting",
                    "expected one of keep, disconnect or {overflow: QUEUE}, got a list [a]"),
          IsProblem(15, 28, "queues[2].on_full.then", "unknown key \"then\""),
          IsProblem(16, 32, "queues[2].closed_waiting.overflow", "invalid queue name \"a b\"")));
}

TEST(RoutingConfigTest, OverflowTargetsMayBeDefinedLaterAndGetHints) {
  ParseOutcome outcome = Parse(R"(queues:
  - name: first
    on_full: {overflow: second}
    on_timeout: {overflow: secnd}
  - name: second
)");
  EXPECT_THAT(outcome.problems,
              ElementsAre(IsProblem(4, 28, "queues[0].on_timeout.overflow",
                                    "unknown queue \"secnd\" (did you mean \"second\"?)")));
}

TEST(RoutingConfigTest, OverflowCyclesAtEnqueueAreProblems) {
  ParseOutcome outcome = Parse(R"(queues:
  - name: a
    on_full: {overflow: b}
  - name: b
    on_closed: {overflow: a}
  - name: x
    on_full: {overflow: y}
  - name: y
    on_full: {overflow: z}
  - name: z
    on_closed: {overflow: x}
    on_full: {overflow: a}
)");
  EXPECT_THAT(
      outcome.problems,
      ElementsAre(
          IsProblem(5, 27, "queues[1].on_closed.overflow",
                    "overflow cycle a -> b -> a: on_full and on_closed overflows must not "
                    "lead back to a queue the call was already refused by"),
          IsProblem(11, 27, "queues[4].on_closed.overflow", "overflow cycle x -> y -> z -> x")));
}

TEST(RoutingConfigTest, OverflowsOnTimeoutMayGoBackAndForth) {
  // Only on_full and on_closed chain at once; a timeout moves a call later,
  // and moving it back after another wait is a legitimate rotation.
  ParseOutcome outcome = Parse(R"(queues:
  - {name: a, max_wait: 1m, on_timeout: {overflow: b}, on_full: {overflow: b}}
  - {name: b, max_wait: 1m, on_timeout: {overflow: a}, closed_waiting: {overflow: a}}
)");
  EXPECT_TRUE(outcome.ok()) << ProblemsToStatus(outcome.problems);
}

// ---------------------------------------------------------------------------
// Escalation.

TEST(RoutingConfigTest, EscalationProblems) {
  ParseOutcome outcome = Parse(R"(skills: [english, spanish]
queues:
  - name: q
    escalation:
      - after: 2m
        relax: {spanish: 0, french: 2}
      - after: 1m
        drop: [spanish, billing, spanish]
      - after: 0s
        add_queues: [q, other, othr, other]
      - relax: {english: 3}
      - after: 5m
      - after: 6m
        relax: {}
        sideways: true
      - 10m
  - name: other
)");
  EXPECT_THAT(
      outcome.problems,
      ElementsAre(
          IsProblem(6, 26, "queues[0].escalation[0].relax.spanish",
                    "skill level \"0\" is out of range"),
          IsProblem(6, 29, "queues[0].escalation[0].relax.french",
                    "skill \"french\" is not declared in skills"),
          IsProblem(7, 16, "queues[0].escalation[1].after",
                    "after \"1m\" must be later than the step before it (\"2m\")"),
          IsProblem(8, 25, "queues[0].escalation[1].drop[1]",
                    "skill \"billing\" is not declared in skills"),
          IsProblem(8, 34, "queues[0].escalation[1].drop[2]",
                    "duplicate skill \"spanish\" (first listed at line 8)"),
          IsProblem(9, 16, "queues[0].escalation[2].after",
                    "after \"0s\" is out of range (must be > 0s and <= 24h)"),
          IsProblem(10, 22, "queues[0].escalation[2].add_queues[0]",
                    "queue \"q\" cannot add itself"),
          IsProblem(10, 32, "queues[0].escalation[2].add_queues[2]",
                    "unknown queue \"othr\" (did you mean \"other\"?)"),
          IsProblem(10, 38, "queues[0].escalation[2].add_queues[3]",
                    "duplicate queue \"other\" (first listed at line 10)"),
          IsProblem(11, 9, "queues[0].escalation[3]", "missing required key \"after\""),
          IsProblem(12, 9, "queues[0].escalation[4]",
                    "escalation step does nothing (give relax, drop or add_queues)"),
          IsProblem(15, 9, "queues[0].escalation[5].sideways", "unknown key \"sideways\""),
          IsProblem(16, 9, "queues[0].escalation[6]",
                    "expected an escalation step (a mapping with \"after\"), got \"10m\"")));
}

// ---------------------------------------------------------------------------
// Agents' queues with penalties.

TEST(RoutingConfigTest, MembershipProblems) {
  ParseOutcome outcome = Parse(R"(queues: [{name: sales}, {name: support}]
agents:
  - id: a
    queues:
      - {name: sales, penalty: 101}
      - {name: support, penalti: 2}
      - {penalty: 1}
      - {name: suport, penalty: x}
)");
  EXPECT_THAT(
      outcome.problems,
      ElementsAre(IsProblem(5, 32, "agents[0].queues[0].penalty",
                            "penalty \"101\" is out of range (use an integer 0..100)"),
                  IsProblem(6, 25, "agents[0].queues[1].penalti",
                            "unknown key \"penalti\" (did you mean \"penalty\"?)"),
                  IsProblem(7, 9, "agents[0].queues[2]", "missing required key \"name\""),
                  IsProblem(8, 16, "agents[0].queues[3].name",
                            "unknown queue \"suport\" (did you mean \"support\"?)"),
                  IsProblem(8, 33, "agents[0].queues[3].penalty", "invalid penalty \"x\"")));
}

// ---------------------------------------------------------------------------
// Routing rules.

TEST(RoutingConfigTest, RuleProblems) {
  ParseOutcome outcome = Parse(R"(skills: [english]
queues: [{name: vip}, {name: support}]
routing:
  - name: gold
    when: tier == "gold"
    queue: vipp
    priority: 101
    skills: {spanish: 3}
  - name: gold
    queue: support
  - when: x == 1
  - name: bad name
    queue: support
    priorty: 2
  - name: never
    when: tier == "silver"
    queue: support
  - name: also-never
    queue: vip
  - 'tier == "gold"'
)");
  EXPECT_THAT(
      outcome.problems,
      ElementsAre(
          IsProblem(6, 12, "routing[0].queue", "unknown queue \"vipp\" (did you mean \"vip\"?)"),
          IsProblem(7, 15, "routing[0].priority",
                    "priority \"101\" is out of range (use an integer 0..100)"),
          IsProblem(8, 14, "routing[0].skills.spanish",
                    "skill \"spanish\" is not declared in skills (declared: english)"),
          IsProblem(9, 11, "routing[1].name",
                    "duplicate rule name \"gold\" (first defined at line 4)"),
          IsProblem(11, 5, "routing[2]", "missing required key \"name\""),
          IsProblem(11, 5, "routing[2]",
                    "routing[2] is never used: rule \"gold\" (line 9) has no \"when\" and takes "
                    "every call"),
          IsProblem(11, 5, "routing[2]", "missing required key \"queue\""),
          IsProblem(12, 5, "routing[3]", "routing[3] is never used"),
          IsProblem(12, 11, "routing[3].name", "invalid rule name \"bad name\""),
          IsProblem(14, 5, "routing[3].priorty",
                    "unknown key \"priorty\" (did you mean \"priority\"?)"),
          IsProblem(15, 5, "routing[4]", "rule \"never\" is never used: rule \"gold\" (line 9)"),
          IsProblem(18, 5, "routing[5]", "rule \"also-never\" is never used"),
          IsProblem(20, 5, "routing[6]",
                    "expected a routing rule (a mapping with at least \"name\" and \"queue\"), "
                    "got \"tier == \\\"gold\\\"\"")));
}

// ParseExpr's line:column inside the expression is mapped to the file for each
// YAML scalar style. The mistake is the same everywhere: a second operator
// where a literal belongs (`&& ==`); the problem points at that `==`.
TEST(RoutingConfigTest, ExpressionErrorsPointIntoTheFileForEveryScalarStyle) {
  ParseOutcome outcome = Parse(R"(queues: [{name: q}]
routing:
  - name: plain
    when: tier == "gold" && == 1
    queue: q
  - name: single
    when: 'tier == "gold" && == 1'
    queue: q
  - name: double
    when: "tier == \"gold\" && == 1"
    queue: q
  - name: literal
    when: |
      tier == "gold"
        && == 1
    queue: q
  - name: folded
    when: >
      tier == "gold"
      && == 1
    queue: q
  - name: plain-multiline
    when: tier == "gold"
      && == 1
    queue: q
  - name: flow
    when: !!str tier=="gold"&&==1
    queue: q
  - {name: in-flow, when: 'a == "é" && == 1', queue: q}
)");
  auto at = [](int line, int column, std::string path) {
    return IsProblem(line, column, path, "invalid expression: ");
  };
  EXPECT_THAT(outcome.problems,
              ElementsAre(at(4, 29, "routing[0].when"),     // plain: text starts at column 11
                          at(7, 30, "routing[1].when"),     // after the quote
                          at(10, 32, "routing[2].when"),    // two \" before it
                          at(15, 12, "routing[3].when"),    // next lines, block indentation 6
                          at(20, 10, "routing[4].when"),    // folded: its own source line
                          at(24, 10, "routing[5].when"),    // a plain scalar over two lines
                          at(27, 31, "routing[6].when"),    // after the tag
                          at(29, 41, "routing[7].when")));  // columns in bytes: é is two
  for (const Problem& p : outcome.problems) {
    EXPECT_THAT(p.message, HasSubstr("\"==\"")) << p.ToString();
  }
  // As config/README.md shows it.
  ASSERT_THAT(outcome.problems, SizeIs(8));
  EXPECT_EQ(outcome.problems[1].ToString(),
            "test.yaml:7:30: routing[1].when: invalid expression: expected a condition after "
            "\"&&\" but found \"==\"");
}

TEST(RoutingConfigTest, ExpressionPlacesFollowEscapesAndCrlf) {
  ParseOutcome outcome = Parse(
      "queues: [{name: q}]\r\n"
      "routing:\r\n"
      "  - name: single\r\n"
      "    when: 'a == \"it''s\" && == 1'\r\n"  // '' is one quote in the value
      "    queue: q\r\n"
      "  - name: double\r\n"
      "    when: \"a == \\\"\\u00e9\\\" && == 1\"\r\n"  // \u00e9 is é, two bytes
      "    queue: q\r\n"
      "  - name: literal\r\n"
      "    when: |-\r\n"
      "      a == 1 &&\r\n"
      "      == 2\r\n"
      "    queue: q\r\n");
  EXPECT_THAT(outcome.problems, ElementsAre(IsProblem(4, 28, "routing[0].when", "found \"==\""),
                                            IsProblem(7, 31, "routing[1].when", "found \"==\""),
                                            IsProblem(12, 7, "routing[2].when", "found \"==\"")));
}

TEST(RoutingConfigTest, ExpressionErrorsAreAllReported) {
  ParseOutcome outcome = Parse(R"(queues: [{name: q}]
routing:
  - name: r
    when: 'tier < "gold" || (age > 5'
    queue: q
  - name: s
    when: ''
    queue: q
  - name: t
    when:
    queue: q
  - name: u
    when: [tier]
    queue: q
)");
  EXPECT_THAT(
      outcome.problems,
      ElementsAre(IsProblem(4, 19, "routing[0].when",
                            "invalid expression: \"<\" needs a number, found string \"gold\""),
                  IsProblem(4, 37, "routing[0].when",
                            "invalid expression: expected \")\" to close the \"(\" at 1:18"),
                  IsProblem(7, 12, "routing[1].when", "invalid expression: "),
                  IsProblem(10, 5, "routing[2].when", "missing value (expected an expression"),
                  IsProblem(13, 11, "routing[3].when", "got a list [tier]")));
}

TEST(RoutingConfigTest, ExpressionErrorAtTheEndPointsJustAfterTheText) {
  // "expected ... but found the end": after the last character, which for a
  // quoted scalar is the closing quote.
  ParseOutcome outcome = Parse(
      "queues: [{name: q}]\n"
      "routing:\n"
      "  - {name: r, queue: q, when: 'tier =='}\n"
      "  - name: s\n"
      "    queue: q\n"
      "    when: tier ==\n");
  EXPECT_THAT(outcome.problems,
              ElementsAre(IsProblem(3, 39, "routing[0].when", "invalid expression: "),
                          IsProblem(6, 18, "routing[1].when", "invalid expression: ")));
}

TEST(RoutingConfigTest, RulesRefersToQueuesDefinedAnywhere) {
  ParseOutcome outcome = Parse(R"(routing:
  - {name: r, when: 'x == 1', queue: late}
  - {name: d, queue: late}
queues: [{name: late}]
)");
  ASSERT_TRUE(outcome.ok()) << ProblemsToStatus(outcome.problems);
  EXPECT_THAT(outcome.config->routing.rules, SizeIs(2));
}

TEST(RoutingConfigTest, WrongSectionTypes) {
  ParseOutcome outcome = Parse(R"(schedules: {name: s}
routing: {name: r}
queues:
  - name: q
    escalation: {after: 1m}
agents: [{id: a, queues: [q]}]
)");
  EXPECT_THAT(
      outcome.problems,
      ElementsAre(IsProblem(1, 12, "schedules", "expected a list of schedules"),
                  IsProblem(2, 10, "routing", "expected a list of routing rules"),
                  IsProblem(5, 17, "queues[0].escalation", "expected a list of escalation steps")));
}

}  // namespace
}  // namespace acd::config

namespace acd::config {
namespace {

TEST(CallbackConfigTest, ReadsKpiEstimateAndCallbackKeys) {
  ParseOutcome outcome = ParseConfig(R"(queues:
  - name: care
    service_level_threshold: 30s
    short_abandon: 3s
    expected_handle_time: 4m
    callback:
      offer_over: 3m
      window: 90m
      retry_interval: 10m
      max_attempts: 5
      max_pending: 200
  - name: bare
    callback:
  - name: none
)",
                                     "test.yaml");
  ASSERT_THAT(outcome.problems, ::testing::IsEmpty());
  const std::vector<core::QueueConfig>& queues = outcome.config->routing.queues;
  ASSERT_EQ(queues.size(), 3u);
  const core::QueueConfig& care = queues[0];
  EXPECT_EQ(care.service_level_threshold, absl::Seconds(30));
  EXPECT_EQ(care.short_abandon, absl::Seconds(3));
  EXPECT_EQ(care.expected_handle_time, absl::Minutes(4));
  EXPECT_TRUE(care.callback.enabled);
  EXPECT_EQ(care.callback.offer_over, absl::Minutes(3));
  EXPECT_EQ(care.callback.window, absl::Minutes(90));
  EXPECT_EQ(care.callback.retry_interval, absl::Minutes(10));
  EXPECT_EQ(care.callback.max_attempts, 5);
  EXPECT_EQ(care.callback.max_pending, 200);
  // An empty section turns callbacks on with the defaults; none leaves them off.
  EXPECT_TRUE(queues[1].callback.enabled);
  EXPECT_EQ(queues[1].callback.window, absl::Hours(2));
  EXPECT_FALSE(queues[2].callback.enabled);
}

TEST(CallbackConfigTest, BadCallbackValuesAreNamedWithTheirPlace) {
  ParseOutcome outcome = ParseConfig(R"(queues:
  - name: care
    expected_handle_time: 0s
    callback:
      window: 0s
      max_attempts: 0
      retry_intervl: 5m
  - name: other
    callback: yes
)",
                                     "test.yaml");
  EXPECT_THAT(
      outcome.problems,
      ElementsAre(IsProblem(3, 27, "queues[0].expected_handle_time", "expected_handle_time \"0s\""),
                  IsProblem(5, 15, "queues[0].callback.window", "window \"0s\""),
                  IsProblem(6, 21, "queues[0].callback.max_attempts",
                            "max_attempts \"0\" is out of range (use an integer 1 to 20)"),
                  IsProblem(7, 7, "queues[0].callback.retry_intervl",
                            "unknown key \"retry_intervl\" (did you mean \"retry_interval\"?)"),
                  IsProblem(9, 15, "queues[1].callback", "a mapping of callback settings")));
}

}  // namespace
}  // namespace acd::config
