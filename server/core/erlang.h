// Erlang staffing mathematics: how many agents a queue needs for a target, and
// what service a given number of agents gives.
//
// Model. Calls arrive as a Poisson process at rate lambda = calls / interval,
// handling times are exponential with mean aht (mu = 1 / aht), N identical
// agents serve one FCFS queue, offered traffic A = lambda * aht (Erlangs).
// Without a patience this is M/M/N (Erlang C): every caller waits as long as
// it takes. With a mean patience (theta = 1 / patience) it is M/M/N+M (Erlang
// A, Palm): each waiting caller hangs up after an exponential patience time.
//
// Erlang B and C (Erlang 1917; Cooper, "Introduction to Queueing Theory",
// 2nd ed., sec. 3.4 and 3.5; Gans, Koole & Mandelbaum, "Telephone call
// centers", MSOM 5(2), 2003, sec. 4.1):
//   B(0) = 1,  B(n) = A B(n-1) / (n + A B(n-1))      (stable, no factorials)
//   C    = N B / (N - A (1 - B))                     P(wait), for N > A
//   SL(t) = 1 - C exp(-(N - A) t / aht)              P(wait <= t)
//   ASA  = C aht / (N - A)                           mean wait, all calls
//   occupancy = A / N
// For N <= A the queue is unstable: C = 1, SL = 0, ASA infinite, occupancy 1.
//
// Erlang A (Palm 1946; Mandelbaum & Zeltyn, "The Palm/Erlang-A queue, with
// applications to call centers", 2007, and "The M/M/n+G queue: summary of
// performance measures", 2005). The number in system is a birth-death chain
// with birth rate lambda and death rate min(n, N) mu + max(0, n - N) theta.
// Relative to the all-busy-empty-queue state N, state N + k has weight
//   r_k(z) = prod_{i=1..k} z / (c + i),  z = b,  b = lambda / theta,
//                                         c = N mu / theta,
// states below N weigh (1 - B) / B (Erlang B with N agents), and
//   R(z) = sum_{k>=0} r_k(z)  (the "A(x,y)" of Mandelbaum & Zeltyn, a
//   Kummer/incomplete-gamma series).
// A caller who finds k callers ahead waits V_k = sum_{j=0..k} Exp(N mu + j
// theta) (the queue ahead drains by service and by abandonment) and is
// answered iff V_k < its own patience T ~ Exp(theta). By PASTA:
//   P(wait)          = B R / (1 - B + B R)
//   P(abandon|k)     = (k + 1) theta / (N mu + (k + 1) theta)    (so P(abandon)
//                      = theta E[queue] / lambda, Little's law)
//   E[V_k; answered] = N mu / (N mu + (k+1) theta) * sum_{i=1..k+1} 1/(N mu +
//                      i theta)                 (derivative of the transform)
//   P(answered, 0 < V <= t) = P(wait) (N/A) [R(b) - 1 - u^c e^{b(1-u)}
//                      (R(b u) - 1)] / R(b),  u = exp(-theta t)
// The last one integrates the virtual-wait density f_V(v) = N mu pi_N
// exp(b (1 - e^{-theta v}) - N mu v) against the survival e^{-theta v} of the
// caller's patience; it is the lower incomplete gamma function written as the
// series R. Every quantity is a finite sum of positive terms, summed around the
// largest term in log scale until the remaining tail (bounded by a geometric
// series) is below 1e-17 of the sum: truncation never shows, and the results
// are exact up to rounding. The service level subtracts the answered-after-t
// part from all answered, and the ratio of the two series' peak terms is
// formed over the indices between the peaks (never as a difference of two
// large logs), so rounding stays near 1e-15. Tests check agreement with
// 30-digit solutions to 1e-13 (probabilities) and 1e-12 relative (ASA).
// Nothing overflows for N <= kMaxAgents, traffic <= kMaxTrafficErlangs.
//
// Definitions (what a simulator should measure to compare):
//  - p_wait: fraction of offered calls that find every agent busy.
//  - service_level: answered within the threshold / offered. Abandoned calls
//    count against it, however early they hang up.
//  - asa: total wait of answered calls / answered calls (immediate answers
//    count as zero). Under Erlang C all calls are answered.
//  - abandonment: abandoned / offered (Erlang A only).
//  - occupancy: busy agent time / staffed agent time = A (1 - abandonment) / N.
// With short patience a large queue can meet a service level target with N < A
// by shedding callers (2000 Erlangs, patience 120 s, 80/20: 1760 agents, 12%
// abandon); bound that with max_abandonment.
//
// Thread safety: pure functions on values.
#ifndef ACD_SERVER_CORE_ERLANG_H_
#define ACD_SERVER_CORE_ERLANG_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace acd::core {

