#include "server/store/event_log.h"

#include "absl/strings/str_cat.h"

namespace acd::store {

absl::Status CheckConfigVersions(absl::Span<const core::Event> events,
                                 absl::Span<const ConfigVersion> configs, const std::string& path) {
  size_t next = 0;  // the first event a version may still name
  for (const ConfigVersion& config : configs) {
    while (next < events.size() && events[next].seq < config.seq) ++next;
    if (next == events.size() || events[next].seq != config.seq ||
        events[next].type != core::EventType::kConfigApplied) {
      return absl::InvalidArgumentError(
          absl::StrCat("config version ", config.hash, " appended to '", path, "' names seq ",
                       config.seq, ", not a config_applied event of its batch without a version"));
    }
    ++next;
  }
  return absl::OkStatus();
}

}  // namespace acd::store
