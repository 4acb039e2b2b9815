#include "server/app/daemon.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <future>
#include <iterator>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "prometheus/text_serializer.h"
#include "server/app/exposure.h"
#include "server/app/systemd_notify.h"
#include "server/store/event_reader.h"
#include "server/store/live_state.h"
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

// Rebuilds the live KPIs at start-up from the stored events (up to
// `last_seq`) they still count, those from today's local midnight or the
// window start; or, when the store holds a checkpoint taken since then, from
// the checkpoint and the events after it.
absl::Status ReplayStats(store::sqlite::Database& db, const config::Config& config,
                         int64_t last_seq, runtime::Runtime& runtime) {
  constexpr int kChunk = 4096;
  core::LiveStats probe;
  absl::Time now = runtime.Now();
  probe.Configure(config.routing, runtime::LiveStatsOptionsFor(config.server), now);
  absl::StatusOr<int64_t> from = store::FirstSeqAtOrAfter(db, probe.Horizon(now));
  if (!from.ok()) return from.status();
  absl::StatusOr<std::optional<store::StoredKpiCheckpoint>> checkpoint =
      store::LoadKpiCheckpoint(db);
  if (!checkpoint.ok()) {
    spdlog::warn("{}; replaying the day's events instead",
                 std::string(checkpoint.status().message()));
  } else if (*checkpoint && (*checkpoint)->seq <= last_seq && (*checkpoint)->seq + 1 >= *from) {
    spdlog::info("live KPIs: resuming from the checkpoint at seq {}", (*checkpoint)->seq);
    from = (*checkpoint)->seq + 1;
    runtime.ResumeStats(std::move((*checkpoint)->checkpoint));
  }
  int64_t fed = 0;
  // A chunk is read and decoded here while the engine thread feeds the one
  // before: the two halves of the work run on both cores.
  std::future<void> feeding;
  for (int64_t seq = *from; seq <= last_seq;) {
    absl::StatusOr<std::vector<core::Event>> events =
        store::ReadEvents(db, {.after_seq = seq - 1, .up_to_seq = last_seq, .limit = kChunk});
    if (!events.ok()) {
      if (feeding.valid()) feeding.wait();
      return events.status();
    }
    if (events->empty()) break;
    seq = events->back().seq + 1;
    fed += static_cast<int64_t>(events->size());
    if (feeding.valid()) feeding.wait();
    feeding = runtime.ReplayStats(std::move(*events));
  }
  if (feeding.valid()) feeding.wait();
  if (fed > 0) spdlog::info("live KPIs: replayed {} stored events from seq {}", fed, *from);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Daemon>> Daemon::Start(const DaemonOptions& options) {
  config::ParseOutcome outcome = config::LoadConfigFile(options.config_path);
  if (!outcome.ok()) return config::ProblemsToStatus(outcome.problems);
  config::Config config = std::move(*outcome.config);
  if (options.on_config) options.on_config(config);
  // Reloads compare against the file as written, not against the flags.
  config::Config as_written = config;
  if (!options.listen.empty()) config.server.listen = options.listen;
  if (!options.database.empty()) config.server.database = options.database;
  if (!options.http.empty()) config.server.http = options.http;
  if (absl::Status s = CheckExposure(config, options.insecure); !s.ok()) return s;
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeCredentials(config.server.tls);
  if (!credentials.ok()) return credentials.status();

  std::unique_ptr<Daemon> daemon(new Daemon());
  daemon->startup_config_ = config;
  daemon->on_config_ = options.on_config;
  if (options.time_system != nullptr) daemon->time_ = options.time_system;
  if (!config.server.http.empty()) {
    if (absl::Status s = daemon->StartHttp(config); !s.ok()) return s;
  }
  NotifySystemd(StatusLine(absl::StrCat("restoring the live state from ", config.server.database)));
  const auto restore_started = std::chrono::steady_clock::now();

  store::StoreOptions store_options;
  if (daemon->registry_ != nullptr) {
    store_options.observe_commit = MakeCommitObserver(*daemon->registry_);
  }
  store_options.synchronous_full = config.server.synchronous == config::SyncMode::kFull;
  if (options.store_retry_backoff_max) {
    store_options.retry_backoff_max = *options.store_retry_backoff_max;
    store_options.retry_backoff_min =
        std::min(store_options.retry_backoff_min, store_options.retry_backoff_max);
  }
  absl::StatusOr<std::unique_ptr<store::EventStore>> store =
      store::EventStore::Open(config.server.database, store_options);
  if (!store.ok()) return store.status();
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

  // What the last run left live (README "Crash recovery"), read before this
  // run writes anything: an in-memory database starts empty.
  absl::StatusOr<int64_t> stored_seq = (*store)->LastSeq();
  if (!stored_seq.ok()) return stored_seq.status();
  std::optional<store::sqlite::Database> history;
  runtime::RuntimeOptions runtime_options;
  runtime_options.ack_committed = config.server.ack == config::AckMode::kCommitted;
  runtime_options.store = store_options;
  if (options.kpi_checkpoint_every) {
    runtime_options.kpi_checkpoint_every = *options.kpi_checkpoint_every;
  }
  std::optional<core::RestoredState> restored;
  if (config.server.database != ":memory:") {
    absl::StatusOr<store::sqlite::Database> db = store::OpenReadConnection(
        config.server.database, store_options.busy_timeout, "restoring the live state");
    if (!db.ok()) return db.status();
    std::vector<std::string> queues;
    for (const core::QueueConfig& q : config.routing.queues) queues.push_back(q.name);
    absl::StatusOr<core::RestoredState> state = store::LoadLiveState(
        *db, queues,
        {.finished_calls = std::min(store::LiveStateLimits{}.finished_calls,
                                    runtime_options.engine.max_finished_calls)});
    if (!state.ok()) return state.status();
    restored = std::move(*state);
    history = std::move(*db);
  }

  std::unique_ptr<store::EventLog> log =
      options.wrap_event_log ? options.wrap_event_log(std::move(*store)) : std::move(*store);
  absl::StatusOr<std::unique_ptr<runtime::Runtime>> runtime =
      runtime::Runtime::Create(runtime_options, std::move(log), daemon->time_);
  if (!runtime.ok()) return runtime.status();
  daemon->runtime_ = std::move(*runtime);
  Daemon* self = daemon.get();
  daemon->runtime_->set_store_health_listener(
      [self](bool healthy, const absl::Status& status) { self->OnStoreHealth(healthy, status); });
  // From the engine thread: a stuck engine stops the pings, and systemd
  // restarts acdd.
  if (std::optional<absl::Duration> every = WatchdogInterval()) {
    daemon->runtime_->SetHeartbeat(*every, [] { NotifySystemd("WATCHDOG=1"); });
  }
  daemon->runtime_->Start();

  // Live KPIs first (configured, then fed the stored events they still
  // count), so they see events in time order.
  daemon->config_ = std::make_unique<runtime::ConfigManager>(daemon->runtime_.get(), as_written);
  if (history.has_value()) {
    if (absl::Status s = ReplayStats(*history, config, *stored_seq, *daemon->runtime_); !s.ok()) {
      return s;
    }
  }

  // The first config goes through the engine like any reload, and is recorded
  // like one; then the restored state goes back in.
  std::promise<absl::Status> applied;
  daemon->runtime_->Execute<bool>(
      [&config, &restored, self](core::Engine& engine, absl::Time now) -> absl::StatusOr<bool> {
        if (absl::Status s = runtime::ApplyToEngine(*self->runtime_, engine, config, now);
            !s.ok()) {
          return s;
        }
        if (restored.has_value()) {
          if (absl::Status s = engine.Restore(*restored, now); !s.ok()) {
            return absl::Status(s.code(), absl::StrCat("restoring the live state from '",
                                                       config.server.database, "': ", s.message()));
          }
        }
        return true;
      },
      [&applied](absl::StatusOr<bool> r) { applied.set_value(r.status()); });
  if (absl::Status s = applied.get_future().get(); !s.ok()) return s;
  if (restored.has_value() && (!restored->calls.empty() || !restored->agents.empty())) {
    spdlog::info("restored {} live calls and {} agents from '{}' (up to seq {})",
                 restored->calls.size(), restored->agents.size(), config.server.database,
                 *stored_seq);
  }

  const absl::Duration restore_took =
      absl::FromChrono(std::chrono::steady_clock::now() - restore_started);

  daemon->auth_ = std::make_unique<rpc::Authorizer>(config.auth.tokens);
  // Reloads swap in the tokens of the new config (and its tokens_file).
  daemon->config_->SetOnApplied([self](const config::Config& applied) {
    self->auth_->SetTokens(applied.auth.tokens);
    if (self->on_config_) self->on_config_(applied);
  });
  rpc::Authorizer* auth = daemon->auth_.get();
  daemon->streams_ =
      std::make_unique<rpc::StreamLimiter>(static_cast<int>(config.server.max_streams),
                                           static_cast<size_t>(config.server.stream_buffer));
  rpc::StreamLimiter* streams = daemon->streams_.get();
  daemon->call_service_ = std::make_unique<rpc::CallServiceImpl>(daemon->runtime_.get(), auth,
                                                                 daemon->events_.get(), streams);
  daemon->agent_service_ =
      std::make_unique<rpc::AgentServiceImpl>(daemon->runtime_.get(), auth, streams);
  daemon->admin_service_ = std::make_unique<rpc::AdminServiceImpl>(
      daemon->runtime_.get(), auth, daemon->config_.get(), daemon->reports_.get(), streams);

  daemon->requests_ = std::make_unique<rpc::RequestObserver>(daemon->registry_.get());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> observers;
  observers.push_back(daemon->requests_->NewInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(observers));
  builder.AddListeningPort(config.server.listen, *credentials, &daemon->port_);
  // Larger requests get RESOURCE_EXHAUSTED from gRPC before any handler runs.
  builder.SetMaxReceiveMessageSize(static_cast<int>(config.server.max_message_bytes));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, kMaxStreamsPerConnection);
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
  if (daemon->registry_ != nullptr) daemon->StartMetrics(*stored_seq, restore_took);
  daemon->started_.store(true, std::memory_order_release);
  {
    MutexLock lock(&daemon->health_mu_);
    daemon->health_ = daemon->server_->GetHealthCheckService();
    daemon->UpdateHealthLocked();
  }
  spdlog::info("acdd serving on {} (database {}, config {}, sha256 {}; {}, {}; HTTP {})",
               daemon->address(), config.server.database, config.file, config.hash,
               config.server.tls.enabled() ? (config.server.tls.client_ca.empty() ? "TLS" : "mTLS")
                                           : "plaintext",
               config.auth.enabled() ? absl::StrCat(config.auth.tokens.size(), " auth token(s)")
                                     : std::string("auth off"),
               daemon->http_ != nullptr
                   ? absl::StrCat(HostOf(config.server.http), ":", daemon->http_port())
                   : std::string("off"));
  NotifySystemd(absl::StrCat("READY=1\n", StatusLine(daemon->ServingStatus())));
  return daemon;
}

