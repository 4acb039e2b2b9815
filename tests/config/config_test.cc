#include "server/config/config.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/core/expr.h"
#include "server/core/schedule.h"
#include "tests/support/config_matchers.h"
#include "tests/support/temp_dir.h"

namespace acd::config {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

ParseOutcome Parse(std::string_view text) { return ParseConfig(text, "test.yaml"); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

const core::AgentConfig* FindAgent(const Config& config, std::string_view id) {
  for (const auto& agent : config.routing.agents) {
    if (agent.agent_id == id) return &agent;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------
// The shipped example.

TEST(ShippedConfigTest, ParsesWithoutProblems) {
  std::string path = std::string(ACD_SOURCE_DIR) + "/config/acd.yaml";
  ParseOutcome outcome = LoadConfigFile(path);
  ASSERT_TRUE(outcome.ok()) << ProblemsToStatus(outcome.problems);
  const Config& config = *outcome.config;

  EXPECT_EQ(config.server.listen, "127.0.0.1:7070");
  EXPECT_EQ(config.server.database, "acd.db");
  EXPECT_EQ(config.server.ack, AckMode::kCommitted);
  EXPECT_EQ(config.server.synchronous, SyncMode::kFull);
  EXPECT_THAT(config.skills, ElementsAre("english", "spanish", "billing"));

  ASSERT_THAT(config.routing.queues, SizeIs(3));
  EXPECT_EQ(config.routing.queues[0].name, "sales");
  EXPECT_EQ(config.routing.queues[1].name, "support");
  EXPECT_EQ(config.routing.queues[2].name, "billing");
  for (const auto& queue : config.routing.queues) {
    EXPECT_EQ(queue.offer_timeout, absl::Seconds(20)) << queue.name;
    EXPECT_GE(queue.wrap_up_time, absl::Seconds(30)) << queue.name;
    EXPECT_LE(queue.wrap_up_time, absl::Seconds(60)) << queue.name;
    int members = 0;
    for (const auto& agent : config.routing.agents) {
      members += std::count(agent.queues.begin(), agent.queues.end(), queue.name);
    }
    EXPECT_GE(members, 2) << queue.name << " needs at least two agents";
  }

  EXPECT_GE(config.routing.agents.size(), 4u);
  EXPECT_LE(config.routing.agents.size(), 6u);
  const core::AgentConfig* alice = FindAgent(config, "alice");
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->name, "Alice Smith");
  EXPECT_EQ(alice->skills.at("english"), 9);
  EXPECT_THAT(alice->queues, ElementsAre("sales", "support"));
  for (const char* id : {"bob", "carol", "dave"}) EXPECT_NE(FindAgent(config, id), nullptr) << id;

  // The README walkthrough and tests/e2e/walkthrough_test.sh enqueue to support
  // with spanish=3 at any hour and expect an offer to alice at once.
  const core::QueueConfig& support = config.routing.queues[1];
  EXPECT_EQ(support.schedule, "");
  EXPECT_GE(alice->skills.at("spanish"), 3);
  ASSERT_THAT(support.escalation, SizeIs(2));
  EXPECT_EQ(support.escalation[0].after, absl::Seconds(60));
  EXPECT_EQ(support.escalation[0].relax, (core::SkillLevels{{"spanish", 2}}));
  EXPECT_THAT(support.escalation[1].add_queues, ElementsAre("billing"));

  // Business hours on sales and billing, with an overflow to support.
  ASSERT_THAT(config.routing.schedules, SizeIs(1));
  const core::Schedule& office = config.routing.schedules[0];
  EXPECT_EQ(office.name, "office");
  EXPECT_EQ(office.zone.name(), "Europe/London");
  EXPECT_THAT(office.weekly[0], ElementsAre(core::OpenInterval{8 * 60, 18 * 60}));
  EXPECT_THAT(office.weekly[5], ElementsAre(core::OpenInterval{9 * 60, 13 * 60}));
  EXPECT_THAT(office.weekly[6], IsEmpty());
  EXPECT_THAT(office.holidays, ::testing::Contains(absl::CivilDay(2026, 12, 25)));
  const core::QueueConfig& sales = config.routing.queues[0];
  EXPECT_EQ(sales.schedule, "office");
  EXPECT_EQ(config.routing.queues[2].schedule, "office");
  EXPECT_EQ(sales.on_closed.kind, core::LimitAction::Kind::kOverflow);
  EXPECT_EQ(sales.on_closed.queue, "support");
  EXPECT_EQ(sales.on_full.queue, "support");

  // A VIP rule, a language rule and a default rule last.
  std::vector<std::string> rules;
  for (const auto& rule : config.routing.rules) rules.push_back(rule.name);
  EXPECT_THAT(rules, ElementsAre("vip", "billing", "spanish", "sales", "default"));
  const core::RoutingRule& vip = config.routing.rules[0];
  ASSERT_NE(vip.when, nullptr);
  EXPECT_EQ(vip.when->ToString(), "tier in [\"gold\", \"platinum\"]");
  EXPECT_TRUE(vip.when->Evaluate({{"tier", "gold"}}));
  EXPECT_EQ(vip.priority, 8);
  EXPECT_EQ(config.routing.rules[2].skills, (core::SkillLevels{{"spanish", 3}}));
  EXPECT_EQ(config.routing.rules.back().when, nullptr);
  EXPECT_EQ(config.routing.rules.back().queue, "support");

  EXPECT_EQ(config.file, path);
  EXPECT_EQ(config.text, ReadFile(path));
  EXPECT_EQ(config.hash, Sha256Hex(config.text));
}

// ---------------------------------------------------------------------------
// Values and defaults.

TEST(ParseConfigTest, DefaultsApplyToAMinimalFile) {
  ParseOutcome outcome = Parse(
      "queues:\n"
      "  - name: q\n"
      "agents:\n"
      "  - id: a1\n");
  ASSERT_TRUE(outcome.ok()) << ProblemsToStatus(outcome.problems);
  const Config& config = *outcome.config;
  EXPECT_EQ(config.server.listen, "127.0.0.1:7070");
  EXPECT_EQ(config.server.database, "acd.db");
  EXPECT_EQ(config.server.ack, AckMode::kCommitted);
  EXPECT_EQ(config.server.synchronous, SyncMode::kFull);
  EXPECT_EQ(config.server.log_level, "info");
  EXPECT_EQ(config.server.log_format, "text");
  EXPECT_THAT(config.skills, IsEmpty());
  ASSERT_THAT(config.routing.queues, SizeIs(1));
  EXPECT_EQ(config.routing.queues[0].offer_timeout, absl::Seconds(20));
  EXPECT_EQ(config.routing.queues[0].wrap_up_time, absl::Seconds(30));
  EXPECT_EQ(config.routing.queues[0].max_missed_offers, 3);
  ASSERT_THAT(config.routing.agents, SizeIs(1));
  EXPECT_EQ(config.routing.agents[0].name, "a1");  // name defaults to the id
  EXPECT_THAT(config.routing.agents[0].skills, IsEmpty());
  EXPECT_THAT(config.routing.agents[0].queues, IsEmpty());
  EXPECT_EQ(config.file, "test.yaml");
}

TEST(ParseConfigTest, ReadsEveryKey) {
  ParseOutcome outcome = Parse(R"(server:
  listen: "[::1]:0"
  database: /var/lib/acd/acd.db
  ack: applied
  synchronous: normal
  log_level: debug
  log_format: json
  http: "127.0.0.1:9464"
skills: [english, billing]
queues:
  - name: q.1
    offer_timeout: 1m30s
    wrap_up_time: 0s
    max_missed_offers: 0
  - {name: q-2, offer_timeout: 500ms, wrap_up_time: 1h}
agents:
  - id: Agent_7
    name: "Seven of Nine"
    skills: {english: 1, billing: 10}
    queues: [q-2, q.1]
)");
  ASSERT_TRUE(outcome.ok()) << ProblemsToStatus(outcome.problems);
  const Config& config = *outcome.config;
  EXPECT_EQ(config.server.listen, "[::1]:0");
  EXPECT_EQ(config.server.database, "/var/lib/acd/acd.db");
  EXPECT_EQ(config.server.ack, AckMode::kApplied);
  EXPECT_EQ(config.server.synchronous, SyncMode::kNormal);
  EXPECT_EQ(config.server.log_level, "debug");
  EXPECT_EQ(config.server.log_format, "json");
  EXPECT_EQ(config.server.http, "127.0.0.1:9464");
  EXPECT_THAT(config.skills, ElementsAre("english", "billing"));
  ASSERT_THAT(config.routing.queues, SizeIs(2));
  EXPECT_EQ(config.routing.queues[0].name, "q.1");
  EXPECT_EQ(config.routing.queues[0].offer_timeout, absl::Seconds(90));
  EXPECT_EQ(config.routing.queues[0].wrap_up_time, absl::ZeroDuration());
  EXPECT_EQ(config.routing.queues[0].max_missed_offers, 0);
  EXPECT_EQ(config.routing.queues[1].offer_timeout, absl::Milliseconds(500));
  EXPECT_EQ(config.routing.queues[1].wrap_up_time, absl::Hours(1));
  ASSERT_THAT(config.routing.agents, SizeIs(1));
  const core::AgentConfig& agent = config.routing.agents[0];
  EXPECT_EQ(agent.agent_id, "Agent_7");
  EXPECT_EQ(agent.name, "Seven of Nine");
  EXPECT_EQ(agent.skills, (core::SkillLevels{{"english", 1}, {"billing", 10}}));
  EXPECT_THAT(agent.queues, ElementsAre("q-2", "q.1"));
}

TEST(ParseConfigTest, EmptySectionsMeanDefaults) {
  ParseOutcome outcome = Parse("server:\nqueues:\n  - name: q\nagents:\n");
  ASSERT_TRUE(outcome.ok()) << ProblemsToStatus(outcome.problems);
  EXPECT_EQ(outcome.config->server.listen, "127.0.0.1:7070");
  EXPECT_THAT(outcome.config->routing.agents, IsEmpty());
}

TEST(ParseConfigTest, ModeNames) {
  EXPECT_EQ(AckModeName(AckMode::kCommitted), "committed");
  EXPECT_EQ(AckModeName(AckMode::kApplied), "applied");
  EXPECT_EQ(SyncModeName(SyncMode::kFull), "full");
  EXPECT_EQ(SyncModeName(SyncMode::kNormal), "normal");
}

// ---------------------------------------------------------------------------
// Document-level problems.

TEST(ParseConfigTest, EmptyDocumentIsAProblemAtStart) {
  for (std::string_view text : {"", "# only a comment\n", "---\n", "\n\n"}) {
    ParseOutcome outcome = Parse(text);
    EXPECT_FALSE(outcome.config.has_value());
    EXPECT_THAT(outcome.problems, ElementsAre(IsProblem(1, 1, "", "config is empty")))
        << "text: " << text;
  }
}

TEST(ParseConfigTest, NonMappingTopLevelIsAProblemAtStart) {
  EXPECT_THAT(Parse("\n\n  - queues\n").problems,
              ElementsAre(IsProblem(1, 1, "", "expected a mapping of sections")));
  EXPECT_THAT(Parse("just text\n").problems, ElementsAre(IsProblem(1, 1, "", "got \"just text\"")));
}

TEST(ParseConfigTest, SyntaxErrorIsOneProblemAtItsMark) {
  ParseOutcome outcome = Parse(
      "queues:\n"
      "  - name: q\n"
      "    offer_timeout: [20s\n");
  ASSERT_THAT(outcome.problems, SizeIs(1));
  EXPECT_EQ(outcome.problems[0].line, 4);  // the flow list is still open at the end
  EXPECT_EQ(outcome.problems[0].column, 1);
  EXPECT_EQ(outcome.problems[0].path, "");
  EXPECT_THAT(outcome.problems[0].message, HasSubstr("YAML syntax error"));
  EXPECT_THAT(outcome.problems[0].message, HasSubstr("end of sequence flow not found"));
  EXPECT_FALSE(outcome.config.has_value());

  // A tab used for indentation.
  EXPECT_THAT(Parse("queues:\n\t- name: q\n").problems,
              ElementsAre(Field(&Problem::message, HasSubstr("YAML syntax error"))));
}

TEST(ParseConfigTest, SecondDocumentIsAProblem) {
  EXPECT_THAT(Parse("queues: [{name: q}]\n---\nqueues: [{name: r}]\n").problems,
              ElementsAre(IsProblem(2, 1, "", "more than one YAML document")));
}

// yaml-cpp 0.7's LoadAll loops forever, allocating, on these
// (jbeder/yaml-cpp#1040); YAML::Load alone takes the first as an empty file.
TEST(ParseConfigTest, StrayCommaIsASyntaxErrorNotAHang) {
  EXPECT_THAT(Parse(",\n").problems,
              ElementsAre(IsProblem(1, 1, "", "YAML syntax error: unexpected \",\"")));
  EXPECT_THAT(Parse("# header\n,server:\n  listen: x\n").problems,
              ElementsAre(IsProblem(2, 1, "", "YAML syntax error: unexpected \",\"")));
  EXPECT_THAT(Parse("queues: [{name: q}]\n---\n  ,\n").problems,
              ElementsAre(IsProblem(3, 3, "", "YAML syntax error: unexpected \",\"")));
}

TEST(ParseConfigTest, NoExceptionEscapesOnHostileInput) {
  std::string deep(5000, '[');
  for (std::string_view text :
       {std::string_view(deep), std::string_view("? [a]\n: b\n"),
        std::string_view("queues: *nope\n"), std::string_view("\xff\xfe\x00q", 4),
        std::string_view("queues: !!binary 12\n"), std::string_view("{a: 1, a: 2}\n"),
        std::string_view("[:"), std::string_view("{# ke\ny{:"), std::string_view("- !+(.,.)")}) {
    ParseOutcome outcome;
    EXPECT_NO_THROW(outcome = Parse(text));
    EXPECT_FALSE(outcome.ok()) << "accepted: " << text;
    EXPECT_FALSE(outcome.config.has_value());
  }
}

// ---------------------------------------------------------------------------
// Keys.

TEST(ParseConfigTest, StatsWindowAndTimezone) {
  ParseOutcome ok = Parse(
      "server:\n"
      "  stats_window: 30m\n"
      "  timezone: Europe/London\n"
      "queues:\n"
      "  - name: q\n");
  ASSERT_TRUE(ok.ok()) << ok.problems[0].ToString();
  EXPECT_EQ(ok.config->server.stats_window, absl::Minutes(30));
  EXPECT_EQ(ok.config->server.timezone.name(), "Europe/London");
  EXPECT_EQ(Parse("queues:\n  - name: q\n").config->server.stats_window, absl::Minutes(15));

  ParseOutcome bad = Parse(
      "server:\n"
      "  stats_window: 90s\n"
      "  timezone: Mars/Olympus\n"
      "queues:\n"
      "  - name: q\n");
  EXPECT_THAT(
      bad.problems,
      ElementsAre(IsProblem(2, 17, "server.stats_window",
                            "stats_window \"1m30s\" must be a whole number of minutes "
                            "(e.g. 15m)"),
                  IsProblem(3, 13, "server.timezone", "unknown time zone \"Mars/Olympus\"")));
  EXPECT_THAT(
      Parse("server:\n  stats_window: 2h\nqueues:\n  - name: q\n").problems,
      ElementsAre(IsProblem(2, 17, "server.stats_window", "stats_window \"2h\" is out of range")));
}

TEST(ParseConfigTest, ShutdownGrace) {
  EXPECT_EQ(Parse("queues:\n  - name: q\n").config->server.shutdown_grace, absl::Seconds(5));
  ParseOutcome ok = Parse("server:\n  shutdown_grace: 30s\nqueues:\n  - name: q\n");
  ASSERT_TRUE(ok.ok()) << ok.problems[0].ToString();
  EXPECT_EQ(ok.config->server.shutdown_grace, absl::Seconds(30));
  EXPECT_THAT(Parse("server:\n  shutdown_grace: 0s\nqueues:\n  - name: q\n").problems,
              ElementsAre(IsProblem(2, 19, "server.shutdown_grace",
                                    "shutdown_grace \"0s\" is out of range")));
  EXPECT_THAT(Parse("server:\n  shutdown_grace: 1h\nqueues:\n  - name: q\n").problems,
              ElementsAre(IsProblem(2, 19, "server.shutdown_grace",
                                    "shutdown_grace \"1h\" is out of range")));
}

TEST(ParseConfigTest, RequestLimits) {
  ParseOutcome defaults = Parse("queues:\n  - name: q\n");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults.config->server.max_message_bytes, 1 << 20);
  EXPECT_EQ(defaults.config->server.max_streams, 10000);
  EXPECT_EQ(defaults.config->server.stream_buffer, 10000);

  ParseOutcome ok = Parse(
      "server:\n"
      "  max_message_bytes: 4194304\n"
      "  max_streams: 50\n"
      "  stream_buffer: 500\n"
      "queues:\n"
      "  - name: q\n");
  ASSERT_TRUE(ok.ok()) << ok.problems[0].ToString();
  EXPECT_EQ(ok.config->server.max_message_bytes, 4 << 20);
  EXPECT_EQ(ok.config->server.max_streams, 50);
  EXPECT_EQ(ok.config->server.stream_buffer, 500);

  ParseOutcome bad = Parse(
      "server:\n"
      "  max_message_bytes: 1000\n"
      "  max_streams: 0\n"
      "  stream_buffer: 99\n"
      "queues:\n"
      "  - name: q\n");
  EXPECT_THAT(bad.problems,
              ElementsAre(IsProblem(2, 22, "server.max_message_bytes",
                                    "max_message_bytes \"1000\" is out of range (use an integer "
                                    "from 65536 (64 KiB) to 67108864 (64 MiB))"),
                          IsProblem(3, 16, "server.max_streams",
                                    "max_streams \"0\" is out of range (use an integer from 1"),
                          IsProblem(4, 18, "server.stream_buffer",
                                    "stream_buffer \"99\" is out of range (use an integer from "
                                    "100 to 1000000)")));
}

TEST(ParseConfigTest, UnknownKeyWithHint) {
  ParseOutcome outcome = Parse(
      "queues:\n"
      "  - name: q\n"
      "    ofer_timeout: 20s\n");
  EXPECT_THAT(
      outcome.problems,
      ElementsAre(IsProblem(3, 5, "queues[0].ofer_timeout",
                            "unknown key \"ofer_timeout\" (did you mean \"offer_timeout\"?)")));
}

TEST(ParseConfigTest, UnknownKeyHintsAtEveryLevel) {
  ParseOutcome outcome = Parse(
      "server:\n"
      "  lisen: \"1.2.3.4:1\"\n"  // 2: one deletion
      "queus:\n"                  // 3: one deletion
      "  - name: q\n"
      "queues:\n"
      "  - name: q\n"
      "agents:\n"
      "  - id: a\n"
      "    sklils: {}\n"  // 9: a transposition counts as one edit
      "    colour: red\n");
  EXPECT_THAT(outcome.problems,
              ElementsAre(IsProblem(2, 3, "server.lisen", "(did you mean \"listen\"?)"),
                          IsProblem(3, 1, "queus", "(did you mean \"queues\"?)"),
                          IsProblem(9, 5, "agents[0].sklils", "(did you mean \"skills\"?)"),
                          AllOf(IsProblem(10, 5, "agents[0].colour", "unknown key \"colour\""),
                                Field(&Problem::message, Not(HasSubstr("did you mean"))))));
}

TEST(ParseConfigTest, PlannedSectionsAreNamedAsLaterReleases) {
  ParseOutcome outcome = Parse(
      "queues: [{name: q}]\n"
      "webhooks: []\n");
  EXPECT_THAT(outcome.problems,
              ElementsAre(IsProblem(2, 1, "webhooks", "not supported in this release")));
}

TEST(ParseConfigTest, DuplicateKeyNamesFirstLine) {
  ParseOutcome outcome = Parse(
      "queues:\n"
      "  - name: q\n"
      "    wrap_up_time: 10s\n"
      "    wrap_up_time: 20s\n");
  EXPECT_THAT(outcome.problems,
              ElementsAre(IsProblem(4, 5, "queues[0].wrap_up_time",
                                    "duplicate key \"wrap_up_time\" (first at line 3)")));
}

TEST(ParseConfigTest, MissingRequiredKeys) {
  ParseOutcome outcome = Parse(
      "queues:\n"
      "  - name: q\n"
      "  - offer_timeout: 20s\n"  // 3: queue without name
      "agents:\n"
      "  - name: Nobody\n");  // 5: agent without id
  EXPECT_THAT(outcome.problems,
              ElementsAre(IsProblem(3, 5, "queues[1]", "missing required key \"name\""),
                          IsProblem(5, 5, "agents[0]", "missing required key \"id\"")));
}

TEST(ParseConfigTest, AtLeastOneQueueIsRequired) {
  EXPECT_THAT(Parse("server: {}\n").problems,
              ElementsAre(IsProblem(1, 1, "", "missing required key \"queues\"")));
  EXPECT_THAT(Parse("server: {}\nqueues: []\n").problems,
              ElementsAre(IsProblem(2, 9, "queues", "at least one queue is required")));
  EXPECT_THAT(Parse("server: {}\nqueues:\n").problems,
              ElementsAre(IsProblem(2, 1, "queues", "at least one queue is required")));
}

// ---------------------------------------------------------------------------
// Types.

TEST(ParseConfigTest, WrongNodeTypes) {
  EXPECT_THAT(Parse("queues: 5\n").problems,
              ElementsAre(IsProblem(1, 9, "queues", "expected a list of queues, got \"5\"")));
  ParseOutcome outcome = Parse(
      "server: [listen]\n"
      "queues:\n"
      "  - sales\n"
      "  - name: [q]\n"
      "agents:\n"
      "  - id: a\n"
      "    skills: [english]\n"
      "    queues: {sales: 1}\n");
  EXPECT_THAT(
      outcome.problems,
      ElementsAre(
          IsProblem(1, 9, "server", "got a list [listen]"),
          IsProblem(3, 5, "queues[0]", "expected a queue (a mapping with at least \"name\")"),
          IsProblem(4, 11, "queues[1].name", "expected a queue name, got a list [q]"),
          IsProblem(7, 13, "agents[0].skills", "got a list [english]"),
          IsProblem(8, 13, "agents[0].queues", "got a mapping {sales: 1}")));
}

TEST(ParseConfigTest, MissingValueIsPlacedOnItsKey) {
  // yaml-cpp marks an empty value at the next token (line 3 here); the problem
  // belongs on the key.
  ParseOutcome outcome = Parse(
      "queues:\n"
      "  - name:\n"
      "    offer_timeout: 20s\n");
  EXPECT_THAT(outcome.problems, ElementsAre(IsProblem(2, 5, "queues[0].name",
                                                      "missing value (expected a queue name)")));
}

TEST(ParseConfigTest, EmptyListItemIsPlacedOnItsDash) {
  ParseOutcome outcome = Parse(
      "queues:\n"
      "  - name: q\n"
      "  -\n"
      "  - name: r\n");
  EXPECT_THAT(outcome.problems, ElementsAre(IsProblem(3, 3, "queues[1]", "got nothing")));
}

// ---------------------------------------------------------------------------
// Values.

TEST(ParseConfigTest, InvalidDurations) {
  ParseOutcome outcome = Parse(
      "queues:\n"
      "  - name: a\n"
      "    offer_timeout: 20x\n"  // 3
      "  - name: b\n"
      "    offer_timeout: 20\n"  // 5: bare number
      "  - name: c\n"
      "    wrap_up_time: -5s\n"  // 7: negative
      "  - name: d\n"
      "    offer_timeout: 0s\n"  // 9: must be > 0
      "  - name: e\n"
      "    offer_timeout: 11m\n"  // 11: > 10m
      "  - name: f\n"
      "    wrap_up_time: 2h\n"  // 13: > 1h
      "  - name: g\n"
      "    wrap_up_time: [30s]\n");  // 15
  EXPECT_THAT(
      outcome.problems,
      ElementsAre(
          IsProblem(3, 20, "queues[0].offer_timeout",
                    "invalid duration \"20x\" (use e.g. 20s, 1m30s, 500ms)"),
          IsProblem(5, 20, "queues[1].offer_timeout",
                    "invalid duration \"20\" (a unit is required"),
          IsProblem(7, 19, "queues[2].wrap_up_time",
                    "invalid duration \"-5s\" (must not be negative)"),
          IsProblem(9, 20, "queues[3].offer_timeout",
                    "offer_timeout \"0s\" is out of range (must be > 0s and <= 10m)"),
          IsProblem(11, 20, "queues[4].offer_timeout", "offer_timeout \"11m\" is out of range"),
          IsProblem(13, 19, "queues[5].wrap_up_time",
                    "wrap_up_time \"2h\" is out of range (must be >= 0s and <= 1h)"),
          IsProblem(15, 19, "queues[6].wrap_up_time", "expected a duration like 20s")));
}

TEST(ParseConfigTest, DurationBoundsAreInclusive) {
  ParseOutcome outcome = Parse("queues: [{name: q, offer_timeout: 10m, wrap_up_time: 1h}]\n");
  ASSERT_TRUE(outcome.ok()) << ProblemsToStatus(outcome.problems);
  EXPECT_EQ(outcome.config->routing.queues[0].offer_timeout, absl::Minutes(10));
}

TEST(ParseConfigTest, InvalidMaxMissedOffers) {
  ParseOutcome outcome = Parse(
      "queues:\n"
      "  - name: a\n"
      "    max_missed_offers: -1\n"
      "  - name: b\n"
      "    max_missed_offers: three\n"
      "  - name: c\n"
      "    max_missed_offers: 2.5\n");
  EXPECT_THAT(
      outcome.problems,
      ElementsAre(
          IsProblem(3, 24, "queues[0].max_missed_offers",
                    "max_missed_offers \"-1\" is out of range (use an integer >= 0)"),
          IsProblem(5, 24, "queues[1].max_missed_offers", "invalid max_missed_offers \"three\""),
          IsProblem(7, 24, "queues[2].max_missed_offers", "invalid max_missed_offers \"2.5\"")));
}

TEST(ParseConfigTest, NamesAndIds) {
  std::string longest(64, 'x');
  std::string too_long(65, 'y');
  ParseOutcome outcome =
      Parse(absl::StrCat("queues:\n"
                         "  - name: \"",
                         longest,
                         "\"\n"
                         "  - name: bad name\n"  // 3
                         "  - name: \"",
                         too_long,
                         "\"\n"              // 4
                         "  - name: \"\"\n"  // 5
                         "agents:\n"
                         "  - id: bob/2\n"   // 7
                         "  - id: bób\n"));  // 8
  EXPECT_THAT(
      outcome.problems,
      ElementsAre(IsProblem(3, 11, "queues[1].name",
                            "invalid queue name \"bad name\" (use 1-64 characters from A-Z a-z "
                            "0-9 _ . -)"),
                  IsProblem(4, 11, "queues[2].name", absl::StrCat("\"", too_long, "\"")),
                  IsProblem(5, 11, "queues[3].name", "invalid queue name \"\""),
                  IsProblem(7, 9, "agents[0].id", "invalid agent id \"bob/2\""),
                  IsProblem(8, 9, "agents[1].id", "invalid agent id \"bób\"")));
}

TEST(ParseConfigTest, DuplicatesAreReportedAtTheSecondOccurrence) {
  ParseOutcome outcome = Parse(
      "skills: [english, spanish, english]\n"  // 1
      "queues:\n"
      "  - name: support\n"  // 3
      "  - name: sales\n"
      "  - name: support\n"  // 5
      "agents:\n"
      "  - id: alice\n"  // 7
      "    queues: [support, sales, support]\n"
      "  - id: alice\n");  // 9
  EXPECT_THAT(outcome.problems,
              ElementsAre(IsProblem(1, 28, "skills[2]",
                                    "duplicate skill \"english\" (first declared at line 1)"),
                          IsProblem(5, 11, "queues[2].name",
                                    "duplicate queue name \"support\" (first defined at line 3)"),
                          IsProblem(8, 30, "agents[0].queues[2]",
                                    "duplicate queue \"support\" (first listed at line 8)"),
                          IsProblem(9, 9, "agents[1].id",
                                    "duplicate agent id \"alice\" (first defined at line 7)")));
}

TEST(ParseConfigTest, AgentQueuesMustBeDefinedQueueNames) {
  ParseOutcome outcome = Parse(
      "agents:\n"  // agents before queues: order in the file does not matter
      "  - id: a\n"
      "    queues: [support, suport, [x], marketing]\n"
      "  - id: b\n"
      "    queues:\n"
      "      - sales\n"
      "      - {name: sales}\n"  // 7
      "queues:\n"
      "  - name: support\n"
      "  - name: sales\n");
  EXPECT_THAT(
      outcome.problems,
      ElementsAre(IsProblem(3, 23, "agents[0].queues[1]",
                            "unknown queue \"suport\" (did you mean \"support\"?)"),
                  IsProblem(3, 31, "agents[0].queues[2]",
                            "expected a queue name or {name: QUEUE, penalty: N}, got a list [x]"),
                  AllOf(IsProblem(3, 36, "agents[0].queues[3]", "unknown queue \"marketing\""),
                        Field(&Problem::message, Not(HasSubstr("did you mean")))),
                  IsProblem(7, 16, "agents[1].queues[1].name",
                            "duplicate queue \"sales\" (first listed at line 6)")));
}

TEST(ParseConfigTest, SkillLevels) {
  ParseOutcome outcome = Parse(
      "queues: [{name: q}]\n"
      "agents:\n"
      "  - id: a\n"
      "    skills:\n"
      "      english: 0\n"     // 5
      "      spanish: 11\n"    // 6
      "      billing: high\n"  // 7
      "      french: 2.5\n"    // 8
      "      german: \n");     // 9: missing
  EXPECT_THAT(
      outcome.problems,
      ElementsAre(
          IsProblem(5, 16, "agents[0].skills.english",
                    "skill level \"0\" is out of range (use an integer 1..10)"),
          IsProblem(6, 16, "agents[0].skills.spanish", "skill level \"11\" is out of range"),
          IsProblem(7, 16, "agents[0].skills.billing", "invalid skill level \"high\""),
          IsProblem(8, 15, "agents[0].skills.french", "invalid skill level \"2.5\""),
          IsProblem(9, 7, "agents[0].skills.german", "missing value")));
}

TEST(ParseConfigTest, AgentSkillsMustBeDeclaredWhenSkillsIsPresent) {
  std::string agents =
      "queues: [{name: q}]\n"
      "agents:\n"
      "  - id: a\n"
      "    skills: {english: 5, englsh: 3, klingon: 1}\n";
  // Without a skills list any skill name is fine.
  ParseOutcome open = Parse(agents);
  ASSERT_TRUE(open.ok()) << ProblemsToStatus(open.problems);
  EXPECT_EQ(open.config->routing.agents[0].skills.size(), 3u);

  ParseOutcome strict = Parse("skills: [english, spanish]\n" + agents);
  EXPECT_THAT(
      strict.problems,
      ElementsAre(
          IsProblem(5, 26, "agents[0].skills.englsh",
                    "skill \"englsh\" is not declared in skills (did you mean \"english\"?)"),
          IsProblem(5, 37, "agents[0].skills.klingon",
                    "skill \"klingon\" is not declared in skills (declared: english, spanish)")));
}

TEST(ParseConfigTest, ServerValues) {
  ParseOutcome outcome = Parse(
      "server:\n"
      "  listen: localhost\n"  // 2
      "  database: \"\"\n"     // 3
      "  ack: sometimes\n"     // 4
      "  synchronous: off\n"   // 5
      "  log_level: wran\n"    // 6
      "  log_format: xml\n"    // 7
      "  http: 9464\n"         // 8
      "queues: [{name: q}]\n");
  EXPECT_THAT(
      outcome.problems,
      ElementsAre(
          IsProblem(2, 11, "server.listen", "invalid listen address \"localhost\" (use host:port"),
          IsProblem(3, 13, "server.database", "invalid database path \"\""),
          IsProblem(4, 8, "server.ack", "invalid ack \"sometimes\" (use committed or applied)"),
          IsProblem(5, 16, "server.synchronous",
                    "invalid synchronous \"off\" (use full or normal)"),
          IsProblem(6, 14, "server.log_level",
                    "invalid log_level \"wran\" (use trace, debug, info, warn or error; "
                    "did you mean \"warn\"?)"),
          IsProblem(7, 15, "server.log_format", "invalid log_format \"xml\" (use text or json)"),
          IsProblem(8, 9, "server.http", "invalid listen address \"9464\" (use host:port")));
}

TEST(ParseConfigTest, HttpListensOnIpv4) {
  ParseOutcome outcome = Parse("server: {http: \"[::1]:9464\"}\nqueues: [{name: q}]\n");
  EXPECT_THAT(outcome.problems,
              ElementsAre(IsProblem(1, 16, "server.http", "the HTTP front listens on IPv4 only")));
  EXPECT_TRUE(Parse("server: {http: \"localhost:9464\"}\nqueues: [{name: q}]\n").ok());
}

TEST(ParseConfigTest, ListenAddresses) {
  for (std::string good : {"127.0.0.1:7070", "0.0.0.0:0", "localhost:65535", "[::]:7070", "[::1]:1",
                           "acd-1.example.com:7070"}) {
    ParseOutcome outcome =
        Parse(absl::StrCat("server: {listen: \"", good, "\"}\nqueues: [{name: q}]\n"));
    EXPECT_TRUE(outcome.ok()) << good << ": " << ProblemsToStatus(outcome.problems);
  }
  struct Bad {
    std::string listen;
    std::string message;
  };
  for (const Bad& bad : std::initializer_list<Bad>{
           {"7070", "invalid listen address \"7070\""},
           {":7070", "invalid listen address \":7070\""},
           {"host:70000", "invalid port \"70000\" in listen address \"host:70000\" (use 0..65535)"},
           {"host:", "invalid port \"\""},
           {"host:+80", "invalid port \"+80\""},
           {"::1:7070", "put an IPv6 address in brackets"},
           {"[::1]7070", "invalid listen address \"[::1]7070\""},
           {"[]:7070", "invalid listen address"},
           {"my host:7070", "invalid listen address"}}) {
    ParseOutcome outcome =
        Parse(absl::StrCat("server: {listen: \"", bad.listen, "\"}\nqueues: [{name: q}]\n"));
    EXPECT_THAT(outcome.problems, ElementsAre(IsProblem(1, 18, "server.listen", bad.message)))
        << bad.listen;
  }
}

TEST(ParseConfigTest, AllProblemsAreReportedInFileOrder) {
  ParseOutcome outcome = Parse(
      "agents:\n"
      "  - id: a\n"
      "    queues: [nowhere]\n"      // 3
      "    skills: {english: 42}\n"  // 4
      "server:\n"
      "  ack: maybe\n"  // 6
      "queues:\n"
      "  - name: q\n"
      "    offer_timeout: soon\n"   // 9
      "    max_missed_offers: x\n"  // 10
      "    colour: red\n");         // 11
  EXPECT_FALSE(outcome.config.has_value());
  EXPECT_THAT(outcome.problems,
              ElementsAre(IsProblem(3, 14, "agents[0].queues[0]", "\"nowhere\""),
                          IsProblem(4, 23, "agents[0].skills.english", "\"42\""),
                          IsProblem(6, 8, "server.ack", "\"maybe\""),
                          IsProblem(9, 20, "queues[0].offer_timeout", "\"soon\""),
                          IsProblem(10, 24, "queues[0].max_missed_offers", "\"x\""),
                          IsProblem(11, 5, "queues[0].colour", "\"colour\"")));
  for (const Problem& problem : outcome.problems) EXPECT_EQ(problem.file, "test.yaml");
}

// The example in config/README.md, kept here so the documented output stays real.
TEST(ParseConfigTest, ReadmeExampleOutput) {
  ParseOutcome outcome = ParseConfig(
      "server:\n"
      "  listen: \"127.0.0.1:70700\"\n"
      "  ack: comitted\n"
      "skills: [english, spanish]\n"
      "queues:\n"
      "  - name: sales\n"
      "    offer_timeout: 20\n"
      "  - name: support\n"
      "    wrap_up_time: 30x\n"
      "    max_missed_ofers: 3\n"
      "agents:\n"
      "  - id: alice\n"
      "    skills: {english: 11, french: 3}\n"
      "    queues: [sales, suport]\n"
      "  - id: alice\n"
      "    queues: [support]\n",
      "acd.yaml");
  EXPECT_EQ(
      ProblemsToStatus(outcome.problems).message(),
      "config has 9 problem(s):\n"
      "acd.yaml:2:11: server.listen: invalid port \"70700\" in listen address \"127.0.0.1:70700\" "
      "(use 0..65535)\n"
      "acd.yaml:3:8: server.ack: invalid ack \"comitted\" (use committed or applied; did you mean "
      "\"committed\"?)\n"
      "acd.yaml:7:20: queues[0].offer_timeout: invalid duration \"20\" (a unit is required: use "
      "e.g. 20s, 1m30s, 500ms)\n"
      "acd.yaml:9:19: queues[1].wrap_up_time: invalid duration \"30x\" (use e.g. 20s, 1m30s, "
      "500ms)\n"
      "acd.yaml:10:5: queues[1].max_missed_ofers: unknown key \"max_missed_ofers\" (did you mean "
      "\"max_missed_offers\"?)\n"
      "acd.yaml:13:23: agents[0].skills.english: skill level \"11\" is out of range (use an "
      "integer 1..10)\n"
      "acd.yaml:13:27: agents[0].skills.french: skill \"french\" is not declared in skills "
      "(declared: english, spanish)\n"
      "acd.yaml:14:21: agents[0].queues[1]: unknown queue \"suport\" (did you mean "
      "\"support\"?)\n"
      "acd.yaml:15:9: agents[1].id: duplicate agent id \"alice\" (first defined at line 12)");
}

// ---------------------------------------------------------------------------
// Files, status and hash.

TEST(LoadConfigFileTest, MissingFileIsOneProblemWithErrnoText) {
  std::string path = "/nonexistent/dir/acd.yaml";
  ParseOutcome outcome = LoadConfigFile(path);
  ASSERT_THAT(outcome.problems, SizeIs(1));
  const Problem& problem = outcome.problems[0];
  EXPECT_EQ(problem.file, path);
  EXPECT_EQ(problem.line, 0);
  EXPECT_EQ(problem.path, "");
  EXPECT_THAT(problem.message, HasSubstr(path));
  EXPECT_THAT(problem.message, HasSubstr("No such file or directory"));
  EXPECT_EQ(problem.ToString(),
            "/nonexistent/dir/acd.yaml: cannot read config file \"/nonexistent/dir/acd.yaml\": No "
            "such file or directory");
  EXPECT_FALSE(outcome.config.has_value());
}

TEST(LoadConfigFileTest, DirectoryIsOneProblem) {
  std::string dir = std::filesystem::temp_directory_path().string();
  ParseOutcome outcome = LoadConfigFile(dir);
  EXPECT_THAT(outcome.problems,
              ElementsAre(AllOf(IsProblem(0, 0, "", dir),
                                Field(&Problem::message, HasSubstr("Is a directory")))));
}

TEST(LoadConfigFileTest, ProblemsNameTheFile) {
  testing::TempDir dir;
  const std::string path =
      dir.Write("test.yaml", "queues:\n  - name: q\n    offer_timeout: forever\n");
  ParseOutcome outcome = LoadConfigFile(path);
  ASSERT_THAT(outcome.problems, SizeIs(1));
  EXPECT_EQ(
      outcome.problems[0].ToString(),
      absl::StrCat(path,
                   ":3:20: queues[0].offer_timeout: invalid duration \"forever\" (use e.g. 20s, "
                   "1m30s, 500ms)"));
}

TEST(LoadConfigFileTest, ReadsTheExactText) {
  std::string text = "# keep me\r\nqueues: [{name: q}]\r\n";
  testing::TempDir dir;
  const std::string path = dir.Write("test.yaml", text);
  ParseOutcome outcome = LoadConfigFile(path);
  ASSERT_TRUE(outcome.ok()) << ProblemsToStatus(outcome.problems);
  EXPECT_EQ(outcome.config->text, text);
  EXPECT_EQ(outcome.config->file, path);
}

TEST(ProblemTest, ToStringFormats) {
  Problem with_path{.file = "acd.yaml",
                    .line = 12,
                    .column = 20,
                    .path = "queues[1].offer_timeout",
                    .message = "invalid duration \"20x\""};
  EXPECT_EQ(with_path.ToString(),
            "acd.yaml:12:20: queues[1].offer_timeout: invalid duration \"20x\"");
  Problem no_path{
      .file = "acd.yaml", .line = 1, .column = 1, .path = "", .message = "config is empty"};
  EXPECT_EQ(no_path.ToString(), "acd.yaml:1:1: config is empty");
  Problem no_place{
      .file = "acd.yaml", .line = 0, .column = 0, .path = "", .message = "cannot read"};
  EXPECT_EQ(no_place.ToString(), "acd.yaml: cannot read");
}

TEST(ProblemsToStatusTest, OkWhenEmpty) { EXPECT_TRUE(ProblemsToStatus({}).ok()); }

TEST(ProblemsToStatusTest, InvalidArgumentListingEveryProblem) {
  ParseOutcome outcome = Parse(
      "queues:\n"
      "  - name: q\n"
      "    offer_timeout: 20x\n"
      "    wrap_up_time: -1s\n");
  absl::Status status = ProblemsToStatus(outcome.problems);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      status.message(),
      "config has 2 problem(s):\n"
      "test.yaml:3:20: queues[0].offer_timeout: invalid duration \"20x\" (use e.g. 20s, 1m30s, "
      "500ms)\n"
      "test.yaml:4:19: queues[0].wrap_up_time: invalid duration \"-1s\" (must not be negative)");
}

TEST(HashTest, Sha256KnownDigests) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(HashTest, ConfigHashIsSha256OfTheExactText) {
  std::string text = "queues: [{name: q}]\n";
  ParseOutcome first = Parse(text);
  ParseOutcome again = ParseConfig(text, "other-name.yaml");
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(first.config->hash, Sha256Hex(text));
  EXPECT_THAT(first.config->hash, SizeIs(64));
  EXPECT_EQ(first.config->hash, again.config->hash);  // the file name is not hashed
  // A change that means nothing to YAML still changes the hash: it is the text's.
  ParseOutcome commented = Parse("# note\n" + text);
  ASSERT_TRUE(commented.ok());
  EXPECT_NE(commented.config->hash, first.config->hash);
}

}  // namespace
}  // namespace acd::config
