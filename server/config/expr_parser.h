// Parser for routing-rule `when` expressions (text -> core::Expr). The AST, its
// evaluation semantics and its canonical text are described in
// server/core/expr.h.
//
// Grammar, loosest binding first:
//   expr       := or
//   or         := and ("||" and)*
//   and        := unary ("&&" unary)*
//   unary      := "!" unary | comparison
//   comparison := operand [("==" | "!=" | "<" | "<=" | ">" | ">=") operand
//                         | "in" "[" literal ("," literal)* "]"]
//   operand    := "(" or ")" | IDENT | literal
//   literal    := STRING | NUMBER
//   IDENT      := [A-Za-z_][A-Za-z0-9_.-]*   (not "in", "true" or "false")
//   STRING     := '"' (any character but '"', '\', line break | '\"' | '\\')* '"'
//   NUMBER     := "-"? [0-9]+ ("." [0-9]+)?
// Whitespace (space, tab, CR, LF) separates tokens; text may span lines.
// `!` applies to a whole comparison: `!tier == "basic"` is `!(tier == "basic")`.
//
// Types are checked as the text is parsed: a comparison joins one attribute and
// one literal (either order); `< <= > >=` need a number; `in` needs an
// attribute on its left and a non-empty list of literals of one type; `&&`,
// `||`, `!`, parentheses and the whole expression need conditions, so a bare
// attribute or literal is an error.
//
// Limits, because rule text comes from config files: at most kMaxExprLength
// bytes, core::Expr::kMaxDepth levels of "(" and "!" nesting, and
// core::Expr::kMaxListSize values in one list. Past a limit the parser returns
// an error; it never recurses deeper than the depth limit.
//
// Thread safety: a pure function; call it from any thread.
#ifndef ACD_SERVER_CONFIG_EXPR_PARSER_H_
#define ACD_SERVER_CONFIG_EXPR_PARSER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"
#include "server/core/expr.h"

namespace acd::config {

inline constexpr size_t kMaxExprLength = 4096;

// One thing wrong with an expression. `line` and `column` are 1-based within the
// parsed text; columns count characters (UTF-8 code points), a tab counting one.
struct ExprError {
  int line = 1;
  int column = 1;
  std::string message;
};

// Parses `text` into an expression, or returns its errors in text order: the
// first syntax error (parsing stops there) and every type error found before
// it. Messages say what was expected and what was found, e.g.
//   expected a literal after "==" but found "&&"
//   "<" needs a number, found string "gold"
std::variant<std::shared_ptr<const core::Expr>, std::vector<ExprError>> ParseExpr(
    absl::string_view text);

// "3:14: message", for logs and tests.
std::string FormatExprError(const ExprError& error);

}  // namespace acd::config

#endif  // ACD_SERVER_CONFIG_EXPR_PARSER_H_
