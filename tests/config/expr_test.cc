// Tests for routing-rule expressions: the parser (server/config/expr_parser.h)
// and the AST it builds (server/core/expr.h).
#include "server/core/expr.h"

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config/expr_parser.h"

namespace acd::config {
namespace {

using core::Attributes;
using core::Expr;
using core::ExprPtr;
using core::Literal;
using ::testing::HasSubstr;

std::string Format(const std::vector<ExprError>& errors) {
  std::vector<std::string> lines;
  for (const ExprError& error : errors) lines.push_back(FormatExprError(error));
  return absl::StrJoin(lines, "\n");
}

// The parsed expression, or null (with a test failure naming the errors).
ExprPtr Parse(absl::string_view text) {
  auto result = ParseExpr(text);
  if (auto* errors = std::get_if<std::vector<ExprError>>(&result)) {
    ADD_FAILURE() << "parsing `" << text << "` failed:\n" << Format(*errors);
    return nullptr;
  }
  return std::get<ExprPtr>(result);
}

// The errors, or empty (with a test failure) if the text parses.
std::vector<ExprError> Errors(absl::string_view text) {
  auto result = ParseExpr(text);
  if (auto* expr = std::get_if<ExprPtr>(&result)) {
    ADD_FAILURE() << "`" << text << "` parsed as `" << (*expr)->ToString() << "`";
    return {};
  }
  return std::get<std::vector<ExprError>>(result);
}

bool Eval(absl::string_view text, const Attributes& attributes) {
  ExprPtr expr = Parse(text);
  return expr != nullptr && expr->Evaluate(attributes);
}

std::string Canonical(absl::string_view text) {
  ExprPtr expr = Parse(text);
  return expr == nullptr ? "<error>" : expr->ToString();
}

// Asserts that `text` fails with exactly one error, at line:column, whose
// message contains `message`.
void ExpectError(absl::string_view text, int line, int column, absl::string_view message) {
  SCOPED_TRACE(absl::StrCat("text: `", text.substr(0, 200), text.size() > 200 ? "...`" : "`"));
  std::vector<ExprError> errors = Errors(text);
  ASSERT_EQ(errors.size(), 1u) << Format(errors);
  EXPECT_EQ(errors[0].line, line) << Format(errors);
  EXPECT_EQ(errors[0].column, column) << Format(errors);
  EXPECT_THAT(errors[0].message, HasSubstr(std::string(message)));
}

TEST(ExprTest, DesignExamplesParseAndEvaluate) {
  EXPECT_TRUE(Eval(R"(tier == "gold" && language in ["es", "pt"])",
                   {{"tier", "gold"}, {"language", "pt"}}));
  EXPECT_FALSE(Eval(R"(tier == "gold" && language in ["es", "pt"])",
                    {{"tier", "gold"}, {"language", "en"}}));
  const std::string ivr = R"(ivr == "2" || (dialled == "+18005550100" && !(tier == "basic")))";
  EXPECT_TRUE(Eval(ivr, {{"ivr", "2"}}));
  EXPECT_TRUE(Eval(ivr, {{"dialled", "+18005550100"}, {"tier", "gold"}}));
  EXPECT_TRUE(Eval(ivr, {{"dialled", "+18005550100"}}));  // no tier: not basic
  EXPECT_FALSE(Eval(ivr, {{"dialled", "+18005550100"}, {"tier", "basic"}}));
  EXPECT_TRUE(Eval("age >= 65", {{"age", "65"}}));
  EXPECT_FALSE(Eval("age >= 65", {{"age", "64"}}));
  EXPECT_TRUE(Eval(R"(score > 7.5 && region != "EU")", {{"score", "7.6"}, {"region", "US"}}));
  EXPECT_FALSE(Eval(R"(score > 7.5 && region != "EU")", {{"score", "7.5"}, {"region", "US"}}));
}

TEST(ExprTest, AndBindsTighterThanOr) {
  const std::string text = R"(a == "1" || b == "2" && c == "3")";
  EXPECT_TRUE(Eval(text, {{"a", "1"}}));  // would be false if || bound tighter
  EXPECT_FALSE(Eval(text, {{"b", "2"}}));
  EXPECT_TRUE(Eval(text, {{"b", "2"}, {"c", "3"}}));
  EXPECT_EQ(Canonical(text), text);
  // && then || on the left as well.
  EXPECT_TRUE(Eval(R"(a == "1" && b == "2" || c == "3")", {{"c", "3"}}));
}

TEST(ExprTest, ParenthesesOverridePrecedence) {
  const std::string text = R"((a == "1" || b == "2") && c == "3")";
  EXPECT_FALSE(Eval(text, {{"a", "1"}}));
  EXPECT_TRUE(Eval(text, {{"a", "1"}, {"c", "3"}}));
  EXPECT_EQ(Canonical(text), text);
  // Redundant parentheses go away in the canonical text.
  EXPECT_EQ(Canonical(R"(((a == "1")) && ((b == "2") || (c == "3")))"),
            R"(a == "1" && (b == "2" || c == "3"))");
}

TEST(ExprTest, NotAppliesToAComparison) {
  EXPECT_TRUE(Eval(R"(!(tier == "basic"))", {}));
  EXPECT_FALSE(Eval(R"(!(tier == "basic"))", {{"tier", "basic"}}));
  // `!` binds looser than `==` and tighter than `&&`.
  EXPECT_EQ(Canonical(R"(!tier == "basic")"), R"(!(tier == "basic"))");
  EXPECT_EQ(Canonical(R"(!a == "1" && b == "2")"), R"(!(a == "1") && b == "2")");
  EXPECT_FALSE(Eval(R"(!a == "1" && b == "2")", {{"a", "2"}}));
  EXPECT_TRUE(Eval(R"(!a == "1" && b == "2")", {{"a", "2"}, {"b", "2"}}));
  EXPECT_TRUE(Eval(R"(!!(a == "1"))", {{"a", "1"}}));
  EXPECT_EQ(Canonical(R"(!!a == "1")"), R"(!!(a == "1"))");
  EXPECT_TRUE(Eval(R"(!(a == "1" || b == "1"))", {{"a", "2"}}));
  EXPECT_FALSE(Eval(R"(!(a == "1" || b == "1"))", {{"b", "1"}}));
}

TEST(ExprTest, InLists) {
  EXPECT_TRUE(Eval(R"(language in ["es", "pt"])", {{"language", "es"}}));
  EXPECT_FALSE(Eval(R"(language in ["es", "pt"])", {{"language", "ES"}}));
  EXPECT_FALSE(Eval(R"(language in ["es", "pt"])", {}));
  EXPECT_TRUE(Eval("ivr in [1, 2, 3]", {{"ivr", "2.0"}}));  // numeric
  EXPECT_FALSE(Eval("ivr in [1, 2, 3]", {{"ivr", "4"}}));
  EXPECT_FALSE(Eval("ivr in [1, 2, 3]", {{"ivr", "two"}}));
  EXPECT_TRUE(Eval("x in [-1.5, 0]", {{"x", "-1.50"}}));
  EXPECT_TRUE(Eval(R"(x in [""])", {{"x", ""}}));
  // Canonical lists are sorted and duplicate-free.
  EXPECT_EQ(Canonical(R"(x in ["pt", "es", "pt"])"), R"(x in ["es", "pt"])");
  EXPECT_EQ(Canonical("x in [3, 1.0, 2, 1]"), "x in [1, 2, 3]");
  EXPECT_TRUE(Eval(R"(x in ["pt", "es", "pt"])", {{"x", "pt"}}));
}

TEST(ExprTest, StringLiteralsCompareExactly) {
  EXPECT_TRUE(Eval(R"(ivr == "2")", {{"ivr", "2"}}));
  EXPECT_FALSE(Eval(R"(ivr == "2")", {{"ivr", "02"}}));
  EXPECT_FALSE(Eval(R"(ivr == "2")", {{"ivr", "2 "}}));
  EXPECT_TRUE(Eval(R"(ivr != "2")", {{"ivr", "02"}}));
  EXPECT_TRUE(Eval(R"(ivr == "")", {{"ivr", ""}}));
}

TEST(ExprTest, NumberLiteralsCompareNumerically) {
  EXPECT_TRUE(Eval("ivr == 2", {{"ivr", "02"}}));
  EXPECT_TRUE(Eval("ivr == 2", {{"ivr", "2.0"}}));
  EXPECT_TRUE(Eval("ivr == 2", {{"ivr", " 2 "}}));  // SimpleAtod trims whitespace
  EXPECT_TRUE(Eval("ivr == 200", {{"ivr", "2e2"}}));
  EXPECT_FALSE(Eval("ivr != 2", {{"ivr", "2.0"}}));
  EXPECT_TRUE(Eval("ivr != 2", {{"ivr", "3"}}));
  EXPECT_TRUE(Eval("score < 10", {{"score", "9"}}));  // "9" > "10" as strings
  EXPECT_FALSE(Eval("score > 10", {{"score", "9"}}));
  EXPECT_TRUE(Eval("score <= 7.5", {{"score", "7.5"}}));
  EXPECT_FALSE(Eval("score < 7.5", {{"score", "7.5"}}));
  EXPECT_TRUE(Eval("score >= 7.5", {{"score", "7.50"}}));
}

TEST(ExprTest, MissingAttributeMakesEveryComparisonFalse) {
  for (const char* text :
       {R"(tier == "gold")", R"(tier != "gold")", "age == 1", "age != 1", "age < 1", "age <= 1",
        "age > 1", "age >= 1", R"(tier in ["a"])", "age in [1]"}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(Eval(text, {{"other", "1"}}));
  }
  // The negation of a comparison is how to say "absent or different".
  EXPECT_TRUE(Eval(R"(!(tier == "gold"))", {}));
}

TEST(ExprTest, NonNumericAttributeMakesNumberComparisonsFalse) {
  for (const char* value : {"abc", "", "12abc", "nan", "inf", "-inf", "1e999"}) {
    SCOPED_TRACE(value);
    for (const char* text :
         {"age == 1", "age != 1", "age < 1", "age <= 1", "age > 1", "age >= 1", "age in [1, 2]"}) {
      SCOPED_TRACE(text);
      EXPECT_FALSE(Eval(text, {{"age", value}}));
    }
  }
  // The same attribute still compares as a string.
  EXPECT_TRUE(Eval(R"(age != "1")", {{"age", "abc"}}));
  EXPECT_TRUE(Eval(R"(age == "nan")", {{"age", "nan"}}));
}

TEST(ExprTest, NegativeAndDecimalNumbers) {
  EXPECT_TRUE(Eval("balance < -10.5", {{"balance", "-11"}}));
  EXPECT_FALSE(Eval("balance < -10.5", {{"balance", "-10.5"}}));
  EXPECT_TRUE(Eval("balance == -0", {{"balance", "0"}}));
  EXPECT_TRUE(Eval("x > 0.25", {{"x", "0.3"}}));
  EXPECT_TRUE(Eval("x >= -3", {{"x", "-3"}}));
  EXPECT_EQ(Canonical("x < -10.50"), "x < -10.5");
  EXPECT_EQ(Canonical("x == 007"), "x == 7");
  EXPECT_EQ(Canonical("x == 0.1000"), "x == 0.1");
  EXPECT_EQ(Canonical("x == 123456789.125"), "x == 123456789.125");
  // `a-1` is an attribute name, not a subtraction.
  EXPECT_TRUE(Eval("a-1 == -1", {{"a-1", "-1"}}));
  EXPECT_TRUE(Eval("a==-1", {{"a", "-1"}}));
}

TEST(ExprTest, LiteralFirstComparisonsAreFlipped) {
  EXPECT_EQ(Canonical("65 <= age"), "age >= 65");
  EXPECT_EQ(Canonical("65 < age"), "age > 65");
  EXPECT_EQ(Canonical("65 > age"), "age < 65");
  EXPECT_EQ(Canonical("65 >= age"), "age <= 65");
  EXPECT_EQ(Canonical(R"("gold" == tier)"), R"(tier == "gold")");
  EXPECT_EQ(Canonical(R"("gold" != tier)"), R"(tier != "gold")");
  EXPECT_TRUE(Eval("65 <= age", {{"age", "70"}}));
  EXPECT_FALSE(Eval("65 <= age", {{"age", "60"}}));
}

TEST(ExprTest, StringEscapes) {
  const std::string text = R"(name == "say \"hi\" \\o/")";
  EXPECT_TRUE(Eval(text, {{"name", R"(say "hi" \o/)"}}));
  EXPECT_FALSE(Eval(text, {{"name", R"(say \"hi\" \\o/)"}}));
  EXPECT_EQ(Canonical(text), text);
  EXPECT_TRUE(Eval(R"(x == "")", {{"x", ""}}));
  EXPECT_TRUE(Eval("x == \"a\tb é\"", {{"x", "a\tb é"}}));  // raw tab and UTF-8
  EXPECT_TRUE(Eval(R"(x == "&& || ! ( ) [ ] , ==")", {{"x", "&& || ! ( ) [ ] , =="}}));
}

TEST(ExprTest, IdentifierCharacters) {
  EXPECT_TRUE(Eval(R"(_a.b-c_9 == "1")", {{"_a.b-c_9", "1"}}));
  EXPECT_TRUE(Eval(R"(inx == "1")", {{"inx", "1"}}));  // `in` only as a whole word
  EXPECT_TRUE(Eval(R"(truex == "1")", {{"truex", "1"}}));
}

TEST(ExprTest, WhitespaceAndLines) {
  EXPECT_EQ(Canonical("tier==\"gold\"&&age>=65"), R"(tier == "gold" && age >= 65)");
  EXPECT_EQ(Canonical("\n  tier == \"gold\"\r\n\t&& age >= 65\n"),
            R"(tier == "gold" && age >= 65)");
}

TEST(ExprErrorTest, SyntaxErrors) {
  ExpectError(R"(a == && b == "1")", 1, 6, R"(expected a literal after "==" but found "&&")");
  ExpectError(R"("x" == && b)", 1, 8, R"(expected an attribute after "==" but found "&&")");
  ExpectError("a ==", 1, 5, R"(expected a literal after "==" but found end of input)");
  ExpectError(R"(tier == "gold" && && x)", 1, 19,
              R"(expected a condition after "&&" but found "&&")");
  ExpectError(R"(tier == "gold" ||)", 1, 18,
              R"(expected a condition after "||" but found end of input)");
  ExpectError("", 1, 1, "expected a condition but found end of input");
  ExpectError("   \n  ", 2, 3, "expected a condition but found end of input");
  ExpectError(R"(!)", 1, 2, R"(expected a condition after "!" but found end of input)");
  ExpectError(R"(())", 1, 2, R"x(expected a condition after "(" but found ")")x");
  ExpectError(R"((a == "1")", 1, 10,
              R"x(expected ")" to close the "(" at 1:1 but found end of input)x");
  ExpectError(R"(a == "1"))", 1, 9, R"x(unmatched ")")x");
  ExpectError(R"(a == "1" b == "2")", 1, 10,
              R"(expected "&&", "||" or the end of the expression but found attribute "b")");
  ExpectError(R"(a == "1" and b == "2")", 1, 10, R"(found attribute "and"; did you mean "&&"?)");
  ExpectError(R"(a == "1" or b == "2")", 1, 10, R"(did you mean "||"?)");
  ExpectError(
      R"(not b == "2")", 1, 5,
      R"(expected an operator after attribute "not" but found attribute "b"; did you mean "!"?)");
  ExpectError(R"(tier gold)", 1, 6,
              R"(expected an operator after attribute "tier" but found attribute "gold")");
  ExpectError(R"(x in "a")", 1, 6, R"(expected "[" after "in" but found string "a")");
  ExpectError(R"(x in ["a",])", 1, 11, R"(expected a literal after "," but found "]")");
  ExpectError(R"(x in ["a" "b"])", 1, 11,
              R"(expected "," or "]" in the "in" list but found string "b")");
  ExpectError(R"(x in ["a")", 1, 10,
              R"(expected "," or "]" in the "in" list but found end of input)");
}

