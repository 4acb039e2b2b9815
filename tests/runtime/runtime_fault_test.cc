// The commit gate under store faults: a Runtime on a real SQLite file behind a
// FaultInjectionEventLog. No success for an uncommitted event; changes refused
// while the store fails; everything kept in memory committed, in order and
// without a gap, once it recovers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "server/base/mutex.h"
#include "server/config/config.h"
#include "server/runtime/config_manager.h"
#include "server/runtime/runtime.h"
#include "tests/support/fault_injection_event_log.h"
#include "tests/support/test_daemon.h"

namespace acd::runtime {
namespace {

using ::acd::testing::FaultInjectionEventLog;
using ::acd::testing::Query;
using ::acd::testing::StoreFaults;
using ::testing::HasSubstr;

constexpr absl::Duration kWait = absl::Seconds(5);

// Every store health change the runtime reported.
class HealthLog {
 public:
  void Add(bool healthy) {
    MutexLock lock(&mu_);
    changes_.push_back(healthy);
  }
  std::vector<bool> changes() const {
    MutexLock lock(&mu_);
    return changes_;
  }
  // Waits until the last change (if any) was to healthy.
  bool WaitUntilHealthy(absl::Duration timeout) const {
    MutexLock lock(&mu_);
    auto healthy = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return changes_.empty() || changes_.back();
    };
    return mu_.AwaitWithTimeout(absl::Condition(&healthy), timeout);
  }
  bool WaitForChanges(size_t n, absl::Duration timeout) const {
    MutexLock lock(&mu_);
    auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return changes_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  }

 private:
  mutable Mutex mu_;
  std::vector<bool> changes_ ABSL_GUARDED_BY(mu_);
};

class RuntimeFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_path_ = dir_.File("acd.db");
    store::StoreOptions store_options;
    store_options.retry_backoff_min = absl::Milliseconds(1);
    store_options.retry_backoff_max = absl::Milliseconds(5);
    absl::StatusOr<std::unique_ptr<store::EventStore>> store =
        store::EventStore::Open(db_path_, store_options);
    ASSERT_TRUE(store.ok()) << store.status();
    RuntimeOptions options;
    options.store = store_options;
    absl::StatusOr<std::unique_ptr<Runtime>> runtime = Runtime::Create(
        options, std::make_unique<FaultInjectionEventLog>(std::move(*store), faults_), &RealTimeSystem::Get());
    ASSERT_TRUE(runtime.ok()) << runtime.status();
    runtime_ = std::move(*runtime);
    runtime_->set_store_health_listener(
        [this](bool healthy, const absl::Status&) { health_.Add(healthy); });
    runtime_->Start();

