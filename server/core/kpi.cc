#include "server/core/kpi.h"

namespace acd::core {

void CallTally::AddAnswered(absl::Duration wait, const KpiThresholds& thresholds) {
  ++answered;
  if (wait <= thresholds.service_level) ++answered_in_threshold;
  answer_wait += wait;
}

void CallTally::AddAbandoned(absl::Duration wait, const KpiThresholds& thresholds) {
  ++abandoned;
  if (wait < thresholds.short_abandon) ++short_abandoned;
}

void CallTally::AddHandled(absl::Duration talk, absl::Duration wrap_up) {
  ++handled;
  handle_time += talk + wrap_up;
}

CallTally& CallTally::operator+=(const CallTally& o) {
  offered += o.offered;
  answered += o.answered;
  answered_in_threshold += o.answered_in_threshold;
  abandoned += o.abandoned;
  short_abandoned += o.short_abandoned;
  timed_out += o.timed_out;
  overflowed += o.overflowed;
  transfers += o.transfers;
  callbacks += o.callbacks;
  answer_wait += o.answer_wait;
  handled += o.handled;
  handle_time += o.handle_time;
  return *this;
}

std::optional<double> ServiceLevel(const CallTally& t) {
  int64_t counted = t.answered + t.abandoned - t.short_abandoned;
  if (counted <= 0) return std::nullopt;
  return static_cast<double>(t.answered_in_threshold) / static_cast<double>(counted);
}

std::optional<double> AbandonmentRate(const CallTally& t) {
  int64_t counted = t.offered - t.short_abandoned;
  if (counted <= 0) return std::nullopt;
  return static_cast<double>(t.abandoned - t.short_abandoned) / static_cast<double>(counted);
}

std::optional<absl::Duration> AverageSpeedOfAnswer(const CallTally& t) {
  if (t.answered == 0) return std::nullopt;
  return t.answer_wait / t.answered;
}

std::optional<absl::Duration> AverageHandleTime(const CallTally& t) {
  if (t.handled == 0) return std::nullopt;
  return t.handle_time / t.handled;
}

std::optional<double> Occupancy(absl::Duration handling, absl::Duration idle) {
  absl::Duration staffed = handling + idle;
  if (staffed <= absl::ZeroDuration()) return std::nullopt;
  return absl::FDivDuration(handling, staffed);
}

}  // namespace acd::core