TEST(ExprErrorTest, LexicalErrors) {
  ExpectError(R"(tier = "gold")", 1, 6, R"(unknown operator "="; did you mean "=="?)");
  ExpectError(R"(a == "1" & b == "2")", 1, 10, R"(unknown operator "&"; did you mean "&&"?)");
  ExpectError(R"(a == "1" | b == "2")", 1, 10, R"(unknown operator "|"; did you mean "||"?)");
  ExpectError("a <> 1", 1, 3, R"(unknown operator "<>"; did you mean "!="?)");
  ExpectError("a => 1", 1, 3, R"(unknown operator "=>"; did you mean ">="?)");
  ExpectError(R"(tier == "gold)", 1, 9, "unterminated string");
  ExpectError("tier == \"gold\n\" && x == \"1\"", 1, 9, "unterminated string");
  ExpectError(R"(tier == "a\nb")", 1, 11, R"(unknown escape "\\n" in string)");
  ExpectError("a == 1.", 1, 6, R"(malformed number "1.")");
  ExpectError("a == 1e5", 1, 6, R"(malformed number "1e5")");
  ExpectError("a == 1.2.3", 1, 6, R"(malformed number "1.2.3")");
  ExpectError("a == 12abc", 1, 6, R"(malformed number "12abc")");
  ExpectError(absl::StrCat("a == 1", std::string(400, '0')), 1, 6, "is out of range");
  ExpectError(R"(a == "1" @)", 1, 10, R"(unexpected character "@")");
  ExpectError("a == - 1", 1, 6, R"(unexpected character "-")");
  ExpectError("a == .5", 1, 6, R"(unexpected character ".")");
  ExpectError(std::string("a == \"1\" \x01", 10), 1, 10, R"(unexpected character "\x01")");
  // Columns count characters, not bytes: "ñ" is one column.
  ExpectError(R"(language == "español" && @)", 1, 26, R"(unexpected character "@")");
  ExpectError(R"(a == "1" && é)", 1, 13, R"(unexpected character "é")");
}

