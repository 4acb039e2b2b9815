// acdd's log: one spdlog logger, "acdd", the default, writing to stderr (the
// journal under systemd) as text, or as JSON with one RFC 8259 object per
// line: {"ts","level","msg"} and, for a line about one call, agent or queue,
// "call_id", "agent_id", "queue" (server/base/log.h). gRPC's and protobuf's
// own messages go through the same logger, so a JSON log holds nothing else.
//
// Thread safety: ConfigureLogging() may be called from any thread (startup,
// reloads); the logger itself is thread-safe.
#ifndef ACD_SERVER_APP_LOGGING_H_
#define ACD_SERVER_APP_LOGGING_H_

#include <memory>

#include "absl/strings/string_view.h"
#include "spdlog/formatter.h"
#include "spdlog/spdlog.h"

namespace acd::app {

// Creates the logger on the first call; every call sets its level and its
// format ("text" or "json", as server.log_format).
void ConfigureLogging(absl::string_view format, spdlog::level::level_enum level);

// The formatter of the JSON format (exposed for tests).
std::unique_ptr<spdlog::formatter> MakeJsonFormatter();

}  // namespace acd::app

#endif  // ACD_SERVER_APP_LOGGING_H_
