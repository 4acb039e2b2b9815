#include "server/app/daemon.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <fstream>
#include <future>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "server/app/exposure.h"
#include "spdlog/spdlog.h"

namespace acd::app {
namespace {

// "host:port" -> host, for reporting the bound address.
std::string HostOf(const std::string& listen) {
  size_t colon = listen.rfind(':');
  return colon == std::string::npos ? listen : listen.substr(0, colon);
}

absl::StatusOr<std::string> ReadPem(const std::string& path, absl::string_view key) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) {
    return absl::FailedPreconditionError(absl::StrCat("cannot read ", key, " file ", path));
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// TLS (mTLS with a client CA) when server.tls is set, else plaintext.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeCredentials(
    const config::TlsConfig& tls) {
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  absl::StatusOr<std::string> cert = ReadPem(tls.cert, "server.tls.cert");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(tls.key, "server.tls.key");
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions options(
      tls.client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  if (!tls.client_ca.empty()) {
    absl::StatusOr<std::string> ca = ReadPem(tls.client_ca, "server.tls.client_ca");
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *std::move(ca);
  }
  options.pem_key_cert_pairs.push_back({*std::move(key), *std::move(cert)});
  return grpc::SslServerCredentials(options);
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
  if (absl::Status s = CheckExposure(config, options.insecure); !s.ok()) return s;
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeCredentials(config.server.tls);
  if (!credentials.ok()) return credentials.status();

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

  daemon->auth_ = std::make_unique<rpc::Authorizer>(config.auth.tokens);
  // Reloads swap in the tokens of the new config (and its tokens_file).
  daemon->config_->SetOnApplied([auth = daemon->auth_.get()](const config::Config& applied) {
    auth->SetTokens(applied.auth.tokens);
  });
  rpc::Authorizer* auth = daemon->auth_.get();
  daemon->call_service_ =
      std::make_unique<rpc::CallServiceImpl>(daemon->runtime_.get(), auth, daemon->events_.get());
  daemon->agent_service_ = std::make_unique<rpc::AgentServiceImpl>(daemon->runtime_.get(), auth);
  daemon->admin_service_ = std::make_unique<rpc::AdminServiceImpl>(
      daemon->runtime_.get(), auth, daemon->config_.get(), daemon->reports_.get());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.server.listen, *credentials, &daemon->port_);
  builder.RegisterService(daemon->call_service_.get());
  builder.RegisterService(daemon->agent_service_.get());
  builder.RegisterService(daemon->admin_service_.get());
  daemon->server_ = builder.BuildAndStart();
  if (daemon->server_ == nullptr || daemon->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", config.server.listen,
                     config.server.tls.enabled()
                         ? " (address in use, or server.tls cert and key not a valid PEM pair?)"
                         : " (address in use, or not a valid host:port?)"));
  }
  if (config.auth.enabled() && !config.server.tls.enabled() && !IsLoopback(config.server.listen)) {
    spdlog::warn("auth tokens cross the network in clear text on {}: configure server.tls",
                 config.server.listen);
  }
  daemon->host_ = HostOf(config.server.listen);
  daemon->server_->GetHealthCheckService()->SetServingStatus(true);
  spdlog::info("acdd serving on {} (database {}, config {}, sha256 {}; {}, {})", daemon->address(),
               config.server.database, config.file, config.hash,
               config.server.tls.enabled() ? (config.server.tls.client_ca.empty() ? "TLS" : "mTLS")
                                           : "plaintext",
               config.auth.enabled() ? absl::StrCat(config.auth.tokens.size(), " auth token(s)")
                                     : std::string("auth off"));
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
