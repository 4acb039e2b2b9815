// ChildServer: a gRPC server binary (acdd, or acd-noop-server) that acd-sim
// starts for one run: its config and database in a fresh temp dir, listening on
// 127.0.0.1 port 0, found through --port-file, stopped with SIGTERM.
//
// Thread safety: one owner. Ownership: the child process and the temp dir;
// the destructor kills a child still running and removes the dir (unless
// keep_dir() was asked for).
#ifndef ACD_CLIENT_ACD_SIM_CHILD_SERVER_H_
#define ACD_CLIENT_ACD_SIM_CHILD_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace acd::sim {

class ChildServer {
 public:
  // Runs `binary` with `args` followed by --port-file (and, when `config_yaml`
  // is not empty, --config and --db in the temp dir) and waits up to `timeout`
  // for the port. The temp dir is made in `parent_dir` (empty: $TMPDIR, else
  // /tmp). UNAVAILABLE with the child's log tail when it does not come up.
  static absl::StatusOr<std::unique_ptr<ChildServer>> Start(const std::string& binary,
                                                            std::vector<std::string> args,
                                                            const std::string& config_yaml,
                                                            absl::Duration timeout,
                                                            const std::string& parent_dir = "");
  ~ChildServer();

  ChildServer(const ChildServer&) = delete;
  ChildServer& operator=(const ChildServer&) = delete;

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& dir() const { return dir_; }
  // The running server's peak resident memory (VmHWM), in KiB; 0 if unknown.
  int64_t PeakRssKb() const;
  void keep_dir() { keep_dir_ = true; }

  // SIGTERM, then waits up to `grace` for a clean exit (SIGKILL after).
  // INTERNAL when the child did not exit 0.
  absl::Status Stop(absl::Duration grace = absl::Seconds(15));

  // Stops the server and starts it again on the same files; returns the time
  // from its start until it served (its port file appeared).
  absl::StatusOr<absl::Duration> Restart(absl::Duration timeout);

 private:
  ChildServer() = default;
  // Runs args_ and waits up to `timeout` for the port file.
  absl::Status Spawn(absl::Duration timeout);
  std::string LogTail() const;

  std::vector<std::string> args_;  // the binary first
  std::string dir_;
  pid_t pid_ = 0;
  int port_ = 0;
  bool keep_dir_ = false;
};

}  // namespace acd::sim

#endif  // ACD_CLIENT_ACD_SIM_CHILD_SERVER_H_
