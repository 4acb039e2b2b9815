#include "server/base/json_string.h"

#include <gtest/gtest.h>

#include <string>

namespace acd {
namespace {

std::string Json(absl::string_view value) {
  std::string out;
  AppendJsonString(value, &out);
  return out;
}

TEST(JsonStringTest, PlainTextIsQuotedAsIs) {
  EXPECT_EQ(Json(""), R"("")");
  EXPECT_EQ(Json("call-1001"), R"("call-1001")");
  EXPECT_EQ(Json("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x9e"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x9e\"");
}

TEST(JsonStringTest, QuotesBackslashesAndControlCharactersAreEscaped) {
  EXPECT_EQ(Json(R"(a"b\c)"), R"("a\"b\\c")");
  EXPECT_EQ(Json("line\nnext\r\ttab\b\f"), R"("line\nnext\r\ttab\b\f")");
  EXPECT_EQ(Json(std::string("nul\0bel\x07", 8)), R"("nul\u0000bel\u0007")");
  EXPECT_EQ(Json("\x1f"), R"("\u001f")");
}

TEST(JsonStringTest, BytesOutsideWellFormedUtf8BecomeReplacementCharacters) {
  EXPECT_EQ(Json("a\xff"
                 "b"),
            R"("a\ufffdb")");
  EXPECT_EQ(Json("\xc3"), R"("\ufffd")");                                // truncated sequence
  EXPECT_EQ(Json("\xc0\xaf"), R"("\ufffd\ufffd")");                      // overlong '/'
  EXPECT_EQ(Json("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");            // a surrogate
  EXPECT_EQ(Json("\xf4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // above U+10FFFF
}

TEST(JsonStringTest, AppendsAfterWhatIsThere) {
  std::string out = "{\"k\":";
  AppendJsonString("v", &out);
  EXPECT_EQ(out, R"({"k":"v")");
}

}  // namespace
}  // namespace acd
