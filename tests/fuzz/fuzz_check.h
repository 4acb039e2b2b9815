// Helpers shared by the fuzz targets in this directory: a check that stops the
// run with a message (libFuzzer then saves the input as a crash), and the
// width of one line of the input, so a target can assert that a reported
// line:column points inside the text it was given.
//
// Thread safety: pure functions; FuzzCheck aborts the process on failure.
#ifndef ACD_TESTS_FUZZ_FUZZ_CHECK_H_
#define ACD_TESTS_FUZZ_FUZZ_CHECK_H_

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"

namespace acd::fuzz {

// Aborts with `what` (and `detail`) when `ok` is false. abort(), not a
// gtest assertion: libFuzzer treats it as a crash and keeps the input.
inline void FuzzCheck(bool ok, absl::string_view what, absl::string_view detail = "") {
  if (ok) return;
  std::fprintf(stderr, "fuzz property violated: %.*s\n  %.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(detail.size()), detail.data());
  std::abort();
}

enum class ColumnUnit { kBytes, kCodePoints };

// The number of columns on 1-based line `line` of `text` ("\n" ends a line and
// is not counted), or -1 when the text has fewer lines. A text of N "\n" has
// N + 1 lines, the last one possibly empty.
inline int LineWidth(absl::string_view text, int line, ColumnUnit unit) {
  if (line < 1) return -1;
  size_t start = 0;
  for (int l = 1; l < line; ++l) {
    const size_t newline = text.find('\n', start);
    if (newline == absl::string_view::npos) return -1;
    start = newline + 1;
  }
  const size_t end = std::min(text.find('\n', start), text.size());
  int width = 0;
  for (size_t i = start; i < end; ++i) {
    // A UTF-8 continuation byte (10xxxxxx) does not start a code point.
    const bool continuation = (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80;
    if (unit == ColumnUnit::kBytes || !continuation) ++width;
  }
  return width;
}

// True when 1-based `line`:`column` is a character of `text` or just after the
// last one of its line (where "unexpected end" problems point).
inline bool PlaceInside(absl::string_view text, int line, int column, ColumnUnit unit) {
  const int width = LineWidth(text, line, unit);
  return width >= 0 && column >= 1 && column <= width + 1;
}

}  // namespace acd::fuzz

#endif  // ACD_TESTS_FUZZ_FUZZ_CHECK_H_
