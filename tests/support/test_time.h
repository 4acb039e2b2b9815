// The instant tests start their simulated time at, shared so that figures
// and logs of different tests line up.
#ifndef ACD_TESTS_SUPPORT_TEST_TIME_H_
#define ACD_TESTS_SUPPORT_TEST_TIME_H_

#include "absl/time/time.h"

namespace acd::testing {

inline const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);  // 2027-01-15 08:00 UTC, a Friday

}  // namespace acd::testing

#endif  // ACD_TESTS_SUPPORT_TEST_TIME_H_
