// End to end: the real acdd binary on 127.0.0.1 port 0, driven over real gRPC,
// stopped with SIGTERM, then its SQLite file read back.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "tests/support/acdd_process.h"
#include "tests/support/client.h"
#include "tests/support/test_daemon.h"

extern char** environ;

namespace acd {
namespace {

using ::acd::testing::AcddProcess;
using ::acd::testing::Client;
using ::acd::testing::EventWatch;
using ::acd::testing::OfferStream;
using ::acd::testing::Query;
using ::testing::ElementsAre;

TEST(AcddE2eTest, CallLifeOverGrpcThenEventsAndCallRowOnDisk) {
  testing::TempDir dir;
  std::string config = dir.Write("acd.yaml", testing::kTestConfig);
  std::string db = dir.File("acd.db");
  AcddProcess acdd(ACDD_PATH, config, db, dir.File("port"));
  Client client(acdd.address());

  auto agent = client.Login("alice");
  ASSERT_TRUE(agent.ok());
  EXPECT_EQ(agent->state(), v1::AGENT_STATE_AVAILABLE);

  OfferStream offers(client, "alice");
  ASSERT_TRUE(client
                  .Enqueue("e2e-1", {.queue = "support",
                                     .attributes = {{"language", "es"}},
                                     .skills = {{"spanish", 2}}})
                  .ok());

  v1::OfferUpdate offer;
  ASSERT_TRUE(offers.Read(&offer));
  ASSERT_TRUE(offer.has_offer());
  EXPECT_EQ(offer.offer().call().call_id(), "e2e-1");

  auto connected = client.Accept("alice", "e2e-1");
  ASSERT_TRUE(connected.ok());
  EXPECT_EQ(connected->state(), v1::CALL_STATE_CONNECTED);

  auto ended = client.End("e2e-1");
  ASSERT_TRUE(ended.ok());
  EXPECT_EQ(ended->state(), v1::CALL_STATE_WRAP_UP);

  auto completed = client.Complete("alice", "e2e-1", "resolved", "explained the bill");
  ASSERT_TRUE(completed.ok());
  EXPECT_EQ(completed->state(), v1::CALL_STATE_COMPLETED);

  // SIGTERM ends the stream (which the desktop keeps reading) with
  // UNAVAILABLE, and the daemon exits 0.
  grpc::Status offers_ended;
  std::thread desktop([&] { offers_ended = offers.Finish(); });
  int status = acdd.Stop(SIGTERM);
  desktop.join();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(offers_ended.error_code(), grpc::StatusCode::UNAVAILABLE);

  auto events = Query(db, "SELECT type, agent_id FROM events WHERE call_id = 'e2e-1' ORDER BY seq");
  std::vector<std::string> types;
  for (const auto& row : events) types.push_back(row[0]);
  EXPECT_THAT(types, ElementsAre("call_queued", "call_offered", "call_connected", "call_ended",
                                 "call_completed"));
  auto logins = Query(db, "SELECT count(*) FROM events WHERE type = 'agent_logged_in'");
  EXPECT_EQ(logins[0][0], "1");
  auto row = Query(db,
                   "SELECT queue, state, agent_id, disposition, notes, "
                   "json_extract(attributes, '$.language') FROM calls WHERE call_id = 'e2e-1'");
  ASSERT_EQ(row.size(), 1u);
  EXPECT_THAT(row[0],
              ElementsAre("support", "completed", "alice", "resolved", "explained the bill", "es"));
  // The seq column is gap-free from 1.
  auto seqs = Query(db, "SELECT min(seq), max(seq), count(*) FROM events");
  EXPECT_EQ(seqs[0][0], "1");
  EXPECT_EQ(seqs[0][1], seqs[0][2]);
}

TEST(AcddE2eTest, SigtermWithOpenStreamsAndCallsInFlightExitsZeroWithinTheGrace) {
  testing::TempDir dir;
  std::string config_text = std::string(testing::kTestConfig);
  config_text.replace(config_text.find("server:\n"), 8, "server:\n  shutdown_grace: 2s\n");
  std::string config = dir.Write("acd.yaml", config_text);
  std::string db = dir.File("acd.db");
  AcddProcess acdd(ACDD_PATH, config, db, dir.File("port"));
  Client client(acdd.address());
  ASSERT_TRUE(client.Login("alice").ok());

  // An agent desktop and an integrator's event feed, both read to their end.
  OfferStream offers(client, "alice");
  EventWatch events(client);
  grpc::Status offers_ended, events_ended;
  std::thread desktop([&] { offers_ended = offers.Finish(); });
  std::thread feed([&] { events_ended = events.Finish(); });

  // Two integrators enqueue calls until the daemon stops answering.
  std::mutex mu;
  std::vector<std::string> acknowledged;
  std::atomic<bool> failed{false};
  auto integrator = [&](int id) {
    for (int i = 0; i < 20000 && !failed; ++i) {
      const std::string call_id = "w" + std::to_string(id) + "-" + std::to_string(i);
      if (!client.Enqueue(call_id, i % 2 == 0 ? "support" : "sales").ok()) {
        failed = true;
        return;
      }
      std::lock_guard<std::mutex> lock(mu);
      acknowledged.push_back(call_id);
    }
  };
  std::thread first(integrator, 1), second(integrator, 2);
  for (int i = 0; i < 500; ++i) {  // bounded: until calls are flowing
    {
      std::lock_guard<std::mutex> lock(mu);
      if (acknowledged.size() >= 20) break;
    }
    // Real time: two client threads against a separate acdd process.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }

  const auto start = std::chrono::steady_clock::now();
  int status = acdd.Stop(SIGTERM);
  const auto took = std::chrono::steady_clock::now() - start;
  first.join();
  second.join();
  desktop.join();
  feed.join();

  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_LT(took, std::chrono::seconds(3)) << "shutdown_grace is 2s";
  EXPECT_TRUE(failed);  // the integrators were turned away
  EXPECT_EQ(offers_ended.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(events_ended.error_code(), grpc::StatusCode::UNAVAILABLE);

  // Every acknowledged call is on disk, and the log has no gap.
  std::set<std::string> stored;
  for (const auto& row : Query(db, "SELECT call_id FROM calls")) stored.insert(row[0]);
  ASSERT_GE(acknowledged.size(), 20u);
  for (const std::string& id : acknowledged) EXPECT_TRUE(stored.contains(id)) << id;
  auto seqs = Query(db, "SELECT min(seq), max(seq), count(*) FROM events");
  EXPECT_EQ(seqs[0][0], "1");
  EXPECT_EQ(seqs[0][1], seqs[0][2]);
}

TEST(AcddE2eTest, BadConfigFailsToStartNamingTheLine) {
  testing::TempDir dir;
  std::string config = dir.Write("bad.yaml", "queues:\n  - name: support\n    wrap_up_time: -5s\n");
  std::string out = dir.File("out.txt");
  std::string cmd = std::string(ACDD_PATH) + " --config " + config + " --db " + dir.File("x.db") +
                    " --listen 127.0.0.1:0 > " + out + " 2>&1";
  int status = std::system(cmd.c_str());
  EXPECT_NE(WEXITSTATUS(status), 0);
  std::ifstream in(out);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, ::testing::HasSubstr("bad.yaml:3:19"));
}

// acdd on every interface with no auth: it refuses to start, saying why and
// how to override it.
TEST(AcddE2eTest, RefusesANonLoopbackAddressWithoutAuthUnlessInsecure) {
  testing::TempDir dir;
  std::string config = dir.Write("acd.yaml", testing::kTestConfig);
  std::string log = dir.File("stderr");
  std::vector<std::string> args = {ACDD_PATH,          "--config", config,     "--db",
                                   dir.File("acd.db"), "--listen", "0.0.0.0:0"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, ACDD_PATH, &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  int status = -1;
  for (int i = 0; i < 1000; ++i) {
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    // Real time: a child process exiting (bounded: 10 s).
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!WIFEXITED(status)) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    FAIL() << "acdd did not exit within 10 s";
  }
  EXPECT_EQ(WEXITSTATUS(status), 1);
  std::ifstream in(log);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, ::testing::HasSubstr("refusing to listen on 0.0.0.0:0 without auth"));
  EXPECT_THAT(text, ::testing::HasSubstr("--insecure"));
}

}  // namespace
}  // namespace acd
