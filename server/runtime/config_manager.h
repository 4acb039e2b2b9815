// ConfigManager: the daemon's config file and the config currently applied.
// Validates and reloads it for SIGHUP and AdminService; a bad file is refused
// with every problem and the running config stays.
//
// Thread safety: all methods may be called from any thread. Reloads are applied
// in the order they reach the engine thread.
#ifndef ACD_SERVER_RUNTIME_CONFIG_MANAGER_H_
#define ACD_SERVER_RUNTIME_CONFIG_MANAGER_H_

#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/config/config.h"
#include "server/runtime/runtime.h"

namespace acd::runtime {

class ConfigManager {
 public:
  // `initial` is the config the daemon started with (already applied to the
  // engine); the live KPIs take it from here, and each reload.
  ConfigManager(Runtime* runtime, config::Config initial);

  // The file the daemon was started with.
  std::string path() const;
  config::Config current() const;

  // Parses `text` (or the file, when `text` is empty) without applying it.
  // Problems name `file_name` (default "<request>").
  config::ParseOutcome Validate(const std::string& text, const std::string& file_name) const;

  // Re-reads the file and applies it. `done` runs on the engine thread with
  // the applied config, or INVALID_ARGUMENT naming every problem, or the
  // engine's refusal (e.g. FAILED_PRECONDITION for a queue with live calls).
  void Reload(std::function<void(absl::StatusOr<config::Config>)> done);

 private:
  Runtime* runtime_;
  mutable absl::Mutex mu_;
  config::Config current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace acd::runtime

#endif  // ACD_SERVER_RUNTIME_CONFIG_MANAGER_H_