TEST(ExprErrorTest, TypeErrors) {
  ExpectError(R"(tier < "gold")", 1, 8, R"("<" needs a number, found string "gold")");
  ExpectError(R"("gold" >= tier)", 1, 1, R"(">=" needs a number, found string "gold")");
  ExpectError(R"(x in ["a", 1])", 1, 12, R"("in" list mixes strings and numbers)");
  ExpectError(R"(x in [1, 2, "a", "b"])", 1, 13, R"("in" list mixes strings and numbers)");
  ExpectError(R"(tier && x == "1")", 1, 1,
              R"("&&" needs a condition on each side, found attribute "tier")");
  ExpectError(R"(x == "1" || "y")", 1, 13,
              R"("||" needs a condition on each side, found string "y")");
  ExpectError("!tier", 1, 2, R"("!" needs a condition, found attribute "tier")");
  ExpectError("(tier)", 1, 2, R"x("(...)" must hold a condition, found attribute "tier")x");
  ExpectError("tier", 1, 1,
              R"(must be a condition such as tier == "gold", found attribute "tier")");
  ExpectError(R"("gold")", 1, 1,
              R"(must be a condition such as tier == "gold", found string "gold")");
  ExpectError("65", 1, 1, "found number 65");
  ExpectError("a == b", 1, 6,
              R"(cannot compare attribute "a" with attribute "b"; one side must be a literal)");
  ExpectError(R"("a" == 1)", 1, 8,
              R"(cannot compare string "a" with number 1; one side must be an attribute)");
  ExpectError(R"(a == (b == "1"))", 1, 6, "found a condition in parentheses");
  ExpectError(R"((b == "1") == "x")", 1, 1, "found a condition in parentheses");
  ExpectError("x == true", 1, 6,
              R"(true is not a literal: attribute values are strings, so write "true")");
  ExpectError("x in [false]", 1, 7, "false is not a literal");
  ExpectError("x in []", 1, 7, R"(an "in" list must not be empty)");
  ExpectError(R"("a" in ["a"])", 1, 1, R"("in" needs an attribute on its left, found string "a")");
  ExpectError(R"(x in ["a", y])", 1, 12,
              R"(an "in" list holds literals only, found attribute "y")");
}

