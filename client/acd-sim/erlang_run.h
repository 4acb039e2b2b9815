// The Erlang run: a Poisson caller process and N simulated agent desktops
// against a running acdd, on a clock sped up by `scale`, measuring what Erlang
// C (and, with a patience, Erlang A) predicts (server/core/erlang.h).
//
// Simulated time = real (steady) time x scale. Per call:
//  - arrivals: Poisson at erlangs / aht; the caller sends EnqueueCall at each
//    (asynchronously, so a slow reply never delays the next arrival);
//  - wait = (offer read on the agent's StreamOffers stream - EnqueueCall sent)
//    x scale: what the caller hears, including commit and delivery latency;
//  - the agent accepts at once and talks exp(aht) / scale counted from the
//    offer, then sends EndCall (as the integrator would), and CompleteCall if
//    the call is in wrap-up;
//  - with a patience, a caller not offered after exp(patience) / scale sends
//    AbandonCall; the daemon decides a race with the offer (whichever of
//    AcceptOffer and AbandonCall it applies first wins).
// Measured over the calls that arrive after the warm-up (the system starts
// empty, which the stationary formulas do not describe):
//  - P(wait): calls the daemon could not offer at once (EnqueueCall answered
//    QUEUED, not OFFERED) / calls;
//  - service level: answered with wait <= threshold / calls (abandons count
//    against it, as in erlang.h); ASA: mean wait of answered calls;
//  - abandonment: abandoned / calls;
//  - occupancy: the agents' busy time (offer read -> EndCall answered) inside
//    [first measured arrival, last arrival] / (N x that span);
//  - standard errors by batch means (10 batches of consecutive arrivals);
//  - latency floor: real time from EnqueueCall sent to offer read for calls
//    offered at once, the jitter the scale multiplies;
//  - missed offers: an AcceptOffer the daemon refused because the offer was
//    no longer the desktop's (it timed out or was withdrawn while the
//    desktop stalled): a real desktop's missed offer, not a failed run; the
//    call waits on, and its wait counts to the offer that is accepted.
//
// Thread safety: RunErlang() is blocking and may run concurrently with another
// RunErlang() (different daemons or agents). It starts one thread per agent,
// one for arrivals, one for patience timers, and uses gRPC's callback threads.
#ifndef ACD_CLIENT_ACD_SIM_ERLANG_RUN_H_
#define ACD_CLIENT_ACD_SIM_ERLANG_RUN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/acd-sim/progress.h"
#include "client/common/rpc.h"

namespace acd::sim {

struct ErlangRunOptions {
  std::string target;               // host:port of acdd
  ctl::Credentials credentials;     // token and TLS for `target`
  std::string queue;                // where the calls go
  std::vector<std::string> agents;  // desktops to simulate, serving `queue`
  double erlangs = 10;
  absl::Duration aht = absl::Seconds(180);
  absl::Duration threshold = absl::Seconds(20);
  std::optional<absl::Duration> patience;  // Erlang A when set
  int calls = 3000;                        // measured calls, after the warm-up
  absl::Duration warmup = absl::Hours(1);  // simulated
  double scale = 300;
  uint64_t seed = 1;
  std::string call_prefix;  // call ids are "<call_prefix>-<n>"
  // Longest real time to wait, after the last arrival, for calls to finish.
  absl::Duration drain_timeout = absl::Seconds(60);
  ProgressBoard* progress = nullptr;  // may be null
  int progress_slot = 0;
  std::string progress_label;  // e.g. "N=12"
};

struct ErlangMeasurement {
  int agents = 0;
  int calls = 0;  // measured arrivals
  int answered = 0;
  int abandoned = 0;
  int waited = 0;  // answered QUEUED by EnqueueCall
  int within_threshold = 0;
  double p_wait = 0, p_wait_se = 0;
  double service_level = 0, service_level_se = 0;
  double asa_seconds = 0;  // simulated
  double abandonment = 0;
  double occupancy = 0;
  double aht_seconds = 0;                     // measured busy time per answered call, simulated
  double floor_p50_ms = 0, floor_p99_ms = 0;  // real
  double simulated_hours = 0;                 // measured span
  double wall_seconds = 0;                    // whole run
  int missed_offers = 0;                      // AcceptOffer after the offer was withdrawn
  int errors = 0;                             // RPCs that failed unexpectedly
  int unfinished = 0;                         // calls not answered or abandoned when the run ended
  std::string first_error;
};

// Runs one simulation. The agents must exist, be idle and serve `queue`.
// UNAVAILABLE when a desktop cannot log in or open its stream.
absl::StatusOr<ErlangMeasurement> RunErlang(const ErlangRunOptions& options);

}  // namespace acd::sim

#endif  // ACD_CLIENT_ACD_SIM_ERLANG_RUN_H_
