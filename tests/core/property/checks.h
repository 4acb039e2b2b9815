// The property test's checks: the faults that prove each one can fail, and the tags they fail with.
#ifndef ACD_TESTS_CORE_PROPERTY_CHECKS_H_
#define ACD_TESTS_CORE_PROPERTY_CHECKS_H_

namespace acd::core::property {

// The checks are members of the Runner (runner.h): checks.cc holds those
// run on the state after every step (and the restart from snapshots),
// event_checks.cc those on each command's status and events; the model's
// replay (model.cc) checks timing as it goes. Each failure starts with its
// check's tag: "[tag] message".

// ---------------------------------------------------------------------------
// Fault injection: each corrupts what one check sees, so that the test can
// prove that check fails (ChecksCatchInjectedFaults).

enum class Fault {
  kNone,
  kSeqGap,          // an event's seq skips one
  kEventInFuture,   // an event's time is after now
  kEventBackwards,  // an event's time is before the previous one
  kEventShape,      // a call_offered event's snapshot says queued
  kErrorCode,       // an error comes back as UNKNOWN
  kEventOnError,    // a failing command seems to emit an event
  kStatsCount,      // GetQueueStats counts one more queued call
  kAgentStats,      // GetQueueStats counts one more available agent
  kDoubleHold,      // a second agent seems to hold an offered call
  kModel,           // one event seems lost (the replayed state differs)
  kEligible,        // a waiting call seems to need no skills
  kOutcome,         // a right accept seems to fail
  kReloadChange,    // a refused reload seems to change a call
  kOfferTimeout,    // an offer seems to time out one second early
  kOpen,            // a queue with a schedule seems open when closed and back
  kMemory,          // the engine seems to remember one finished call fewer
  kDeadlines,       // AdvanceTo seems to leave a due deadline behind
  kOffer,           // an offered agent seems to lack a skill
  kCallbackCount,   // GetQueueStats counts one more pending callback
  kDial,            // a callback_dial event seems lost
  kTransferOffer,   // an offer after a transfer seems to go to another agent
};

struct FaultCase {
  Fault fault;
  const char* tag;  // the check expected to catch it
};
inline constexpr FaultCase kFaultCases[] = {
    {Fault::kSeqGap, "events"},
    {Fault::kEventInFuture, "events"},
    {Fault::kEventBackwards, "events"},
    {Fault::kEventShape, "event-shape"},
    {Fault::kErrorCode, "error-code"},
    {Fault::kEventOnError, "error-events"},
    {Fault::kStatsCount, "stats"},
    {Fault::kAgentStats, "agent-stats"},
    {Fault::kDoubleHold, "pairing"},
    {Fault::kModel, "model"},
    {Fault::kEligible, "eligible"},
    {Fault::kOutcome, "outcome"},
    {Fault::kReloadChange, "reload"},
    {Fault::kOfferTimeout, "timing"},
    {Fault::kOpen, "open"},
    {Fault::kMemory, "memory"},
    {Fault::kDeadlines, "deadlines"},
    {Fault::kOffer, "offer"},
    {Fault::kCallbackCount, "callback-stats"},
    {Fault::kDial, "event-shape"},
    {Fault::kTransferOffer, "offer"},
};

}  // namespace acd::core::property

#endif  // ACD_TESTS_CORE_PROPERTY_CHECKS_H_
