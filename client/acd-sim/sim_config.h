// The acdd configs acd-sim writes when it starts its own daemon (--acdd).
//
// Thread safety: pure functions on values.
#ifndef ACD_CLIENT_ACD_SIM_SIM_CONFIG_H_
#define ACD_CLIENT_ACD_SIM_SIM_CONFIG_H_

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace acd::sim {

// The daemon's `server:` durability settings (config/README.md).
struct DurabilitySettings {
  std::string ack = "committed";     // committed | applied
  std::string synchronous = "full";  // full | normal
};

// `d` divided by `scale`, as a config duration in whole microseconds ("50000us").
std::string ScaledDuration(absl::Duration d, double scale);

// The Erlang run: one queue `queue` served by every agent in `agents`, no
// wrap-up (the agent is free when the call ends, as Erlang C assumes), offer
// timeout 20 s scaled but at least 1 s real (a simulated desktop accepts at
// once, so jitter must never time an offer out), no auto-pause, and the
// service-level threshold and short-abandon time scaled like the traffic.
std::string ErlangConfigYaml(const std::string& queue, const std::vector<std::string>& agents,
                             double scale, absl::Duration threshold,
                             const DurabilitySettings& durability);

// Load held beside a max-rate run, to measure what it costs the workers
// (acd-sim --idle-desktops, --preload-calls).
struct BackgroundLoad {
  // Agents idle-1..N, members of kIdleQueue only (which gets no calls), each
  // logged in and available with an open StreamOffers stream.
  int idle_desktops = 0;
  // Calls waiting in kPreloadQueue, which no agent serves.
  int64_t preload_calls = 0;
};
inline constexpr char kIdleQueue[] = "idle";
inline constexpr char kPreloadQueue[] = "preload";

// "idle-1" .. "idle-<n>".
std::vector<std::string> IdleAgentIds(int n);

// The max-rate run: for each agent a queue of the same name that only this
// agent serves, so a caller's call always reaches its paired desktop. Wrap-up
// is long, so CompleteCall is what ends it (a full lifecycle). With
// `background`, also the idle queue and its agents, the preload queue, and
// room for every stream in server.max_streams.
std::string PairedConfigYaml(const std::vector<std::string>& agents,
                             const DurabilitySettings& durability,
                             const BackgroundLoad& background = {});

}  // namespace acd::sim

#endif  // ACD_CLIENT_ACD_SIM_SIM_CONFIG_H_
