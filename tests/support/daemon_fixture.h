// DaemonFixture: a gtest fixture base for tests that talk real gRPC to a real
// acdd (app::Daemon) in this process, listening on 127.0.0.1 port 0, with its
// config (acd.yaml) and SQLite file (acd.db) in a fresh temp dir.
//
// The daemon runs on the machine's time unless StartDaemon's options say
// `.time_system = &time_`: then its time, offer timeouts, limits and ticks
// move only when the test advances time_ (from kT0).
//
// Tests talk to it through client() (client.h), or stubs_ for what the client
// does not cover.
//
// A derived fixture calls StartDaemon, usually from SetUp; a test may stop the
// daemon and start it again on the same files (a restart). A failure to start
// is a fatal failure of the test: a caller that goes on after StartDaemon
// wraps it in ASSERT_NO_FATAL_FAILURE.
//
// Thread safety: as gtest fixtures, one test thread.
#ifndef ACD_TESTS_SUPPORT_DAEMON_FIXTURE_H_
#define ACD_TESTS_SUPPORT_DAEMON_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "server/app/daemon.h"
#include "tests/support/client.h"
#include "tests/support/simulated_time_system.h"
#include "tests/support/test_daemon.h"

namespace acd::testing {

class DaemonFixture : public ::testing::Test {
 protected:
  // Writes `config` to acd.yaml and starts acdd on it and acd.db. `options`
  // may carry test hooks; its config and database paths are set here.
  void StartDaemon(const std::string& config, app::DaemonOptions options = {}) {
    config_path_ = dir_.Write("acd.yaml", config);
    options.config_path = config_path_;
    options.database = db_path_;
    options_ = std::move(options);
    RestartDaemon();
  }

  // Starts acdd again as the last StartDaemon did, on the same files (the
  // config file as it is now).
  void RestartDaemon() {
    StopDaemon();
    absl::StatusOr<std::unique_ptr<app::Daemon>> d = app::Daemon::Start(options_);
    ASSERT_TRUE(d.ok()) << d.status();
    daemon_ = std::move(*d);
    stubs_ = std::make_unique<Stubs>(daemon_->address());
  }

  // A client of the running daemon (a new one after a restart).
  Client client() const { return Client(*stubs_); }

  // Drops the clients, then stops acdd (a clean shutdown).
  void StopDaemon() {
    stubs_.reset();
    daemon_.reset();
  }

  SimulatedTimeSystem time_;  // declared first: outlives the daemon
  TempDir dir_;
  std::string config_path_;
  const std::string db_path_ = dir_.File("acd.db");
  std::unique_ptr<app::Daemon> daemon_;
  std::unique_ptr<Stubs> stubs_;  // clients of daemon_, while it runs

 private:
  app::DaemonOptions options_;
};

}  // namespace acd::testing

#endif  // ACD_TESTS_SUPPORT_DAEMON_FIXTURE_H_
