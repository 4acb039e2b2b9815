// ModelCall: what the property test's model, built from events alone, holds of a call.
#ifndef ACD_TESTS_CORE_PROPERTY_MODEL_H_
#define ACD_TESTS_CORE_PROPERTY_MODEL_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "server/core/types.h"

namespace acd::core::property {

// The model is the Runner's (runner.h): its maps hold the accepted requests,
// a ModelCall per call and the latest snapshot of each agent, and model.cc
// replays every event into them. It is built from accepted requests and
// events only, never from the engine's reads, so the checks can compare the
// two and the commands can predict outcomes from it.

// What the events say about a call.
struct ModelCall {
  CallState state = CallState::kQueued;
  std::string queue;
  std::string agent_id;
  int priority = 0;
  int missed_offers = 0;
  std::string disposition;
  std::string notes;
  absl::Time entered;  // into its current queue
  std::optional<absl::Time> offer_expires;
  std::vector<std::string> widened;  // queues escalation added ("+queue q2")
  absl::Time enqueued_at;
  std::string end_reason;
  int transfers = 0;
  // A transfer to a named agent in progress: the fallback queue, and the
  // agent the call must be offered to.
  std::string transfer_fallback;
  std::string transfer_to;
  // Callbacks: the number, dials failed, when asked and with what window (of
  // its queue then); whether it waits for an agent or a retry; when the retry
  // falls due.
  std::string callback_number;
  int callback_attempts = 0;
  absl::Time callback_requested;
  absl::Duration callback_window;
  bool callback_pending = false;
  absl::Time retry_at;
};

}  // namespace acd::core::property

#endif  // ACD_TESTS_CORE_PROPERTY_MODEL_H_
