// AcddProcess: the real acdd binary as a child process on 127.0.0.1 port 0,
// for end-to-end tests. The port comes from the file acdd writes once it
// serves. The destructor kills a process the test did not stop.
#ifndef ACD_TESTS_SUPPORT_ACDD_PROCESS_H_
#define ACD_TESTS_SUPPORT_ACDD_PROCESS_H_

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace acd::testing {

class AcddProcess {
 public:
  // Starts `binary` with `config` on `db`, plus `extra` arguments, and waits
  // (at most 10 s) until it serves.
  AcddProcess(const std::string& binary, const std::string& config, const std::string& db,
              const std::string& port_file, std::vector<std::string> extra = {}) {
    std::remove(port_file.c_str());
    std::vector<std::string> args = {binary,    "--config",    config,        "--db",
                                     db,        "--listen",    "127.0.0.1:0", "--port-file",
                                     port_file, "--log-level", "warn"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    EXPECT_EQ(posix_spawn(&pid_, binary.c_str(), nullptr, nullptr, argv.data(), environ), 0);
    for (int i = 0; i < 500 && port_ == 0; ++i) {
      std::ifstream in(port_file);
      if (!(in >> port_)) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_NE(port_, 0) << "acdd did not start within 10 s";
  }
  AcddProcess(const AcddProcess&) = delete;
  AcddProcess& operator=(const AcddProcess&) = delete;
  ~AcddProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  bool started() const { return port_ != 0; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // Sends `sig` and returns the wait status (bounded: 10 s).
  int Stop(int sig) {
    kill(pid_, sig);
    for (int i = 0; i < 1000; ++i) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "acdd did not stop within 10 s";
    return -1;
  }

 private:
  pid_t pid_ = 0;
  int port_ = 0;
};

}  // namespace acd::testing

#endif  // ACD_TESTS_SUPPORT_ACDD_PROCESS_H_
