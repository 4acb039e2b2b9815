#include "client/acd-sim/sim_config.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "absl/strings/str_cat.h"

namespace acd::sim {
namespace {

std::string ServerSection(const DurabilitySettings& durability) {
  return absl::StrCat("server:\n  ack: ", durability.ack,
                      "\n  synchronous: ", durability.synchronous, "\n  log_level: warn\n");
}

}  // namespace

std::string ScaledDuration(absl::Duration d, double scale) {
  const int64_t us = std::llround(absl::ToDoubleMicroseconds(d) / scale);
  return absl::StrCat(std::max<int64_t>(us, 1), "us");
}

std::string ErlangConfigYaml(const std::string& queue, const std::vector<std::string>& agents,
                             double scale, absl::Duration threshold,
                             const DurabilitySettings& durability) {
  const absl::Duration offer_timeout = std::max(absl::Seconds(20) / scale, absl::Seconds(1));
  std::string yaml = ServerSection(durability);
  absl::StrAppend(&yaml, "queues:\n  - name: ", queue,
                  "\n    offer_timeout: ", ScaledDuration(offer_timeout, 1.0),
                  "\n    wrap_up_time: 0s\n    max_missed_offers: 0\n    service_level_threshold: ",
                  ScaledDuration(threshold, scale),
                  "\n    short_abandon: ", ScaledDuration(absl::Seconds(5), scale), "\nagents:\n");
  for (const std::string& agent : agents) {
    absl::StrAppend(&yaml, "  - id: ", agent, "\n    queues: [", queue, "]\n");
  }
  return yaml;
}

std::vector<std::string> IdleAgentIds(int n) {
  std::vector<std::string> ids;
  ids.reserve(n);
  for (int i = 1; i <= n; ++i) ids.push_back(absl::StrCat("idle-", i));
  return ids;
}

std::string PairedConfigYaml(const std::vector<std::string>& agents,
                             const DurabilitySettings& durability,
                             const BackgroundLoad& background) {
  std::string yaml = ServerSection(durability);
  const size_t streams = agents.size() + background.idle_desktops;
  // Room for every desktop's stream, and a few watchers.
  if (streams + 16 > 10000) absl::StrAppend(&yaml, "  max_streams: ", streams + 16, "\n");
  absl::StrAppend(&yaml, "queues:\n");
  for (const std::string& agent : agents) {
    absl::StrAppend(&yaml, "  - name: ", agent,
                    "\n    offer_timeout: 10s\n    wrap_up_time: 10m\n    max_missed_offers: 0\n");
  }
  if (background.idle_desktops > 0) absl::StrAppend(&yaml, "  - name: ", kIdleQueue, "\n");
  if (background.preload_calls > 0) absl::StrAppend(&yaml, "  - name: ", kPreloadQueue, "\n");
  if (agents.empty() && background.idle_desktops == 0) return yaml;
  absl::StrAppend(&yaml, "agents:\n");
  for (const std::string& agent : agents) {
    absl::StrAppend(&yaml, "  - id: ", agent, "\n    queues: [", agent, "]\n");
  }
  for (const std::string& agent : IdleAgentIds(background.idle_desktops)) {
    absl::StrAppend(&yaml, "  - id: ", agent, "\n    queues: [", kIdleQueue, "]\n");
  }
  return yaml;
}

}  // namespace acd::sim
