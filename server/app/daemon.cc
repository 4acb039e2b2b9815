#include "server/app/daemon.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <future>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace acd::app {
namespace {

// HTTP/2 streams one connection may have open at once (calls in flight plus
// open server streams); a client's further calls wait for a free one.
constexpr int kMaxStreamsPerConnection = 100;

// "host:port" -> host, for reporting the bound address.
std::string HostOf(const std::string& listen) {
  size_t colon = listen.rfind(':');
  return colon == std::string::npos ? listen : listen.substr(0, colon);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Daemon>> Daemon::Start(const DaemonOptions& options) {
  config::ParseOutcome outcome = config::LoadConfigFile(options.config_path);
  if (!outcome.ok()) return config::ProblemsToStatus(outcome.problems);
  config::Config config = std::move(*outcome.config);
  // Reloads compare against the file as written, not against the flags.
  config::Config as_written = config;
  if (!options.listen.empty()) config.server.listen = options.listen;
  if (!options.database.empty()) config.server.database = options.database;

  std::unique_ptr<Daemon> daemon(new Daemon());
  daemon->startup_config_ = config;

  store::StoreOptions store_options;
  store_options.synchronous_full = config.server.synchronous == config::SyncMode::kFull;
  absl::StatusOr<std::unique_ptr<store::EventStore>> store =
      store::EventStore::Open(config.server.database, store_options);
  if (!store.ok()) return store.status();
  // Applied configs reach config_versions with their config_applied event.
  auto journal = std::make_shared<store::ConfigJournal>();
  (*store)->set_config_journal(journal);
  // Reports and resumed event streams read the file over connections of
  // their own (WAL lets them read while the store thread writes). An
  // in-memory database has no file to share.
  if (config.server.database != ":memory:") {
    absl::StatusOr<std::unique_ptr<store::ReportReader>> reports =
        store::ReportReader::Open(config.server.database, store_options.busy_timeout);
    if (!reports.ok()) return reports.status();
    daemon->reports_ = std::move(*reports);
    absl::StatusOr<std::unique_ptr<store::EventReader>> events =
        store::EventReader::Open(config.server.database, store_options.busy_timeout);
    if (!events.ok()) return events.status();
    daemon->events_ = std::move(*events);
  } else {
    spdlog::warn("database is :memory:; GetReport and resuming WatchEvents are unavailable");
  }

  runtime::RuntimeOptions runtime_options;
  runtime_options.ack_committed = config.server.ack == config::AckMode::kCommitted;
  runtime_options.store = store_options;
  absl::StatusOr<std::unique_ptr<runtime::Runtime>> runtime =
      runtime::Runtime::Create(runtime_options, std::move(*store), &daemon->clock_);
  if (!runtime.ok()) return runtime.status();
  daemon->runtime_ = std::move(*runtime);
  daemon->runtime_->Start();

  // The first config goes through the engine like any reload, and is recorded
  // like one.
  std::promise<absl::Status> applied;
  daemon->runtime_->Execute<bool>(
      [&config, &journal](core::Engine& engine, absl::Time now) -> absl::StatusOr<bool> {
        if (absl::Status s = runtime::ApplyToEngine(engine, config, now, journal.get()); !s.ok()) {
          return s;
        }
        return true;
      },
      [&applied](absl::StatusOr<bool> r) { applied.set_value(r.status()); });
  if (absl::Status s = applied.get_future().get(); !s.ok()) return s;
  daemon->config_ =
      std::make_unique<runtime::ConfigManager>(daemon->runtime_.get(), as_written, journal);

  daemon->streams_ =
      std::make_unique<rpc::StreamLimiter>(static_cast<int>(config.server.max_streams));
  daemon->call_service_ = std::make_unique<rpc::CallServiceImpl>(
      daemon->runtime_.get(), daemon->events_.get(), daemon->streams_.get());
  daemon->agent_service_ =
      std::make_unique<rpc::AgentServiceImpl>(daemon->runtime_.get(), daemon->streams_.get());
  daemon->admin_service_ =
      std::make_unique<rpc::AdminServiceImpl>(daemon->runtime_.get(), daemon->config_.get(),
                                              daemon->reports_.get(), daemon->streams_.get());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.server.listen, grpc::InsecureServerCredentials(), &daemon->port_);
  // Larger requests get RESOURCE_EXHAUSTED from gRPC before any handler runs.
  builder.SetMaxReceiveMessageSize(static_cast<int>(config.server.max_message_bytes));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, kMaxStreamsPerConnection);
  builder.RegisterService(daemon->call_service_.get());
  builder.RegisterService(daemon->agent_service_.get());
  builder.RegisterService(daemon->admin_service_.get());
  daemon->server_ = builder.BuildAndStart();
  if (daemon->server_ == nullptr || daemon->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config.server.listen,
                                               " (address in use, or not a valid host:port?)"));
  }
  daemon->host_ = HostOf(config.server.listen);
  daemon->server_->GetHealthCheckService()->SetServingStatus(true);
  spdlog::info("acdd serving on {} (database {}, config {}, sha256 {})", daemon->address(),
               config.server.database, config.file, config.hash);
  return daemon;
}

Daemon::~Daemon() { Shutdown(); }

std::string Daemon::address() const { return absl::StrCat(host_, ":", port_); }

void Daemon::Reload() {
  config_->Reload([](absl::StatusOr<config::Config>) {});
}

void Daemon::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  if (server_ != nullptr) {
    spdlog::info("acdd shutting down");
    server_->GetHealthCheckService()->SetServingStatus(false);
  }
  if (runtime_ != nullptr) {
    // New commands get UNAVAILABLE; streams end; admitted calls get their
    // (committed) replies.
    runtime_->Drain();
    runtime_->CloseSubscribers();
    if (!runtime_->WaitIdle(grace))
      spdlog::warn("shutdown: calls still in flight after {}", absl::FormatDuration(grace));
  }
  // Nothing is in flight now, so no grace: gRPC would otherwise wait for idle
  // client connections to go away.
  if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
  if (runtime_ != nullptr) runtime_->Stop();
  if (server_ != nullptr) {
    spdlog::info("acdd stopped; store committed up to seq {}", runtime_->committed_seq());
  }
}

}  // namespace acd::app
