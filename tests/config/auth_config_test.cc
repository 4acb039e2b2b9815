// The `auth` section (tokens inline and in a tokens_file) and server.tls:
// what parses, and every mistake reported at its file:line:col.
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config/config.h"
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

constexpr char kHead[] =
    "queues: [{name: q}]\n"
    "agents: [{id: alice, queues: [q]}, {id: bob, queues: [q]}]\n";

ParseOutcome Parse(const std::string& text) {
  return ParseConfig(text, "acd.yaml", {.base_dir = "", .read_files = true});
}

TEST(AuthConfigTest, NoAuthSectionMeansAuthOff) {
  ParseOutcome outcome = Parse(kHead);
  ASSERT_TRUE(outcome.ok());
  EXPECT_FALSE(outcome.config->auth.enabled());
  EXPECT_FALSE(outcome.config->server.tls.enabled());
}

TEST(AuthConfigTest, InlineTokensKeepOnlyTheirHash) {
  const std::string sha = Sha256Hex("supervisor-secret-0001");
  std::string upper = sha;
  for (char& c : upper) c = static_cast<char>(toupper(c));
  ParseOutcome outcome = Parse(absl::StrCat(kHead,
                                            "auth:\n"
                                            "  tokens:\n"
                                            "    - {name: pbx, role: integrator, token: "
                                            "integrator-secret-01}\n"
                                            "    - {name: desk-alice, role: agent, agent_id: "
                                            "alice, token: alice-secret-000001}\n"
                                            "    - {name: boss, role: supervisor, sha256: ",
                                            upper,
                                            "}\n"
                                            "    - {name: root, role: admin, token: "
                                            "admin-secret-0000001}\n"));
  ASSERT_TRUE(outcome.ok()) << outcome.problems[0].ToString();
  const std::vector<Token>& tokens = outcome.config->auth.tokens;
  ASSERT_THAT(tokens, SizeIs(4));
  EXPECT_EQ(tokens[0].name, "pbx");
  EXPECT_EQ(tokens[0].role, Role::kIntegrator);
  EXPECT_EQ(tokens[0].sha256, Sha256Hex("integrator-secret-01"));
  EXPECT_EQ(tokens[1].role, Role::kAgent);
  EXPECT_EQ(tokens[1].agent_id, "alice");
  EXPECT_EQ(tokens[2].role, Role::kSupervisor);
  EXPECT_EQ(tokens[2].sha256, sha);  // lower-cased
  EXPECT_EQ(tokens[3].role, Role::kAdmin);
  EXPECT_EQ(RoleName(Role::kSupervisor), "supervisor");
}

TEST(AuthConfigTest, TokenMistakesAreReportedAtTheirPlace) {
  ParseOutcome outcome = Parse(absl::StrCat(kHead,
                                            "auth:\n"                              // 3
                                            "  tokens:\n"                          // 4
                                            "    - name: a\n"                      // 5
                                            "      role: integrater\n"             // 6
                                            "      token: integrator-secret-01\n"  // 7
                                            "    - name: b\n"                      // 8
                                            "      role: agent\n"                  // 9
                                            "      token: agent-secret-0000001\n"  // 10
                                            "    - name: c\n"                      // 11
                                            "      role: agent\n"                  // 12
                                            "      agent_id: alcie\n"              // 13
                                            "      token: agent-secret-0000002\n"  // 14
                                            "    - name: d\n"                      // 15
                                            "      role: integrator\n"             // 16
                                            "      agent_id: alice\n"              // 17
                                            "      token: integrator-secret-02\n"  // 18
                                            "    - name: e\n"                      // 19
                                            "      role: admin\n"                  // 20
                                            "      token: short\n"                 // 21
                                            "    - name: f\n"                      // 22
                                            "      role: admin\n"                  // 23
                                            "      sha256: abc\n"                  // 24
                                            "    - name: g\n"                      // 25
                                            "      role: admin\n"                  // 26
                                            "    - name: a\n"                      // 27
                                            "      role: admin\n"                  // 28
                                            "      token: integrator-secret-02\n"  // 29
                                            "      sha256: ",
                                            Sha256Hex("x"), "\n"));  // 30
  EXPECT_THAT(
      outcome.problems,
      ElementsAre(
          IsProblem("acd.yaml", 6, 13, "auth.tokens[0].role",
                    "invalid role \"integrater\" (use integrator, agent, supervisor or admin; "
                    "did you mean \"integrator\"?)"),
          IsProblem("acd.yaml", 8, 7, "auth.tokens[1]", "missing required key \"agent_id\""),
          IsProblem("acd.yaml", 13, 17, "auth.tokens[2].agent_id",
                    "unknown agent \"alcie\" (not in agents) (did you mean \"alice\"?)"),
          IsProblem("acd.yaml", 17, 7, "auth.tokens[3].agent_id",
                    "agent_id is only for role agent (this token's role is integrator)"),
          IsProblem("acd.yaml", 21, 14, "auth.tokens[4].token", "invalid token (5 characters)"),
          IsProblem("acd.yaml", 24, 15, "auth.tokens[5].sha256", "invalid sha256 \"abc\""),
          IsProblem("acd.yaml", 25, 7, "auth.tokens[6]", "missing the secret"),
          IsProblem("acd.yaml", 27, 13, "auth.tokens[7].name",
                    "duplicate token name \"a\" (first defined at acd.yaml:5)"),
          IsProblem("acd.yaml", 29, 7, "auth.tokens[7].token", "set sha256 or token, not both")));
  // A secret never appears in a message: problems end up in logs.
  for (const Problem& p : outcome.problems) {
    EXPECT_THAT(p.message, Not(HasSubstr("short"))) << p.ToString();
    EXPECT_THAT(p.message, Not(HasSubstr("secret-0"))) << p.ToString();
  }
}

