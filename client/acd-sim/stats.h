// Small summaries of samples for acd-sim's reports.
//
// Thread safety: pure functions on values.
#ifndef ACD_CLIENT_ACD_SIM_STATS_H_
#define ACD_CLIENT_ACD_SIM_STATS_H_

#include <vector>

namespace acd::sim {

// Nearest-rank percentile (q in [0, 1]) of `sorted` (ascending); 0 when empty.
double Percentile(const std::vector<double>& sorted, double q);

// Standard error of the mean of `batches` (batch means): sample standard
// deviation / sqrt(count); 0 with fewer than two batches.
double StandardError(const std::vector<double>& batches);

}  // namespace acd::sim

#endif  // ACD_CLIENT_ACD_SIM_STATS_H_
