#include "client/acd-sim/stats.h"

#include <algorithm>
#include <cmath>

namespace acd::sim {

double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double rank = std::ceil(q * sorted.size());
  const size_t index = static_cast<size_t>(std::clamp(rank, 1.0, 1.0 * sorted.size())) - 1;
  return sorted[index];
}

double StandardError(const std::vector<double>& batches) {
  const size_t n = batches.size();
  if (n < 2) return 0;
  double mean = 0;
  for (double x : batches) mean += x / n;
  double squares = 0;
  for (double x : batches) squares += (x - mean) * (x - mean);
  return std::sqrt(squares / (n - 1) / n);
}

}  // namespace acd::sim
