// JSON text for strings that may hold any bytes: the store's event payloads
// and acdd's JSON log lines both write ids, reasons and messages that come
// from callers and config files.
//
// Thread safety: pure functions.
#ifndef ACD_SERVER_BASE_JSON_STRING_H_
#define ACD_SERVER_BASE_JSON_STRING_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace acd {

// The length of the well-formed UTF-8 sequence at the start of `s` (whose
// first byte is >= 0x80), or 0 if it is not one (RFC 3629: no overlong forms,
// no surrogates, nothing above U+10FFFF).
size_t Utf8SequenceLength(absl::string_view s);

// Appends `value` as a JSON string (RFC 8259), quotes included: quotes,
// backslashes and control characters escaped. A byte that is not part of
// well-formed UTF-8 becomes U+FFFD, so the result is always valid JSON.
void AppendJsonString(absl::string_view value, std::string* out);

}  // namespace acd

#endif  // ACD_SERVER_BASE_JSON_STRING_H_
