#include "server/store/store_writer.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/base/mutex.h"
#include "server/store/live_state.h"
#include "tests/store/store_test_util.h"
#include "tests/support/fault_injection_event_log.h"

namespace acd::store {
namespace {

using testing::AgentEvent;
using ::testing::HasSubstr;
using testing::RawDb;
using testing::T0;

// Everything the commit callback was told, in order.
class CommitLog {
 public:
  StoreWriter::CommitCallback Callback() {
    return [this](int64_t seq, const absl::Status& status) {
      MutexLock lock(&mu_);
      entries_.push_back({seq, status});
    };
  }
  struct Entry {
    int64_t seq;
    absl::Status status;
  };
  std::vector<Entry> entries() const {
    MutexLock lock(&mu_);
    return entries_;
  }
  // Waits until the log holds an entry matching `pred`, or `timeout` passes.
  template <typename Pred>
  bool WaitFor(Pred pred, absl::Duration timeout) const {
    auto found = [&]() {
      for (const Entry& e : entries_) {
        if (pred(e)) return true;
      }
      return false;
    };
    MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&found), timeout);
  }

 private:
  mutable Mutex mu_;
  std::vector<Entry> entries_;
};

class StoreWriterTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    path_ = Path("acd.db");
  }

  std::unique_ptr<EventStore> OpenStore(const StoreOptions& options = StoreOptions()) {
    absl::StatusOr<std::unique_ptr<EventStore>> store = EventStore::Open(path_, options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  // Reads the whole log back through a fresh connection.
  std::vector<core::Event> ReadAll() {
    absl::StatusOr<std::vector<core::Event>> events =
        testing::ReadStoredEvents(path_, {.limit = 1'000'000});
    EXPECT_TRUE(events.ok()) << events.status();
    return events.ok() ? *std::move(events) : std::vector<core::Event>();
  }

  // Retries after 1-2 ms, so tests of failing commits run in milliseconds.
  static StoreOptions QuickRetries() {
    StoreOptions options;
    options.retry_backoff_min = absl::Milliseconds(1);
    options.retry_backoff_max = absl::Milliseconds(2);
    return options;
  }

  std::string path_;
};

TEST_F(StoreWriterTest, EventsQueuedBeforeStartCommitInFullBatches) {
  constexpr int kEvents = 10'000;
  CommitLog log;
  StoreOptions options;
  ASSERT_EQ(options.max_batch_events, 4096);
  // The metrics' view of each transaction (writer thread; read after Stop).
  std::vector<size_t> observed_batches;
  absl::Duration observed_time;
  options.observe_commit = [&](size_t events, absl::Duration took) {
    observed_batches.push_back(events);
    observed_time += took;
  };
  StoreWriter writer(OpenStore(), options, log.Callback());
  for (int seq = 1; seq <= kEvents; ++seq) ASSERT_TRUE(writer.Append({AgentEvent(seq)}).ok());
  EXPECT_EQ(writer.transactions(), 0);
  EXPECT_EQ(writer.committed_seq(), 0);

  writer.Start();
  EXPECT_TRUE(writer.Stop().ok());

  EXPECT_EQ(writer.transactions(), 3);  // ceil(10000 / 4096)
  EXPECT_EQ(writer.committed_seq(), kEvents);
  std::vector<CommitLog::Entry> entries = log.entries();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].seq, 4096);
  EXPECT_EQ(entries[1].seq, 8192);
  EXPECT_EQ(entries[2].seq, kEvents);
  for (const CommitLog::Entry& e : entries) EXPECT_TRUE(e.status.ok()) << e.status;
  EXPECT_EQ(observed_batches, (std::vector<size_t>{4096, 4096, kEvents - 8192}));
  EXPECT_GT(observed_time, absl::ZeroDuration());

  std::vector<core::Event> events = ReadAll();
  ASSERT_EQ(events.size(), static_cast<size_t>(kEvents));
  for (int i = 0; i < kEvents; ++i) {
    ASSERT_EQ(events[i].seq, i + 1);
    ASSERT_EQ(events[i].agent_id, AgentEvent(i + 1).agent_id);
  }
}