absl::Status Daemon::StartHttp(const config::Config& config) {
  registry_ = std::make_unique<prometheus::Registry>();
  http::HttpServer::Options options;
  options.listen = config.server.http;
  // /metrics takes the tokens that may watch the queues' stats (any caller
  // while auth is off); the tokens are known once Start has built them.
  options.authorize = [this](std::optional<absl::string_view> authorization) -> absl::Status {
    if (!started_.load(std::memory_order_acquire)) {
      return absl::UnavailableError("acdd is starting: restoring its live state");
    }
    return auth_->Authorize(authorization, "/acd.v1.AdminService/WatchStats", "").status();
  };
  std::map<std::string, http::HttpRoute> routes;
  routes["/healthz"] = {.handler = [] { return http::HttpResponse{.body = "ok\n"}; }};
  routes["/readyz"] = {.handler = [this] {
    absl::Status ready = Readiness();
    return http::HttpResponse{.status = ready.ok() ? 200 : 503,
                              .body = absl::StrCat(ready.ok() ? "ready" : ready.message(), "\n")};
  }};
  routes["/metrics"] = {.handler = [this] { return MetricsPage(); }, .needs_auth = true};
  absl::StatusOr<std::unique_ptr<http::HttpServer>> server =
      http::HttpServer::Start(std::move(options), std::move(routes));
  if (!server.ok()) return server.status();
  http_ = std::move(*server);
  return absl::OkStatus();
}

