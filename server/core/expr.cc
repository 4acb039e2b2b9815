#include "server/core/expr.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace acd::core {
namespace {

// The attribute side of a number comparison; see the header for why inf and
// nan are not numbers (nan would make `!=` true on garbage).
bool ReadNumber(absl::string_view text, double* out) {
  return absl::SimpleAtod(text, out) && std::isfinite(*out);
}

template <typename T>
bool Apply(Expr::Op op, const T& lhs, const T& rhs) {
  switch (op) {
    case Expr::Op::kEq:
      return lhs == rhs;
    case Expr::Op::kNe:
      return lhs != rhs;
    case Expr::Op::kLt:
      return lhs < rhs;
    case Expr::Op::kLe:
      return lhs <= rhs;
    case Expr::Op::kGt:
      return lhs > rhs;
    case Expr::Op::kGe:
      return lhs >= rhs;
  }
  return false;
}

void AppendNumber(double value, std::string& out) {
  // Shortest decimal that reads back as the same double, never in exponent form
  // (the expression grammar has none). 1e308 needs 309 digits, 5e-324 needs 326.
  char buffer[512];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::fixed);
  if (ec != std::errc()) {
    out += "0";  // unreachable for finite doubles
    return;
  }
  out.append(buffer, end);
}

absl::Status CheckLiteral(const Literal& literal) {
  if (literal.is_number()) {
    if (!std::isfinite(literal.number())) {
      return absl::InvalidArgumentError("a number literal must be finite");
    }
  } else if (literal.string().find_first_of("\r\n") != std::string::npos) {
    return absl::InvalidArgumentError("a string literal cannot hold a line break");
  }
  return absl::OkStatus();
}

}  // namespace

const std::string& Literal::string() const {
  static const std::string* const kEmpty = new std::string();
  return is_string() ? std::get<std::string>(value_) : *kEmpty;
}

std::string Literal::ToString() const {
  std::string out;
  if (is_number()) {
    AppendNumber(number(), out);
    return out;
  }
  const std::string& value = string();
  out.reserve(value.size() + 2);
  out += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

ExprPtr Expr::And(std::vector<ExprPtr> operands) {
  assert(!operands.empty());
  if (operands.size() == 1) return std::move(operands.front());
  auto expr = std::make_shared<Expr>(Passkey(), Kind::kAnd);
  for (ExprPtr& operand : operands) {
    assert(operand != nullptr);
    if (operand->kind_ == Kind::kAnd) {
      expr->operands_.insert(expr->operands_.end(), operand->operands_.begin(),
                             operand->operands_.end());
    } else {
      expr->operands_.push_back(std::move(operand));
    }
  }
  return expr;
}

ExprPtr Expr::Or(std::vector<ExprPtr> operands) {
  assert(!operands.empty());
  if (operands.size() == 1) return std::move(operands.front());
  auto expr = std::make_shared<Expr>(Passkey(), Kind::kOr);
  for (ExprPtr& operand : operands) {
    assert(operand != nullptr);
    if (operand->kind_ == Kind::kOr) {
      expr->operands_.insert(expr->operands_.end(), operand->operands_.begin(),
                             operand->operands_.end());
    } else {
      expr->operands_.push_back(std::move(operand));
    }
  }
  return expr;
}

ExprPtr Expr::Not(ExprPtr operand) {
  assert(operand != nullptr);
  auto expr = std::make_shared<Expr>(Passkey(), Kind::kNot);
  expr->operands_.push_back(std::move(operand));
  return expr;
}

absl::StatusOr<ExprPtr> Expr::Compare(std::string attribute, Op op, Literal literal) {
  if (!IsValidAttributeName(attribute)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", absl::CHexEscape(attribute), "\" is not a valid attribute name"));
  }
  if (absl::Status status = CheckLiteral(literal); !status.ok()) return status;
  if (literal.is_string() && op != Op::kEq && op != Op::kNe) {
    return absl::InvalidArgumentError(absl::StrCat("\"", OpName(op), "\" needs a number"));
  }
  auto expr = std::make_shared<Expr>(Passkey(), Kind::kCompare);
  expr->attribute_ = std::move(attribute);
  expr->op_ = op;
  expr->values_.push_back(std::move(literal));
  return expr;
}

