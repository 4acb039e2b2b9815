// Config reloads against a real in-process daemon: what is applied, refused
// and recorded in config_versions, and what the ValidateConfig dry run shows.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "server/app/daemon.h"
#include "server/config/config.h"
#include "tests/support/client.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/test_daemon.h"

namespace acd {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using testing::Query;

// `text` with `from` (which must be there) replaced by `to`.
std::string Replaced(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

class ReloadTest : public testing::DaemonFixture {
 protected:
  void SetUp() override { StartDaemon(testing::kTestConfig); }

  // hash, text per config_versions row, oldest first.
  std::vector<std::vector<std::string>> Versions() {
    return Query(db_path_, "SELECT hash, text, applied_at_us FROM config_versions ORDER BY id");
  }

  // The dry run of `text`, which the test expects to be answered.
  v1::ValidateConfigResponse Validate(const std::string& text) {
    return *client().Validate(text, "candidate.yaml");
  }

  std::vector<std::string> Queues() {
    auto queues = client().ListQueues();
    std::vector<std::string> names;
    for (const auto& q : queues->queues()) names.push_back(q.name());
    return names;
  }
};

TEST_F(ReloadTest, StartupConfigIsRecordedWithItsConfigAppliedEvent) {
  auto rows = Versions();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], config::Sha256Hex(testing::kTestConfig));
  EXPECT_EQ(rows[0][1], testing::kTestConfig);
  EXPECT_NE(rows[0][2], "0");
  EXPECT_EQ(Query(db_path_, "SELECT count(*) FROM events WHERE type = 'config_applied'")[0][0],
            "1");
}

TEST_F(ReloadTest, ValidReloadAppliesAndRecordsTheExactText) {
  const std::string text =
      Replaced(testing::kTestConfig, "offer_timeout: 2s\n    wrap_up_time: 30s",
               "offer_timeout: 3s\n    wrap_up_time: 30s") +
      "  - id: dave\n    skills: {english: 5}\n    queues: [sales]\n# a comment counts too\n";
  dir_.Write("acd.yaml", text);
  auto resp = client().Reload();
  ASSERT_TRUE(resp.ok()) << resp.error_message();
  EXPECT_EQ(resp->config_hash(), config::Sha256Hex(text));
  EXPECT_THAT(resp->agents(), Contains("dave"));

  // The reply came after the commit: the row is there already.
  auto rows = Versions();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1][0], config::Sha256Hex(text));
  EXPECT_EQ(rows[1][1], text);
  EXPECT_GE(std::stoll(rows[1][2]), std::stoll(rows[0][2]));
  EXPECT_EQ(Query(db_path_, "SELECT count(*) FROM events WHERE type = 'config_applied'")[0][0],
            "2");
}

TEST_F(ReloadTest, InvalidReloadListsEveryProblemAndChangesNothing) {
  dir_.Write("acd.yaml",
             "queues:\n  - name: support\n    offer_timeout: 20x\n  - name: sales\n"
             "    weight: 0\n");
  grpc::Status s = client().Reload().status();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("2 problem"));
  EXPECT_THAT(s.error_message(), HasSubstr(config_path_ + ":3:20"));
  EXPECT_THAT(s.error_message(), HasSubstr(config_path_ + ":5:13"));
  EXPECT_EQ(Versions().size(), 1u);
  EXPECT_THAT(Queues(), ::testing::UnorderedElementsAre("support", "sales"));
  // The dry run of the running file shows the same problems.
  v1::ValidateConfigResponse v = Validate("");
  EXPECT_FALSE(v.valid());
  EXPECT_EQ(v.problems_size(), 2);
  EXPECT_TRUE(v.changes().empty());
}

TEST_F(ReloadTest, RemovedQueueWithWaitingCallsIsRefusedAndTheCallsStay) {
  // Nobody who serves sales is logged in: both calls wait there.
  for (const char* id : {"c1", "c2"}) ASSERT_TRUE(client().Enqueue(id, "sales").ok());
  std::string text = Replaced(testing::kTestConfig,
                              "  - name: sales\n    offer_timeout: 2s\n    wrap_up_time: 0s\n", "");
  text = Replaced(text, "queues: [support, sales]", "queues: [support]");

  // The dry run says what would change, and that a reload would be refused.
  v1::ValidateConfigResponse v = Validate(text);
  ASSERT_TRUE(v.valid());
  std::vector<std::string> summaries;
  for (const auto& c : v.changes()) summaries.push_back(c.summary());
  EXPECT_THAT(summaries, Contains("queue sales removed"));
  EXPECT_THAT(summaries, Contains("agent carol: queues [support, sales] -> [support]"));
  ASSERT_EQ(v.blockers_size(), 1);
  EXPECT_THAT(v.blockers(0), HasSubstr("\"sales\""));
  EXPECT_THAT(v.blockers(0), HasSubstr("2 live call(s)"));

  dir_.Write("acd.yaml", text);
  grpc::Status s = client().Reload().status();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("\"sales\""));
  for (const char* id : {"c1", "c2"}) {
    auto call = client().GetCall(id);
    ASSERT_TRUE(call.ok());
    EXPECT_EQ(call->queue(), "sales");
    EXPECT_EQ(call->state(), v1::CALL_STATE_QUEUED);
  }
  EXPECT_EQ(Versions().size(), 1u);
  EXPECT_THAT(Queues(), Contains("sales"));
}

TEST_F(ReloadTest, DryRunShowsChangedKeysAndAppliesNothing) {
  std::string text = Replaced(testing::kTestConfig, "offer_timeout: 2s\n    wrap_up_time: 30s",
                              "offer_timeout: 5s\n    wrap_up_time: 30s\n"
                              "    callback: {window: 1h}");
  v1::ValidateConfigResponse v = Validate(text);
  ASSERT_TRUE(v.valid());
  EXPECT_EQ(v.config_hash(), config::Sha256Hex(text));
  ASSERT_EQ(v.changes_size(), 1);
  EXPECT_EQ(v.changes(0).kind(), v1::ConfigChange::CHANGED);
  EXPECT_EQ(v.changes(0).section(), "queue");
  EXPECT_EQ(v.changes(0).name(), "support");
  EXPECT_THAT(v.changes(0).what(),
              ::testing::ElementsAre("offer_timeout 2s -> 5s", "callback added"));
  EXPECT_TRUE(v.blockers().empty());
  EXPECT_EQ(Versions().size(), 1u);
  // The running file is unchanged: its own dry run has nothing to change.
  v1::ValidateConfigResponse own = Validate("");
  EXPECT_TRUE(own.valid());
  EXPECT_TRUE(own.changes().empty());
}

}  // namespace
}  // namespace acd