void Daemon::StartMetrics(int64_t first_seq, absl::Duration restore) {
  RecordStartup(*registry_, restore);
  daemon_metrics_ =
      std::make_unique<DaemonMetrics>(runtime_.get(), config_.get(), streams_.get(), first_seq);
  queue_metrics_ = std::make_unique<http::QueueCollector>(runtime_.get());
}

http::HttpResponse Daemon::MetricsPage() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  if (started_.load(std::memory_order_acquire)) {
    for (const prometheus::Collectable* source :
         {static_cast<const prometheus::Collectable*>(daemon_metrics_.get()),
          static_cast<const prometheus::Collectable*>(queue_metrics_.get())}) {
      std::vector<prometheus::MetricFamily> more = source->Collect();
      std::move(more.begin(), more.end(), std::back_inserter(families));
    }
  }
  return http::HttpResponse{.content_type = "text/plain; version=0.0.4; charset=utf-8",
                            .body = prometheus::TextSerializer().Serialize(families)};
}

int Daemon::http_port() const { return http_ != nullptr ? http_->port() : 0; }

std::string Daemon::ServingStatus() const {
  return absl::StrCat("serving on ", address(), "; database ", startup_config_.server.database,
                      "; config sha256 ", config_->current_hash().substr(0, 12));
}

