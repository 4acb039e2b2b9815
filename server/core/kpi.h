// KPI formulas of a contact centre, in one place so that live stats
// (WatchStats, GetQueueStats) and historical reports (GetReport) agree.
//
// A CallTally counts finished and answered calls over some span (a sliding
// window, since midnight, a report interval); the functions turn it into the
// figures supervisors read:
//
//   service level = answered within the threshold
//                   / (answered + abandoned - short abandons)
//   abandonment   = (abandoned - short abandons) / (offered - short abandons)
//   ASA           = total wait of answered calls / answered
//   AHT           = total handle time (talk + wrap-up) / handled
//   occupancy     = handling time / (handling + idle) agent time
//
// Short abandons (callers who hang up within the queue's `short_abandon`) are
// misdials and IVR slips: they count as offered and abandoned but leave both
// rates. Calls that time out or overflow are neither answered nor abandoned
// here: they count in offered only (an overflowed call is answered, or not,
// in the queue it moved to). A figure with nothing to divide by is nullopt,
// not zero: "no calls" is not "0% service level".
//
// Thread safety: values and pure functions.
#ifndef ACD_SERVER_CORE_KPI_H_
#define ACD_SERVER_CORE_KPI_H_

#include <cstdint>
#include <optional>

#include "absl/time/time.h"

namespace acd::core {

struct KpiThresholds {
  absl::Duration service_level = absl::Seconds(20);
  absl::Duration short_abandon = absl::Seconds(5);
};

struct CallTally {
  int64_t offered = 0;   // calls that arrived
  int64_t answered = 0;  // connected to an agent
  int64_t answered_in_threshold = 0;
  int64_t abandoned = 0;        // hung up while waiting, short abandons included
  int64_t short_abandoned = 0;  // of which within the short-abandon threshold
  int64_t timed_out = 0;        // disconnected by a limit or given up (callbacks)
  int64_t overflowed = 0;       // moved on to another queue
  int64_t transfers = 0;
  int64_t callbacks = 0;  // calls that became callbacks
  absl::Duration answer_wait = absl::ZeroDuration();  // summed over answered calls
  int64_t handled = 0;                                 // completed after an answer
  absl::Duration handle_time = absl::ZeroDuration();  // talk + wrap-up, summed

  // Counting one event of a call's life; `wait` is from arrival.
  void AddAnswered(absl::Duration wait, const KpiThresholds& thresholds);
  void AddAbandoned(absl::Duration wait, const KpiThresholds& thresholds);
  void AddHandled(absl::Duration talk, absl::Duration wrap_up);

  CallTally& operator+=(const CallTally& other);
};

std::optional<double> ServiceLevel(const CallTally& tally);
std::optional<double> AbandonmentRate(const CallTally& tally);
std::optional<absl::Duration> AverageSpeedOfAnswer(const CallTally& tally);
std::optional<absl::Duration> AverageHandleTime(const CallTally& tally);
// `handling`: agent time reserved, busy or in wrap-up; `idle`: available.
// Away and logged-out time count in neither.
std::optional<double> Occupancy(absl::Duration handling, absl::Duration idle);

}  // namespace acd::core

#endif  // ACD_SERVER_CORE_KPI_H_
