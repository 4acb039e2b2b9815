#include "server/config/expr_parser.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace acd::config {
namespace {

using core::Expr;
using core::ExprPtr;
using core::Literal;

// Messages quote at most this many bytes of a token, so a 4 KiB string literal
// does not make a 4 KiB message.
constexpr size_t kMaxQuotedBytes = 48;

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Length of the well-formed UTF-8 sequence starting at s[i], or 0.
size_t Utf8SequenceLength(absl::string_view s, size_t i) {
  const unsigned char lead = static_cast<unsigned char>(s[i]);
  size_t length = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if (!IsContinuationByte(s[i + k])) return 0;
  }
  return length;
}

void AppendHexByte(unsigned char byte, std::string& out) {
  constexpr char kDigits[] = "0123456789abcdef";
  out += "\\x";
  out += kDigits[byte >> 4];
  out += kDigits[byte & 0xF];
}

// `"text"` for messages: `"` and `\` escaped, control characters and bytes that
// are not UTF-8 written as \xNN, long text cut with "...".
std::string Quote(absl::string_view text) {
  std::string out = "\"";
  size_t i = 0;
  while (i < text.size() && i < kMaxQuotedBytes) {
    const char c = text[i];
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
      ++i;
    } else if (u < 0x20 || u == 0x7F) {
      AppendHexByte(u, out);
      ++i;
    } else if (u < 0x80) {
      out += c;
      ++i;
    } else if (size_t length = Utf8SequenceLength(text, i); length > 0) {
      out.append(text.substr(i, length).data(), length);
      i += length;
    } else {
      AppendHexByte(u, out);
      ++i;
    }
  }
  if (i < text.size()) out += "...";
  out += '"';
  return out;
}

enum class TokenKind {
  kEnd,
  kError,  // a lexical error; `error` says what
  kIdent,
  kString,
  kNumber,
  kIn,
  kCompare,  // `op` says which
  kAnd,
  kOr,
  kNot,
  kLeftParen,
  kRightParen,
  kLeftBracket,
  kRightBracket,
  kComma,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  absl::string_view text;  // as written
  std::string value;       // kIdent: the name; kString: the decoded value
  double number = 0;       // kNumber
  Expr::Op op = Expr::Op::kEq;
  std::string error;  // kError
  int line = 1;
  int column = 1;
};

bool IsBooleanWord(const Token& token) {
  return token.kind == TokenKind::kIdent && (token.text == "true" || token.text == "false");
}

// "attribute \"tier\"", "string \"gold\"", "number 7.5", "\"&&\"", "end of input".
std::string Describe(const Token& token) {
  switch (token.kind) {
    case TokenKind::kEnd:
      return "end of input";
    case TokenKind::kIdent:
      if (IsBooleanWord(token)) return std::string(token.text);
      return absl::StrCat("attribute ", Quote(token.value));
    case TokenKind::kString:
      return absl::StrCat("string ", Quote(token.value));
    case TokenKind::kNumber:
      return absl::StrCat("number ",
                          token.text.size() <= kMaxQuotedBytes
                              ? std::string(token.text)
                              : absl::StrCat(token.text.substr(0, kMaxQuotedBytes), "..."));
    default:
      return Quote(token.text);
  }
}

// Splits text into tokens, stopping after the first lexical error (which
// becomes a kError token, followed by kEnd).
class Lexer {
 public:
  explicit Lexer(absl::string_view text) : text_(text) {}

  std::vector<Token> Run() {
    std::vector<Token> tokens;
    while (true) {
      SkipSpace();
      Token token;
      token.line = line_;
      token.column = column_;
      const size_t start = pos_;
      if (pos_ == text_.size()) {
        tokens.push_back(std::move(token));
        return tokens;
      }
      const bool ok = LexOne(token);
      token.text = text_.substr(start, pos_ - start);
      tokens.push_back(std::move(token));
      if (!ok) {
        Token end;
        end.line = line_;
        end.column = column_;
        tokens.push_back(std::move(end));
        return tokens;
      }
    }
  }

 private:
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  bool AtEnd(size_t ahead = 0) const { return pos_ + ahead >= text_.size(); }

  // Columns count code points: a byte that continues a UTF-8 sequence does not
  // start a new column.
  void Advance() {
    const char c = text_[pos_++];
    if (c == '\n') {
      ++line_;
      column_ = 1;
    } else if (AtEnd() || !IsContinuationByte(text_[pos_])) {
      ++column_;
    }
  }
  void Advance(size_t n) {
    for (size_t i = 0; i < n; ++i) Advance();
  }

