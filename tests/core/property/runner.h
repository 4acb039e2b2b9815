// The property test's Runner: runs a scenario on an engine, with the model and every check.
#ifndef ACD_TESTS_CORE_PROPERTY_RUNNER_H_
#define ACD_TESTS_CORE_PROPERTY_RUNNER_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/core/engine.h"
#include "server/core/types.h"
#include "tests/core/property/checks.h"
#include "tests/core/property/generator.h"
#include "tests/core/property/model.h"
#include "tests/core/snapshot_fold.h"

namespace acd::core::property {

// ---------------------------------------------------------------------------
// The runner: drives one engine through a scenario and checks every step.
//
// The Runner's members are defined by piece:
//   runner.cc             the run, the step log, a step's dispatch and advances
//   model.cc              the model: the events replayed, and the lookups it predicts
//   event_checks.cc       each command's status and events
//   checks.cc             the state after every step, and a restart from snapshots
//   commands.cc           targets drawn against the state; enqueue, agent and call commands
//   transfer_commands.cc  transfers and callbacks
//   reload.cc             reloads: changed, broken and refused configs
// Each command draws its targets from its operation's seed, predicts its
// outcome from the model where it can, then checks what the engine did.

// engine_calls.cc refuses overflow chains of more hops than this.
inline constexpr int kMaxOverflowHops = 4;
inline constexpr size_t kNoLimit = std::numeric_limits<size_t>::max();
inline constexpr CallState kLiveStates[] = {CallState::kQueued, CallState::kOffered,
                                            CallState::kConnected, CallState::kWrapUp};
inline constexpr CallState kAllCallStates[] = {
    CallState::kQueued,           CallState::kOffered,   CallState::kConnected,
    CallState::kWrapUp,           CallState::kCompleted, CallState::kAbandoned,
    CallState::kOverflowed,       CallState::kTimedOut,  CallState::kRejected,
    CallState::kCallbackScheduled};

struct RunResult {
  std::string failure;  // "[tag] message"; empty if every check passed
  int step = -1;        // the failing step (-1: set-up)
  std::string recent;   // the last steps, for the failure message
  uint64_t digest = 0;  // of the event stream, to compare runs
};

std::string TagOf(const std::string& failure);

class Runner {
 public:
  Runner(const Scenario& scenario, bool verbose, Fault fault);
  RunResult Run(const std::vector<Op>& ops);

 private:
  // --- Failures and the step log (runner.cc) ---

  bool ok() const { return failure_.empty(); }

  template <typename... Parts>
  void Fail(absl::string_view tag, const Parts&... parts) {
    if (failure_.empty()) failure_ = absl::StrCat("[", tag, "] ", parts...);
  }

  void Note(absl::string_view text) { absl::StrAppend(&line_, text); }

  void Log(std::string line);
  static int NumberOf(const std::string& name);

  // --- Status checks (event_checks.cc) ---

  void CheckError(absl::Status& s, absl::string_view what);
  void Finish(absl::Status& s, absl::string_view what);
  void Expect(const absl::Status& s, absl::StatusCode want, absl::string_view what);
  void ExpectNoEvents(absl::string_view what);

  // --- Events and the model built from them (model.cc; their checks in event_checks.cc) ---

  void TakeEvents();
  void CheckEvent(const Event& e);
  void CheckEventShape(const Event& e);
  const QueueConfig* QueueNamed(absl::string_view name) const;
  bool Serves(const std::string& agent, const std::string& queue) const;
  void CheckOffer(const Event& e);
  void ApplyEvent(const Event& e);

  // --- Lookups the model predicts (model.cc) ---

  static bool ValidId(absl::string_view id);
  absl::StatusCode AgentCode(const std::string& id) const;
  absl::StatusCode CallCode(const std::string& id) const;
  Agent ModelAgent(const std::string& id) const;

  // --- Picking targets (commands.cc) ---

  std::string PickAgent(Rng& rng);
  std::string PickCall(Rng& rng);
  std::vector<std::string> AgentsIn(AgentState state) const;
  std::vector<std::string> CallsIn(std::vector<CallState> states) const;

  // --- Operations (runner.cc: a step, deadlines, advances; commands.cc: the commands) ---