TEST_F(StoreWriterTest, ConcurrentProducerIsGroupCommitted) {
  constexpr int kEvents = 5'000;
  CommitLog log;
  StoreWriter writer(OpenStore(), StoreOptions(), log.Callback());
  writer.Start();

  // The engine thread: one event per Append, as fast as it can.
  std::thread producer([&writer] {
    for (int seq = 1; seq <= kEvents; ++seq) ASSERT_TRUE(writer.Append({AgentEvent(seq)}).ok());
  });
  // A reply waiting for its event to be committed (persistence.ack: committed).
  ASSERT_TRUE(
      log.WaitFor([](const CommitLog::Entry& e) { return e.seq >= kEvents; }, absl::Seconds(60)));
  producer.join();
  EXPECT_TRUE(writer.Stop().ok());

  EXPECT_EQ(writer.committed_seq(), kEvents);
  EXPECT_LT(writer.transactions(), kEvents);
  EXPECT_GE(writer.transactions(), 2);  // each batch is capped, and the producer runs alongside
  std::vector<CommitLog::Entry> entries = log.entries();
  ASSERT_EQ(static_cast<int64_t>(entries.size()), writer.transactions());
  for (size_t i = 1; i < entries.size(); ++i) {
    EXPECT_GT(entries[i].seq, entries[i - 1].seq);
    EXPECT_TRUE(entries[i].status.ok());
  }
  std::vector<core::Event> events = ReadAll();
  ASSERT_EQ(events.size(), static_cast<size_t>(kEvents));
  EXPECT_EQ(events.back().seq, kEvents);
}

TEST_F(StoreWriterTest, CommittedSeqStartsAtWhatIsOnDisk) {
  {
    std::unique_ptr<EventStore> store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append({AgentEvent(1), AgentEvent(2), AgentEvent(3)}, {}).ok());
  }
  CommitLog log;
  StoreWriter writer(OpenStore(), StoreOptions(), log.Callback());
  EXPECT_EQ(writer.committed_seq(), 3);
  writer.Start();
  ASSERT_TRUE(writer.Append({AgentEvent(4)}).ok());
  EXPECT_TRUE(writer.Stop().ok());
  EXPECT_EQ(writer.committed_seq(), 4);
  EXPECT_EQ(ReadAll().size(), 4u);
}

TEST_F(StoreWriterTest, FailedCommitIsReportedAndRetriedUntilItSucceeds) {
  CommitLog log;
  StoreWriter writer(OpenStore(), StoreOptions(), log.Callback());
  RawDb raw(path_);
  // The storage "fails" until the trigger is dropped.
  raw.Exec(
      "CREATE TRIGGER outage BEFORE INSERT ON events "
      "BEGIN SELECT RAISE(ABORT, 'simulated outage'); END");
  writer.Start();
  std::vector<core::Event> batch;
  for (int seq = 1; seq <= 10; ++seq) batch.push_back(AgentEvent(seq));
  ASSERT_TRUE(writer.Append(batch).ok());

  // The failure is reported, and nothing is reported committed.
  ASSERT_TRUE(log.WaitFor(
      [](const CommitLog::Entry& e) {
        return !e.status.ok() && e.status.message().find("simulated outage") != std::string::npos;
      },
      absl::Seconds(10)));
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(writer.committed_seq(), 0);
  EXPECT_EQ(writer.transactions(), 0);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM events"), 0);

  raw.Exec("DROP TRIGGER outage");
  ASSERT_TRUE(
      log.WaitFor([](const CommitLog::Entry& e) { return e.status.ok(); }, absl::Seconds(10)));
  EXPECT_TRUE(writer.Stop().ok());

  EXPECT_EQ(writer.committed_seq(), 10);
  EXPECT_EQ(writer.transactions(), 1);
  std::vector<CommitLog::Entry> entries = log.entries();
  ASSERT_GE(entries.size(), 2u);  // failures, then the commit
  for (size_t i = 0; i + 1 < entries.size(); ++i) {
    EXPECT_FALSE(entries[i].status.ok());
    EXPECT_EQ(entries[i].seq, 0);  // nothing reported committed while failing
  }
  EXPECT_TRUE(entries.back().status.ok());
  EXPECT_EQ(entries.back().seq, 10);
  EXPECT_EQ(ReadAll().size(), 10u);
}

