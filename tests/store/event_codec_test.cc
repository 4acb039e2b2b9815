#include "server/store/event_codec.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/store/store_test_util.h"

namespace acd::store {
namespace {

using testing::ExpectEventEq;
using testing::FullAgent;
using testing::FullCall;
using ::testing::HasSubstr;
using testing::T0;

TEST(EventCodecTest, RoundTripsEveryField) {
  core::Event event;
  event.seq = 42;
  event.time = T0() + absl::Microseconds(987654);
  event.type = core::EventType::kCallEnded;
  event.call_id = "call-1";
  event.agent_id = "alice";
  event.queue = "sales";
  event.reason = "caller_hangup";
  event.call = FullCall();
  event.agent = FullAgent();

  std::string json = EncodeEventPayload(event);
  absl::StatusOr<core::Event> decoded = DecodeEventPayload(json);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ExpectEventEq(*decoded, event);
}

TEST(EventCodecTest, AbsentOptionalsStayAbsent) {
  core::Event event;
  event.seq = 1;
  event.time = absl::FromUnixMicros(-1'500'000);  // before the epoch
  event.type = core::EventType::kCallQueued;
  event.call.emplace();
  event.call->call_id = "c";
  event.call->enqueued_at = event.time;
  event.agent.emplace();  // an agent with only defaults

  std::string json = EncodeEventPayload(event);
  EXPECT_THAT(json, ::testing::Not(HasSubstr("offered_at_us")));
  EXPECT_THAT(json, ::testing::Not(HasSubstr("wrap_up_until_us")));
  absl::StatusOr<core::Event> decoded = DecodeEventPayload(json);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ExpectEventEq(*decoded, event);
}

TEST(EventCodecTest, TimesAreIntegerMicroseconds) {
  core::Event event;
  event.seq = 3;
  event.time = absl::FromUnixMicros(1'700'000'000'123'456);
  std::string json = EncodeEventPayload(event);
  EXPECT_THAT(json, HasSubstr("\"time_us\":1700000000123456"));
}

TEST(EventCodecTest, MissingKeysTakeDefaults) {
  absl::StatusOr<core::Event> decoded =
      DecodeEventPayload(R"({"seq": 9, "type": "agent_logged_in", "agent": {"agent_id": "bob"}})");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->seq, 9);
  EXPECT_EQ(decoded->type, core::EventType::kAgentLoggedIn);
  EXPECT_FALSE(decoded->call.has_value());
  ASSERT_TRUE(decoded->agent.has_value());
  EXPECT_EQ(decoded->agent->agent_id, "bob");
  EXPECT_EQ(decoded->agent->state, core::AgentState::kLoggedOut);
}

TEST(EventCodecTest, BadPayloadsAreDataLossNamingTheKey) {
  struct Case {
    std::string json;
    std::string mentions;
  };
  for (const Case& c : {
           Case{"not json", "malformed"},
           Case{R"({"seq": "x"})", "seq"},
           Case{R"({"seq": 1.5})", "seq"},
           Case{R"({"type": "call_teleported"})", "call_teleported"},
           Case{R"({"call": {"state": "dancing"}})", "call.state"},
           Case{R"({"call": {"required_skills": {"english": "high"}}})",
                "call.required_skills.english"},
           Case{R"({"agent": {"queues": "sales"}})", "agent.queues"},
           Case{R"({"call": {"priority": 1e12}})", "call.priority"},
           // Not one object, or not valid UTF-8 (a byte the encoder never writes).
           Case{R"([1, 2])", "not an object"},
           Case{R"({"seq": 1} {"seq": 2})", "malformed"},
           Case{"{\"reason\": \"caf\xc3\"}", "malformed"},
           Case{"{\"reason\": \"a\xff\"}", "malformed"},
       }) {
    absl::StatusOr<core::Event> decoded = DecodeEventPayload(c.json);
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss) << c.json;
    EXPECT_THAT(decoded.status().message(), HasSubstr(c.mentions)) << c.json;
  }
}

TEST(EventCodecTest, NonAsciiPayloadsDecode) {
  absl::StatusOr<core::Event> decoded =
      DecodeEventPayload("{\"reason\": \"caf\xc3\xa9 \xe2\x82\xac \\u00e9\"}");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->reason, "caf\xc3\xa9 \xe2\x82\xac \xc3\xa9");
}

