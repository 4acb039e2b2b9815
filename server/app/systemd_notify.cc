#include "server/app/systemd_notify.h"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace acd::app {

void NotifySystemd(absl::string_view state) {
  // sd_notify fails only for a broken NOTIFY_SOCKET; systemd then never sees
  // READY and says so itself, so there is nothing to add here.
  sd_notify(/*unset_environment=*/0, std::string(state).c_str());
}

std::string StatusLine(absl::string_view text) {
  return absl::StrCat("STATUS=", absl::StrReplaceAll(text, {{"\n", " "}}));
}

std::string ReloadingState() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const int64_t usec = int64_t{now.tv_sec} * 1000000 + now.tv_nsec / 1000;
  return absl::StrCat("RELOADING=1\nMONOTONIC_USEC=", usec);
}

std::optional<absl::Duration> WatchdogInterval() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(/*unset_environment=*/0, &usec) <= 0 || usec == 0) return std::nullopt;
  return absl::Microseconds(static_cast<int64_t>(usec)) / 2;
}

}  // namespace acd::app
