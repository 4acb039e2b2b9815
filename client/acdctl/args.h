// Parsing of structured flag values (--skill name=level, --attr key=value,
// --state queued) and the CLI11 validators built on them, so a bad value is a
// usage error that names the value before any RPC is made.
#ifndef ACD_CLIENT_ACDCTL_ARGS_H_
#define ACD_CLIENT_ACDCTL_ARGS_H_

#include <CLI/CLI.hpp>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "acd/v1/types.pb.h"

namespace acd::ctl {

// "spanish=5" -> {"spanish", 5}.
absl::StatusOr<std::pair<std::string, int>> ParseSkill(absl::string_view text);
// "lang=es" -> {"lang", "es"}; the value may be empty or contain '='.
absl::StatusOr<std::pair<std::string, std::string>> ParseAttribute(absl::string_view text);
// "queued", "wrap_up", "wrap-up", "CALL_STATE_QUEUED", any case.
absl::StatusOr<acd::v1::CallState> ParseCallState(absl::string_view text);

// An RFC 3339 time ("2024-03-04T09:00:00Z", "2024-03-04T09:00:00+01:00") or
// a date ("2024-03-04": its midnight in `zone`).
absl::StatusOr<absl::Time> ParseTimeArg(absl::string_view text, absl::TimeZone zone);
// A report interval: 15m, 30m or 60m (1h).
absl::StatusOr<absl::Duration> ParseReportInterval(absl::string_view text);

// Every --skill value as a map; a name given twice is an error.
absl::StatusOr<std::map<std::string, int>> ParseSkills(const std::vector<std::string>& values);
absl::StatusOr<std::map<std::string, std::string>> ParseAttributes(
    const std::vector<std::string>& values);

// Numbers > 0 / >= 0, with a message that names the value (CLI11's own
// range checks print the whole range of a double).
CLI::Validator PositiveValidator();
CLI::Validator NonNegativeValidator();

CLI::Validator SkillValidator();
CLI::Validator AttributeValidator();
CLI::Validator CallStateValidator();
CLI::Validator TimeValidator();  // in the local time zone
CLI::Validator ReportIntervalValidator();

}  // namespace acd::ctl

#endif  // ACD_CLIENT_ACDCTL_ARGS_H_
