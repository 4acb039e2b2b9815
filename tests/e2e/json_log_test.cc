// server.log_format: json with the real acdd binary: a call whose ids hold
// quotes and backslashes, a refused request, a reload and a stop, and every
// line of the log parsed by a strict JSON parser (protobuf's).
#include <gmock/gmock.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/support/acdd_process.h"
#include "tests/support/client.h"
#include "tests/support/test_daemon.h"

namespace acd {
namespace {

using ::acd::testing::AcddProcess;
using ::acd::testing::Client;
using ::google::protobuf::Struct;

// Ids a telephony integrator may well send: JSON's two special characters.
const std::string kCallId = R"(pbx"7\call)";
const std::string kBadQueue = R"(no"such\queue)";

std::string Field(const Struct& line, const std::string& key) {
  auto it = line.fields().find(key);
  return it == line.fields().end() ? "" : it->second.string_value();
}

TEST(JsonLogTest, EveryLineOfARealRunIsAJsonObject) {
  testing::TempDir dir;
  std::string config = testing::kTestConfig;
  config.insert(config.find("skills:"), "  log_format: json\n  log_level: debug\n");
  const std::string config_path = dir.Write("acd.yaml", config);
  const std::string log_path = dir.File("acdd.log");
  {
    AcddProcess acdd(ACDD_PATH, config_path, dir.File("acd.db"), dir.File("port"),
                     {.log_level = "", .stderr_path = log_path});
    ASSERT_TRUE(acdd.started());
    Client client(acdd.address());

    ASSERT_TRUE(client.Login("alice").ok());
    const std::map<std::string, std::string> attributes = {{"caller", "\"O'Brien\" \\ +353"}};
    ASSERT_TRUE(client.Enqueue(kCallId, {.queue = "support", .attributes = attributes}).ok());
    ASSERT_TRUE(client.Accept("alice", kCallId).ok());
    ASSERT_TRUE(client.End(kCallId).ok());

    // Refused: an unknown queue, named in the message with its quotes.
    EXPECT_EQ(client.Enqueue("c2", {.queue = kBadQueue, .attributes = attributes}).error_code(),
              grpc::StatusCode::NOT_FOUND);

    kill(acdd.pid(), SIGHUP);
    // The reload is logged once applied; give it a moment before stopping.
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (absl::Now() < give_up) {
      std::ifstream in(log_path);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (absl::StrContains(text, "config reloaded")) break;
      absl::SleepFor(absl::Milliseconds(20));
    }
    const int status = acdd.Stop(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }

  std::ifstream in(log_path);
  std::vector<Struct> lines;
  for (std::string line; std::getline(in, line);) {
    Struct parsed;
    auto status = google::protobuf::util::JsonStringToMessage(line, &parsed);
    ASSERT_TRUE(status.ok()) << status.ToString() << " in line " << lines.size() + 1 << ": "
                             << line;
    EXPECT_FALSE(Field(parsed, "ts").empty()) << line;
    EXPECT_FALSE(Field(parsed, "level").empty()) << line;
    EXPECT_FALSE(Field(parsed, "msg").empty()) << line;
    lines.push_back(std::move(parsed));
  }
  ASSERT_GT(lines.size(), 5u);

  auto find = [&](auto pred) -> const Struct* {
    for (const Struct& l : lines) {
      if (pred(l)) return &l;
    }
    return nullptr;
  };
  // The call's events, about the call: its id as a field, exactly.
  const Struct* queued = find([](const Struct& l) {
    return absl::StrContains(Field(l, "msg"), "call_queued") && Field(l, "call_id") == kCallId;
  });
  ASSERT_NE(queued, nullptr);
  EXPECT_EQ(Field(*queued, "queue"), "support");
  EXPECT_EQ(Field(*queued, "level"), "debug");
  const Struct* connected =
      find([](const Struct& l) { return absl::StrContains(Field(l, "msg"), "call_connected"); });
  ASSERT_NE(connected, nullptr);
  EXPECT_EQ(Field(*connected, "agent_id"), "alice");
  EXPECT_EQ(Field(*connected, "call_id"), kCallId);
  // The refusal, with the queue it named.
  const Struct* refused =
      find([](const Struct& l) { return absl::StrContains(Field(l, "msg"), "NOT_FOUND"); });
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(Field(*refused, "queue"), kBadQueue);
  EXPECT_EQ(Field(*refused, "call_id"), "c2");
  EXPECT_THAT(Field(*refused, "msg"), ::testing::HasSubstr(absl::StrCat("\"", kBadQueue, "\"")));
  // Reload and stop.
  EXPECT_NE(
      find([](const Struct& l) { return absl::StrContains(Field(l, "msg"), "config reloaded"); }),
      nullptr);
  EXPECT_TRUE(absl::StrContains(Field(lines.back(), "msg"), "acdd stopped"));
  EXPECT_EQ(Field(lines.back(), "level"), "info");
}

}  // namespace
}  // namespace acd