    config::ParseOutcome parsed = config::ParseConfig(testing::kTestConfig, "acd.yaml");
    ASSERT_TRUE(parsed.ok());
    config::Config config = *parsed.config;
    absl::StatusOr<bool> applied = Apply(config);
    ASSERT_TRUE(applied.ok()) << applied.status();
  }

  // Applies `config` like a reload, recording its version.
  absl::StatusOr<bool> Apply(const config::Config& config) {
    return Execute<bool>(
        [this, &config](core::Engine& engine, absl::Time now) -> absl::StatusOr<bool> {
          absl::Status s = ApplyToEngine(*runtime_, engine, config, now);
          if (!s.ok()) return s;
          return true;
        });
  }

  // Runs a command and waits (bounded) for its reply.
  template <typename T>
  absl::StatusOr<T> Execute(std::function<absl::StatusOr<T>(core::Engine&, absl::Time)> command) {
    auto done = std::make_shared<std::promise<absl::StatusOr<T>>>();
    std::future<absl::StatusOr<T>> reply = done->get_future();
    runtime_->Execute<T>(std::move(command),
                         [done](absl::StatusOr<T> r) { done->set_value(std::move(r)); });
    if (reply.wait_for(absl::ToChronoNanoseconds(kWait)) != std::future_status::ready) {
      return absl::DeadlineExceededError("no reply");
    }
    return reply.get();
  }
  absl::StatusOr<core::Agent> Login(const std::string& agent, bool* ran = nullptr) {
    return Execute<core::Agent>([agent, ran](core::Engine& engine, absl::Time now) {
      if (ran != nullptr) *ran = true;
      return engine.Login(agent, /*ready=*/true, now);
    });
  }
  absl::StatusOr<core::Agent> GetAgent(const std::string& agent) {
    auto done = std::make_shared<std::promise<absl::StatusOr<core::Agent>>>();
    std::future<absl::StatusOr<core::Agent>> reply = done->get_future();
    runtime_->Read<core::Agent>(
        [agent](const core::Engine& engine, absl::Time) { return engine.GetAgent(agent); },
        [done](absl::StatusOr<core::Agent> r) { done->set_value(std::move(r)); });
    if (reply.wait_for(absl::ToChronoNanoseconds(kWait)) != std::future_status::ready) {
      return absl::DeadlineExceededError("no reply");
    }
    return reply.get();
  }

  // (seq, agent_id) of every stored event, in seq order.
  std::vector<std::pair<int64_t, std::string>> StoredEvents() {
    std::vector<std::pair<int64_t, std::string>> out;
    for (const auto& row : Query(db_path_, "SELECT seq, agent_id FROM events ORDER BY seq")) {
      out.emplace_back(std::stoll(row[0]), row[1]);
    }
    return out;
  }
  // Stored seqs run 1..n with no gap.
  void ExpectNoGap(const std::vector<std::pair<int64_t, std::string>>& events) {
    for (size_t i = 0; i < events.size(); ++i) ASSERT_EQ(events[i].first, int64_t(i + 1));
  }

  testing::TempDir dir_;
  std::string db_path_;
  std::shared_ptr<StoreFaults> faults_ = std::make_shared<StoreFaults>();
  HealthLog health_;
  std::unique_ptr<Runtime> runtime_;
};

TEST_F(RuntimeFaultTest, FailingCommitAnswersUnavailableRefusesChangesAndRecoversInOrder) {
  const int64_t before = runtime_->committed_seq();
  ASSERT_GT(before, 0);  // the config
  faults_->FailAll(absl::UnavailableError("disk full"));

  // The change is applied, but its commit fails: no success.
  absl::StatusOr<core::Agent> alice = Login("alice");
  EXPECT_EQ(alice.status().code(), absl::StatusCode::kUnavailable) << alice.status();
  EXPECT_THAT(alice.status().message(), HasSubstr("disk full"));
  EXPECT_THAT(alice.status().message(), HasSubstr("kept in memory"));
  EXPECT_EQ(runtime_->committed_seq(), before);
  EXPECT_FALSE(runtime_->store_healthy());
  EXPECT_EQ(health_.changes(), std::vector<bool>{false});

  // A new change is refused before it runs; reads are served, in memory.
  bool ran = false;
  absl::StatusOr<core::Agent> bob = Login("bob", &ran);
  EXPECT_EQ(bob.status().code(), absl::StatusCode::kUnavailable) << bob.status();
  EXPECT_THAT(bob.status().message(), HasSubstr("refused"));
  EXPECT_FALSE(ran);
  absl::StatusOr<core::Agent> read_alice = GetAgent("alice");
  ASSERT_TRUE(read_alice.ok()) << read_alice.status();
  EXPECT_EQ(read_alice->state, core::AgentState::kAvailable);
  absl::StatusOr<core::Agent> read_bob = GetAgent("bob");
  ASSERT_TRUE(read_bob.ok()) << read_bob.status();
  EXPECT_EQ(read_bob->state, core::AgentState::kLoggedOut);
  EXPECT_EQ(StoredEvents().size(), static_cast<size_t>(before));

  // The store recovers: what was kept is committed, and changes are taken.
  faults_->Clear();
  ASSERT_TRUE(health_.WaitForChanges(2, kWait));
  EXPECT_EQ(health_.changes(), (std::vector<bool>{false, true}));
  EXPECT_TRUE(runtime_->store_healthy());
  EXPECT_GT(runtime_->committed_seq(), before);
  bob = Login("bob");
  ASSERT_TRUE(bob.ok()) << bob.status();

  std::vector<std::pair<int64_t, std::string>> events = StoredEvents();
  ExpectNoGap(events);
  EXPECT_EQ(events.back().first, runtime_->committed_seq());
  auto first_of = [&events](const std::string& agent) {
    for (const auto& [seq, id] : events) {
      if (id == agent) return seq;
    }
    return int64_t{0};
  };
  EXPECT_GT(first_of("alice"), before);
  EXPECT_GT(first_of("bob"), first_of("alice"));
}