// Bounds that keep every computation finite and fast (a few ms at most).
inline constexpr int kMaxAgents = 10'000;
inline constexpr double kMaxTrafficErlangs = 5'000.0;
// Erlang A sums about sqrt(N * patience / aht) terms; beyond this ratio the
// callers are patient enough that Erlang C (no patience) is the right model.
inline constexpr double kMaxPatiencePerAht = 1e6;

struct StaffingInput {
  double calls_per_interval = 0;
  absl::Duration interval = absl::Minutes(30);
  absl::Duration aht = absl::ZeroDuration();
  // Targets: at least one of service_level and max_asa; all given ones must
  // hold. max_abandonment needs mean_patience.
  std::optional<double> service_level;           // in (0, 1), e.g. 0.80 ...
  absl::Duration threshold = absl::Seconds(20);  // ... answered within 20 s
  std::optional<absl::Duration> max_asa;         // > 0
  std::optional<double> max_abandonment;         // in (0, 1)
  // Erlang A when set (> 0); Erlang C (callers never hang up) otherwise.
  std::optional<absl::Duration> mean_patience;
  double max_occupancy = 1.0;  // cap in (0, 1], e.g. 0.85
};

struct StaffingPrediction {
  int agents = 0;
  double traffic_erlangs = 0;
  double p_wait = 0;
  double service_level = 0;  // within the threshold it was computed for
  absl::Duration asa;        // InfiniteDuration() when nobody is answered
  double occupancy = 0;
  std::optional<double> abandonment;  // set iff a patience was given
};

// Erlang B (blocking probability of an M/M/N/N loss system). NaN if traffic is
// negative or not finite or agents < 0. O(agents).
double ErlangB(double traffic, int agents);

// Erlang C: P(wait) in M/M/N. 1 when agents <= traffic (unstable), 0 when
// traffic == 0 < agents. NaN on the inputs ErlangB rejects.
double ErlangC(double traffic, int agents);

// Erlang C P(wait <= threshold); 0 when agents <= traffic. NaN on bad input
// (as ErlangC, or aht <= 0, threshold < 0, either infinite).
double ServiceLevel(double traffic, int agents, absl::Duration aht, absl::Duration threshold);

// Erlang C mean wait over all calls; InfiniteDuration() when agents <= traffic,
// -InfiniteDuration() on bad input (as ServiceLevel; never a real answer).
absl::Duration AverageSpeedOfAnswer(double traffic, int agents, absl::Duration aht);

// Everything at once for a given staffing, Erlang A when patience is set.
// INVALID_ARGUMENT naming the value when traffic is outside
// [0, kMaxTrafficErlangs], agents outside [1, kMaxAgents], aht <= 0, threshold
// < 0, patience <= 0 or above kMaxPatiencePerAht * aht, or anything infinite.
absl::StatusOr<StaffingPrediction> Predict(double traffic, int agents, absl::Duration aht,
                                           absl::Duration threshold,
                                           std::optional<absl::Duration> patience);

// The smallest N in [1, kMaxAgents] meeting every target in `in`, with its
// prediction. Zero calls need zero agents. Every measure is monotone in N
// (service level rises; ASA, abandonment and occupancy fall; erlang_test
// checks this over a grid for Erlang A), so a binary search finds it.
// INVALID_ARGUMENT naming the bad value, or when no N <= kMaxAgents meets the
// targets.
absl::StatusOr<StaffingPrediction> AgentsNeeded(const StaffingInput& in);

}  // namespace acd::core

#endif  // ACD_SERVER_CORE_ERLANG_H_