TEST(ExprErrorTest, ReportsEveryTypeErrorUpToTheFirstSyntaxError) {
  // Three type errors, then a syntax error that stops parsing.
  std::vector<ExprError> errors = Errors(R"(tier && a == b && x < "y" && )");
  ASSERT_EQ(errors.size(), 4u) << Format(errors);
  EXPECT_EQ(errors[0].column, 1);
  EXPECT_THAT(errors[0].message, HasSubstr(R"(found attribute "tier")"));
  EXPECT_EQ(errors[1].column, 14);
  EXPECT_THAT(errors[1].message, HasSubstr("cannot compare"));
  EXPECT_EQ(errors[2].column, 23);
  EXPECT_THAT(errors[2].message, HasSubstr(R"("<" needs a number)"));
  EXPECT_EQ(errors[3].column, 30);
  EXPECT_THAT(errors[3].message, HasSubstr("but found end of input"));

  // A type error inside a list does not hide one after it.
  errors = Errors(R"(x in ["a", 1] || !y)");
  ASSERT_EQ(errors.size(), 2u) << Format(errors);
  EXPECT_EQ(errors[0].column, 12);
  EXPECT_EQ(errors[1].column, 19);

  // Nothing after a syntax error is reported, even a type error.
  errors = Errors(R"(a = "1" && !b)");
  ASSERT_EQ(errors.size(), 1u) << Format(errors);
  EXPECT_THAT(errors[0].message, HasSubstr("unknown operator"));
}

