// libFuzzer target for the routing-rule expression parser
// (server/config/expr_parser.h). Any bytes in must parse or fail cleanly (no
// crash, sanitizer report, leak or unbounded recursion), and:
//  - a failure has at least one error, each with a message and a line:column
//    inside the text (columns in code points), in text order;
//  - whatever parses survives a round trip through its canonical text:
//    ParseExpr(expr->ToString()) parses to the same ToString();
//  - evaluating it does not crash.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "server/config/expr_parser.h"
#include "server/core/expr.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using acd::config::ExprError;
using acd::config::FormatExprError;
using acd::config::ParseExpr;
using acd::core::ExprPtr;
using acd::fuzz::ColumnUnit;
using acd::fuzz::FuzzCheck;
using acd::fuzz::PlaceInside;

void CheckErrors(absl::string_view text, const std::vector<ExprError>& errors) {
  FuzzCheck(!errors.empty(), "a failed parse reports at least one error");
  for (size_t i = 0; i < errors.size(); ++i) {
    const ExprError& error = errors[i];
    const std::string formatted = FormatExprError(error);
    FuzzCheck(!error.message.empty(), "an error has a message", formatted);
    FuzzCheck(PlaceInside(text, error.line, error.column, ColumnUnit::kCodePoints),
              "an error's line:column is inside the text", formatted);
    FuzzCheck(absl::StartsWith(formatted, absl::StrCat(error.line, ":", error.column, ": ")),
              "FormatExprError starts with line:column", formatted);
    FuzzCheck(!absl::StartsWith(error.message, "internal error"), "no internal error", formatted);
    if (i > 0) {
      FuzzCheck(std::pair(errors[i - 1].line, errors[i - 1].column) <=
                    std::pair(error.line, error.column),
                "errors come in text order", formatted);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto first = ParseExpr(text);
  if (const auto* errors = std::get_if<std::vector<ExprError>>(&first)) {
    CheckErrors(text, *errors);
    return 0;
  }
  const ExprPtr& expr = std::get<ExprPtr>(first);
  FuzzCheck(expr != nullptr, "a successful parse returns an expression");
  const std::string canonical = expr->ToString();
  // Canonical text adds spaces around operators, so a dense input near the
  // length limit can print longer than the parser accepts; that is not a bug.
  if (canonical.size() > acd::config::kMaxExprLength) return 0;
  auto second = ParseExpr(canonical);
  if (const auto* errors = std::get_if<std::vector<ExprError>>(&second)) {
    FuzzCheck(false, "canonical text re-parses",
              absl::StrCat(canonical, " -> ", FormatExprError(errors->front())));
  }
  FuzzCheck(std::get<ExprPtr>(second)->ToString() == canonical, "canonical text is a fixed point",
            canonical);
  // Evaluation must not crash, on matching and non-matching attributes alike.
  (void)expr->Evaluate({{"a", "1"}, {"tier", "gold"}});
  (void)expr->Evaluate({});
  return 0;
}
