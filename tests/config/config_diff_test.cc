// DiffConfigs: what a dry run reports between two parsed configs.
#include "server/config/config_diff.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace acd::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

Config Parse(const std::string& text) {
  ParseOutcome outcome = ParseConfig(text, "test.yaml");
  EXPECT_TRUE(outcome.ok()) << (outcome.problems.empty() ? "" : outcome.problems[0].ToString());
  return outcome.ok() ? *outcome.config : Config{};
}

std::vector<std::string> Lines(const std::string& a, const std::string& b) {
  std::vector<std::string> lines;
  for (const ConfigChange& c : DiffConfigs(Parse(a), Parse(b))) lines.push_back(c.ToString());
  return lines;
}

constexpr char kBase[] = R"(skills: [english]
queues:
  - name: support
    offer_timeout: 20s
  - name: sales
agents:
  - id: alice
    skills: {english: 4}
    queues: [support]
routing:
  - name: vip
    when: tier == "gold"
    queue: support
)";

TEST(ConfigDiffTest, SameConfigHasNoChangesWhateverTheComments) {
  EXPECT_THAT(Lines(kBase, std::string("# a comment\n") + kBase), IsEmpty());
}

TEST(ConfigDiffTest, ChangedQueueListsEachKeyWithOldAndNewValue) {
  std::string b = kBase;
  b.replace(b.find("offer_timeout: 20s"), 18,
            "offer_timeout: 30s\n    callback: {window: 1h}\n    max_size: 5");
  EXPECT_THAT(Lines(kBase, b),
              ElementsAre("queue support: offer_timeout 20s -> 30s, max_size 0 -> 5, "
                          "callback added"));
  // And back: the whole callback group goes as one.
  EXPECT_THAT(Lines(b, kBase),
              ElementsAre("queue support: offer_timeout 30s -> 20s, max_size 5 -> 0, "
                          "callback removed"));
}

TEST(ConfigDiffTest, AddedAndRemovedQueuesAgentsAndRules) {
  std::string b = R"(skills: [english]
queues:
  - name: support
    offer_timeout: 20s
  - name: billing
agents:
  - id: alice
    skills: {english: 5}
    queues: [support, billing]
  - id: dave
    queues: [billing]
)";
  EXPECT_THAT(Lines(kBase, b), ElementsAre("queue billing added", "queue sales removed",
                                           "agent alice: skills {english: 4} -> {english: 5}, "
                                           "queues [support] -> [support, billing]",
                                           "agent dave added", "rule vip removed"));
}

TEST(ConfigDiffTest, RuleChangesNameTheKey) {
  std::string b = kBase;
  b.replace(b.find("tier == \"gold\""), 14, "tier == \"platinum\"\n    priority: 9");
  std::vector<ConfigChange> changes = DiffConfigs(Parse(kBase), Parse(b));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].section, ChangeSection::kRule);
  EXPECT_EQ(changes[0].kind, ChangeKind::kChanged);
  EXPECT_EQ(changes[0].name, "vip");
  ASSERT_EQ(changes[0].what.size(), 2u);
  EXPECT_THAT(changes[0].what[0], ::testing::HasSubstr("platinum"));
  EXPECT_EQ(changes[0].what[1], "priority the request's -> 9");
}

TEST(ConfigDiffTest, ServerAndScheduleChanges) {
  std::string a =
      std::string("server:\n  listen: 127.0.0.1:7070\n") + kBase +
      "schedules:\n  - name: office\n    timezone: UTC\n    hours: {mon: [\"09:00-17:00\"]}\n";
  std::string b =
      std::string("server:\n  listen: 127.0.0.1:7071\n  log_level: debug\n") + kBase +
      "schedules:\n  - name: office\n    timezone: UTC\n    hours: {mon: [\"08:00-17:00\"]}\n";
  EXPECT_THAT(Lines(a, b),
              ElementsAre("server: listen 127.0.0.1:7070 (on restart) -> 127.0.0.1:7071 (on "
                          "restart), log_level info -> debug",
                          "schedule office: hours.mon [09:00-17:00] -> [08:00-17:00]"));
}

TEST(ConfigDiffTest, TokensByNameNeverShowTheirSecretsAndTlsIsOnRestart) {
  const std::string hash_a(64, 'a'), hash_b(64, 'b'), hash_c(64, 'c');
  std::string a = absl::StrCat(
      kBase, "auth:\n  tokens:\n", "    - {name: pbx, role: integrator, sha256: ", hash_a, "}\n",
      "    - {name: desk, role: agent, agent_id: alice, sha256: ", hash_b, "}\n");
  std::string b =
      absl::StrCat("server:\n  tls: {cert: acd.pem, key: acd.key}\n", kBase, "auth:\n  tokens:\n",
                   "    - {name: pbx, role: integrator, sha256: ", hash_c, "}\n",
                   "    - {name: desk, role: supervisor, sha256: ", hash_b, "}\n",
                   "    - {name: ops, role: admin, sha256: ", hash_a, "}\n");
  const std::vector<std::string> lines = Lines(a, b);
  EXPECT_THAT(lines, ElementsAre("server: tls added", "token pbx: secret changed",
                                 "token desk: role agent -> supervisor, agent_id removed",
                                 "token ops added"));
  for (const std::string& line : lines) {
    EXPECT_THAT(line, ::testing::Not(::testing::HasSubstr("aaaa"))) << line;
    EXPECT_THAT(line, ::testing::Not(::testing::HasSubstr("cccc"))) << line;
  }
  // A changed certificate path says when it applies; auth going away lists
  // every token it had.
  std::string c = b;
  c.replace(c.find("cert: acd.pem"), 13, "cert: new.pem");
  EXPECT_THAT(Lines(b, c),
              ElementsAre("server: tls.cert acd.pem (on restart) -> new.pem (on restart)"));
  EXPECT_THAT(Lines(a, kBase), ElementsAre("token pbx removed", "token desk removed"));
}

// ValidateConfig with request text reads no tokens_file: the running config's
// file tokens are not reported as removed, nor compared.
TEST(ConfigDiffTest, TokensOfAnUnreadTokensFileAreNotReportedRemoved) {
  const std::string hash_a(64, 'a'), hash_b(64, 'b');
  Config running = Parse(std::string(kBase) + "auth:\n  tokens:\n" +
                         "    - {name: pbx, role: integrator, sha256: " + hash_a + "}\n" +
                         "    - {name: ops, role: admin, sha256: " + hash_b + "}\n");
  running.auth.tokens_file = "/etc/acd/tokens.yaml";
  running.auth.tokens_file_read = true;
  running.auth.tokens[1].from_file = true;  // ops came from the file
  Config candidate = Parse(std::string(kBase) + "auth:\n  tokens:\n" +
                           "    - {name: pbx, role: supervisor, sha256: " + hash_a + "}\n");
  candidate.auth.tokens_file = "/etc/acd/tokens.yaml";  // named, not read
  std::vector<std::string> lines;
  for (const ConfigChange& c : DiffConfigs(running, candidate)) lines.push_back(c.ToString());
  EXPECT_THAT(lines, ElementsAre("token pbx: role integrator -> supervisor"));
  // Read, the file's tokens count: ops is gone from it.
  candidate.auth.tokens_file_read = true;
  lines.clear();
  for (const ConfigChange& c : DiffConfigs(running, candidate)) lines.push_back(c.ToString());
  EXPECT_THAT(lines, ElementsAre("token pbx: role integrator -> supervisor", "token ops removed"));
}

}  // namespace
}  // namespace acd::config