TEST_F(RuntimeFaultTest, NoSuccessIsReportedForAnUncommittedEvent) {
  // Waves of commands, every third one against a store that fails its next
  // append; every reply is checked on the engine thread, where an OK reply
  // must find its last event committed.
  constexpr int kWaves = 9;
  constexpr int kPerWave = 30;
  const std::vector<std::string> agents = {"alice", "bob", "carol"};
  Mutex mu;
  int replies = 0, ok = 0, unavailable = 0, uncommitted_ok = 0;
  for (int wave = 0; wave < kWaves; ++wave) {
    if (wave % 3 == 0) {
      faults_->FailNext(1, wave % 2 == 0 ? absl::DataLossError("checksum mismatch")
                                         : absl::UnavailableError("I/O error"));
    }
    for (int i = 0; i < kPerWave; ++i) {
      auto produced = std::make_shared<int64_t>(0);
      const std::string& agent = agents[i % agents.size()];
      const bool login = (wave + i / agents.size()) % 2 == 0;
      runtime_->Execute<core::Agent>(
          [agent, login, produced](core::Engine& engine, absl::Time now) {
            absl::StatusOr<core::Agent> r =
                login ? engine.Login(agent, true, now) : engine.Logout(agent, now);
            *produced = engine.next_seq() - 1;
            return r;
          },
          [&, produced](absl::StatusOr<core::Agent> r) {
            const bool committed = runtime_->committed_seq() >= *produced;
            MutexLock lock(&mu);
            ++replies;
            if (r.ok()) {
              ++ok;
              if (!committed) ++uncommitted_ok;
            } else if (r.status().code() == absl::StatusCode::kUnavailable) {
              ++unavailable;
            }
          });
    }
    {
      MutexLock lock(&mu);
      auto wave_done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
        return replies == (wave + 1) * kPerWave;
      };
      ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&wave_done), kWait)) << replies;
    }
    // The next wave starts on a healthy store.
    ASSERT_TRUE(health_.WaitUntilHealthy(kWait));
  }
  {
    MutexLock lock(&mu);
    EXPECT_EQ(uncommitted_ok, 0);
    EXPECT_GT(unavailable, 0);
    EXPECT_GT(ok, 0);
    EXPECT_EQ(ok + unavailable, kWaves * kPerWave);
  }
  EXPECT_EQ(faults_->failures(), 3);
  EXPECT_EQ(health_.changes().size(), 6u);  // three outages, three recoveries
  ASSERT_TRUE(runtime_->Stop().ok());
  std::vector<std::pair<int64_t, std::string>> events = StoredEvents();
  ExpectNoGap(events);
  EXPECT_EQ(events.back().first, runtime_->committed_seq());
}

TEST_F(RuntimeFaultTest, StopWithTheStoreStillFailingSaysWhatWasNotCommitted) {
  const int64_t before = runtime_->committed_seq();
  faults_->FailAll(absl::UnavailableError("disk full"));
  EXPECT_EQ(Login("alice").status().code(), absl::StatusCode::kUnavailable);
  const absl::Time start = absl::Now();
  absl::Status stopped = runtime_->Stop(absl::Now() + absl::Milliseconds(100));
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(stopped.code(), absl::StatusCode::kUnavailable) << stopped;
  EXPECT_THAT(stopped.message(), HasSubstr("not committed"));
  EXPECT_THAT(stopped.message(), HasSubstr(absl::StrCat("seq ", before + 1, "..")));
  EXPECT_THAT(stopped.message(), HasSubstr("disk full"));
  EXPECT_EQ(StoredEvents().size(), static_cast<size_t>(before));
}

