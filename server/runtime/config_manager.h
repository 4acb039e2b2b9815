// ConfigManager: the daemon's config file and the config currently applied.
// Validates (a dry run that also says what would change) and reloads it for
// SIGHUP and AdminService; a bad file is refused with every problem and the
// running config stays. Every applied config (the first one too, through
// ApplyToEngine) is recorded in the store's `config_versions` in the same
// transaction as its config_applied event (Runtime::RecordConfigVersion).
//
// Thread safety: all methods may be called from any thread. Reloads are applied
// in the order they reach the engine thread.
#ifndef ACD_SERVER_RUNTIME_CONFIG_MANAGER_H_
#define ACD_SERVER_RUNTIME_CONFIG_MANAGER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "server/base/mutex.h"
#include "server/config/config.h"
#include "server/config/config_diff.h"
#include "server/runtime/runtime.h"

namespace acd::runtime {

// Applies `config` to `engine` at `now`, from inside a command of `runtime`
// (engine thread), and when it applied has the runtime record its version
// with the config_applied event. Returns the engine's refusal otherwise.
absl::Status ApplyToEngine(Runtime& runtime, core::Engine& engine, const config::Config& config,
                           absl::Time now);

// The live KPI settings of a server config.
core::LiveStatsOptions LiveStatsOptionsFor(const config::ServerConfig& server);

// What ValidateConfig reports.
struct DryRun {
  config::ParseOutcome outcome;
  // From the running config to the candidate (when it parsed).
  std::vector<config::ConfigChange> changes;
  // Why applying it now would be refused by the engine (a removed queue that
  // holds live calls, a removed agent on a call); empty if it would apply.
  // Checked against live state at the time of the dry run.
  std::vector<std::string> blockers;
};

class ConfigManager {
 public:
  // `initial` is the config the daemon starts with (applied to the engine
  // by the daemon, through ApplyToEngine); the live KPIs take it from here,
  // and each reload.
  ConfigManager(Runtime* runtime, config::Config initial);

  // The file the daemon was started with.
  std::string path() const;
  config::Config current() const;
  // current().hash, without copying the config.
  std::string current_hash() const;
  // Reloads (file or ReloadConfig) applied and refused so far.
  int64_t reloads_applied() const { return reloads_applied_.load(std::memory_order_relaxed); }
  int64_t reloads_refused() const { return reloads_refused_.load(std::memory_order_relaxed); }

  // Parses `text` (or the file, when `text` is empty) without applying it.
  // Problems name `file_name` (default "<request>").
  config::ParseOutcome Validate(const std::string& text, const std::string& file_name) const;

  // Validate, plus the changes from the running config and what would block
  // applying it. `done` runs on the engine thread (or at once when the text
  // does not parse), or gets UNAVAILABLE while the daemon shuts down.
  void DryRunConfig(const std::string& text, const std::string& file_name,
                    std::function<void(absl::StatusOr<DryRun>)> done) const;

  // Re-reads the file and applies it. `done` runs on the engine thread with
  // the applied config, or INVALID_ARGUMENT naming every problem, or the
  // engine's refusal (e.g. FAILED_PRECONDITION for a queue with live calls).
  void Reload(std::function<void(absl::StatusOr<config::Config>)> done);

  // Runs `listener` with each config a reload applies, before the reload's
  // `done` (so a client told that a reload applied already sees its
  // effects, e.g. new auth tokens). Set it before the first reload.
  void SetOnApplied(std::function<void(const config::Config&)> listener);

 private:
  Runtime* runtime_;
  std::function<void(const config::Config&)> on_applied_;
  mutable Mutex mu_;
  config::Config current_ ABSL_GUARDED_BY(mu_);
  std::atomic<int64_t> reloads_applied_{0};
  std::atomic<int64_t> reloads_refused_{0};
};

}  // namespace acd::runtime

#endif  // ACD_SERVER_RUNTIME_CONFIG_MANAGER_H_
