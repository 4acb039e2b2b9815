// ConfigParser's value readers: names, durations, numbers, enums, time zones from YAML.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "server/config/config_parser.h"

namespace acd::config::internal {
namespace {

constexpr size_t kMaxNameLength = 64;
constexpr absl::string_view kDurationExamples = "use e.g. 20s, 1m30s, 500ms";

// "20", "1.5", "-3": a number with no unit. absl::ParseDuration accepts a bare
// "0", but a unitless value is almost always a mistake (seconds? minutes?).
bool IsBareNumber(absl::string_view text) {
  return !text.empty() && std::any_of(text.begin(), text.end(), absl::ascii_isdigit) &&
         std::all_of(text.begin(), text.end(), [](char c) {
           return absl::ascii_isdigit(c) || c == '.' || c == '+' || c == '-';
         });
}

// Optional sign, digits, optional fraction: "0.5", "2", "-1". Not "1e3", ".5",
// "inf" or "0x1p3", which SimpleAtod would take.
std::optional<double> ParseDecimal(absl::string_view text) {
  absl::string_view rest = text;
  if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) rest.remove_prefix(1);
  size_t dot = rest.find('.');
  absl::string_view whole = rest.substr(0, dot);
  absl::string_view fraction =
      dot == absl::string_view::npos ? absl::string_view() : rest.substr(dot + 1);
  auto all_digits = [](absl::string_view part) {
    return !part.empty() && std::all_of(part.begin(), part.end(), absl::ascii_isdigit);
  };
  if (!all_digits(whole) || (dot != absl::string_view::npos && !all_digits(fraction))) {
    return std::nullopt;
  }
  double value = 0;
  if (!absl::SimpleAtod(text, &value)) return std::nullopt;
  return value;
}

// IANA names only ("Europe/London", "UTC", "Etc/GMT+5"). absl's loader also
// takes "file:<path>" and "libc:localtime", which would let a config file
// open arbitrary files or depend on the host's TZ setting.
bool IsTimeZoneName(absl::string_view name) {
  return !name.empty() && name[0] != '/' && !absl::StrContains(name, "..") &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return absl::ascii_isalnum(c) || c == '/' || c == '_' || c == '-' || c == '+';
         });
}

}  // namespace

bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-'; }

bool IsValidName(absl::string_view name) {
  return !name.empty() && name.size() <= kMaxNameLength &&
         std::all_of(name.begin(), name.end(), IsNameChar);
}

std::optional<int64_t> ParseInteger(absl::string_view text) {
  absl::string_view digits = text;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit)) {
    return std::nullopt;
  }
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) return std::nullopt;  // overflow
  return value;
}

std::string JoinOr(std::span<const absl::string_view> words) {
  if (words.size() <= 1) return absl::StrJoin(words, "");
  return absl::StrCat(absl::StrJoin(words.first(words.size() - 1), ", "), " or ", words.back());
}

std::optional<std::string> ConfigParser::ReadName(const Value& value, const std::string& path,
                                                  absl::string_view what) {
  std::optional<std::string> name = checker_.Scalar(value, path, absl::StrCat("a ", what));
  if (!name) return std::nullopt;
  if (!IsValidName(*name)) {
    checker_.Report(value.place, path,
                    absl::StrCat("invalid ", what, " ", Quote(*name), " (", kNameRule, ")"));
    return std::nullopt;
  }
  return name;
}

bool ConfigParser::Remember(absl::flat_hash_map<std::string, Place>& seen, const std::string& name,
                            Place place, const std::string& path, absl::string_view what,
                            absl::string_view verb) {
  auto [first, inserted] = seen.try_emplace(name, place);
  if (inserted) return true;
  checker_.Report(place, path,
                  absl::StrCat("duplicate ", what, " ", Quote(name), " (first ", verb, " at line ",
                               first->second.line, ")"));
  return false;
}