  void Execute(const Op& op);
  void Settle(absl::Time t);
  void CheckSettled(absl::Time t);
  void Advance(const Op& op);
  void FillRequest(EnqueueRequest& req, Rng& rng);
  static bool SameRequest(const EnqueueRequest& a, const EnqueueRequest& b);
  void Enqueue(Rng& rng, absl::Time t);
  absl::StatusCode Route(EnqueueRequest& req, absl::Time t, std::string* landing);
  absl::StatusCode Admit(const std::string& queue, absl::Time t, std::string* landing);
  void Login(Rng& rng, absl::Time t);
  void Logout(Rng& rng, absl::Time t);
  void Ready(Rng& rng, absl::Time t);
  void Away(Rng& rng, absl::Time t);
  std::pair<std::string, std::string> PickPair(Rng& rng, AgentState state, double right);
  void Accept(Rng& rng, absl::Time t);
  void Reject(Rng& rng, absl::Time t);
  void Abandon(Rng& rng, absl::Time t);
  void End(Rng& rng, absl::Time t);
  void Complete(Rng& rng, absl::Time t);

  // --- Transfers and callbacks (transfer_commands.cc) ---

  std::string PickCallIn(Rng& rng, std::vector<CallState> states, double right);
  std::string PickQueue(Rng& rng);
  ModelCall ModelCallOf(const std::string& id) const;
  void ExpectEvents(absl::string_view what, std::vector<std::pair<EventType, std::string>> want);
  void TransferToQueue(Rng& rng, absl::Time t);
  void TransferToAgent(Rng& rng, absl::Time t);
  void MoveCall(Rng& rng, absl::Time t);
  int PendingCallbacks(const std::string& queue) const;
  void RequestCallback(Rng& rng, absl::Time t);
  void CallbackFailed(Rng& rng, absl::Time t);

  // --- Reloads (reload.cc) ---

  std::string NewName(std::vector<std::string>& retired, int& next, absl::string_view prefix,
                      Rng& rng);
  RoutingConfig Mutate(Rng& rng);
  void Break(RoutingConfig& c, Rng& rng);
  std::vector<std::string> Snapshot();
  void Reload(Rng& rng, absl::Time t);

  // --- The checks after every step (checks.cc) ---

  void CheckState();
  void CheckPairs(const std::vector<Agent>& agents, const std::vector<Call>& live);
  void CheckModel(const std::vector<Agent>& agents, const std::vector<Call>& live);
  void CheckQueues(const std::vector<Agent>& all_agents, const std::vector<Call>& live);
  void CheckRestore();
  void CheckMemory();

  Engine engine_;
  SnapshotFold fold_;  // every event, as the store keeps it (for CheckRestore)
  bool restore_due_ = false;
  RoutingConfig config_;
  absl::Time now_ = kT0;         // the test's clock
  absl::Time engine_now_ = kT0;  // the latest time the engine was given
  int64_t next_seq_;
  absl::Time last_event_time_ = absl::InfinitePast();
  std::vector<Event> events_;  // of the last command
  bool strict_ = true;         // whether the last command's outcome was predicted
  bool reloading_ = false;     // taking a reload's events
  std::string expect_dial_;    // a callback that connected: callback_dial comes next

  // The model: built from accepted requests and events only.
  absl::flat_hash_map<std::string, EnqueueRequest> requests_;
  absl::flat_hash_map<std::string, ModelCall> calls_;
  absl::flat_hash_map<std::string, Agent> agents_;
  std::deque<std::string> finished_;
  std::string forgotten_;
  size_t model_live_ = 0;  // calls_ not final
  absl::flat_hash_map<std::string, QueueStats> last_stats_;
  size_t rotation_ = 0;
  size_t max_finished_;

  std::vector<std::string> ids_;  // every call id the engine accepted, oldest first
  int next_call_ = 0;
  int next_queue_ = 0;
  int next_agent_ = 0;
  std::vector<std::string> retired_queues_;
  std::vector<std::string> retired_agents_;

  bool verbose_;
  Fault fault_;
  bool digest_enabled_ = getenv("ACD_PROPERTY_DIGEST") != nullptr;
  uint64_t digest_ = 14695981039346656037ull;
  int step_ = -1;
  std::string line_;
  std::deque<std::string> log_;
  std::string failure_;
};

RunResult RunScenario(const Scenario& s, bool verbose = false, Fault fault = Fault::kNone);

}  // namespace acd::core::property

#endif  // ACD_TESTS_CORE_PROPERTY_RUNNER_H_
