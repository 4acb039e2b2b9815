// libFuzzer target for the config loader (acd::config::ParseConfig). Any bytes
// in must give an outcome without a crash, hang, sanitizer report or leak, and:
//  - ok() exactly when a Config is returned; that Config keeps the file name,
//    the exact text and its SHA-256;
//  - every problem names the file, has a message, and points at a line:column
//    inside the text (columns in bytes, as yaml-cpp counts them); none is an
//    "internal error" (an exception the loader did not expect);
//  - problems are sorted by line then column;
//  - parsing is deterministic: the same text gives the same problems.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "server/config/config.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using acd::config::ParseConfig;
using acd::config::ParseOutcome;
using acd::config::Problem;
using acd::fuzz::ColumnUnit;
using acd::fuzz::FuzzCheck;
using acd::fuzz::PlaceInside;

constexpr std::string_view kFileName = "fuzz.yaml";

std::vector<std::string> Lines(const ParseOutcome& outcome) {
  std::vector<std::string> lines;
  for (const Problem& problem : outcome.problems) lines.push_back(problem.ToString());
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const absl::string_view atext(text.data(), text.size());
  const ParseOutcome outcome = ParseConfig(text, kFileName);

  FuzzCheck(outcome.ok() == outcome.config.has_value(),
            "a Config exactly when there is no problem");
  if (outcome.config) {
    FuzzCheck(outcome.config->file == kFileName, "Config::file is the name given");
    FuzzCheck(outcome.config->text == text, "Config::text is the exact text");
    FuzzCheck(outcome.config->hash == acd::config::Sha256Hex(text), "Config::hash is its SHA-256");
  }
  for (size_t i = 0; i < outcome.problems.size(); ++i) {
    const Problem& problem = outcome.problems[i];
    const std::string line = problem.ToString();
    FuzzCheck(problem.file == kFileName, "a problem names the file", line);
    FuzzCheck(!problem.message.empty(), "a problem has a message", line);
    FuzzCheck(!absl::StartsWith(problem.message, "internal error"), "no internal error", line);
    FuzzCheck(PlaceInside(atext, problem.line, problem.column, ColumnUnit::kBytes),
              "a problem's line:column is inside the text", line);
    if (i > 0) {
      const Problem& before = outcome.problems[i - 1];
      FuzzCheck(std::pair(before.line, before.column) <= std::pair(problem.line, problem.column),
                "problems are sorted by line then column", line);
    }
  }
  FuzzCheck(Lines(ParseConfig(text, kFileName)) == Lines(outcome), "parsing is deterministic");
  return 0;
}
