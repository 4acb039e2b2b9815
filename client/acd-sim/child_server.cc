#include "client/acd-sim/child_server.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

extern char** environ;

namespace acd::sim {
namespace {

constexpr absl::Duration kPoll = absl::Milliseconds(20);

// Waits for `pid` until `timeout`; true (and *status) once it exited.
bool WaitExit(pid_t pid, absl::Duration timeout, int* status) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (waitpid(pid, status, WNOHANG) == pid) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(kPoll);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChildServer>> ChildServer::Start(const std::string& binary,
                                                                std::vector<std::string> args,
                                                                const std::string& config_yaml,
                                                                absl::Duration timeout,
                                                                const std::string& parent_dir) {
  std::unique_ptr<ChildServer> child(new ChildServer());
  const char* tmp = getenv("TMPDIR");
  const std::string parent =
      !parent_dir.empty() ? parent_dir : (tmp != nullptr && *tmp ? tmp : "/tmp");
  std::string pattern = absl::StrCat(parent, "/acd-sim-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("cannot create a temp dir ", pattern));
  }
  child->dir_ = pattern;
  if (!config_yaml.empty()) {
    const std::string config = child->dir_ + "/acd.yaml";
    std::ofstream(config) << config_yaml;
    args.insert(args.end(), {"--config", config, "--db", child->dir_ + "/acd.db"});
  }
  args.insert(args.begin(), binary);
  args.insert(args.end(), {"--port-file", child->dir_ + "/port"});
  child->args_ = std::move(args);
  if (absl::Status s = child->Spawn(timeout); !s.ok()) return s;
  return child;
}

absl::Status ChildServer::Spawn(absl::Duration timeout) {
  const std::string& binary = args_.front();
  const std::string port_file = dir_ + "/port";
  std::remove(port_file.c_str());
  port_ = 0;
  std::vector<std::string> args = args_;
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log = dir_ + "/server.log";
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  const int err = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) {
    pid_ = 0;
    return absl::FailedPreconditionError(
        absl::StrCat("cannot run ", binary, ": ", std::strerror(err)));
  }

  const absl::Time deadline = absl::Now() + timeout;
  while (port_ == 0) {
    std::ifstream in(port_file);
    if (in >> port_) break;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = 0;
      return absl::UnavailableError(absl::StrCat(binary, " exited before serving:\n", LogTail()));
    }
    if (absl::Now() >= deadline) {
      return absl::UnavailableError(absl::StrCat(binary, " did not serve within ",
                                                 absl::FormatDuration(timeout), ":\n", LogTail()));
    }
    absl::SleepFor(kPoll);
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::Duration> ChildServer::Restart(absl::Duration timeout) {
  if (absl::Status stopped = Stop(); !stopped.ok()) return stopped;
  const absl::Time started = absl::Now();
  if (absl::Status s = Spawn(timeout); !s.ok()) return s;
  return absl::Now() - started;
}

int64_t ChildServer::PeakRssKb() const {
  if (pid_ == 0) return 0;
  std::ifstream in(absl::StrCat("/proc/", pid_, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    int64_t kb = 0;
    if (absl::StartsWith(line, "VmHWM:") &&
        absl::SimpleAtoi(absl::StripAsciiWhitespace(absl::StripSuffix(line.substr(6), "kB")),
                         &kb)) {
      return kb;
    }
  }
  return 0;
}

std::string ChildServer::LogTail() const {
  std::ifstream in(dir_ + "/server.log");
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::string> lines = absl::StrSplit(text.str(), '\n', absl::SkipEmpty());
  constexpr size_t kLines = 20;
  if (lines.size() > kLines) lines.erase(lines.begin(), lines.end() - kLines);
  return absl::StrJoin(lines, "\n");
}

absl::Status ChildServer::Stop(absl::Duration grace) {
  if (pid_ == 0) return absl::OkStatus();
  kill(pid_, SIGTERM);
  int status = 0;
  if (!WaitExit(pid_, grace, &status)) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = 0;
    return absl::InternalError(absl::StrCat("the server did not stop within ",
                                            absl::FormatDuration(grace), " of SIGTERM; killed it"));
  }
  pid_ = 0;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(
        absl::StrCat("the server exited with status ", status, ":\n", LogTail()));
  }
  return absl::OkStatus();
}

ChildServer::~ChildServer() {
  if (pid_ != 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (!dir_.empty() && !keep_dir_) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

}  // namespace acd::sim
