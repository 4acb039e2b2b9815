// acdd: the acd daemon. Flags, logging and signals; Daemon does the rest.
#include <asio.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "CLI/CLI.hpp"
#include "server/app/daemon.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace {

void SetUpLogging(const std::string& level, const std::string& format) {
  auto logger = spdlog::stderr_color_mt("acdd");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
  if (format == "json") {
    spdlog::set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%f%z","level":"%l","thread":%t,"msg":"%v"})");
  } else {
    spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "acdd: the acd call distribution daemon.\n"
      "Serves CallService, AgentService and AdminService over gRPC and keeps every\n"
      "state change in SQLite. SIGHUP reloads the config; SIGINT/SIGTERM stop cleanly\n"
      "within server.shutdown_grace (exit 0; 1 if the store failed and events were not\n"
      "committed)."};
  acd::app::DaemonOptions options;
  options.config_path = "config/acd.yaml";
  std::string port_file;
  std::string log_level;
  app.add_option("-c,--config", options.config_path, "Config file (YAML)")->capture_default_str();
  app.add_option("--listen", options.listen,
                 "Address to serve on, host:port (port 0 picks a free one); overrides "
                 "server.listen");
  app.add_option("--db", options.database, "SQLite database file; overrides server.database");
  app.add_option("--port-file", port_file,
                 "Write the bound port to this file once serving (for scripts and tests)");
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

  SetUpLogging(log_level.empty() ? "info" : log_level, "text");
  absl::StatusOr<std::unique_ptr<acd::app::Daemon>> daemon = acd::app::Daemon::Start(options);
  if (!daemon.ok()) {
    spdlog::error("acdd cannot start: {}", std::string(daemon.status().message()));
    return 1;
  }
  const acd::config::ServerConfig& server = (*daemon)->startup_config().server;
  if (log_level.empty()) spdlog::set_level(spdlog::level::from_str(server.log_level));
  if (server.log_format == "json")
    SetUpLogging(log_level.empty() ? server.log_level : log_level, "json");

  if (!port_file.empty()) {
    std::ofstream out(port_file + ".tmp");
    out << (*daemon)->port() << "\n";
    out.close();
    std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  }

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
