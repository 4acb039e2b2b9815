// Checks of request shapes that only the rpc layer sees: stream filters and
// options, list sizes, names that travel with a request but are no engine
// state. Values the engine keeps (ids, skills, attributes, free text) are
// checked by the engine itself (server/core/limits.h), once. README.md
// "Limits" lists every limit.
//
// Each check returns INVALID_ARGUMENT naming the field and the value.
//
// Thread safety: pure functions.
#ifndef ACD_SERVER_RPC_VALIDATE_H_
#define ACD_SERVER_RPC_VALIDATE_H_

#include <cstddef>

#include "absl/status/status.h"
#include "acd/v1/admin_service.pb.h"
#include "acd/v1/agent_service.pb.h"
#include "acd/v1/call_service.pb.h"

namespace acd::rpc {

// WatchStatsRequest.queues: each is looked up at every snapshot.
inline constexpr size_t kMaxWatchQueues = 1000;
// ValidateConfigRequest.file_name: echoed in every problem.
inline constexpr size_t kMaxFileNameLength = 256;

// Filters are ids or empty; after_seq >= 0.
absl::Status Validate(const v1::WatchEventsRequest& req);
// At most kMaxWatchQueues queues.
absl::Status Validate(const v1::WatchStatsRequest& req);
// file_name: single-line text of at most kMaxFileNameLength bytes.
absl::Status Validate(const v1::ValidateConfigRequest& req);

}  // namespace acd::rpc

#endif  // ACD_SERVER_RPC_VALIDATE_H_