TEST(ExprErrorTest, MultiLineTextReportsLineAndColumn) {
  const std::string text =
      "tier == \"gold\"\n"
      "  && language in [\"es\", 3]\n"
      "  && age >= \"65\"\n"
      "  && region ==\n";
  std::vector<ExprError> errors = Errors(text);
  ASSERT_EQ(errors.size(), 3u) << Format(errors);
  EXPECT_EQ(errors[0].line, 2);
  EXPECT_EQ(errors[0].column, 25);
  EXPECT_THAT(errors[0].message, HasSubstr("mixes strings and numbers"));
  EXPECT_EQ(errors[1].line, 3);
  EXPECT_EQ(errors[1].column, 13);
  EXPECT_THAT(errors[1].message, HasSubstr(R"(">=" needs a number, found string "65")"));
  EXPECT_EQ(errors[2].line, 5);
  EXPECT_EQ(errors[2].column, 1);
  EXPECT_THAT(errors[2].message,
              HasSubstr(R"(expected a literal after "==" but found end of input)"));
  EXPECT_EQ(FormatExprError(errors[1]), absl::StrCat("3:13: ", errors[1].message));

  ExpectError("a == \"1\" &&\n\n   b = \"2\"", 3, 6, "unknown operator");
  ExpectError("(a == \"1\"\n && b == \"2\"", 2, 13, R"(to close the "(" at 1:1)");
}

TEST(ExprLimitsTest, DeepNestingIsAnErrorNotACrash) {
  // 10000 levels: over the length limit as well, which is checked first.
  ExpectError(std::string(10000, '('), 1, 1, "expression is 10000 bytes long");
  // Under the length limit, the depth limit stops the descent.
  const std::string opens(4000, '(');
  ExpectError(opens, 1, Expr::kMaxDepth + 1, "nests deeper than 64");
  ExpectError(absl::StrCat(std::string(2000, '('), R"(a == "1")", std::string(2000, ')')), 1,
              Expr::kMaxDepth + 1, "nests deeper than 64");
  ExpectError(std::string(4000, '!'), 1, Expr::kMaxDepth + 1, "nests deeper than 64");
  ExpectError(absl::StrCat(std::string(2000, '!'), std::string(2000, '(')), 1, Expr::kMaxDepth + 1,
              "nests deeper than 64");

  // Exactly the limit parses; one more does not.
  const int depth = Expr::kMaxDepth;
  ExprPtr expr =
      Parse(absl::StrCat(std::string(depth, '('), R"(a == "1")", std::string(depth, ')')));
  ASSERT_NE(expr, nullptr);
  EXPECT_EQ(expr->ToString(), R"(a == "1")");
  ExpectError(absl::StrCat(std::string(depth + 1, '('), R"(a == "1")", std::string(depth + 1, ')')),
              1, depth + 1, "nests deeper");
  // `!` and `(` count together.
  EXPECT_NE(Parse(absl::StrCat(std::string(depth - 1, '!'), R"((a == "1"))")), nullptr);
  ExpectError(absl::StrCat(std::string(depth, '!'), R"((a == "1"))"), 1, depth + 1, "nests deeper");
}

TEST(ExprLimitsTest, LengthLimit) {
  // a == "xxx...": exactly kMaxExprLength bytes parses.
  const std::string head = "a == \"";
  std::string text = absl::StrCat(head, std::string(kMaxExprLength - head.size() - 1, 'x'), "\"");
  ASSERT_EQ(text.size(), kMaxExprLength);
  EXPECT_NE(Parse(text), nullptr);
  text.insert(head.size(), "x");
  ExpectError(text, 1, 1, "expression is 4097 bytes long; the limit is 4096");
}

TEST(ExprLimitsTest, ListLimit) {
  std::vector<std::string> values;
  for (int i = 0; i < Expr::kMaxListSize; ++i) values.push_back(absl::StrCat(i));
  const std::string at_limit = absl::StrCat("x in [", absl::StrJoin(values, ","), "]");
  ExprPtr expr = Parse(at_limit);
  ASSERT_NE(expr, nullptr);
  EXPECT_TRUE(expr->Evaluate({{"x", "255"}}));
  EXPECT_FALSE(expr->Evaluate({{"x", "256"}}));
  const std::string over = absl::StrCat("x in [", absl::StrJoin(values, ","), ",999]");
  ExpectError(over, 1, static_cast<int>(over.size()) - 3, "more than 256 values");
}

TEST(ExprToStringTest, CanonicalTextIsStable) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"(tier=="gold"&&language in["pt","es"])", R"(tier == "gold" && language in ["es", "pt"])"},
      {R"(ivr == "2" || (dialled == "+18005550100" && !(tier == "basic")))",
       R"(ivr == "2" || dialled == "+18005550100" && !(tier == "basic"))"},
      {R"((a == "1" && b == "2") && c == "3")", R"(a == "1" && b == "2" && c == "3")"},
      {R"(a == "1" || (b == "2" || c == "3"))", R"(a == "1" || b == "2" || c == "3")"},
      {R"((a == "1" || b == "2") && (c == "3" || d == "4"))",
       R"((a == "1" || b == "2") && (c == "3" || d == "4"))"},
      {R"(!(a == "1" && b == "2"))", R"(!(a == "1" && b == "2"))"},
      {R"(!(a == "1" || b == "2") && c == "3")", R"(!(a == "1" || b == "2") && c == "3")"},
      {"!!!x in [1]", "!!!(x in [1])"},
      {"7.5 < score", "score > 7.5"},
      {"x == -0.50", "x == -0.5"},
      {R"(x == "\\\"")", R"(x == "\\\"")"},
  };
  for (const auto& [text, canonical] : cases) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Canonical(text), canonical);
    EXPECT_EQ(Canonical(canonical), canonical);
  }
}

