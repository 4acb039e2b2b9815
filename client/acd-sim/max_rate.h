// The max-rate run: W workers, each a caller paired with one agent desktop,
// run full call lifecycles back to back as fast as the server answers:
//   EnqueueCall -> the offer on the agent's StreamOffers stream -> AcceptOffer
//   -> EndCall -> CompleteCall (when the call is in wrap-up).
// Worker i enqueues into the queue named like its agent, which only that agent
// serves (acd-sim writes such a config when it starts acdd; acd-noop-server
// pairs the same way), so every call reaches its own worker's stream and the
// client code path is the same against any server.
//
// Thread safety: RunMaxRate() is blocking; it starts one thread per worker.
#ifndef ACD_CLIENT_ACD_SIM_MAX_RATE_H_
#define ACD_CLIENT_ACD_SIM_MAX_RATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/acd-sim/progress.h"
#include "client/common/rpc.h"

namespace acd::sim {

struct MaxRateOptions {
  std::string target;               // host:port
  ctl::Credentials credentials;     // token and TLS for `target`
  std::vector<std::string> agents;  // one worker per agent; queue = agent id
  absl::Duration duration = absl::Seconds(10);
  int64_t lifecycles = 0;  // stop after this many; 0 = only the duration bounds the run
  std::string call_prefix;
  ProgressBoard* progress = nullptr;
  std::string progress_label;
};

// Latencies of one step, in milliseconds, sorted.
struct StepLatency {
  std::string name;  // "EnqueueCall", "offer", ...
  std::vector<double> ms;
};

struct MaxRateResult {
  int workers = 0;
  int64_t lifecycles = 0;  // completed
  double seconds = 0;      // from the first start to the last end
  double per_second = 0;
  std::vector<StepLatency> steps;  // the RPCs in order, then "lifecycle"
  int errors = 0;
  std::string first_error;
};

// UNAVAILABLE when a desktop cannot log in or open its stream.
absl::StatusOr<MaxRateResult> RunMaxRate(const MaxRateOptions& options);

}  // namespace acd::sim

#endif  // ACD_CLIENT_ACD_SIM_MAX_RATE_H_
