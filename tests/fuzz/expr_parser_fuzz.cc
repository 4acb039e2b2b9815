// libFuzzer entry point for the routing-rule expression parser. Any input must
// parse or fail cleanly (no crash, no sanitizer report, no unbounded
// recursion), and whatever parses must survive a round trip through its
// canonical text: ParseExpr(expr->ToString()) parses to the same ToString().
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <variant>

#include "absl/strings/string_view.h"
#include "server/config/expr_parser.h"
#include "server/core/expr.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using acd::config::ParseExpr;
  using acd::core::ExprPtr;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto first = ParseExpr(text);
  const ExprPtr* expr = std::get_if<ExprPtr>(&first);
  if (expr == nullptr) return 0;
  const std::string canonical = (*expr)->ToString();
  // Canonical text adds spaces around operators, so a dense input near the
  // length limit can print longer than the parser accepts; that is not a bug.
  if (canonical.size() > acd::config::kMaxExprLength) return 0;
  auto second = ParseExpr(canonical);
  const ExprPtr* reparsed = std::get_if<ExprPtr>(&second);
  if (reparsed == nullptr || (*reparsed)->ToString() != canonical) std::abort();
  // Evaluation must not crash either.
  (void)(*expr)->Evaluate({{"a", "1"}, {"tier", "gold"}});
  return 0;
}
