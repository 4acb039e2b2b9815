// Daemon: an acdd instance: config, store, runtime, gRPC server and HTTP
// front wired together. main() runs one; tests start one in-process on port 0.
//
// Health (grpc.health.v1, overall "" and every service): SERVING while the
// store commits; NOT_SERVING from a failed commit until one succeeds again
// (Runtime: changes are refused meanwhile), and from Shutdown() on. The HTTP
// front (server.http) says the same on /readyz (200, or 503 with the reason:
// restoring, store unavailable, shutting down); /healthz is 200 while the
// process runs; /metrics has the Prometheus metrics. It starts before the
// store is opened, so probes are answered during a long restore.
//
// systemd (systemd_notify.h): READY=1 once serving, STATUS= lines as that
// changes, RELOADING=1 / READY=1 around Reload(), STOPPING=1 at Shutdown(),
// and WATCHDOG=1 from the engine thread when systemd asks for a watchdog.
//
// Thread safety: Start() returns a running daemon. Reload() may be called from
// any thread; Shutdown() by the owner (the destructor calls it).
#ifndef ACD_SERVER_APP_DAEMON_H_
#define ACD_SERVER_APP_DAEMON_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/app/daemon_metrics.h"
#include "server/base/mutex.h"
#include "server/config/config.h"
#include "server/http/http_server.h"
#include "server/http/queue_metrics.h"
#include "server/rpc/request_observer.h"
#include "server/rpc/services.h"
#include "server/runtime/config_manager.h"
#include "server/base/time_system.h"
#include "server/runtime/runtime.h"
#include "server/store/event_log.h"
#include "server/store/event_store.h"
#include "server/store/event_reader.h"
#include "server/store/report_reader.h"

namespace acd::app {

struct DaemonOptions {
  std::string config_path{};
  // Override server.listen / server.database from the file when not empty.
  std::string listen{};
  std::string database{};
  // Overrides server.http when not empty.
  std::string http{};
  // Listen on a non-loopback address with no auth configured (exposure.h).
  bool insecure = false;
  // Runs with the config as loaded, before anything else starts (and before
  // anything is logged), then with each config a reload applies: main()
  // sets the log level and format from it.
  std::function<void(const config::Config&)> on_config = nullptr;
  // Where the engine's time, its timers and the store's retries come from;
  // null: the machine's (RealTimeSystem). Tests pass a simulated one and
  // advance it. Must outlive the daemon.
  TimeSystem* time_system = nullptr;

  // Test hooks. `wrap_event_log` wraps the opened store before the runtime
  // takes it (fault injection); `store_retry_backoff_max` caps the wait
  // between retries of a failed commit (default 1s); `kpi_checkpoint_every`
  // sets RuntimeOptions' (default 1 min).
  std::function<std::unique_ptr<store::EventLog>(std::unique_ptr<store::EventStore>)>
      wrap_event_log = nullptr;
  std::optional<absl::Duration> store_retry_backoff_max = std::nullopt;
  std::optional<absl::Duration> kpi_checkpoint_every = std::nullopt;
};

class Daemon {
 public:
  // Loads the config (INVALID_ARGUMENT listing every problem), checks that
  // it may listen where it asks (FAILED_PRECONDITION, see exposure.h), opens
  // the store, applies the config and starts serving (with TLS when
  // server.tls is set).
  static absl::StatusOr<std::unique_ptr<Daemon>> Start(const DaemonOptions& options);
  ~Daemon();

  // The port actually bound (useful with port 0), and host:port.
  int port() const { return port_; }
  // The HTTP front's port; 0 when server.http is off.
  int http_port() const;
  std::string address() const;
  const config::Config& startup_config() const { return startup_config_; }

  // Re-reads the config file (SIGHUP). Logs the outcome.
  void Reload();

  // The answer of /readyz: OK when serving, else UNAVAILABLE saying why.
  absl::Status Readiness() const;

  // Stops taking calls (UNAVAILABLE; health NOT_SERVING), ends streams
  // (UNAVAILABLE), lets in-flight calls finish and commits the store, all
  // within `grace` (default: server.shutdown_grace of the running config),
  // give or take one store transaction under way. Returns OK when every event
  // was committed, else the error naming those that were not (the store kept
  // failing). Idempotent: later calls return the same.
  absl::Status Shutdown(std::optional<absl::Duration> grace = std::nullopt);

 private:
  Daemon() = default;

  // Starts the HTTP front on config.server.http (before the store opens).
  absl::Status StartHttp(const config::Config& config);
  // Builds the pieces of /metrics once the runtime and services exist.
  void StartMetrics(int64_t first_seq, absl::Duration restore);
  http::HttpResponse MetricsPage() const;
  // "serving on ...; database ...; config sha256 ..." for STATUS= lines.
  std::string ServingStatus() const;
  // Engine thread: the store turned (un)healthy.
  void OnStoreHealth(bool healthy, const absl::Status& status);
  void UpdateHealthLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(health_mu_);

  config::Config startup_config_;
  std::function<void(const config::Config&)> on_config_;
  std::string host_;
  int port_ = 0;
  TimeSystem* time_ = &RealTimeSystem::Get();
  // The instruments kept up to date (gRPC, store commits, startup) when
  // server.http is on; before the runtime and the observer that write them.
  std::unique_ptr<prometheus::Registry> registry_;
  std::unique_ptr<runtime::Runtime> runtime_;
  std::unique_ptr<runtime::ConfigManager> config_;
  // Outlive the services and server_ (declared before them).
  std::unique_ptr<store::ReportReader> reports_;
  std::unique_ptr<store::EventReader> events_;
  std::unique_ptr<rpc::Authorizer> auth_;
  std::unique_ptr<rpc::StreamLimiter> streams_;
  std::unique_ptr<rpc::CallServiceImpl> call_service_;
  std::unique_ptr<rpc::AgentServiceImpl> agent_service_;
  std::unique_ptr<rpc::AdminServiceImpl> admin_service_;
  std::unique_ptr<rpc::RequestObserver> requests_;
  std::unique_ptr<grpc::Server> server_;
  bool shut_down_ = false;
  absl::Status shutdown_status_;

  // Metrics, when server.http is on: the collectors that read them at scrape
  // time (the instruments kept up to date are in registry_).
  std::unique_ptr<DaemonMetrics> daemon_metrics_;
  std::unique_ptr<http::QueueCollector> queue_metrics_;
  // Set once Start has built everything (auth_, the collectors) and acdd
  // serves: what the HTTP threads, running since before, may then read.
  std::atomic<bool> started_{false};
  std::unique_ptr<http::HttpServer> http_;

  mutable Mutex health_mu_;
  grpc::HealthCheckServiceInterface* health_ ABSL_GUARDED_BY(health_mu_) = nullptr;
  bool store_healthy_ ABSL_GUARDED_BY(health_mu_) = true;
  absl::Status store_error_ ABSL_GUARDED_BY(health_mu_);
  bool stopping_ ABSL_GUARDED_BY(health_mu_) = false;
};

}  // namespace acd::app

#endif  // ACD_SERVER_APP_DAEMON_H_