void ConfigParser::ReadTimeZone(const Value& value, const std::string& path, absl::TimeZone* out) {
  if (auto zone = checker_.Scalar(value, path, "a time zone such as Europe/London")) {
    if (!IsTimeZoneName(*zone) || !absl::LoadTimeZone(*zone, out)) {
      checker_.Report(value.place, path,
                      absl::StrCat("unknown time zone ", Quote(*zone),
                                   " (use an IANA name such as Europe/London, "
                                   "America/New_York or UTC)"));
    }
  }
}

std::optional<absl::Duration> ConfigParser::ReadDuration(const Value& value,
                                                         const std::string& path,
                                                         absl::string_view key, bool allow_zero,
                                                         absl::Duration max) {
  std::optional<std::string> text = checker_.Scalar(value, path, "a duration like 20s");
  if (!text) return std::nullopt;
  absl::Duration duration;
  if (IsBareNumber(*text)) {
    checker_.Report(value.place, path,
                    absl::StrCat("invalid duration ", Quote(*text),
                                 " (a unit is required: ", kDurationExamples, ")"));
    return std::nullopt;
  }
  if (!absl::ParseDuration(*text, &duration)) {
    checker_.Report(value.place, path,
                    absl::StrCat("invalid duration ", Quote(*text), " (", kDurationExamples, ")"));
    return std::nullopt;
  }
  if (duration < absl::ZeroDuration()) {
    checker_.Report(value.place, path,
                    absl::StrCat("invalid duration ", Quote(*text), " (must not be negative)"));
    return std::nullopt;
  }
  if ((!allow_zero && duration == absl::ZeroDuration()) || duration > max) {
    checker_.Report(
        value.place, path,
        absl::StrCat(key, " ", Quote(*text), " is out of range (must be ",
                     allow_zero ? ">= 0s" : "> 0s", " and <= ", absl::FormatDuration(max), ")"));
    return std::nullopt;
  }
  return duration;
}

std::optional<int64_t> ConfigParser::ReadInteger(const Value& value, const std::string& path,
                                                 absl::string_view key, int64_t min, int64_t max,
                                                 absl::string_view range) {
  std::optional<std::string> text = checker_.Scalar(value, path, "an integer");
  if (!text) return std::nullopt;
  std::optional<int64_t> number = ParseInteger(*text);
  if (!number) {
    checker_.Report(
        value.place, path,
        absl::StrCat("invalid ", key, " ", Quote(*text), " (use an integer ", range, ")"));
    return std::nullopt;
  }
  if (*number < min || *number > max) {
    checker_.Report(
        value.place, path,
        absl::StrCat(key, " ", Quote(*text), " is out of range (use an integer ", range, ")"));
    return std::nullopt;
  }
  return number;
}

std::optional<double> ConfigParser::ReadDecimal(const Value& value, const std::string& path,
                                                absl::string_view key, double min, double max,
                                                absl::string_view range) {
  std::optional<std::string> text = checker_.Scalar(value, path, "a number");
  if (!text) return std::nullopt;
  std::optional<double> number = ParseDecimal(*text);
  if (!number) {
    checker_.Report(
        value.place, path,
        absl::StrCat("invalid ", key, " ", Quote(*text), " (use a number ", range, ", e.g. 0.5)"));
    return std::nullopt;
  }
  if (*number < min || *number > max) {
    checker_.Report(
        value.place, path,
        absl::StrCat(key, " ", Quote(*text), " is out of range (use a number ", range, ")"));
    return std::nullopt;
  }
  return number;
}

std::optional<absl::string_view> ConfigParser::ReadEnum(
    const Value& value, const std::string& path, absl::string_view key,
    std::span<const absl::string_view> allowed) {
  std::optional<std::string> text =
      checker_.Scalar(value, path, absl::StrCat("one of ", JoinOr(allowed)));
  if (!text) return std::nullopt;
  for (absl::string_view candidate : allowed) {
    if (*text == candidate) return candidate;
  }
  std::optional<absl::string_view> close = internal::ClosestMatch(*text, allowed);
  checker_.Report(value.place, path,
                  absl::StrCat("invalid ", key, " ", Quote(*text), " (use ", JoinOr(allowed),
                               close ? absl::StrCat("; did you mean \"", *close, "\"?") : "", ")"));
  return std::nullopt;
}

}  // namespace acd::config::internal