TEST_F(RuntimeFaultTest, AConfigAppliedWhileCommitsFailIsRecordedWithItsEventOnRecovery) {
  faults_->FailNext(3, absl::UnavailableError("disk full"));
  config::ParseOutcome parsed =
      config::ParseConfig(absl::StrCat(testing::kTestConfig, "# reloaded\n"), "acd.yaml");
  ASSERT_TRUE(parsed.ok());
  // Applied, but not committed: no success.
  absl::StatusOr<bool> applied = Apply(*parsed.config);
  EXPECT_EQ(applied.status().code(), absl::StatusCode::kUnavailable) << applied.status();
  ASSERT_TRUE(health_.WaitForChanges(2, kWait));  // the writer retried until it committed
  ASSERT_TRUE(runtime_->Stop().ok());
  EXPECT_EQ(faults_->failures(), 3);
  // Each version with its event: the start-up one and this one, once each.
  EXPECT_EQ(Query(db_path_, "SELECT count(*) FROM events WHERE type = 'config_applied'")[0][0],
            "2");
  std::vector<std::vector<std::string>> versions =
      Query(db_path_, "SELECT hash FROM config_versions ORDER BY id");
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[1][0], parsed.config->hash);
}

// A real SQLite fault, no wrapper involved: another connection holds the
// write lock longer than the store's busy timeout.
TEST(RuntimeRealFaultTest, LockedDatabaseIsUnavailableUntilTheLockGoes) {
  testing::TempDir dir;
  const std::string path = dir.File("acd.db");
  store::StoreOptions store_options;
  store_options.busy_timeout = absl::Milliseconds(20);
  store_options.retry_backoff_min = absl::Milliseconds(1);
  store_options.retry_backoff_max = absl::Milliseconds(5);
  absl::StatusOr<std::unique_ptr<store::EventStore>> store =
      store::EventStore::Open(path, store_options);
  ASSERT_TRUE(store.ok()) << store.status();
  RuntimeOptions options;
  options.store = store_options;
  absl::StatusOr<std::unique_ptr<Runtime>> runtime =
      Runtime::Create(options, std::move(*store), &RealTimeSystem::Get());
  ASSERT_TRUE(runtime.ok()) << runtime.status();
  HealthLog health;
  (*runtime)->set_store_health_listener(
      [&health](bool healthy, const absl::Status&) { health.Add(healthy); });
  (*runtime)->Start();

  sqlite3* locker = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &locker), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(locker, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);

  std::promise<absl::StatusOr<bool>> done;
  (*runtime)->Execute<bool>(
      [](core::Engine& engine, absl::Time now) -> absl::StatusOr<bool> {
        core::RoutingConfig empty;
        absl::Status s = engine.ApplyConfig(empty, now);
        if (!s.ok()) return s;
        return true;
      },
      [&done](absl::StatusOr<bool> r) { done.set_value(r); });
  std::future<absl::StatusOr<bool>> reply = done.get_future();
  ASSERT_EQ(reply.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  absl::StatusOr<bool> r = reply.get();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("locked"));
  EXPECT_FALSE((*runtime)->store_healthy());

  ASSERT_EQ(sqlite3_exec(locker, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(locker);
  ASSERT_TRUE(health.WaitForChanges(2, kWait));
  EXPECT_EQ(health.changes(), (std::vector<bool>{false, true}));
  EXPECT_TRUE((*runtime)->store_healthy());
  ASSERT_TRUE((*runtime)->Stop().ok());
  EXPECT_EQ(Query(path, "SELECT count(*) FROM events")[0][0],
            std::to_string((*runtime)->committed_seq()));
  EXPECT_GT((*runtime)->committed_seq(), 0);
}

}  // namespace
}  // namespace acd::runtime