  void SkipSpace() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\n' || Peek() == '\r')) {
      Advance();
    }
  }

  static bool Fail(Token& token, std::string message) {
    token.kind = TokenKind::kError;
    token.error = std::move(message);
    return false;
  }

  bool Operator(Token& token, TokenKind kind, size_t length, Expr::Op op = Expr::Op::kEq) {
    token.kind = kind;
    token.op = op;
    Advance(length);
    return true;
  }

  bool UnknownOperator(Token& token, size_t length, absl::string_view suggestion) {
    const absl::string_view spelled = text_.substr(pos_, length);
    Advance(length);
    return Fail(token, absl::StrCat("unknown operator ", Quote(spelled), "; did you mean ",
                                    Quote(suggestion), "?"));
  }

  bool LexOne(Token& token) {
    const char c = Peek();
    const char next = Peek(1);
    switch (c) {
      case '(':
        return Operator(token, TokenKind::kLeftParen, 1);
      case ')':
        return Operator(token, TokenKind::kRightParen, 1);
      case '[':
        return Operator(token, TokenKind::kLeftBracket, 1);
      case ']':
        return Operator(token, TokenKind::kRightBracket, 1);
      case ',':
        return Operator(token, TokenKind::kComma, 1);
      case '&':
        if (next == '&') return Operator(token, TokenKind::kAnd, 2);
        return UnknownOperator(token, 1, "&&");
      case '|':
        if (next == '|') return Operator(token, TokenKind::kOr, 2);
        return UnknownOperator(token, 1, "||");
      case '!':
        if (next == '=') return Operator(token, TokenKind::kCompare, 2, Expr::Op::kNe);
        return Operator(token, TokenKind::kNot, 1);
      case '=':
        if (next == '=') return Operator(token, TokenKind::kCompare, 2, Expr::Op::kEq);
        if (next == '<') return UnknownOperator(token, 2, "<=");
        if (next == '>') return UnknownOperator(token, 2, ">=");
        return UnknownOperator(token, 1, "==");
      case '<':
        if (next == '=') return Operator(token, TokenKind::kCompare, 2, Expr::Op::kLe);
        if (next == '>') return UnknownOperator(token, 2, "!=");
        return Operator(token, TokenKind::kCompare, 1, Expr::Op::kLt);
      case '>':
        if (next == '=') return Operator(token, TokenKind::kCompare, 2, Expr::Op::kGe);
        return Operator(token, TokenKind::kCompare, 1, Expr::Op::kGt);
      case '"':
        return LexString(token);
      default:
        break;
    }
    if (absl::ascii_isdigit(c) || (c == '-' && absl::ascii_isdigit(next))) return LexNumber(token);
    if (absl::ascii_isalpha(c) || c == '_') return LexIdent(token);
    // One whole character, so the message shows "é" rather than half of it.
    size_t length = 1;
    if (static_cast<unsigned char>(c) >= 0x80) {
      length = std::max<size_t>(1, Utf8SequenceLength(text_, pos_));
    }
    const absl::string_view spelled = text_.substr(pos_, length);
    Advance(length);
    return Fail(token, absl::StrCat("unexpected character ", Quote(spelled)));
  }

  static bool IsIdentChar(char c) {
    return absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-';
  }

  bool LexIdent(Token& token) {
    const size_t start = pos_;
    while (!AtEnd() && IsIdentChar(Peek())) Advance();
    const absl::string_view name = text_.substr(start, pos_ - start);
    token.kind = name == "in" ? TokenKind::kIn : TokenKind::kIdent;
    token.value = std::string(name);
    return true;
  }

  bool LexNumber(Token& token) {
    const size_t start = pos_;
    if (Peek() == '-') Advance();
    while (absl::ascii_isdigit(Peek())) Advance();
    bool malformed = false;
    if (Peek() == '.') {
      Advance();
      if (!absl::ascii_isdigit(Peek())) malformed = true;
      while (absl::ascii_isdigit(Peek())) Advance();
    }
    // "1abc", "1.2.3", "7e5": swallow the rest of the word so the message
    // shows all of it.
    if (!AtEnd() && (IsIdentChar(Peek()) || Peek() == '.')) malformed = true;
    if (malformed) {
      while (!AtEnd() && (IsIdentChar(Peek()) || Peek() == '.')) Advance();
      return Fail(token, absl::StrCat("malformed number ", Quote(text_.substr(start, pos_ - start)),
                                      "; a number is digits with an optional \"-\" and \".\"",
                                      " (no exponent)"));
    }
    const absl::string_view spelled = text_.substr(start, pos_ - start);
    double value = 0;
    if (!absl::SimpleAtod(spelled, &value) || !std::isfinite(value)) {
      return Fail(token, absl::StrCat("number ", Quote(spelled), " is out of range"));
    }
    token.kind = TokenKind::kNumber;
    token.number = value;
    return true;
  }

  bool LexString(Token& token) {
    Advance();  // the opening quote
    std::string value;
    while (true) {
      if (AtEnd() || Peek() == '\n' || Peek() == '\r') {
        // Reported where the string starts (the token's position): that is
        // where the missing quote belongs.
        return Fail(token,
                    "unterminated string: expected a closing '\"' before the end of the line");
      }
      const char c = Peek();
      if (c == '"') {
        Advance();
        break;
      }
      if (c == '\\') {
        const int line = line_;
        const int column = column_;
        const char escaped = Peek(1);
        if (escaped == '"' || escaped == '\\') {
          value += escaped;
          Advance(2);
          continue;
        }
        token.line = line;
        token.column = column;
        if (AtEnd(1) || escaped == '\n' || escaped == '\r') {
          Advance();
          return Fail(token, "unterminated string: a '\\' ends the line");
        }
        const size_t length = 1 + std::max<size_t>(1, Utf8SequenceLength(text_, pos_ + 1));
        const absl::string_view spelled = text_.substr(pos_, length);
        Advance(length);
        return Fail(token, absl::StrCat("unknown escape ", Quote(spelled),
                                        " in string; only \\\" and \\\\ are allowed"));
      }
      value += c;
      Advance();
    }
    token.kind = TokenKind::kString;
    token.value = std::move(value);
    return true;
  }

  absl::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
};

