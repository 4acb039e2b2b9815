// acdd under a stand-in for systemd: the test owns the datagram socket named
// by NOTIFY_SOCKET (and sets WATCHDOG_USEC), starts the real acdd binary, and
// checks what arrives and when: STATUS while restoring, READY=1 once it
// serves, WATCHDOG=1 at half the watchdog time, RELOADING=1 then READY=1
// around SIGHUP (a refused reload says why), STOPPING=1 on SIGTERM.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/support/acdd_process.h"
#include "tests/support/test_daemon.h"

namespace acd {
namespace {

using ::acd::testing::AcddProcess;
using ::testing::HasSubstr;
using ::testing::Not;

// Half of it is the ping interval: 150 ms.
constexpr int64_t kWatchdogUsec = 300'000;

struct Message {
  absl::Time at;
  std::string text;
};

// The notify socket systemd would own.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << path;
  }
  ~NotifySocket() {
    close(fd_);
    unlink(path_.c_str());
  }

  // Messages until one contains `want` (returned last), at most `timeout`.
  std::vector<Message> Until(const std::string& want, absl::Duration timeout) {
    std::vector<Message> got;
    const absl::Time give_up = absl::Now() + timeout;
    while (absl::Now() < give_up) {
      pollfd p{.fd = fd_, .events = POLLIN};
      if (poll(&p, 1, 50) <= 0) continue;
      char buf[4096];
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) continue;
      got.push_back({absl::Now(), std::string(buf, static_cast<size_t>(n))});
      if (absl::StrContains(got.back().text, want)) return got;
    }
    ADD_FAILURE() << "no message with " << want << " within " << timeout;
    return got;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

// The messages of `got` that contain `text`.
int Count(const std::vector<Message>& got, const std::string& text) {
  int n = 0;
  for (const Message& m : got) n += absl::StrContains(m.text, text) ? 1 : 0;
  return n;
}

TEST(NotifyTest, ReadyStatusWatchdogReloadAndStopInOrder) {
  testing::TempDir dir;
  NotifySocket notify(dir.File("notify.sock"));
  const std::string config = dir.Write("acd.yaml", testing::kTestConfig);
  AcddProcess acdd(
      ACDD_PATH, config, dir.File("acd.db"), dir.File("port"),
      AcddProcess::Options{.env = {absl::StrCat("NOTIFY_SOCKET=", dir.File("notify.sock")),
                                   absl::StrCat("WATCHDOG_USEC=", kWatchdogUsec)}});
  ASSERT_TRUE(acdd.started());

  // Start: a status while restoring, then READY=1 with the serving status.
  std::vector<Message> start = notify.Until("READY=1", absl::Seconds(10));
  ASSERT_FALSE(start.empty());
  EXPECT_THAT(start.front().text, HasSubstr("STATUS=restoring the live state from"));
  EXPECT_THAT(start.back().text, HasSubstr(absl::StrCat("STATUS=serving on ", acdd.address())));

  // The watchdog: a ping every 150 ms. Counted over 2 s, with room for a
  // loaded machine (a sanitizer build beside other tests).
  const absl::Time window_end = absl::Now() + absl::Seconds(2);
  std::vector<Message> pings;
  while (absl::Now() < window_end) {
    std::vector<Message> got = notify.Until("WATCHDOG=1", absl::Seconds(2));
    pings.insert(pings.end(), got.begin(), got.end());
  }
  EXPECT_GE(Count(pings, "WATCHDOG=1"), 6);
  absl::Duration longest_gap;
  for (size_t i = 1; i < pings.size(); ++i) {
    longest_gap = std::max(longest_gap, pings[i].at - pings[i - 1].at);
  }
  EXPECT_LT(longest_gap, absl::Seconds(1));

  // A reload: RELOADING=1 (with the time systemd 253 asks for), then READY=1.
  kill(acdd.pid(), SIGHUP);
  std::vector<Message> reload = notify.Until("RELOADING=1", absl::Seconds(5));
  ASSERT_FALSE(reload.empty());
  EXPECT_THAT(reload.back().text, HasSubstr("MONOTONIC_USEC="));
  EXPECT_THAT(reload.back().text, HasSubstr("STATUS=reloading"));
  std::vector<Message> reloaded = notify.Until("READY=1", absl::Seconds(5));
  ASSERT_FALSE(reloaded.empty());
  EXPECT_THAT(reloaded.back().text, HasSubstr("STATUS=serving on"));
  EXPECT_THAT(reloaded.back().text, Not(HasSubstr("refused")));

  // A bad file: still READY=1 (the running config serves), saying why.
  dir.Write("acd.yaml", "queues: [{name: q, offer_timeout: soon}]\n");
  kill(acdd.pid(), SIGHUP);
  notify.Until("RELOADING=1", absl::Seconds(5));
  std::vector<Message> refused = notify.Until("READY=1", absl::Seconds(5));
  ASSERT_FALSE(refused.empty());
  EXPECT_THAT(refused.back().text, HasSubstr("last reload refused"));
  EXPECT_THAT(refused.back().text, HasSubstr("acd.yaml:1:"));

  // Stop.
  kill(acdd.pid(), SIGTERM);
  std::vector<Message> stop = notify.Until("STOPPING=1", absl::Seconds(5));
  ASSERT_FALSE(stop.empty());
  const int status = acdd.Stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(NotifyTest, NoWatchdogPingsUnlessAsked) {
  testing::TempDir dir;
  NotifySocket notify(dir.File("notify.sock"));
  const std::string config = dir.Write("acd.yaml", testing::kTestConfig);
  AcddProcess acdd(
      ACDD_PATH, config, dir.File("acd.db"), dir.File("port"),
      AcddProcess::Options{.env = {absl::StrCat("NOTIFY_SOCKET=", dir.File("notify.sock"))}});
  ASSERT_TRUE(acdd.started());
  notify.Until("READY=1", absl::Seconds(10));
  kill(acdd.pid(), SIGTERM);
  std::vector<Message> rest = notify.Until("STOPPING=1", absl::Seconds(5));
  EXPECT_EQ(Count(rest, "WATCHDOG=1"), 0);
  acdd.Stop(SIGTERM);
}

}  // namespace
}  // namespace acd
