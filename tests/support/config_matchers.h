// gtest helpers for config problems, shared by the config tests.
#ifndef ACD_TESTS_SUPPORT_CONFIG_MATCHERS_H_
#define ACD_TESTS_SUPPORT_CONFIG_MATCHERS_H_

#include <ostream>
#include <string>
#include <utility>

#include "gmock/gmock.h"
#include "server/config/config.h"

namespace acd::config {

// gtest prints problems in their user-facing form.
inline void PrintTo(const Problem& problem, std::ostream* os) { *os << problem.ToString(); }

// A problem at line:column with this path whose message contains `text`.
inline ::testing::Matcher<Problem> IsProblem(int line, int column, std::string path,
                                             std::string text) {
  using ::testing::Field;
  return ::testing::AllOf(Field("line", &Problem::line, line),
                          Field("column", &Problem::column, column),
                          Field("path", &Problem::path, path),
                          Field("message", &Problem::message, ::testing::HasSubstr(text)));
}

// The same, in `file` (a problem of a file the config names, e.g. tokens_file).
inline ::testing::Matcher<Problem> IsProblem(std::string file, int line, int column,
                                             std::string path, std::string text) {
  return ::testing::AllOf(::testing::Field("file", &Problem::file, file),
                          IsProblem(line, column, std::move(path), std::move(text)));
}

}  // namespace acd::config

#endif  // ACD_TESTS_SUPPORT_CONFIG_MATCHERS_H_
