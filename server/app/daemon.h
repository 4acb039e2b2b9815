// Daemon: an acdd instance: config, store, runtime and gRPC server wired
// together. main() runs one; tests start one in-process on port 0.
//
// Thread safety: Start() returns a running daemon. Reload() may be called from
// any thread; Shutdown() once, by the owner (the destructor calls it).
#ifndef ACD_SERVER_APP_DAEMON_H_
#define ACD_SERVER_APP_DAEMON_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/config/config.h"
#include "server/rpc/services.h"
#include "server/runtime/config_manager.h"
#include "server/runtime/runtime.h"
#include "server/store/event_reader.h"
#include "server/store/report_reader.h"

namespace acd::app {

struct DaemonOptions {
  std::string config_path{};
  // Override server.listen / server.database from the file when not empty.
  std::string listen{};
  std::string database{};
  // Listen on a non-loopback address with no auth configured (exposure.h).
  bool insecure = false;
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
  std::string address() const;
  const config::Config& startup_config() const { return startup_config_; }

  // Re-reads the config file (SIGHUP). Logs the outcome.
  void Reload();

  // Stops taking calls (health NOT_SERVING), ends streams, lets in-flight
  // calls finish within `grace`, commits the store and stops.
  void Shutdown(absl::Duration grace = absl::Seconds(5));

 private:
  Daemon() = default;

  config::Config startup_config_;
  std::string host_;
  int port_ = 0;
  runtime::RealClock clock_;
  std::unique_ptr<runtime::Runtime> runtime_;
  std::unique_ptr<runtime::ConfigManager> config_;
  // Outlive the services and server_ (declared before them).
  std::unique_ptr<store::ReportReader> reports_;
  std::unique_ptr<store::EventReader> events_;
  std::unique_ptr<rpc::Authorizer> auth_;
  std::unique_ptr<rpc::CallServiceImpl> call_service_;
  std::unique_ptr<rpc::AgentServiceImpl> agent_service_;
  std::unique_ptr<rpc::AdminServiceImpl> admin_service_;
  std::unique_ptr<grpc::Server> server_;
  bool shut_down_ = false;
};

}  // namespace acd::app

#endif  // ACD_SERVER_APP_DAEMON_H_