absl::StatusOr<ExprPtr> Expr::In(std::string attribute, std::vector<Literal> values) {
  if (!IsValidAttributeName(attribute)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", absl::CHexEscape(attribute), "\" is not a valid attribute name"));
  }
  if (values.empty()) return absl::InvalidArgumentError("an \"in\" list must not be empty");
  if (values.size() > static_cast<size_t>(kMaxListSize)) {
    return absl::InvalidArgumentError(
        absl::StrCat("an \"in\" list has at most ", kMaxListSize, " values"));
  }
  const bool numbers = values.front().is_number();
  for (const Literal& value : values) {
    if (value.is_number() != numbers) {
      return absl::InvalidArgumentError("an \"in\" list mixes strings and numbers");
    }
    if (absl::Status status = CheckLiteral(value); !status.ok()) return status;
  }
  // Sorted and unique, so Evaluate can binary-search and ToString is canonical.
  // Stable, so of equal numbers (0 and -0) the first written is the one kept.
  if (numbers) {
    std::stable_sort(values.begin(), values.end(),
                     [](const Literal& a, const Literal& b) { return a.number() < b.number(); });
    values.erase(
        std::unique(values.begin(), values.end(),
                    [](const Literal& a, const Literal& b) { return a.number() == b.number(); }),
        values.end());
  } else {
    std::stable_sort(values.begin(), values.end(),
                     [](const Literal& a, const Literal& b) { return a.string() < b.string(); });
    values.erase(
        std::unique(values.begin(), values.end(),
                    [](const Literal& a, const Literal& b) { return a.string() == b.string(); }),
        values.end());
  }
  auto expr = std::make_shared<Expr>(Passkey(), Kind::kIn);
  expr->attribute_ = std::move(attribute);
  expr->values_ = std::move(values);
  return expr;
}

bool Expr::IsValidAttributeName(absl::string_view name) {
  if (name.empty()) return false;
  if (name == "in" || name == "true" || name == "false") return false;
  if (!absl::ascii_isalpha(name.front()) && name.front() != '_') return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

absl::string_view Expr::OpName(Op op) {
  switch (op) {
    case Op::kEq:
      return "==";
    case Op::kNe:
      return "!=";
    case Op::kLt:
      return "<";
    case Op::kLe:
      return "<=";
    case Op::kGt:
      return ">";
    case Op::kGe:
      return ">=";
  }
  return "?";
}

Expr::Op Expr::Flip(Op op) {
  switch (op) {
    case Op::kLt:
      return Op::kGt;
    case Op::kLe:
      return Op::kGe;
    case Op::kGt:
      return Op::kLt;
    case Op::kGe:
      return Op::kLe;
    case Op::kEq:
    case Op::kNe:
      return op;
  }
  return op;
}

bool Expr::Evaluate(const Attributes& attributes) const {
  switch (kind_) {
    case Kind::kAnd:
      for (const ExprPtr& operand : operands_) {
        if (!operand->Evaluate(attributes)) return false;
      }
      return true;
    case Kind::kOr:
      for (const ExprPtr& operand : operands_) {
        if (operand->Evaluate(attributes)) return true;
      }
      return false;
    case Kind::kNot:
      return !operands_.front()->Evaluate(attributes);
    case Kind::kCompare: {
      auto it = attributes.find(attribute_);
      if (it == attributes.end()) return false;
      const Literal& literal = values_.front();
      if (literal.is_number()) {
        double value;
        return ReadNumber(it->second, &value) && Apply(op_, value, literal.number());
      }
      return Apply(op_, it->second, literal.string());
    }
    case Kind::kIn: {
      auto it = attributes.find(attribute_);
      if (it == attributes.end()) return false;
      if (values_.front().is_number()) {
        double value;
        if (!ReadNumber(it->second, &value)) return false;
        auto found =
            std::lower_bound(values_.begin(), values_.end(), value,
                             [](const Literal& literal, double v) { return literal.number() < v; });
        return found != values_.end() && found->number() == value;
      }
      const std::string& value = it->second;
      auto found = std::lower_bound(
          values_.begin(), values_.end(), value,
          [](const Literal& literal, const std::string& v) { return literal.string() < v; });
      return found != values_.end() && found->string() == value;
    }
  }
  return false;
}

std::string Expr::ToString() const {
  std::string out;
  AppendTo(out);
  return out;
}

void Expr::AppendTo(std::string& out) const {
  switch (kind_) {
    case Kind::kAnd:
      for (size_t i = 0; i < operands_.size(); ++i) {
        if (i > 0) out += " && ";
        // `||` binds looser than `&&`; every other operand kind binds tighter.
        const bool parenthesise = operands_[i]->kind_ == Kind::kOr;
        if (parenthesise) out += '(';
        operands_[i]->AppendTo(out);
        if (parenthesise) out += ')';
      }
      return;
    case Kind::kOr:
      for (size_t i = 0; i < operands_.size(); ++i) {
        if (i > 0) out += " || ";
        operands_[i]->AppendTo(out);
      }
      return;
    case Kind::kNot: {
      out += '!';
      // `!` binds looser than a comparison in the grammar, but `!(a == "1")`
      // reads unambiguously to anyone used to C.
      const bool parenthesise = operands_.front()->kind_ != Kind::kNot;
      if (parenthesise) out += '(';
      operands_.front()->AppendTo(out);
      if (parenthesise) out += ')';
      return;
    }
    case Kind::kCompare:
      absl::StrAppend(&out, attribute_, " ", OpName(op_), " ", values_.front().ToString());
      return;
    case Kind::kIn:
      absl::StrAppend(&out, attribute_, " in [");
      for (size_t i = 0; i < values_.size(); ++i) {
        if (i > 0) out += ", ";
        out += values_[i].ToString();
      }
      out += ']';
      return;
  }
}

}  // namespace acd::core
