// The property test's shrinker: the smallest config and run that still fail like a seed.
#ifndef ACD_TESTS_CORE_PROPERTY_SHRINKER_H_
#define ACD_TESTS_CORE_PROPERTY_SHRINKER_H_

#include "tests/core/property/generator.h"

namespace acd::core::property {

// Shrinking: deletes operations and simplifies the config while the failure
// keeps its tag. Each try runs in a forked child, so crashes and hangs are
// failures like any other.
//
// Prints the smallest scenario found, then runs it step by step.
void Shrink(Scenario s);

}  // namespace acd::core::property

#endif  // ACD_TESTS_CORE_PROPERTY_SHRINKER_H_
