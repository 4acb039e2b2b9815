#include "server/runtime/config_manager.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace acd::runtime {
namespace {

// Why the engine would refuse to apply `candidate` now (engine thread). Mirrors
// the live-call checks of Engine::ApplyConfig, read through its public
// queries; a removed queue that is only the fallback of a transfer in
// progress is not seen here (the reload itself still refuses it).
std::vector<std::string> Blockers(const core::Engine& engine, const core::RoutingConfig& candidate,
                                  absl::Time now) {
  std::vector<std::string> blockers;
  absl::flat_hash_set<std::string> queues, agents;
  for (const core::QueueConfig& q : candidate.queues) queues.insert(q.name);
  for (const core::AgentConfig& a : candidate.agents) agents.insert(a.agent_id);
  for (const core::QueueConfig& q : engine.Queues()) {
    if (queues.contains(q.name)) continue;
    absl::StatusOr<core::QueueStats> stats = engine.GetQueueStats(q.name, now);
    if (!stats.ok()) continue;
    int live = stats->queued + stats->offered + stats->connected + stats->wrap_up;
    if (live > 0 || stats->callbacks_pending > 0) {
      blockers.push_back(absl::StrCat("queue \"", q.name, "\" cannot be removed: it holds ", live,
                                      " live call(s) and ", stats->callbacks_pending,
                                      " pending callback(s)"));
    }
  }
  absl::StatusOr<std::vector<core::Agent>> running = engine.ListAgents("");
  if (running.ok()) {
    for (const core::Agent& a : *running) {
      if (agents.contains(a.agent_id)) continue;
      if (a.state == core::AgentState::kBusy || a.state == core::AgentState::kWrapUp) {
        blockers.push_back(absl::StrCat("agent \"", a.agent_id, "\" cannot be removed while ",
                                        core::AgentStateName(a.state), " with call \"", a.call_id,
                                        "\""));
      }
    }
  }
  return blockers;
}

}  // namespace

core::LiveStatsOptions LiveStatsOptionsFor(const config::ServerConfig& server) {
  core::LiveStatsOptions options;
  options.window = server.stats_window;
  options.zone = server.timezone;
  return options;
}

absl::Status ApplyToEngine(Runtime& runtime, core::Engine& engine, const config::Config& config,
                           absl::Time now) {
  if (absl::Status s = engine.ApplyConfig(config.routing, now); !s.ok()) return s;
  runtime.RecordConfigVersion({.hash = config.hash, .text = config.text, .applied_at = now});
  return absl::OkStatus();
}

ConfigManager::ConfigManager(Runtime* runtime, config::Config initial)
    : runtime_(runtime), current_(std::move(initial)) {
  runtime_->ConfigureStats(current_.routing, LiveStatsOptionsFor(current_.server));
}

std::string ConfigManager::path() const {
  MutexLock lock(&mu_);
  return current_.file;
}

config::Config ConfigManager::current() const {
  MutexLock lock(&mu_);
  return current_;
}

std::string ConfigManager::current_hash() const {
  MutexLock lock(&mu_);
  return current_.hash;
}

void ConfigManager::SetOnApplied(std::function<void(const config::Config&)> listener) {
  on_applied_ = std::move(listener);
}

config::ParseOutcome ConfigManager::Validate(const std::string& text,
                                             const std::string& file_name) const {
  if (text.empty()) return config::LoadConfigFile(path());
  // Request text reads no other file (auth.tokens_file, server.tls.*): a
  // caller must not learn what files on the daemon's host hold.
  return config::ParseConfig(text, file_name.empty() ? "<request>" : file_name);
}

void ConfigManager::DryRunConfig(const std::string& text, const std::string& file_name,
                                 std::function<void(absl::StatusOr<DryRun>)> done) const {
  auto run = std::make_shared<DryRun>();
  run->outcome = Validate(text, file_name);
  if (!run->outcome.ok()) {
    done(std::move(*run));
    return;
  }
  run->changes = config::DiffConfigs(current(), *run->outcome.config);
  runtime_->Read<bool>(
      [run](const core::Engine& engine, absl::Time now) -> absl::StatusOr<bool> {
        run->blockers = Blockers(engine, run->outcome.config->routing, now);
        return true;
      },
      [run, done = std::move(done)](absl::StatusOr<bool> checked) {
        if (!checked.ok()) {
          done(checked.status());
          return;
        }
        done(std::move(*run));
      });
}

void ConfigManager::Reload(std::function<void(absl::StatusOr<config::Config>)> done) {
  config::ParseOutcome outcome = config::LoadConfigFile(path());
  if (!outcome.ok()) {
    absl::Status status = config::ProblemsToStatus(outcome.problems);
    spdlog::warn("config reload refused; the running config stays: {}",
                 std::string(status.message()));
    reloads_refused_.fetch_add(1, std::memory_order_relaxed);
    done(status);
    return;
  }
  auto loaded = std::make_shared<config::Config>(std::move(*outcome.config));
  runtime_->Execute<config::Config>(
      [this, loaded](core::Engine& engine, absl::Time now) -> absl::StatusOr<config::Config> {
        if (absl::Status s = ApplyToEngine(*runtime_, engine, *loaded, now); !s.ok()) {
          return s;
        }
        runtime_->ConfigureStats(loaded->routing, LiveStatsOptionsFor(loaded->server));
        return *loaded;
      },
      [this, done = std::move(done)](absl::StatusOr<config::Config> applied) {
        if (applied.ok()) {
          MutexLock lock(&mu_);
          if (applied->server.listen != current_.server.listen ||
              applied->server.database != current_.server.database ||
              applied->server.http != current_.server.http) {
            spdlog::warn(
                "config reload: server.listen, server.database and server.http take effect on "
                "restart");
          }
          if (applied->server.tls.cert != current_.server.tls.cert ||
              applied->server.tls.key != current_.server.tls.key ||
              applied->server.tls.client_ca != current_.server.tls.client_ca) {
            spdlog::warn("config reload: server.tls takes effect on restart");
          }
          current_ = *applied;
          spdlog::info("config reloaded from {} (sha256 {}, {} auth token(s))", current_.file,
                       current_.hash, current_.auth.tokens.size());
          reloads_applied_.fetch_add(1, std::memory_order_relaxed);
        } else {
          spdlog::warn("config reload refused; the running config stays: {}",
                       std::string(applied.status().message()));
          reloads_refused_.fetch_add(1, std::memory_order_relaxed);
        }
        if (applied.ok() && on_applied_) on_applied_(*applied);
        done(std::move(applied));
      });
}

}  // namespace acd::runtime