TEST(AuthConfigTest, TwoTokensWithOneSecretAreRefused) {
  ParseOutcome outcome =
      Parse(absl::StrCat(kHead,
                         "auth:\n"
                         "  tokens:\n"
                         "    - {name: a, role: admin, token: same-secret-00001}\n"
                         "    - {name: b, role: admin, sha256: ",
                         Sha256Hex("same-secret-00001"), "}\n"));
  EXPECT_THAT(outcome.problems, ElementsAre(IsProblem("acd.yaml", 6, 38, "auth.tokens[1]",
                                                      "same secret as token \"a\"")));
}

TEST(AuthConfigTest, AnAuthSectionWithNoTokenIsAnError) {
  ParseOutcome outcome = Parse(absl::StrCat(kHead, "auth: {tokens: []}\n"));
  EXPECT_THAT(outcome.problems,
              ElementsAre(IsProblem("acd.yaml", 3, 7, "auth", "auth lists no tokens")));
}

TEST(AuthConfigTest, TokensFileIsReadRelativeToTheConfigFile) {
  testing::TempDir dir;
  std::filesystem::create_directory(dir.path() + "/secrets");
  dir.Write("secrets/tokens.yaml",
            "tokens:\n"
            "  - {name: desk-bob, role: agent, agent_id: bob, token: bob-secret-00000001}\n");
  std::string config =
      dir.Write("acd.yaml", absl::StrCat(kHead,
                                         "auth:\n"
                                         "  tokens_file: secrets/tokens.yaml\n"
                                         "  tokens: [{name: pbx, role: integrator, token: "
                                         "integrator-secret-01}]\n"));
  ParseOutcome outcome = LoadConfigFile(config);
  ASSERT_TRUE(outcome.ok()) << outcome.problems[0].ToString();
  EXPECT_EQ(outcome.config->auth.tokens_file, dir.path() + "/secrets/tokens.yaml");
  ASSERT_THAT(outcome.config->auth.tokens, SizeIs(2));
  EXPECT_EQ(outcome.config->auth.tokens[0].name, "pbx");
  EXPECT_EQ(outcome.config->auth.tokens[1].name, "desk-bob");
  EXPECT_EQ(outcome.config->auth.tokens[1].agent_id, "bob");
  // Where each came from, for ValidateConfig's list of changes.
  EXPECT_TRUE(outcome.config->auth.tokens_file_read);
  EXPECT_FALSE(outcome.config->auth.tokens[0].from_file);
  EXPECT_TRUE(outcome.config->auth.tokens[1].from_file);

  // Parsing the text alone (a fuzzer, a ValidateConfig of request text)
  // reads no other file.
  ParseOutcome alone =
      ParseConfig(absl::StrCat(kHead, "auth: {tokens_file: nowhere.yaml}\n"), "acd.yaml");
  ASSERT_TRUE(alone.ok());
  EXPECT_FALSE(alone.config->auth.enabled());
  EXPECT_FALSE(alone.config->auth.tokens_file_read);
}

