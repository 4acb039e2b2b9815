// The limit checks of server/core/limits.h: what they refuse and how the
// refusal quotes the value.
#include "server/core/limits.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace acd::core {
namespace {

using ::testing::HasSubstr;

TEST(QuoteValueTest, ShortValueIsQuotedWhole) { EXPECT_EQ(QuoteValue("abc"), "\"abc\""); }

TEST(QuoteValueTest, LongValueIsCutAndSized) {
  std::string v(200, 'x');
  EXPECT_EQ(QuoteValue(v), "\"" + std::string(kQuotedValueLength, 'x') + "...\" (200 bytes)");
}

TEST(QuoteValueTest, CutBacksUpToAUtf8Boundary) {
  // 63 ASCII bytes then "é" (2 bytes) straddling the cut at 64.
  std::string v = std::string(63, 'a') + "\xc3\xa9" + std::string(10, 'b');
  EXPECT_EQ(QuoteValue(v), "\"" + std::string(63, 'a') + "...\" (75 bytes)");
}

TEST(QuoteValueTest, ControlCharactersAreEscaped) {
  EXPECT_EQ(QuoteValue("a\nb\x1b\"c"), "\"a\\nb\\x1b\\\"c\"");
}

TEST(ValidateIdTest, RefusesEmptyLongAndControl) {
  EXPECT_TRUE(ValidateId("call_id", "c-1").ok());
  EXPECT_TRUE(ValidateId("call_id", std::string(kMaxIdLength, 'a')).ok());
  absl::Status empty = ValidateId("call_id", "");
  EXPECT_EQ(empty.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(empty.message(), "call_id is required");
  absl::Status long_id = ValidateId("call_id", std::string(kMaxIdLength + 1, 'a'));
  EXPECT_EQ(long_id.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(long_id.message(), HasSubstr("(129 bytes) is too long: the limit is 128 bytes"));
  absl::Status control = ValidateId("agent_id", "al\nice");
  EXPECT_EQ(control.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(control.message(), HasSubstr("agent_id \"al\\nice\" has a control character"));
  EXPECT_TRUE(ValidateOptionalId("queue", "").ok());
}

TEST(ValidateTextTest, MultilineAllowsLineBreaksOnly) {
  EXPECT_TRUE(ValidateText("notes", "line 1\nline 2\ttab", kMaxNotesLength, true).ok());
  EXPECT_FALSE(ValidateText("reason", "a\nb", kMaxReasonLength).ok());
  EXPECT_FALSE(ValidateText("notes", "bell\x07", kMaxNotesLength, true).ok());
  EXPECT_TRUE(ValidateText("reason", "", kMaxReasonLength).ok());
  absl::Status s = ValidateText("notes", std::string(kMaxNotesLength + 1, 'n'), kMaxNotesLength);
  EXPECT_THAT(s.message(), HasSubstr("notes \"nnnn"));
  EXPECT_THAT(s.message(), HasSubstr("(4097 bytes)"));
}

TEST(ValidateAttributesTest, CountKeyAndValueSizes) {
  Attributes ok{{"tier", "gold"}, {"lang", "es"}};
  EXPECT_TRUE(ValidateAttributes(ok).ok());
  Attributes many;
  for (size_t i = 0; i <= kMaxAttributes; ++i) many["k" + std::to_string(i)] = "v";
  EXPECT_THAT(ValidateAttributes(many).message(), HasSubstr("attributes has 65 entries"));
  Attributes long_key{{std::string(kMaxAttributeKeyLength + 1, 'k'), "v"}};
  EXPECT_THAT(ValidateAttributes(long_key).message(), HasSubstr("attributes key"));
  Attributes long_value{{"note", std::string(kMaxAttributeValueLength + 1, 'v')}};
  EXPECT_THAT(ValidateAttributes(long_value).message(), HasSubstr("attributes[\"note\"] \"vvv"));
  EXPECT_EQ(ValidateAttributes({{"", "v"}}).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ValidateRequiredSkillsTest, CountNamesAndLevels) {
  EXPECT_TRUE(ValidateRequiredSkills({{"english", 3}}).ok());
  SkillLevels many;
  for (size_t i = 0; i <= kMaxRequiredSkills; ++i) many["s" + std::to_string(i)] = 1;
  EXPECT_THAT(ValidateRequiredSkills(many).message(), HasSubstr("required_skills has 33"));
  EXPECT_THAT(ValidateRequiredSkills({{"english", 11}}).message(),
              HasSubstr("required_skills[\"english\"] = 11 is out of range"));
  EXPECT_THAT(ValidateRequiredSkills({{std::string(kMaxIdLength + 1, 's'), 1}}).message(),
              HasSubstr("required_skills key"));
}

}  // namespace
}  // namespace acd::core
