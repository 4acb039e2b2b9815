// JSON encoding of events for the `payload` column of the event log, and of
// the maps stored in the `calls` table.
//
// A payload holds everything needed to rebuild a core::Event: its header (seq,
// time, type, ids, reason) and the call and agent snapshots. Keys are the
// snake_case field names of core/types.h; times are integer microseconds since
// the Unix epoch under keys ending in `_us` (durations too), so SQL can read
// them with json_extract(payload, '$.call.enqueued_at_us'). Enums are their
// lower-case names (CallStateName ...). Absent optional times are left out.
// Integers beyond 2^53, which a JSON number (a double) cannot hold exactly, are
// written as decimal strings; readers accept both forms.
//
// Precision: times and durations are kept to the microsecond (truncated toward
// the past); everything else round-trips exactly.
//
// Encoding cannot fail: strings are escaped as JSON requires, and a byte that
// is not part of well-formed UTF-8 is written as U+FFFD.
//
// Decoding tolerates missing keys (they take their default value, so old rows
// stay readable when fields are added) but not wrong types or unknown enum
// names, which are DATA_LOSS naming the key.
//
// Thread safety: free functions over values; safe from any thread.
#ifndef ACD_SERVER_STORE_EVENT_CODEC_H_
#define ACD_SERVER_STORE_EVENT_CODEC_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/core/types.h"

namespace acd::store {

std::string EncodeEventPayload(const core::Event& event);
absl::StatusOr<core::Event> DecodeEventPayload(absl::string_view json);

// {"skill": level, ...} and {"key": "value", ...}.
std::string EncodeSkillLevels(const core::SkillLevels& skills);
absl::StatusOr<core::SkillLevels> DecodeSkillLevels(absl::string_view json);
std::string EncodeAttributes(const core::Attributes& attributes);
absl::StatusOr<core::Attributes> DecodeAttributes(absl::string_view json);

// A call's original request, as the `request` object of its call_queued event.
std::string EncodeEnqueueRequest(const core::EnqueueRequest& request);
absl::StatusOr<core::EnqueueRequest> DecodeEnqueueRequest(absl::string_view json);

// Inverses of core::EventTypeName, CallStateName and AgentStateName.
std::optional<core::EventType> ParseEventType(absl::string_view name);
std::optional<core::CallState> ParseCallState(absl::string_view name);
std::optional<core::AgentState> ParseAgentState(absl::string_view name);

}  // namespace acd::store

#endif  // ACD_SERVER_STORE_EVENT_CODEC_H_
