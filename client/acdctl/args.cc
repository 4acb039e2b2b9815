#include "client/acdctl/args.h"

#include <google/protobuf/descriptor.h>

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/civil_time.h"
#include "client/acdctl/output.h"

namespace acd::ctl {
namespace {

// Splits "key=value" at the first '='.
absl::StatusOr<std::pair<std::string, std::string>> SplitPair(absl::string_view text,
                                                              absl::string_view form) {
  const size_t eq = text.find('=');
  if (eq == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not ", form));
  }
  std::string key(absl::StripAsciiWhitespace(text.substr(0, eq)));
  if (key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' has an empty name, want ", form));
  }
  return std::make_pair(std::move(key), std::string(text.substr(eq + 1)));
}

// Wraps a parser as a CLI11 validator: CLI11 reports a non-empty string as a
// validation error of the option ("--skill: 'spanish' is not name=level").
template <typename Parse>
CLI::Validator MakeValidator(Parse parse) {
  return CLI::Validator(
      [parse](std::string& value) -> std::string {
        const auto parsed = parse(value);
        return parsed.ok() ? std::string() : std::string(parsed.status().message());
      },
      // No description: the option's type_name() already says NAME=LEVEL.
      std::string());
}

std::vector<std::string> CallStateNames() {
  std::vector<std::string> names;
  const auto* descriptor = google::protobuf::GetEnumDescriptor<acd::v1::CallState>();
  for (int i = 0; i < descriptor->value_count(); ++i) {
    const int number = descriptor->value(i)->number();
    if (number != acd::v1::CALL_STATE_UNSPECIFIED) names.push_back(EnumLabel(descriptor, number));
  }
  return names;
}

}  // namespace

absl::StatusOr<std::pair<std::string, int>> ParseSkill(absl::string_view text) {
  auto pair = SplitPair(text, "name=level (e.g. spanish=5)");
  if (!pair.ok()) return pair.status();
  int level = 0;
  if (!absl::SimpleAtoi(pair->second, &level)) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "': level '", pair->second,
                                                   "' is not an integer (e.g. spanish=5)"));
  }
  return std::make_pair(std::move(pair->first), level);
}

absl::StatusOr<std::pair<std::string, std::string>> ParseAttribute(absl::string_view text) {
  return SplitPair(text, "key=value (e.g. lang=es)");
}

absl::StatusOr<acd::v1::CallState> ParseCallState(absl::string_view text) {
  std::string name = absl::AsciiStrToUpper(absl::StrReplaceAll(text, {{"-", "_"}}));
  if (!absl::StartsWith(name, "CALL_STATE_")) name = absl::StrCat("CALL_STATE_", name);
  acd::v1::CallState state;
  if (!acd::v1::CallState_Parse(name, &state) || state == acd::v1::CALL_STATE_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a call state; want one of ",
                                                   absl::StrJoin(CallStateNames(), ", ")));
  }
  return state;
}

absl::StatusOr<std::map<std::string, int>> ParseSkills(const std::vector<std::string>& values) {
  std::map<std::string, int> skills;
  for (const auto& value : values) {
    auto skill = ParseSkill(value);
    if (!skill.ok()) return skill.status();
    if (!skills.emplace(skill->first, skill->second).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("--skill: skill '", skill->first, "' is given more than once"));
    }
  }
  return skills;
}

absl::StatusOr<std::map<std::string, std::string>> ParseAttributes(
    const std::vector<std::string>& values) {
  std::map<std::string, std::string> attributes;
  for (const auto& value : values) {
    auto attribute = ParseAttribute(value);
    if (!attribute.ok()) return attribute.status();
    if (!attributes.emplace(attribute->first, attribute->second).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("--attr: attribute '", attribute->first, "' is given more than once"));
    }
  }
  return attributes;
}

CLI::Validator PositiveValidator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        double number = 0;
        if (absl::SimpleAtod(value, &number) && std::isfinite(number) && number > 0) return "";
        return absl::StrCat("'", value, "' is not a number greater than 0");
      },
      "POSITIVE");
}

CLI::Validator NonNegativeValidator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        double number = 0;
        if (absl::SimpleAtod(value, &number) && std::isfinite(number) && number >= 0) return "";
        return absl::StrCat("'", value, "' is not a number >= 0");
      },
      "NONNEGATIVE");
}

CLI::Validator SkillValidator() { return MakeValidator(ParseSkill); }
CLI::Validator AttributeValidator() { return MakeValidator(ParseAttribute); }
CLI::Validator CallStateValidator() { return MakeValidator(ParseCallState); }

absl::StatusOr<absl::Time> ParseTimeArg(absl::string_view text, absl::TimeZone zone) {
  absl::Time time;
  std::string ignored;
  if (absl::ParseTime(absl::RFC3339_full, text, &time, &ignored)) return time;
  absl::CivilDay day;
  if (absl::ParseCivilTime(text, &day)) return absl::FromCivil(day, zone);
  return absl::InvalidArgumentError(
      absl::StrCat("'", text,
                   "' is not a time like 2024-03-04T09:00:00Z, 2024-03-04T09:00:00+01:00 or a "
                   "date like 2024-03-04"));
}

absl::StatusOr<absl::Duration> ParseReportInterval(absl::string_view text) {
  absl::Duration d;
  if (!absl::ParseDuration(text, &d) ||
      (d != absl::Minutes(15) && d != absl::Minutes(30) && d != absl::Minutes(60))) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not 15m, 30m or 60m"));
  }
  return d;
}

CLI::Validator TimeValidator() {
  return MakeValidator(
      [](absl::string_view text) { return ParseTimeArg(text, absl::LocalTimeZone()); });
}

CLI::Validator ReportIntervalValidator() { return MakeValidator(ParseReportInterval); }

}  // namespace acd::ctl