TEST(ExprCoreTest, FactoriesValidate) {
  EXPECT_FALSE(Expr::Compare("tier", Expr::Op::kLt, Literal::String("gold")).ok());
  EXPECT_FALSE(Expr::Compare("1tier", Expr::Op::kEq, Literal::String("gold")).ok());
  EXPECT_FALSE(Expr::Compare("in", Expr::Op::kEq, Literal::String("gold")).ok());
  EXPECT_FALSE(Expr::Compare("true", Expr::Op::kEq, Literal::String("gold")).ok());
  EXPECT_FALSE(Expr::Compare("a", Expr::Op::kEq, Literal::String("two\nlines")).ok());
  EXPECT_FALSE(Expr::Compare("a", Expr::Op::kEq, Literal::Number(1.0 / 0.0)).ok());
  EXPECT_FALSE(Expr::In("a", {}).ok());
  EXPECT_FALSE(Expr::In("a", {Literal::String("x"), Literal::Number(1)}).ok());
  EXPECT_FALSE(
      Expr::In("a", std::vector<Literal>(Expr::kMaxListSize + 1, Literal::Number(1))).ok());
  EXPECT_TRUE(Expr::In("a", std::vector<Literal>(Expr::kMaxListSize, Literal::Number(1))).ok());

  absl::StatusOr<ExprPtr> a = Expr::Compare("a", Expr::Op::kGe, Literal::Number(65));
  absl::StatusOr<ExprPtr> b = Expr::Compare("b", Expr::Op::kEq, Literal::String("x\"y"));
  absl::StatusOr<ExprPtr> c = Expr::In("c", {Literal::String("z"), Literal::String("y")});
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  ExprPtr expr = Expr::And({*a, Expr::Or({*b, Expr::Not(*c)}), Expr::And({*a, *b})});
  EXPECT_EQ(expr->kind(), Expr::Kind::kAnd);
  EXPECT_EQ(expr->operands().size(), 4u);  // the inner And is flattened
  EXPECT_EQ(expr->ToString(),
            R"(a >= 65 && (b == "x\"y" || !(c in ["y", "z"])) && a >= 65 && b == "x\"y")");
  EXPECT_EQ(Canonical(expr->ToString()), expr->ToString());
  EXPECT_EQ(Expr::And({*a}), *a);
  EXPECT_TRUE(expr->Evaluate({{"a", "70"}, {"b", "x\"y"}}));
  // c in the list: the Or is still true through b.
  EXPECT_TRUE(expr->Evaluate({{"a", "70"}, {"b", "x\"y"}, {"c", "y"}}));
  EXPECT_FALSE(expr->Evaluate({{"a", "70"}, {"b", "x"}, {"c", "y"}}));
}

