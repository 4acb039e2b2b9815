// Routing-rule expressions: the AST of a rule's `when` condition and its
// evaluation against a call's attributes. Parsing lives in the config layer
// (server/config/expr_parser.h); this file only builds, prints and evaluates.
//
// An expression is a tree of conditions:
//   And(a, b, ...), Or(a, b, ...), Not(a)
//   Compare(attribute, op, literal)     op in == != < <= > >=
//   In(attribute, [literal, ...])       a non-empty list of literals of one type
// Literals are strings or finite numbers. `< <= > >=` take numbers only.
//
// Semantics (Evaluate):
//  - An attribute compared with a string literal compares bytes exactly.
//  - An attribute compared with a number literal is read as a number with
//    absl::SimpleAtod (so " 65 ", "6.5e1" and "0x41" all read as 65) and
//    compared numerically: "65" == 65.0 and "7.50" == 7.5. A value that
//    SimpleAtod rejects, or that reads as inf or nan, is not a number.
//  - A comparison or `in` on a MISSING attribute is false, whatever the
//    operator, `!=` included; so is a number comparison or number `in` on a
//    NON-NUMERIC attribute. Thus `tier != "gold"` needs `tier` present, and
//    `!(tier == "gold")` is the way to say "absent or not gold". A present but
//    empty attribute is the string "" (and not a number).
//  - `in` is true when the attribute equals any listed value, by the same rules.
//
// Canonical text (ToString) re-parses to an equal expression: comparisons are
// written `attribute op literal` (a literal-first comparison is flipped, so
// `65 <= age` prints `age >= 65`), nested And/Or of the same kind are flattened,
// parentheses appear only where precedence needs them (an Or inside an And, and
// any non-Not operand of a Not: `!(tier == "gold")`), numbers print in their
// shortest round-trip decimal form without exponent, `in` lists print sorted
// with duplicates removed, and strings escape only `"` and `\`.
//
// Thread safety: an Expr is immutable after construction; share it freely
// (std::shared_ptr<const Expr>) and evaluate it from any number of threads.
// Evaluate allocates nothing.
#ifndef ACD_SERVER_CORE_EXPR_H_
#define ACD_SERVER_CORE_EXPR_H_

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/core/types.h"

namespace acd::core {

// A string or a finite number.
class Literal {
 public:
  static Literal String(std::string value) { return Literal(std::move(value)); }
  // `value` should be finite; Expr::Compare and Expr::In reject one that is not.
  static Literal Number(double value) { return Literal(value); }

  bool is_number() const { return std::holds_alternative<double>(value_); }
  bool is_string() const { return !is_number(); }
  // Only meaningful for the matching kind.
  double number() const { return is_number() ? std::get<double>(value_) : 0; }
  const std::string& string() const;

  // `"gold"` (with `"` and `\` escaped) or `7.5`, `-3`, `65`.
  std::string ToString() const;

 private:
  explicit Literal(std::string value) : value_(std::move(value)) {}
  explicit Literal(double value) : value_(value) {}

  std::variant<std::string, double> value_;
};

class Expr;
using ExprPtr = std::shared_ptr<const Expr>;

class Expr {
 public:
  enum class Kind { kAnd, kOr, kNot, kCompare, kIn };
  enum class Op { kEq, kNe, kLt, kLe, kGt, kGe };

  // Maximum nesting the parser accepts (parentheses and `!`); the AST of any
  // parsed expression is therefore shallow enough to evaluate recursively.
  static constexpr int kMaxDepth = 64;
  static constexpr int kMaxListSize = 256;

  // `operands` must be non-empty and hold no null pointer. Operands of the same
  // kind are flattened into this node; a single operand is returned as is.
  static ExprPtr And(std::vector<ExprPtr> operands);
  static ExprPtr Or(std::vector<ExprPtr> operands);
  // `operand` must not be null.
  static ExprPtr Not(ExprPtr operand);
  // InvalidArgument if `attribute` is not a valid attribute name, `op` orders
  // (< <= > >=) with a string, the number is not finite, or the string holds a
  // line break (the text form has no escape for one).
  static absl::StatusOr<ExprPtr> Compare(std::string attribute, Op op, Literal literal);
  // InvalidArgument if `values` is empty, longer than kMaxListSize, mixes
  // strings and numbers, or holds a value Compare would reject.
  static absl::StatusOr<ExprPtr> In(std::string attribute, std::vector<Literal> values);

  // Attribute names: [A-Za-z_][A-Za-z0-9_.-]*, except the words `in`, `true`
  // and `false`, which the text form reserves.
  static bool IsValidAttributeName(absl::string_view name);
  // "==", "!=", "<", "<=", ">", ">=".
  static absl::string_view OpName(Op op);
  // The operator that gives the same result with the operands swapped (< -> >).
  static Op Flip(Op op);

  bool Evaluate(const Attributes& attributes) const;
  std::string ToString() const;

  Kind kind() const { return kind_; }
  // kAnd, kOr: two or more; kNot: one.
  const std::vector<ExprPtr>& operands() const { return operands_; }
  // kCompare, kIn.
  const std::string& attribute() const { return attribute_; }
  // kCompare.
  Op op() const { return op_; }
  const Literal& literal() const { return values_.front(); }
  // kIn: sorted, unique, one type. kCompare: the one literal.
  const std::vector<Literal>& values() const { return values_; }

  // Use the factories: the constructor is public only for std::make_shared, and
  // Passkey keeps it out of reach of other callers.
  class Passkey {
    Passkey() = default;
    friend class Expr;
  };
  Expr(Passkey, Kind kind) : kind_(kind) {}

 private:
  void AppendTo(std::string& out) const;

  Kind kind_;
  std::vector<ExprPtr> operands_;
  std::string attribute_;
  Op op_ = Op::kEq;
  std::vector<Literal> values_;
};

}  // namespace acd::core

#endif  // ACD_SERVER_CORE_EXPR_H_
