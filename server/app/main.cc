// acdd: the acd daemon. Flags, logging and signals; Daemon does the rest.
#include <asio.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "CLI/CLI.hpp"
#include "server/app/daemon.h"
#include "server/app/logging.h"
#include "server/app/process_tuning.h"
#include "spdlog/spdlog.h"

namespace {

// Writes `port` to `path` atomically (a reader never sees a partial file).
void WritePortFile(const std::string& path, int port) {
  if (path.empty()) return;
  std::ofstream out(path + ".tmp");
  out << port << "\n";
  out.close();
  std::rename((path + ".tmp").c_str(), path.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  acd::app::TuneProcess();
  CLI::App app{
      "acdd: the acd call distribution daemon.\n"
      "Serves CallService, AgentService and AdminService over gRPC and keeps every\n"
      "state change in SQLite; with server.http, serves /metrics, /healthz and /readyz\n"
      "over HTTP. SIGHUP reloads the config; SIGINT/SIGTERM stop cleanly within\n"
      "server.shutdown_grace (exit 0; 1 if the store failed and events were not\n"
      "committed). Under systemd (deploy/acdd.service, Type=notify) it reports\n"
      "readiness and status and pings the watchdog from its engine thread."};
  acd::app::DaemonOptions options;
  options.config_path = "config/acd.yaml";
  std::string port_file;
  std::string http_port_file;
  std::string log_level;
  app.add_option("-c,--config", options.config_path, "Config file (YAML)")->capture_default_str();
  app.add_option("--listen", options.listen,
                 "Address to serve on, host:port (port 0 picks a free one); overrides "
                 "server.listen");
  app.add_option("--db", options.database, "SQLite database file; overrides server.database");
  app.add_option("--http", options.http,
                 "Address of the HTTP front (/metrics, /healthz, /readyz), host:port; overrides "
                 "server.http");
  app.add_option("--port-file", port_file,
                 "Write the bound port to this file once serving (for scripts and tests)");
  app.add_option("--http-port-file", http_port_file,
                 "Write the HTTP front's bound port to this file once serving");
  app.add_flag("--insecure", options.insecure,
               "Allow listening on a non-loopback address with no auth configured (anyone who "
               "can reach the port may do anything); without it acdd refuses to start so");
  app.add_option("--log-level", log_level,
                 "trace|debug|info|warn|error; overrides server.log_level")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  CLI11_PARSE(app, argc, argv);

  // Block the stop signals before any thread starts, so only the waiter below sees them.
  asio::io_context signals_io;
  asio::signal_set signals(signals_io, SIGINT, SIGTERM, SIGHUP);

  // Text until the config says otherwise; then its level (unless
  // --log-level) and format, at start and at each reload.
  acd::app::ConfigureLogging("text",
                             spdlog::level::from_str(log_level.empty() ? "info" : log_level));
  options.on_config = [log_level](const acd::config::Config& config) {
    acd::app::ConfigureLogging(
        config.server.log_format,
        spdlog::level::from_str(log_level.empty() ? config.server.log_level : log_level));
  };
  absl::StatusOr<std::unique_ptr<acd::app::Daemon>> daemon = acd::app::Daemon::Start(options);
  if (!daemon.ok()) {
    spdlog::error("acdd cannot start: {}", std::string(daemon.status().message()));
    return 1;
  }
  WritePortFile(port_file, (*daemon)->port());
  WritePortFile(http_port_file, (*daemon)->http_port());

  absl::Status stopped;
  std::function<void()> wait_for_signal = [&] {
    signals.async_wait([&](const asio::error_code& ec, int signo) {
      if (ec) return;
      if (signo == SIGHUP) {
        spdlog::info("SIGHUP: reloading {}", (*daemon)->startup_config().file);
        (*daemon)->Reload();
        wait_for_signal();
        return;
      }
      spdlog::info("{}: stopping", signo == SIGINT ? "SIGINT" : "SIGTERM");
      stopped = (*daemon)->Shutdown();
    });
  };
  wait_for_signal();
  signals_io.run();
  // Shutdown logged what was not committed; the exit code tells supervisors.
  return stopped.ok() ? 0 : 1;
}