// Random expressions, built with an independent evaluator (the oracle), written
// out with random spacing and optional parentheses: the parser must agree with
// the oracle, and ToString must round-trip.
class RandomExprs {
 public:
  struct Generated {
    std::string text;
    std::function<bool(const Attributes&)> eval;
    enum class Top { kAtom, kAnd, kOr } top = Top::kAtom;
  };

  explicit RandomExprs(uint32_t seed) : rng_(seed) {}

  Generated Expression(int budget) {
    const int choice = Uniform(budget <= 0 ? 2 : 6);
    switch (choice) {
      case 0:
        return Comparison();
      case 1:
        return In();
      case 2:
        return Not(budget - 1);
      case 3:
      case 4:
        return Junction(budget - 1, /*is_and=*/choice == 3);
      default:
        return Parenthesised(Expression(budget - 1));
    }
  }

  Attributes RandomAttributes() {
    Attributes attributes;
    for (const std::string& name : kNames) {
      if (Uniform(4) != 0) attributes[name] = kValues[Uniform(kValues.size())];
    }
    return attributes;
  }

 private:
  static inline const std::vector<std::string> kNames = {"a", "b", "tier", "x.y", "n-1", "_z"};
  static inline const std::vector<std::string> kValues = {
      "1", "2", "-3", "2.5", "7.50", "007", "gold", "", "a\"b", "x\\y", "nan", " 4 ", "1e1", "é"};
  static inline const std::vector<double> kNumbers = {0, 1, 2, -3, 2.5, 7.5, 4, 10, -0.25};
  static inline const std::vector<std::string> kStrings = {"1",    "2",    "gold", "",
                                                           "a\"b", "x\\y", "é",    "007"};

