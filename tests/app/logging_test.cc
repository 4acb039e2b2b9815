// acdd's JSON log lines: one RFC 8259 object per line, whatever the message
// and the ids hold, parsed back with protobuf's strict JSON parser.
#include "server/app/logging.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "absl/strings/str_split.h"
#include "server/base/log.h"
#include "spdlog/sinks/ostream_sink.h"

namespace acd::app {
namespace {

google::protobuf::Struct Parse(const std::string& line) {
  google::protobuf::Struct parsed;
  auto status = google::protobuf::util::JsonStringToMessage(line, &parsed);
  EXPECT_TRUE(status.ok()) << status.ToString() << ": " << line;
  return parsed;
}

std::string Field(const google::protobuf::Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  return it == s.fields().end() ? "<absent>" : it->second.string_value();
}

class JsonLogTest : public ::testing::Test {
 protected:
  JsonLogTest() : logger_("test", std::make_shared<spdlog::sinks::ostream_sink_st>(out_)) {
    logger_.set_formatter(MakeJsonFormatter());
    logger_.set_level(spdlog::level::debug);
  }
  std::vector<std::string> Lines() { return absl::StrSplit(out_.str(), '\n', absl::SkipEmpty()); }
  std::ostringstream out_;
  spdlog::logger logger_;
};

TEST_F(JsonLogTest, EveryLineIsOneObjectWithTimeLevelAndMessage) {
  logger_.info("acdd serving on {}", "127.0.0.1:7070");
  logger_.warn("unknown queue \"x\\y\"\n\tand a second line \x01 \xff");
  std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 2u);
  google::protobuf::Struct first = Parse(lines[0]);
  EXPECT_EQ(Field(first, "level"), "info");
  EXPECT_EQ(Field(first, "msg"), "acdd serving on 127.0.0.1:7070");
  // RFC 3339 in UTC with microseconds.
  EXPECT_EQ(Field(first, "ts").size(), std::string("2026-12-06T12:00:00.000000Z").size());
  EXPECT_EQ(Field(first, "ts").back(), 'Z');
  EXPECT_EQ(Field(first, "call_id"), "<absent>");
  google::protobuf::Struct second = Parse(lines[1]);
  EXPECT_EQ(Field(second, "level"), "warning");
  EXPECT_EQ(Field(second, "msg"), "unknown queue \"x\\y\"\n\tand a second line \x01 \xef\xbf\xbd");
}

TEST_F(JsonLogTest, ALineAboutACallAgentOrQueueCarriesThemAsFields) {
  {
    ScopedLogFields about({.call_id = "c\"1\\", .queue = "sales"});
    logger_.debug("call offered");
  }
  {
    ScopedLogFields outer({.agent_id = "alice"});
    ScopedLogFields inner({.call_id = "c2"});
    logger_.debug("inner wins");
  }
  logger_.debug("no fields");
  std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 3u);
  google::protobuf::Struct first = Parse(lines[0]);
  EXPECT_EQ(Field(first, "call_id"), "c\"1\\");
  EXPECT_EQ(Field(first, "queue"), "sales");
  EXPECT_EQ(Field(first, "agent_id"), "<absent>");
  google::protobuf::Struct second = Parse(lines[1]);
  EXPECT_EQ(Field(second, "call_id"), "c2");
  EXPECT_EQ(Field(second, "agent_id"), "<absent>");
  EXPECT_EQ(Field(Parse(lines[2]), "call_id"), "<absent>");
}

TEST(ConfigureLoggingTest, CanBeCalledAgainToChangeLevelAndFormat) {
  // The crash this guards against: a second call created the logger again.
  ConfigureLogging("text", spdlog::level::info);
  ConfigureLogging("json", spdlog::level::debug);
  EXPECT_EQ(spdlog::default_logger()->name(), "acdd");
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::debug);
  ConfigureLogging("text", spdlog::level::warn);
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::warn);
}

}  // namespace
}  // namespace acd::app