TEST(EventCodecTest, MapsRoundTrip) {
  core::Attributes attributes = {{"a", "1"}, {"b", "two \"quoted\""}};
  std::string json = EncodeAttributes(attributes);
  absl::StatusOr<core::Attributes> back = DecodeAttributes(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, attributes);

  core::SkillLevels skills = {{"english", 4}, {"spanish", 10}};
  json = EncodeSkillLevels(skills);
  absl::StatusOr<core::SkillLevels> skills_back = DecodeSkillLevels(json);
  ASSERT_TRUE(skills_back.ok()) << skills_back.status();
  EXPECT_EQ(*skills_back, skills);
}

// The JSON is written by hand (protobuf's printer was the store thread's
// largest cost), so what JSON requires of a string is checked here: each value
// must come back exactly, through protobuf's strict parser.
TEST(EventCodecTest, StringsWithEveryKindOfCharacterRoundTrip) {
  core::Attributes attributes = {{"quote\"and\\backslash", "a \"b\" \\c\\"},
                                 {"controls", std::string("\x01\x02\n\r\t\b\f\x1f\x7f", 9)},
                                 {"nul", std::string("a\0b", 3)},
                                 {"utf8",
                                  "fran\xc3\xa7"
                                  "ais \xe2\x82\xac \xf0\x9f\x93\x9e"},  // ç € 📞
                                 {"slash</script>", "/<>&'"},
                                 {"", ""}};
  std::string json = EncodeAttributes(attributes);
  EXPECT_THAT(json, HasSubstr(R"("controls":"\u0001\u0002\n\r\t\b\f\u001f)"));
  absl::StatusOr<core::Attributes> back = DecodeAttributes(json);
  ASSERT_TRUE(back.ok()) << back.status() << " in " << json;
  EXPECT_EQ(*back, attributes);
}

TEST(EventCodecTest, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  const std::string kReplacement = "\xef\xbf\xbd";  // U+FFFD
  struct Case {
    std::string in;
    std::string out;
  };
  for (const Case& c : {
           Case{"a\xff"
                "b",
                "a" + kReplacement + "b"},
           Case{"\xc3", kReplacement},                                        // cut short
           Case{"\xc3(", kReplacement + "("},                                 // bad continuation
           Case{"\xc0\xaf", kReplacement + kReplacement},                     // overlong '/'
           Case{"\xed\xa0\x80", kReplacement + kReplacement + kReplacement},  // a surrogate
           Case{"\xf4\x90\x80\x80",
                kReplacement + kReplacement + kReplacement + kReplacement},  // above U+10FFFF
           Case{"\xe2\x82\xac", "\xe2\x82\xac"},                             // € stays
       }) {
    core::Attributes attributes = {{"k", c.in}};
    absl::StatusOr<core::Attributes> back = DecodeAttributes(EncodeAttributes(attributes));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->at("k"), c.out) << absl::CHexEscape(c.in);
  }
}

TEST(EventCodecTest, WritesKeysInOrderAndLargeIntegersAsStrings) {
  core::Event event;
  event.seq = 5;
  event.time = absl::FromUnixMicros(-7);
  event.type = core::EventType::kCallQueued;
  event.call.emplace();
  event.call->call_id = "c";
  event.call->arrival_order = (uint64_t{1} << 53) + 1;
  std::string json = EncodeEventPayload(event);
  EXPECT_THAT(json,
              ::testing::StartsWith(
                  R"({"seq":5,"time_us":-7,"type":"call_queued","call_id":"","agent_id":"")"));
  EXPECT_THAT(json, HasSubstr(R"("arrival_order":"9007199254740993")"));
  EXPECT_THAT(json, HasSubstr(R"("required_skills":{},"attributes":{})"));
  absl::StatusOr<core::Event> back = DecodeEventPayload(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->call->arrival_order, event.call->arrival_order);
}

TEST(EventCodecTest, ParsesEveryEnumName) {
  for (auto type : {core::EventType::kCallQueued, core::EventType::kOfferWithdrawn,
                    core::EventType::kConfigApplied}) {
    EXPECT_EQ(ParseEventType(core::EventTypeName(type)), type);
  }
  for (auto state :
       {core::CallState::kQueued, core::CallState::kWrapUp, core::CallState::kCallbackScheduled}) {
    EXPECT_EQ(ParseCallState(core::CallStateName(state)), state);
  }
  for (auto state : {core::AgentState::kLoggedOut, core::AgentState::kAway}) {
    EXPECT_EQ(ParseAgentState(core::AgentStateName(state)), state);
  }
  EXPECT_EQ(ParseCallState("unknown"), std::nullopt);
  EXPECT_EQ(ParseEventType(""), std::nullopt);
}

}  // namespace
}  // namespace acd::store