TEST_F(StoreWriterTest, FaultsThroughTheWrapperAreRetriedAndCommittedInOrder) {
  CommitLog log;
  const StoreOptions options = QuickRetries();
  auto faults = std::make_shared<acd::testing::StoreFaults>();
  faults->FailNext(4, absl::DataLossError("checksum mismatch"));
  StoreWriter writer(
      std::make_unique<acd::testing::FaultInjectionEventLog>(OpenStore(options), faults), options,
      log.Callback());
  writer.Start();
  for (int first = 1; first <= 10; first += 5) {
    std::vector<core::Event> batch;
    for (int seq = first; seq < first + 5; ++seq) batch.push_back(AgentEvent(seq));
    ASSERT_TRUE(writer.Append(batch).ok());
  }
  ASSERT_TRUE(log.WaitFor([](const CommitLog::Entry& e) { return e.status.ok() && e.seq == 10; },
                          absl::Seconds(5)));
  EXPECT_TRUE(writer.Stop().ok());

  // Four failures, each reported with nothing committed, then the commits.
  std::vector<CommitLog::Entry> entries = log.entries();
  ASSERT_GE(entries.size(), 5u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(entries[i].status.code(), absl::StatusCode::kDataLoss) << entries[i].status;
    EXPECT_EQ(entries[i].seq, 0);
  }
  for (size_t i = 4; i < entries.size(); ++i) EXPECT_TRUE(entries[i].status.ok());
  EXPECT_EQ(faults->failures(), 4);
  EXPECT_EQ(writer.committed_seq(), 10);
  std::vector<core::Event> events = ReadAll();
  ASSERT_EQ(events.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(events[i].seq, i + 1);
}

// A config_applied event with seq `seq`, and the version applied with it.
core::Event ConfigApplied(int64_t seq) {
  core::Event e = AgentEvent(seq);
  e.type = core::EventType::kConfigApplied;
  e.agent_id.clear();
  return e;
}
ConfigVersion VersionFor(int64_t seq) {
  return {.seq = seq, .hash = absl::StrCat("h", seq), .text = "queues: []\n", .applied_at = T0()};
}

// An EventLog that forwards to another and notes, for each committed
// transaction, its events' seqs and its config versions' seqs.
class RecordingEventLog final : public EventLog {
 public:
  struct Transaction {
    std::vector<int64_t> events;
    std::vector<int64_t> configs;
  };
  RecordingEventLog(std::unique_ptr<EventLog> target, std::vector<Transaction>* committed)
      : target_(std::move(target)), committed_(committed) {}

  absl::Status Append(absl::Span<const core::Event> events,
                      absl::Span<const ConfigVersion> configs) override {
    absl::Status status = target_->Append(events, configs);
    if (status.ok()) {
      Transaction& t = committed_->emplace_back();
      for (const core::Event& e : events) t.events.push_back(e.seq);
      for (const ConfigVersion& c : configs) t.configs.push_back(c.seq);
    }
    return status;
  }
  absl::StatusOr<int64_t> LastSeq() override { return target_->LastSeq(); }
  const std::string& path() const override { return target_->path(); }

 private:
  std::unique_ptr<EventLog> target_;
  std::vector<Transaction>* committed_;  // written on the writer thread
};

TEST_F(StoreWriterTest, AConfigVersionIsCommittedInTheTransactionOfItsEvent) {
  StoreOptions options;
  options.max_batch_events = 2;
  std::vector<RecordingEventLog::Transaction> committed;  // read after Stop
  StoreWriter writer(std::make_unique<RecordingEventLog>(OpenStore(options), &committed), options,
                     nullptr);
  // Queued before Start, so that batches are cut at 2 events: [1 2] [3 4]
  // [5 6]. The versions of 2 (last of a batch), 3 (first of one) and 6 go
  // with their events, whichever Append brought them.
  ASSERT_TRUE(writer.Append({AgentEvent(1), ConfigApplied(2)}, {VersionFor(2)}).ok());
  ASSERT_TRUE(
      writer.Append({ConfigApplied(3), AgentEvent(4), AgentEvent(5)}, {VersionFor(3)}).ok());
  ASSERT_TRUE(writer.Append({ConfigApplied(6)}, {VersionFor(6)}).ok());
  writer.Start();
  ASSERT_TRUE(writer.Stop().ok());

  ASSERT_EQ(committed.size(), 3u);
  EXPECT_EQ(committed[0].events, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(committed[0].configs, (std::vector<int64_t>{2}));
  EXPECT_EQ(committed[1].events, (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(committed[1].configs, (std::vector<int64_t>{3}));
  EXPECT_EQ(committed[2].events, (std::vector<int64_t>{5, 6}));
  EXPECT_EQ(committed[2].configs, (std::vector<int64_t>{6}));
  RawDb raw(path_);
  EXPECT_EQ(raw.Text("SELECT group_concat(hash, ' ') FROM (SELECT hash FROM config_versions "
                     "ORDER BY id)"),
            "h2 h3 h6");
}

TEST_F(StoreWriterTest, AVersionWithoutItsEventIsNotTaken) {
  CommitLog log;
  StoreWriter writer(OpenStore(), StoreOptions(), log.Callback());
  writer.Start();
  // Its event is not in the same Append: refused here, rather than retried
  // forever by the writer thread.
  absl::Status status = writer.Append({AgentEvent(1), AgentEvent(2)}, {VersionFor(3)});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(status.message(), HasSubstr("seq 3"));
  ASSERT_TRUE(writer.Append({ConfigApplied(1)}, {VersionFor(1)}).ok());
  ASSERT_TRUE(writer.Stop().ok());
  EXPECT_EQ(writer.committed_seq(), 1);
  RawDb raw(path_);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM config_versions"), 1);
}

// The durability rule through the writer: a config_versions row exists
// exactly when its config_applied event is committed, also while a failed
// commit is retried.
TEST_F(StoreWriterTest, AFailedCommitWritesNeitherTheEventNorTheVersionAndTheRetryWritesBoth) {
  CommitLog log;
  const StoreOptions options = QuickRetries();
  StoreWriter writer(OpenStore(options), options, log.Callback());
  RawDb raw(path_);
  // SQLite fails writing the version, after its event in the same transaction.
  raw.Exec(
      "CREATE TRIGGER outage BEFORE INSERT ON config_versions "
      "BEGIN SELECT RAISE(ABORT, 'simulated outage'); END");
  writer.Start();
  ASSERT_TRUE(
      writer.Append({AgentEvent(1), ConfigApplied(2), AgentEvent(3)}, {VersionFor(2)}).ok());
  ASSERT_TRUE(
      log.WaitFor([](const CommitLog::Entry& e) { return !e.status.ok(); }, absl::Seconds(10)));
  EXPECT_EQ(raw.Int("SELECT count(*) FROM events"), 0);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM config_versions"), 0);

  raw.Exec("DROP TRIGGER outage");
  ASSERT_TRUE(log.WaitFor([](const CommitLog::Entry& e) { return e.status.ok() && e.seq == 3; },
                          absl::Seconds(10)));
  ASSERT_TRUE(writer.Stop().ok());
  EXPECT_EQ(raw.Int("SELECT count(*) FROM events"), 3);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM config_versions"), 1);
  EXPECT_EQ(raw.Text("SELECT hash FROM config_versions"), "h2");
}

// A checkpoint waits for the events it follows: saved once they are
// committed, never before (a restart would skip events not in the log).
TEST_F(StoreWriterTest, ACheckpointIsSavedOnlyOnceItsEventsAreCommitted) {
  CommitLog log;
  const StoreOptions options = QuickRetries();
  auto faults = std::make_shared<acd::testing::StoreFaults>();
  faults->FailAll(absl::UnavailableError("disk I/O error"));
  StoreWriter writer(
      std::make_unique<acd::testing::FaultInjectionEventLog>(OpenStore(options), faults), options,
      log.Callback());
  writer.Start();
  ASSERT_TRUE(writer.Append({AgentEvent(1), AgentEvent(2), AgentEvent(3)}).ok());
  core::LiveStatsCheckpoint checkpoint;
  checkpoint.bucket = absl::Minutes(1);
  checkpoint.calls.push_back({"c1", "q", 0, T0()});
  writer.AppendCheckpoint(3, checkpoint);
  ASSERT_TRUE(faults->WaitForFailures(3, absl::Seconds(5)));
  auto stored = [this]() -> std::optional<StoredKpiCheckpoint> {
    absl::StatusOr<sqlite::Database> db = OpenReadConnection(path_, absl::Seconds(1), "a test");
    EXPECT_TRUE(db.ok()) << db.status();
    absl::StatusOr<std::optional<StoredKpiCheckpoint>> c = LoadKpiCheckpoint(*db);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : std::nullopt;
  };
  EXPECT_FALSE(stored().has_value());

  faults->Clear();
  ASSERT_TRUE(log.WaitFor([](const CommitLog::Entry& e) { return e.status.ok() && e.seq == 3; },
                          absl::Seconds(5)));
  // A later one, handed over with no event after it, is saved by Stop().
  checkpoint.calls.push_back({"c2", "q", 1, T0()});
  writer.AppendCheckpoint(3, checkpoint);
  EXPECT_TRUE(writer.Stop().ok());
  std::optional<StoredKpiCheckpoint> saved = stored();
  ASSERT_TRUE(saved.has_value());
  EXPECT_EQ(saved->seq, 3);
  ASSERT_EQ(saved->checkpoint.calls.size(), 2u);
  EXPECT_EQ(saved->checkpoint.calls[1].call_id, "c2");
  EXPECT_EQ(saved->checkpoint.calls[1].transfers, 1);
}

TEST_F(StoreWriterTest, StopGivesUpOnAStoreThatStaysDownAndSaysWhatIsLost) {
  CommitLog log;
  StoreOptions options;
  options.stop_timeout = absl::Milliseconds(200);
  StoreWriter writer(OpenStore(options), options, log.Callback());
  RawDb raw(path_);
  raw.Exec(
      "CREATE TRIGGER outage BEFORE INSERT ON events "
      "BEGIN SELECT RAISE(ABORT, 'simulated outage'); END");
  writer.Start();
  ASSERT_TRUE(writer.Append({AgentEvent(1), AgentEvent(2), AgentEvent(3)}).ok());
  ASSERT_TRUE(
      log.WaitFor([](const CommitLog::Entry& e) { return !e.status.ok(); }, absl::Seconds(10)));

  const absl::Time start = absl::Now();
  absl::Status stopped = writer.Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_THAT(stopped.message(), HasSubstr("3 events (seq 1..3)"));
  EXPECT_EQ(writer.Stop().message(), stopped.message());  // idempotent

  EXPECT_EQ(writer.committed_seq(), 0);
  std::vector<CommitLog::Entry> entries = log.entries();
  ASSERT_FALSE(entries.empty());
  for (const CommitLog::Entry& e : entries) EXPECT_FALSE(e.status.ok());
  EXPECT_THAT(entries.back().status.message(), HasSubstr("3 events (seq 1..3)"));
  EXPECT_THAT(entries.back().status.message(), HasSubstr("not committed"));

  absl::Status late = writer.Append({AgentEvent(4)});
  EXPECT_EQ(late.code(), absl::StatusCode::kFailedPrecondition) << late;
}

TEST_F(StoreWriterTest, StopWithoutStartStillCommitsWhatWasAppended) {
  CommitLog log;
  {
    StoreWriter writer(OpenStore(), StoreOptions(), log.Callback());
    ASSERT_TRUE(writer.Append({AgentEvent(1), AgentEvent(2)}).ok());
    ASSERT_TRUE(writer.Append({AgentEvent(3)}).ok());
    // The destructor stops the writer.
  }
  std::vector<CommitLog::Entry> entries = log.entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].seq, 3);
  EXPECT_EQ(ReadAll().size(), 3u);
}

TEST_F(StoreWriterTest, StopIsIdempotentAndAnIdleWriterCommitsNothing) {
  CommitLog log;
  StoreWriter writer(OpenStore(), StoreOptions(), log.Callback());
  writer.Start();
  writer.Start();
  EXPECT_TRUE(writer.Stop().ok());
  EXPECT_TRUE(writer.Stop().ok());
  EXPECT_EQ(writer.transactions(), 0);
  EXPECT_TRUE(log.entries().empty());
}

}  // namespace
}  // namespace acd::store
