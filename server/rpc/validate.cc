#include "server/rpc/validate.h"

#include "absl/strings/str_cat.h"
#include "server/core/limits.h"

namespace acd::rpc {

absl::Status Validate(const v1::WatchEventsRequest& req) {
  if (absl::Status s = core::ValidateOptionalId("call_id", req.call_id()); !s.ok()) return s;
  if (absl::Status s = core::ValidateOptionalId("agent_id", req.agent_id()); !s.ok()) return s;
  if (absl::Status s = core::ValidateOptionalId("queue", req.queue()); !s.ok()) return s;
  if (req.after_seq() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("after_seq ", req.after_seq(), " is negative; 0 watches live events only"));
  }
  return absl::OkStatus();
}

absl::Status Validate(const v1::WatchStatsRequest& req) {
  if (static_cast<size_t>(req.queues_size()) > kMaxWatchQueues) {
    return absl::InvalidArgumentError(
        absl::StrCat("queues has ", req.queues_size(), " entries; the limit is ", kMaxWatchQueues));
  }
  // Each name is checked by the engine when the first snapshot looks it up.
  return absl::OkStatus();
}

absl::Status Validate(const v1::ValidateConfigRequest& req) {
  return core::ValidateText("file_name", req.file_name(), kMaxFileNameLength);
}

}  // namespace acd::rpc