  size_t Uniform(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  std::string Space() {
    static const char* const kSpaces[] = {"", " ", " ", "  ", "\n", "\t", " \r\n "};
    return kSpaces[Uniform(std::size(kSpaces))];
  }

  static bool Number(const std::string& value, double* out) {
    return absl::SimpleAtod(value, out) && std::isfinite(*out);
  }

  // A number written in one of its valid spellings (trailing zeros, leading
  // zeros), so canonical printing is exercised.
  std::string NumberText(double value) {
    std::string text = absl::StrCat(value);
    if (Uniform(3) == 0)
      text = absl::StrCat(text, text.find('.') == std::string::npos ? ".0" : "0");
    if (Uniform(4) == 0 && value >= 1) text = absl::StrCat("0", text);
    return text;
  }

  static std::string StringText(const std::string& value) {
    std::string text = "\"";
    for (char c : value) {
      if (c == '"' || c == '\\') text += '\\';
      text += c;
    }
    return text + "\"";
  }

  Generated Comparison() {
    const std::string name = kNames[Uniform(kNames.size())];
    const bool numeric = Uniform(2) == 0;
    const Expr::Op op =
        numeric ? static_cast<Expr::Op>(Uniform(6)) : static_cast<Expr::Op>(Uniform(2));
    const double number = kNumbers[Uniform(kNumbers.size())];
    const std::string string = kStrings[Uniform(kStrings.size())];
    const std::string literal = numeric ? NumberText(number) : StringText(string);
    const bool literal_first = Uniform(3) == 0;
    Generated g;
    // Written literal-first, the operator is mirrored so the meaning stays
    // "attribute op literal".
    const Expr::Op written = literal_first ? Expr::Flip(op) : op;
    g.text = literal_first ? absl::StrCat(literal, Space(), Expr::OpName(written), Space(), name)
                           : absl::StrCat(name, Space(), Expr::OpName(written), Space(), literal);
    g.eval = [name, numeric, op, number, string](const Attributes& attributes) {
      auto it = attributes.find(name);
      if (it == attributes.end()) return false;
      if (!numeric) return op == Expr::Op::kEq ? it->second == string : it->second != string;
      double value;
      if (!Number(it->second, &value)) return false;
      switch (op) {
        case Expr::Op::kEq:
          return value == number;
        case Expr::Op::kNe:
          return value != number;
        case Expr::Op::kLt:
          return value < number;
        case Expr::Op::kLe:
          return value <= number;
        case Expr::Op::kGt:
          return value > number;
        case Expr::Op::kGe:
          return value >= number;
      }
      return false;
    };
    return g;
  }

  Generated In() {
    const std::string name = kNames[Uniform(kNames.size())];
    const bool numeric = Uniform(2) == 0;
    std::vector<std::string> texts;
    std::vector<double> numbers;
    std::vector<std::string> strings;
    const size_t count = 1 + Uniform(4);
    for (size_t i = 0; i < count; ++i) {
      if (numeric) {
        numbers.push_back(kNumbers[Uniform(kNumbers.size())]);
        texts.push_back(NumberText(numbers.back()));
      } else {
        strings.push_back(kStrings[Uniform(kStrings.size())]);
        texts.push_back(StringText(strings.back()));
      }
    }
    Generated g;
    g.text = absl::StrCat(name, " in", Space(), "[", Space(),
                          absl::StrJoin(texts, absl::StrCat(Space(), ",", Space())), Space(), "]");
    g.eval = [name, numeric, numbers, strings](const Attributes& attributes) {
      auto it = attributes.find(name);
      if (it == attributes.end()) return false;
      if (!numeric) return std::find(strings.begin(), strings.end(), it->second) != strings.end();
      double value;
      return Number(it->second, &value) &&
             std::find(numbers.begin(), numbers.end(), value) != numbers.end();
    };
    return g;
  }

  Generated Not(int budget) {
    Generated operand = Expression(budget);
    // `!` takes a comparison or a `!` bare, anything else in parentheses.
    if (operand.top != Generated::Top::kAtom || Uniform(2) == 0) {
      operand = Parenthesised(std::move(operand));
    }
    Generated g;
    g.text = absl::StrCat("!", Space(), operand.text);
    g.eval = [inner = operand.eval](const Attributes& attributes) { return !inner(attributes); };
    return g;
  }

  Generated Junction(int budget, bool is_and) {
    const size_t count = 2 + Uniform(3);
    std::vector<Generated> operands;
    for (size_t i = 0; i < count; ++i) {
      Generated operand = Expression(budget);
      // An Or inside an And needs parentheses; an And inside an Or does not.
      if (is_and && operand.top == Generated::Top::kOr) operand = Parenthesised(std::move(operand));
      operands.push_back(std::move(operand));
    }
    Generated g;
    g.top = is_and ? Generated::Top::kAnd : Generated::Top::kOr;
    std::vector<std::function<bool(const Attributes&)>> evals;
    for (size_t i = 0; i < operands.size(); ++i) {
      if (i > 0) absl::StrAppend(&g.text, Space(), is_and ? "&&" : "||", Space());
      absl::StrAppend(&g.text, operands[i].text);
      evals.push_back(operands[i].eval);
    }
    g.eval = [evals, is_and](const Attributes& attributes) {
      for (const auto& eval : evals) {
        if (eval(attributes) != is_and) return !is_and;
      }
      return is_and;
    };
    return g;
  }

  Generated Parenthesised(Generated inner) {
    inner.text = absl::StrCat("(", Space(), inner.text, Space(), ")");
    inner.top = Generated::Top::kAtom;
    return inner;
  }

  std::mt19937 rng_;
};

TEST(ExprRandomTest, ParserMatchesOracleAndToStringRoundTrips) {
  RandomExprs random(20240611);
  int evaluations = 0;
  for (int i = 0; i < 2000; ++i) {
    RandomExprs::Generated generated = random.Expression(5);
    SCOPED_TRACE(generated.text);
    ExprPtr first = Parse(generated.text);
    ASSERT_NE(first, nullptr);
    const std::string canonical = first->ToString();
    ExprPtr second = Parse(canonical);
    ASSERT_NE(second, nullptr) << canonical;
    ASSERT_EQ(second->ToString(), canonical);
    for (int j = 0; j < 20; ++j) {
      const Attributes attributes = random.RandomAttributes();
      const bool expected = generated.eval(attributes);
      ASSERT_EQ(first->Evaluate(attributes), expected) << canonical;
      ASSERT_EQ(second->Evaluate(attributes), expected) << canonical;
      evaluations += expected ? 1 : 0;
    }
  }
  // The generator must produce both outcomes often, or the test proves little.
  EXPECT_GT(evaluations, 4000);
  EXPECT_LT(evaluations, 36000);
}

}  // namespace
}  // namespace acd::config
