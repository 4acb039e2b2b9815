// AcddProcess: the real acdd binary as a child process on 127.0.0.1 port 0,
// for end-to-end tests. The port comes from the file acdd writes once it
// serves. The destructor kills a process the test did not stop.
#ifndef ACD_TESTS_SUPPORT_ACDD_PROCESS_H_
#define ACD_TESTS_SUPPORT_ACDD_PROCESS_H_

#include <fcntl.h>
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
  struct Options {
    std::vector<std::string> extra{};  // more arguments
    std::string log_level = "warn";    // --log-level; "" for the config's
    std::string stderr_path{};         // where its log goes ("": the test's stderr)
    std::vector<std::string> env{};    // NAME=value added to the test's environment
  };

  // Starts `binary` with `config` on `db`, plus `extra` arguments, and waits
  // (at most 10 s) until it serves.
  AcddProcess(const std::string& binary, const std::string& config, const std::string& db,
              const std::string& port_file, std::vector<std::string> extra = {})
      : AcddProcess(binary, config, db, port_file, Options{.extra = std::move(extra)}) {}

  AcddProcess(const std::string& binary, const std::string& config, const std::string& db,
              const std::string& port_file, const Options& options) {
    std::remove(port_file.c_str());
    std::vector<std::string> args = {binary,     "--config",    config,        "--db",   db,
                                     "--listen", "127.0.0.1:0", "--port-file", port_file};
    if (!options.log_level.empty()) {
      args.push_back("--log-level");
      args.push_back(options.log_level);
    }
    args.insert(args.end(), options.extra.begin(), options.extra.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_strings = options.env;
    for (char** e = environ; *e != nullptr; ++e) env_strings.push_back(*e);
    std::vector<char*> envp;
    for (std::string& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (!options.stderr_path.empty()) {
      posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, options.stderr_path.c_str(),
                                       O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
    EXPECT_EQ(posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), envp.data()), 0);
    posix_spawn_file_actions_destroy(&actions);
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

  pid_t pid() const { return pid_; }

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