TEST(AuthConfigTest, TokensFileProblemsNameTheTokensFile) {
  testing::TempDir dir;
  std::string tokens = dir.Write("tokens.yaml",
                                 "tokens:\n"
                                 "  - name: pbx\n"
                                 "    role: integrator\n"
                                 "    token: integrator-secret-01\n"
                                 "  - name: pbx\n"
                                 "    role: agent\n"
                                 "    agent_id: zed\n"
                                 "    token: agent-secret-0000001\n");
  std::string config = dir.Write(
      "acd.yaml", absl::StrCat(kHead, "auth:\n  tokens_file: tokens.yaml\n  tokens: [7]\n"));
  ParseOutcome outcome = LoadConfigFile(config);
  EXPECT_THAT(outcome.problems,
              ElementsAre(IsProblem(config, 5, 12, "auth.tokens[0]", "expected a token"),
                          IsProblem(tokens, 5, 11, "tokens[1].name",
                                    absl::StrCat("duplicate token name \"pbx\" (first defined at ",
                                                 tokens, ":2)")),
                          IsProblem(tokens, 7, 15, "tokens[1].agent_id", "unknown agent \"zed\"")));
}

TEST(AuthConfigTest, MissingOrBrokenTokensFileIsAProblem) {
  testing::TempDir dir;
  std::string config =
      dir.Write("acd.yaml", absl::StrCat(kHead, "auth:\n  tokens_file: missing.yaml\n"));
  EXPECT_THAT(LoadConfigFile(config).problems,
              ElementsAre(IsProblem(config, 4, 16, "auth.tokens_file",
                                    "cannot read tokens file \"" + dir.path() +
                                        "/missing.yaml\": No such file or directory")));

  std::string tokens = dir.Write("broken.yaml", "tokens: [ {name: x\n");
  config = dir.Write("acd.yaml", absl::StrCat(kHead, "auth:\n  tokens_file: broken.yaml\n"));
  ParseOutcome outcome = LoadConfigFile(config);
  ASSERT_THAT(outcome.problems, SizeIs(1));
  EXPECT_EQ(outcome.problems[0].file, tokens);
  EXPECT_THAT(outcome.problems[0].message, HasSubstr("YAML syntax error"));

  dir.Write("empty.yaml", "tokens: []\n");
  config = dir.Write("acd.yaml", absl::StrCat(kHead, "auth:\n  tokens_file: empty.yaml\n"));
  EXPECT_THAT(LoadConfigFile(config).problems,
              ElementsAre(IsProblem(config, 4, 3, "auth", "auth lists no tokens")));
}

TEST(TlsConfigTest, PathsAreRelativeToTheConfigFile) {
  testing::TempDir dir;
  dir.Write("server.pem", "cert");
  dir.Write("server.key", "key");
  dir.Write("ca.pem", "ca");
  std::string config =
      dir.Write("acd.yaml", absl::StrCat("server:\n"
                                         "  tls: {cert: server.pem, key: server.key, client_ca: ",
                                         dir.path(), "/ca.pem}\n", kHead));
  ParseOutcome outcome = LoadConfigFile(config);
  ASSERT_TRUE(outcome.ok()) << outcome.problems[0].ToString();
  const TlsConfig& tls = outcome.config->server.tls;
  EXPECT_TRUE(tls.enabled());
  EXPECT_EQ(tls.cert, dir.path() + "/server.pem");
  EXPECT_EQ(tls.key, dir.path() + "/server.key");
  EXPECT_EQ(tls.client_ca, dir.path() + "/ca.pem");
}

TEST(TlsConfigTest, MistakesAreReportedAtTheirPlace) {
  testing::TempDir dir;
  dir.Write("server.pem", "cert");
  std::string config = dir.Write("acd.yaml", absl::StrCat("server:\n"
                                                          "  tls:\n"
                                                          "    cert: server.pem\n"
                                                          "    client_ca: nope.pem\n"
                                                          "    ciphers: all\n",
                                                          kHead));
  EXPECT_THAT(LoadConfigFile(config).problems,
              ElementsAre(IsProblem(config, 3, 5, "server.tls", "TLS needs both cert and key"),
                          IsProblem(config, 4, 16, "server.tls.client_ca",
                                    "cannot read \"" + dir.path() + "/nope.pem\""),
                          IsProblem(config, 5, 5, "server.tls.ciphers", "unknown key")));
}

}  // namespace
}  // namespace acd::config
