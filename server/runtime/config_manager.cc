#include "server/runtime/config_manager.h"

#include <utility>

#include "spdlog/spdlog.h"

namespace acd::runtime {
namespace {

core::LiveStatsOptions StatsOptions(const config::ServerConfig& server) {
  core::LiveStatsOptions options;
  options.window = server.stats_window;
  options.zone = server.timezone;
  return options;
}

}  // namespace

ConfigManager::ConfigManager(Runtime* runtime, config::Config initial)
    : runtime_(runtime), current_(std::move(initial)) {
  runtime_->ConfigureStats(current_.routing, StatsOptions(current_.server));
}

std::string ConfigManager::path() const {
  absl::MutexLock lock(&mu_);
  return current_.file;
}

config::Config ConfigManager::current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

config::ParseOutcome ConfigManager::Validate(const std::string& text,
                                             const std::string& file_name) const {
  if (text.empty()) return config::LoadConfigFile(path());
  return config::ParseConfig(text, file_name.empty() ? "<request>" : file_name);
}

void ConfigManager::Reload(std::function<void(absl::StatusOr<config::Config>)> done) {
  config::ParseOutcome outcome = config::LoadConfigFile(path());
  if (!outcome.ok()) {
    absl::Status status = config::ProblemsToStatus(outcome.problems);
    spdlog::warn("config reload refused; the running config stays: {}",
                 std::string(status.message()));
    done(status);
    return;
  }
  auto loaded = std::make_shared<config::Config>(std::move(*outcome.config));
  runtime_->Execute<config::Config>(
      [this, loaded](core::Engine& engine, absl::Time now) -> absl::StatusOr<config::Config> {
        if (absl::Status s = engine.ApplyConfig(loaded->routing, now); !s.ok()) return s;
        runtime_->ConfigureStats(loaded->routing, StatsOptions(loaded->server));
        return *loaded;
      },
      [this, done = std::move(done)](absl::StatusOr<config::Config> applied) {
        if (applied.ok()) {
          absl::MutexLock lock(&mu_);
          if (applied->server.listen != current_.server.listen ||
              applied->server.database != current_.server.database) {
            spdlog::warn("config reload: server.listen and server.database take effect on restart");
          }
          current_ = *applied;
          spdlog::info("config reloaded from {} (sha256 {})", current_.file, current_.hash);
        } else {
          spdlog::warn("config reload refused; the running config stays: {}",
                       std::string(applied.status().message()));
        }
        done(std::move(applied));
      });
}

}  // namespace acd::runtime