// What a parsed fragment is. Only kCondition fragments can be combined with
// && || ! and only kAttribute and literals can be compared.
enum class Type { kCondition, kAttribute, kString, kNumber, kInvalid };

struct Node {
  Type type = Type::kInvalid;
  ExprPtr expr;                  // kCondition
  const Token* token = nullptr;  // kAttribute, kString, kNumber: the operand
  int line = 1;                  // where the fragment starts
  int column = 1;
};

Node At(const Token& token, Type type) {
  Node node;
  node.type = type;
  node.token = &token;
  node.line = token.line;
  node.column = token.column;
  return node;
}

Node Condition(const Node& start, ExprPtr expr) {
  Node node;
  node.type = Type::kCondition;
  node.expr = std::move(expr);
  node.line = start.line;
  node.column = start.column;
  return node;
}

Node Invalid(const Node& start) {
  Node node;
  node.line = start.line;
  node.column = start.column;
  return node;
}

std::string Describe(const Node& node) {
  if (node.type == Type::kCondition) return "a condition";
  return Describe(*node.token);
}

// Recursive descent over the token list. A syntax error sets `failed_` and every
// caller returns at once; a type error is recorded and parsing goes on, with the
// offending fragment typed kInvalid so it causes no follow-on errors.
class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  std::variant<std::shared_ptr<const core::Expr>, std::vector<ExprError>> Run() {
    Node node = ParseOr("");
    if (!failed_) {
      const Token& next = Peek();
      if (next.kind == TokenKind::kRightParen) {
        Fail(next, absl::StrCat("unmatched ", Quote(")")));
      } else if (next.kind != TokenKind::kEnd) {
        FailExpected(next, "\"&&\", \"||\" or the end of the expression");
      } else {
        RequireCondition(node, "the expression must be a condition such as tier == \"gold\"");
      }
    }
    if (errors_.empty() && node.type != Type::kCondition) {
      errors_.push_back({node.line, node.column, "internal error: no expression"});
    }
    if (!errors_.empty()) {
      std::stable_sort(errors_.begin(), errors_.end(), [](const ExprError& a, const ExprError& b) {
        return std::pair(a.line, a.column) < std::pair(b.line, b.column);
      });
      return std::move(errors_);
    }
    return std::move(node.expr);
  }

 private:
  const Token& Peek() const { return tokens_[next_]; }
  const Token& Next() {
    const Token& token = tokens_[next_];
    if (token.kind != TokenKind::kEnd) ++next_;
    return token;
  }

  void Fail(const Token& token, std::string message) {
    errors_.push_back({token.line, token.column, std::move(message)});
    failed_ = true;
  }

  // "expected <what> but found <token>"; a lexical error speaks for itself.
  void FailExpected(const Token& found, absl::string_view what) {
    if (found.kind == TokenKind::kError) {
      Fail(found, found.error);
      return;
    }
    std::string message = absl::StrCat("expected ", what, " but found ", Describe(found));
    // Words from other languages' boolean operators.
    if (found.kind == TokenKind::kIdent) {
      if (found.text == "and") absl::StrAppend(&message, "; did you mean \"&&\"?");
      if (found.text == "or") absl::StrAppend(&message, "; did you mean \"||\"?");
      if (found.text == "not") absl::StrAppend(&message, "; did you mean \"!\"?");
    }
    Fail(found, std::move(message));
  }

  void TypeError(const Node& node, std::string message) {
    errors_.push_back({node.line, node.column, std::move(message)});
  }

  // True if `node` is a condition. Otherwise records "<what>, found <node>"
  // unless the node is already known to be wrong.
  bool RequireCondition(const Node& node, absl::string_view what) {
    if (node.type == Type::kCondition) return true;
    if (node.type != Type::kInvalid) {
      TypeError(node, absl::StrCat(what, ", found ", Describe(node)));
    }
    return false;
  }

  // Nesting is bounded so hostile text cannot exhaust the stack.
  bool Enter(const Token& token) {
    if (depth_ >= Expr::kMaxDepth) {
      Fail(token, absl::StrCat("expression nests deeper than ", Expr::kMaxDepth,
                               " levels of \"(\" and \"!\""));
      return false;
    }
    ++depth_;
    return true;
  }
  void Leave() { --depth_; }

  // `context` completes "expected a condition<context>", e.g. ` after "&&"`.
  Node ParseOr(absl::string_view context) {
    Node first = ParseAnd(context);
    if (failed_ || Peek().kind != TokenKind::kOr) return first;
    bool ok = RequireCondition(first, "\"||\" needs a condition on each side");
    std::vector<ExprPtr> operands;
    if (ok) operands.push_back(first.expr);
    while (Peek().kind == TokenKind::kOr) {
      Next();
      Node operand = ParseAnd(" after \"||\"");
      if (failed_) return operand;
      if (RequireCondition(operand, "\"||\" needs a condition on each side")) {
        operands.push_back(operand.expr);
      } else {
        ok = false;
      }
    }
    if (!ok) return Invalid(first);
    return Condition(first, Expr::Or(std::move(operands)));
  }

  Node ParseAnd(absl::string_view context) {
    Node first = ParseUnary(context);
    if (failed_ || Peek().kind != TokenKind::kAnd) return first;
    bool ok = RequireCondition(first, "\"&&\" needs a condition on each side");
    std::vector<ExprPtr> operands;
    if (ok) operands.push_back(first.expr);
    while (Peek().kind == TokenKind::kAnd) {
      Next();
      Node operand = ParseUnary(" after \"&&\"");
      if (failed_) return operand;
      if (RequireCondition(operand, "\"&&\" needs a condition on each side")) {
        operands.push_back(operand.expr);
      } else {
        ok = false;
      }
    }
    if (!ok) return Invalid(first);
    return Condition(first, Expr::And(std::move(operands)));
  }

  Node ParseUnary(absl::string_view context) {
    if (Peek().kind != TokenKind::kNot) return ParseComparison(context);
    const Token& bang = Next();
    if (!Enter(bang)) return Node();
    Node operand = ParseUnary(" after \"!\"");
    Leave();
    const Node start = At(bang, Type::kInvalid);
    if (failed_) return start;
    if (!RequireCondition(operand, "\"!\" needs a condition")) return start;
    return Condition(start, Expr::Not(operand.expr));
  }

  Node ParseComparison(absl::string_view context) {
    Node lhs = ParseOperand(context);
    if (failed_) return lhs;
    const Token& next = Peek();
    switch (next.kind) {
      case TokenKind::kCompare:
        Next();
        return FinishCompare(lhs, next);
      case TokenKind::kIn:
        Next();
        return FinishIn(lhs);
      case TokenKind::kAnd:
      case TokenKind::kOr:
      case TokenKind::kRightParen:
      case TokenKind::kEnd:
        // A bare operand before these is a type error, reported by the caller
        // that needs a condition.
        return lhs;
      default:
        if (lhs.type != Type::kCondition && lhs.type != Type::kInvalid) {
          FailExpected(next, absl::StrCat("an operator after ", Describe(lhs)));
          if (lhs.type == Type::kAttribute && lhs.token->text == "not" &&
              next.kind != TokenKind::kError) {
            absl::StrAppend(&errors_.back().message, "; did you mean \"!\"?");
          }
        }
        // Otherwise the caller reports the unexpected token.
        return lhs;
    }
  }

  Node ParseOperand(absl::string_view context) {
    const Token& token = Peek();
    switch (token.kind) {
      case TokenKind::kLeftParen: {
        Next();
        if (!Enter(token)) return Node();
        Node inner = ParseOr(" after \"(\"");
        if (failed_) return inner;
        if (Peek().kind != TokenKind::kRightParen) {
          FailExpected(Peek(),
                       absl::StrCat("\")\" to close the \"(\" at ", token.line, ":", token.column));
          return inner;
        }
        Next();
        Leave();
        const Node start = At(token, Type::kInvalid);
        if (!RequireCondition(inner, "\"(...)\" must hold a condition")) return start;
        return Condition(start, inner.expr);
      }
      case TokenKind::kIdent:
        Next();
        if (IsBooleanWord(token)) return ParseBooleanWord(token);
        return At(token, Type::kAttribute);
      case TokenKind::kString:
        Next();
        return At(token, Type::kString);
      case TokenKind::kNumber:
        Next();
        return At(token, Type::kNumber);
      default:
        FailExpected(token, absl::StrCat("a condition", context));
        return Node();
    }
  }

  static bool IsLiteral(Type type) { return type == Type::kString || type == Type::kNumber; }

  static Literal ToLiteral(const Node& node) {
    if (node.type == Type::kNumber) return Literal::Number(node.token->number);
    return Literal::String(IsBooleanWord(*node.token) ? std::string(node.token->text)
                                                      : node.token->value);
  }

  Node FinishCompare(const Node& lhs, const Token& op) {
    const Token& next = Peek();
    switch (next.kind) {
      case TokenKind::kIdent:
      case TokenKind::kString:
      case TokenKind::kNumber:
      case TokenKind::kLeftParen:
        break;
      default: {
        const char* what = lhs.type == Type::kAttribute ? "a literal"
                           : IsLiteral(lhs.type)        ? "an attribute"
                                                        : "an attribute or a literal";
        FailExpected(next, absl::StrCat(what, " after ", Quote(op.text)));
        return Node();
      }
    }
    Node rhs = ParseOperand("");
    if (failed_) return rhs;
    const Node failed = Invalid(lhs);
    if (lhs.type == Type::kInvalid || rhs.type == Type::kInvalid) return failed;
    const std::string op_name = Quote(op.text);
    for (const Node* side : {&lhs, static_cast<const Node*>(&rhs)}) {
      if (side->type == Type::kCondition) {
        TypeError(*side, absl::StrCat(op_name, " compares an attribute with a literal, found a",
                                      " condition in parentheses"));
        return failed;
      }
    }
    if (lhs.type == Type::kAttribute && rhs.type == Type::kAttribute) {
      TypeError(rhs, absl::StrCat("cannot compare ", Describe(lhs), " with ", Describe(rhs),
                                  "; one side must be a literal"));
      return failed;
    }
    if (IsLiteral(lhs.type) && IsLiteral(rhs.type)) {
      TypeError(rhs, absl::StrCat("cannot compare ", Describe(lhs), " with ", Describe(rhs),
                                  "; one side must be an attribute"));
      return failed;
    }
    const bool literal_first = IsLiteral(lhs.type);
    const Node& attribute = literal_first ? rhs : lhs;
    const Node& literal = literal_first ? lhs : rhs;
    if (op.op != Expr::Op::kEq && op.op != Expr::Op::kNe && literal.type != Type::kNumber) {
      TypeError(literal, absl::StrCat(op_name, " needs a number, found ", Describe(literal)));
      return failed;
    }
    absl::StatusOr<ExprPtr> expr = Expr::Compare(
        attribute.token->value, literal_first ? Expr::Flip(op.op) : op.op, ToLiteral(literal));
    if (!expr.ok()) {  // not expected: the checks above cover Compare's
      TypeError(lhs, std::string(expr.status().message()));
      return failed;
    }
    return Condition(lhs, *std::move(expr));
  }

  Node FinishIn(const Node& lhs) {
    bool ok = lhs.type == Type::kAttribute;
    if (lhs.type != Type::kAttribute && lhs.type != Type::kInvalid) {
      TypeError(lhs, absl::StrCat("\"in\" needs an attribute on its left, found ", Describe(lhs)));
    }
    if (Peek().kind != TokenKind::kLeftBracket) {
      FailExpected(Peek(), "\"[\" after \"in\"");
      return Node();
    }
    Next();
    std::vector<Literal> values;
    const Token* first = nullptr;  // the first literal, which sets the list's type
    bool mixed = false;
    int count = 0;
    while (true) {
      const Token& token = Peek();
      if (count == 0 && token.kind == TokenKind::kRightBracket) {
        TypeError(At(token, Type::kInvalid), "an \"in\" list must not be empty");
        Next();
        return Invalid(lhs);
      }
      if (count == Expr::kMaxListSize &&
          (token.kind == TokenKind::kString || token.kind == TokenKind::kNumber ||
           token.kind == TokenKind::kIdent)) {
        Fail(token, absl::StrCat("an \"in\" list has more than ", Expr::kMaxListSize, " values"));
        return Node();
      }
      if (token.kind == TokenKind::kString || token.kind == TokenKind::kNumber ||
          IsBooleanWord(token)) {
        Next();
        const Node literal =
            IsBooleanWord(token)
                ? ParseBooleanWord(token)
                : At(token, token.kind == TokenKind::kNumber ? Type::kNumber : Type::kString);
        if (IsBooleanWord(token)) ok = false;
        if (first == nullptr) {
          first = &token;
        } else if ((first->kind == TokenKind::kNumber) != (token.kind == TokenKind::kNumber) &&
                   !mixed) {
          // Once per list: one mixed value is enough to say what is wrong.
          TypeError(literal, absl::StrCat("\"in\" list mixes strings and numbers: ",
                                          Describe(token), " after ", Describe(*first)));
          mixed = true;
          ok = false;
        }
        values.push_back(ToLiteral(literal));
      } else if (token.kind == TokenKind::kIdent) {
        Next();
        TypeError(At(token, Type::kAttribute),
                  absl::StrCat("an \"in\" list holds literals only, found ", Describe(token)));
        ok = false;
      } else {
        FailExpected(token, count == 0 ? "a literal after \"[\"" : "a literal after \",\"");
        return Node();
      }
      ++count;
      const Token& separator = Peek();
      if (separator.kind == TokenKind::kComma) {
        Next();
      } else if (separator.kind == TokenKind::kRightBracket) {
        Next();
        break;
      } else {
        FailExpected(separator, "\",\" or \"]\" in the \"in\" list");
        return Node();
      }
    }
    if (!ok) return Invalid(lhs);
    absl::StatusOr<ExprPtr> expr = Expr::In(lhs.token->value, std::move(values));
    if (!expr.ok()) {  // not expected: the checks above cover In's
      TypeError(lhs, std::string(expr.status().message()));
      return Invalid(lhs);
    }
    return Condition(lhs, *std::move(expr));
  }

  // `true` / `false`: an error, then read on as the string it most likely
  // means, so the rest of the text is still checked.
  Node ParseBooleanWord(const Token& token) {
    TypeError(At(token, Type::kString),
              absl::StrCat(token.text, " is not a literal: attribute values are strings, so write ",
                           Quote(token.text)));
    return At(token, Type::kString);
  }

  std::vector<Token> tokens_;
  size_t next_ = 0;
  int depth_ = 0;
  bool failed_ = false;
  std::vector<ExprError> errors_;
};

}  // namespace

std::variant<std::shared_ptr<const core::Expr>, std::vector<ExprError>> ParseExpr(
    absl::string_view text) {
  if (text.size() > kMaxExprLength) {
    return std::vector<ExprError>{{1, 1,
                                   absl::StrCat("expression is ", text.size(),
                                                " bytes long; the limit is ", kMaxExprLength)}};
  }
  return Parser(Lexer(text).Run()).Run();
}

std::string FormatExprError(const ExprError& error) {
  return absl::StrCat(error.line, ":", error.column, ": ", error.message);
}

}  // namespace acd::config
