// Limits on what a client may send, and the checks that enforce them. The
// engine checks every value it keeps or looks up (ids, queue names, skills,
// attributes, free text) before it changes anything; the rpc layer checks
// only what is wire-only (enums, oneofs, list sizes) and reuses these
// checks for values it handles itself (stream filters, report subjects).
// README.md "Limits" lists every limit.
//
// A refused value is INVALID_ARGUMENT naming the field and quoting the value
// (QuoteValue: a long value is cut, so an error never echoes a megabyte).
//
// Thread safety: pure functions and constants.
#ifndef ACD_SERVER_CORE_LIMITS_H_
#define ACD_SERVER_CORE_LIMITS_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/core/types.h"

namespace acd::core {

// call_id, agent_id, queue names (and skill names) in requests: 1 to this
// many bytes, no control characters (they end up in logs, the CLI's tables
// and the event log, where a newline or an escape would forge a line).
inline constexpr size_t kMaxIdLength = 128;
inline constexpr int kMinPriority = 0;
inline constexpr int kMaxPriority = 100;
// EnqueueCall attributes: routing rules read them and every event carries
// them, so their total size is bounded (64 x (64 + 1024) bytes at most).
inline constexpr size_t kMaxAttributes = 64;
inline constexpr size_t kMaxAttributeKeyLength = 64;
inline constexpr size_t kMaxAttributeValueLength = 1024;
// EnqueueCall required_skills (levels kMinSkillLevel..kMaxSkillLevel).
inline constexpr size_t kMaxRequiredSkills = 32;
// Free text kept with a call or an agent: AbandonCall, CallbackFailed and
// RejectOffer `reason`, SetState's away `reason`, CompleteCall `disposition`
// (single-line) and `notes` (may span lines).
inline constexpr size_t kMaxReasonLength = 256;
inline constexpr size_t kMaxDispositionLength = 256;
inline constexpr size_t kMaxNotesLength = 4096;
// RequestCallback `number`: digits, a leading '+', '*' and '#'.
inline constexpr size_t kMaxCallbackNumberLength = 32;
// How much of a refused value an error message quotes.
inline constexpr size_t kQuotedValueLength = 64;

// `value` in double quotes, control characters escaped (\n, \x1b); when longer
// than kQuotedValueLength bytes, its first ones (cut at a UTF-8 boundary)
// followed by `..." (N bytes)`.
std::string QuoteValue(absl::string_view value);

// `field` must be 1..kMaxIdLength bytes without control characters; empty is
// "<field> is required".
absl::Status ValidateId(absl::string_view field, absl::string_view id);
// As ValidateId, but empty is fine (an optional filter or target).
absl::Status ValidateOptionalId(absl::string_view field, absl::string_view id);
// Free text of at most `max_length` bytes (empty is fine). Control characters
// are refused, except tab, CR and LF when `multiline`.
absl::Status ValidateText(absl::string_view field, absl::string_view text, size_t max_length,
                          bool multiline = false);
// At most kMaxAttributes; keys 1..kMaxAttributeKeyLength bytes, values up to
// kMaxAttributeValueLength, neither with control characters.
absl::Status ValidateAttributes(const Attributes& attributes);
// At most kMaxRequiredSkills; names as ids, levels in
// [kMinSkillLevel, kMaxSkillLevel].
absl::Status ValidateRequiredSkills(const SkillLevels& skills);
// A number to dial (RequestCallback).
absl::Status ValidateCallbackNumber(absl::string_view number);

}  // namespace acd::core

#endif  // ACD_SERVER_CORE_LIMITS_H_