absl::Status Daemon::Readiness() const {
  MutexLock lock(&health_mu_);
  if (stopping_) return absl::UnavailableError("shutting down");
  if (!started_.load(std::memory_order_acquire)) {
    return absl::UnavailableError(
        absl::StrCat("starting: restoring the live state from ", startup_config_.server.database));
  }
  if (!store_healthy_) {
    return absl::UnavailableError(absl::StrCat(
        "store unavailable, changes refused until it recovers: ", store_error_.message()));
  }
  return absl::OkStatus();
}

Daemon::~Daemon() { Shutdown().IgnoreError(); }

std::string Daemon::address() const { return absl::StrCat(host_, ":", port_); }

void Daemon::Reload() {
  NotifySystemd(absl::StrCat(ReloadingState(), "\n",
                             StatusLine(absl::StrCat("reloading ", config_->path()))));
  config_->Reload([this](absl::StatusOr<config::Config> applied) {
    std::string status = ServingStatus();
    if (!applied.ok()) {
      absl::StrAppend(&status, "; last reload refused: ", applied.status().message());
    }
    NotifySystemd(absl::StrCat("READY=1\n", StatusLine(status)));
  });
}

void Daemon::OnStoreHealth(bool healthy, const absl::Status& status) {
  {
    MutexLock lock(&health_mu_);
    store_healthy_ = healthy;
    store_error_ = status;
    UpdateHealthLocked();
  }
  NotifySystemd(StatusLine(
      healthy ? std::string("store commits resumed; serving")
              : absl::StrCat("store unavailable, refusing changes: ", status.message())));
}

void Daemon::UpdateHealthLocked() {
  if (health_ == nullptr) return;
  const bool serving = store_healthy_ && !stopping_;
  // The server as a whole ("") and each service by name, so a probe of
  // either kind sees the same.
  for (const char* service :
       {"", v1::CallService::service_full_name(), v1::AgentService::service_full_name(),
        v1::AdminService::service_full_name()}) {
    health_->SetServingStatus(service, serving);
  }
}

absl::Status Daemon::Shutdown(std::optional<absl::Duration> grace) {
  if (shut_down_) return shutdown_status_;
  shut_down_ = true;
  if (!grace)
    grace = config_ != nullptr ? config_->current().server.shutdown_grace
                               : startup_config_.server.shutdown_grace;
  const absl::Time deadline = time_->Now() + *grace;
  if (server_ != nullptr) {
    spdlog::info("acdd shutting down (grace {})", absl::FormatDuration(*grace));
    NotifySystemd(absl::StrCat(
        "STOPPING=1\n",
        StatusLine(absl::StrCat("stopping (grace ", absl::FormatDuration(*grace), ")"))));
  }
  {
    MutexLock lock(&health_mu_);
    stopping_ = true;
    UpdateHealthLocked();
  }
  if (runtime_ != nullptr) {
    // New commands get UNAVAILABLE; streams end; admitted calls get their
    // (committed) replies.
    runtime_->Drain();
    runtime_->CloseSubscribers();
    if (!runtime_->WaitIdle(deadline - time_->Now()))
      spdlog::warn("shutdown: calls still in flight after {}", absl::FormatDuration(*grace));
  }
  // Nothing is in flight now, so no grace: gRPC would otherwise wait for idle
  // client connections to go away, and cancels what is left (a stream whose
  // client stopped reading).
  if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
  if (runtime_ != nullptr) {
    // A failing store is retried until the deadline, no longer.
    shutdown_status_ = runtime_->Stop(deadline);
    if (!shutdown_status_.ok()) {
      spdlog::error("acdd stopped with events NOT committed: {}",
                    std::string(shutdown_status_.message()));
    } else if (server_ != nullptr) {
      spdlog::info("acdd stopped; store committed up to seq {}", runtime_->committed_seq());
    }
  }
  // Its handlers read the runtime and the services: gone before they are.
  http_.reset();
  return shutdown_status_;
}

}  // namespace acd::app
