// The property test's generator: a seed's random config and operations, and the Rng they use.
#ifndef ACD_TESTS_CORE_PROPERTY_GENERATOR_H_
#define ACD_TESTS_CORE_PROPERTY_GENERATOR_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/core/engine.h"
#include "server/core/expr.h"
#include "server/core/schedule.h"
#include "server/core/types.h"
#include "tests/support/test_time.h"

namespace acd::core::property {

// A Scenario is what a seed means: a random RoutingConfig, engine options
// and a list of operations. The Runner (runner.h) draws what each operation
// targets when it runs, from the operation's own seed, with the Rng and the
// names below.

// Every engine test starts at the shared instant (tests/support/test_time.h).
using ::acd::testing::kT0;

inline constexpr int kMaxQueues = 5;
inline constexpr int kMaxAgents = 12;

inline constexpr absl::string_view kSkillNames[] = {"en", "es", "fr", "billing"};
inline constexpr absl::string_view kTiers[] = {"gold", "silver", "bronze"};
inline constexpr absl::string_view kLanguages[] = {"en", "es", "fr", "de"};
inline constexpr absl::string_view kAges[] = {"30", "65", "70", "n/a"};
inline constexpr Strategy kStrategies[] = {Strategy::kLongestIdle,   Strategy::kLeastCalls,
                                           Strategy::kLeastTalkTime, Strategy::kRoundRobin,
                                           Strategy::kBestSkill,     Strategy::kRandom};

// SplitMix64: cheap to seed (every operation seeds one) and the same on every
// platform (unlike the std distributions), so a seed names the same run
// everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi].
  int Uniform(int lo, int hi) {
    return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Chance(double p) { return static_cast<double>(Next() >> 11) * 0x1.0p-53 < p; }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Uniform(0, N - 1)];
  }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[Uniform(0, static_cast<int>(items.size()) - 1)];
  }

 private:
  uint64_t state_;
};

// ---------------------------------------------------------------------------
// Operations. Each carries its own seed: what it targets is drawn when it runs,
// against the state then, so any subsequence is still a valid run (shrinking
// relies on it).

enum class OpKind {
  kEnqueue,
  kLogin,
  kLogout,
  kReady,
  kAway,
  kAccept,
  kReject,
  kAbandon,
  kEnd,
  kComplete,
  kAdvance,
  kReload,
  // A connected call to a queue (sometimes raising its priority), to a named
  // agent with a fallback queue; a supervisor moves a waiting call.
  kTransferToQueue,
  kTransferToAgent,
  kMoveCall,
  // A queued caller asks to be called back; the dial of an accepted callback
  // fails.
  kRequestCallback,
  kCallbackFailed,
};

struct Op {
  OpKind kind;
  uint64_t seed;
  // Set by shrinking, which merges advances: move the clock by exactly this
  // much (and run the deadlines if `settle`).
  std::optional<absl::Duration> advance;
  bool settle = false;
};

// How far an advance moves the clock, and whether it runs the deadlines
// (else only the clock moves and the next command runs them).
std::pair<absl::Duration, bool> DrawAdvance(Rng& rng);

std::pair<absl::Duration, bool> AdvanceOf(const Op& op);

// ---------------------------------------------------------------------------
// Random configs. Every overflow target is a defined queue; on_full and
// on_closed overflow only to queues later in the list, so admission chains have
// no cycle (limit and closing overflows may go anywhere: each hop takes time).

LimitAction Overflow(const std::string& queue);

ExprPtr RandomCondition(Rng& rng, int depth);

std::vector<RoutingRule> RandomRules(const RoutingConfig& config, Rng& rng);

// A few hours open per day in UTC, so that runs of a few hours cross edges.
Schedule RandomSchedule(const std::string& name, Rng& rng);

// Draws every setting of config.queues[i] but its name.
void RandomizeQueue(RoutingConfig& config, size_t i, Rng& rng);

AgentConfig RandomAgent(const std::string& id, const RoutingConfig& config, Rng& rng);

// Takes every reference to queue `name` out of `config` (it is being removed).
void ScrubQueue(RoutingConfig& config, const std::string& name, Rng& rng);

// Drops the schedules no queue names any more, and queue references to
// schedules that are gone.
void ScrubSchedules(RoutingConfig& config);

struct Scenario {
  uint64_t seed = 0;
  RoutingConfig config;
  EngineOptions options;
  int64_t first_seq = 1;
  std::vector<Op> ops;
};

Scenario MakeScenario(uint64_t seed, int steps);

}  // namespace acd::core::property

#endif  // ACD_TESTS_CORE_PROPERTY_GENERATOR_H_
