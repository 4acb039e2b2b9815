// What acdd tells systemd (a Type=notify service, deploy/acdd.service)
// through sd_notify(3): READY=1 once it serves, STATUS= lines an operator
// sees in `systemctl status`, RELOADING=1 / READY=1 around a reload,
// STOPPING=1, and WATCHDOG=1 heartbeats. Outside systemd (no NOTIFY_SOCKET)
// every call does nothing.
//
// Thread safety: functions of the process environment; any thread.
#ifndef ACD_SERVER_APP_SYSTEMD_NOTIFY_H_
#define ACD_SERVER_APP_SYSTEMD_NOTIFY_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace acd::app {

// Sends `state` ("READY=1\nSTATUS=...", newline-separated assignments).
void NotifySystemd(absl::string_view state);

// "STATUS=<text>" with the newlines of `text` turned into spaces (an error
// message must not end the assignment early).
std::string StatusLine(absl::string_view text);

// "RELOADING=1" with the MONOTONIC_USEC= systemd 253 wants beside it.
std::string ReloadingState();

// How often to send WATCHDOG=1: half the WatchdogSec systemd set for this
// process (WATCHDOG_USEC), or nullopt when it asks for no watchdog.
std::optional<absl::Duration> WatchdogInterval();

}  // namespace acd::app

#endif  // ACD_SERVER_APP_SYSTEMD_NOTIFY_H_
