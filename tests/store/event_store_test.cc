#include "server/store/event_store.h"

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/store/event_codec.h"
#include "tests/store/call_record.h"
#include "tests/store/store_test_util.h"

namespace acd::store {
namespace {

using testing::AgentEvent;
using testing::CallRecord;
using testing::ExpectEventEq;
using testing::FullAgent;
using testing::FullCall;
using ::testing::HasSubstr;
using testing::RawDb;
using testing::ReadCallRecord;
using testing::ReadStoredEvents;
using testing::T0;

class EventStoreTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    path_ = Path("acd.db");
  }

  std::unique_ptr<EventStore> OpenStore() {
    absl::StatusOr<std::unique_ptr<EventStore>> store = EventStore::Open(path_, StoreOptions());
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  std::string path_;
};

// A call's event with its snapshot at that point of its life.
core::Event CallEvent(int64_t seq, core::EventType type, const core::Call& call, absl::Time time) {
  core::Event event;
  event.seq = seq;
  event.time = time;
  event.type = type;
  event.call_id = call.call_id;
  event.agent_id = call.agent_id;
  event.queue = call.queue;
  event.call = call;
  return event;
}

TEST_F(EventStoreTest, EventsSurviveReopenDecodedIdentical) {
  std::vector<core::Event> events;
  {
    core::Event both = CallEvent(1, core::EventType::kCallEnded, FullCall(), T0());
    both.agent = FullAgent();
    both.reason = "caller_hangup";
    events.push_back(both);

    core::Call sparse;  // optional times unset, maps empty
    sparse.call_id = "call-2";
    sparse.queue = "support";
    sparse.enqueued_at = T0() - absl::Hours(24 * 365 * 60);  // before the epoch
    events.push_back(CallEvent(2, core::EventType::kCallQueued, sparse, T0()));

    core::Event agent_only;
    agent_only.seq = 3;
    agent_only.time = T0() + absl::Microseconds(1);
    agent_only.type = core::EventType::kAgentLoggedIn;
    agent_only.agent_id = "alice";
    agent_only.agent = FullAgent();
    agent_only.agent->wrap_up_until.reset();
    events.push_back(agent_only);

    core::Event bare;  // neither snapshot
    bare.seq = 4;
    bare.time = T0() + absl::Seconds(2);
    bare.type = core::EventType::kConfigApplied;
    bare.reason = "sighup";
    events.push_back(bare);
  }

  {
    std::unique_ptr<EventStore> store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append(events, {}).ok());
    EXPECT_EQ(store->transactions_committed(), 1);
  }

  std::unique_ptr<EventStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  absl::StatusOr<int64_t> last = store->LastSeq();
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(*last, 4);

  absl::StatusOr<std::vector<core::Event>> read = ReadStoredEvents(path_, {.limit = 100});
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) ExpectEventEq((*read)[i], events[i]);

  // A page from the middle.
  read = ReadStoredEvents(path_, {.after_seq = 1, .limit = 2});
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[0].seq, 2);
  EXPECT_EQ((*read)[1].seq, 3);
  read = ReadStoredEvents(path_, {.after_seq = 4, .limit = 10});
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->empty());
}

TEST_F(EventStoreTest, ReadEventsKeepsToItsRangeAndFilters) {
  std::unique_ptr<EventStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  core::Call sales = FullCall();  // call-1 in sales, with alice
  core::Call support;
  support.call_id = "call-2";
  support.queue = "support";
  support.enqueued_at = T0();
  core::Event alice = AgentEvent(3);
  alice.agent_id = "alice";
  ASSERT_TRUE(store
                  ->Append({CallEvent(1, core::EventType::kCallQueued, sales, T0()),
                            CallEvent(2, core::EventType::kCallQueued, support, T0()), alice,
                            AgentEvent(4), CallEvent(5, core::EventType::kCallEnded, sales, T0())},
                           {})
                  .ok());
  auto seqs = [this](const EventQuery& query) {
    absl::StatusOr<std::vector<core::Event>> read = ReadStoredEvents(path_, query);
    EXPECT_TRUE(read.ok()) << read.status();
    std::vector<int64_t> out;
    if (read.ok()) {
      for (const core::Event& e : *read) out.push_back(e.seq);
    }
    return out;
  };
  using Seqs = std::vector<int64_t>;
  EXPECT_EQ(seqs({.after_seq = 1, .up_to_seq = 4}), (Seqs{2, 3, 4}));
  EXPECT_EQ(seqs({.call_id = "call-1"}), (Seqs{1, 5}));
  EXPECT_EQ(seqs({.agent_id = "alice"}), (Seqs{1, 3, 5}));
  EXPECT_EQ(seqs({.queue = "support"}), (Seqs{2}));
  EXPECT_EQ(seqs({.after_seq = 1, .call_id = "call-1", .agent_id = "alice"}), (Seqs{5}));
  EXPECT_EQ(seqs({.up_to_seq = 4, .call_id = "call-1", .limit = 5}), (Seqs{1}));
  EXPECT_EQ(seqs({.agent_id = "nobody"}), Seqs{});
}

TEST_F(EventStoreTest, ColumnsAndPayloadAreReadableFromSql) {
  std::unique_ptr<EventStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  core::Call call = FullCall();
  core::Event event = CallEvent(1, core::EventType::kCallOffered, call, T0());
  event.agent_id.clear();
  ASSERT_TRUE(store->Append({event}, {}).ok());

  RawDb raw(path_);
  EXPECT_EQ(raw.Text("SELECT type FROM events WHERE seq = 1"), "call_offered");
  EXPECT_EQ(raw.Text("SELECT call_id FROM events WHERE seq = 1"), "call-1");
  EXPECT_EQ(raw.Text("SELECT agent_id FROM events WHERE seq = 1"), std::nullopt);
  EXPECT_EQ(raw.Int("SELECT time_us FROM events WHERE seq = 1"), absl::ToUnixMicros(T0()));
  EXPECT_EQ(raw.Int("SELECT json_extract(payload, '$.call.enqueued_at_us') FROM events"),
            absl::ToUnixMicros(call.enqueued_at));
  EXPECT_EQ(raw.Text("SELECT json_extract(payload, '$.call.state') FROM events"), "wrap_up");
  EXPECT_EQ(raw.Int("SELECT json_extract(payload, '$.call.required_skills.billing') FROM events"),
            10);
  EXPECT_EQ(raw.Text("SELECT json_extract(attributes, '$.caller') FROM calls"),
            "+33 1 23 45 67 89");
}

TEST_F(EventStoreTest, CallRecordFollowsTheCallsLife) {
  std::unique_ptr<EventStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  const absl::Time t0 = T0();
  core::Call call;
  call.call_id = "c-42";
  call.queue = "sales";
  call.priority = 3;
  call.required_skills = {{"english", 5}};
  call.attributes = {{"tier", "gold"}};
  call.enqueued_at = t0;

  auto record = [&]() {
    absl::StatusOr<std::optional<CallRecord>> r = ReadCallRecord(path_, "c-42");
    EXPECT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r.ok() && r->has_value());
    return r.ok() && r->has_value() ? **r : CallRecord();
  };

  // Queued: nothing measured yet.
  ASSERT_TRUE(store->Append({CallEvent(1, core::EventType::kCallQueued, call, t0)}, {}).ok());
  CallRecord r = record();
  EXPECT_EQ(r.state, "queued");
  EXPECT_EQ(r.queue, "sales");
  EXPECT_EQ(r.priority, 3);
  EXPECT_EQ(r.enqueued_at, t0);
  EXPECT_EQ(r.agent_id, "");
  EXPECT_EQ(r.wait, std::nullopt);
  EXPECT_EQ(r.talk, std::nullopt);
  EXPECT_EQ(r.wrap_up, std::nullopt);
  EXPECT_EQ(r.required_skills, call.required_skills);
  EXPECT_EQ(r.attributes, call.attributes);
  EXPECT_EQ(r.last_seq, 1);

  // Offered: an agent, still no wait (not connected, not ended).
  call.state = core::CallState::kOffered;
  call.agent_id = "alice";
  call.offered_at = t0 + absl::Seconds(5);
  ASSERT_TRUE(
      store->Append({CallEvent(2, core::EventType::kCallOffered, call, *call.offered_at)}, {})
          .ok());
  r = record();
  EXPECT_EQ(r.state, "offered");
  EXPECT_EQ(r.agent_id, "alice");
  EXPECT_EQ(r.offered_at, t0 + absl::Seconds(5));
  EXPECT_EQ(r.wait, std::nullopt);

  // Connected: the wait is known.
  call.state = core::CallState::kConnected;
  call.connected_at = t0 + absl::Seconds(8) + absl::Milliseconds(250);
  ASSERT_TRUE(
      store->Append({CallEvent(3, core::EventType::kCallConnected, call, *call.connected_at)}, {})
          .ok());
  r = record();
  EXPECT_EQ(r.state, "connected");
  EXPECT_EQ(r.connected_at, call.connected_at);
  EXPECT_EQ(r.wait, absl::Milliseconds(8250));
  EXPECT_EQ(r.talk, std::nullopt);

  // Ended: talk time; the agent wraps up.
  call.state = core::CallState::kWrapUp;
  call.ended_at = t0 + absl::Seconds(68) + absl::Milliseconds(250);
  call.end_reason = "caller_hangup";
  ASSERT_TRUE(
      store->Append({CallEvent(4, core::EventType::kCallEnded, call, *call.ended_at)}, {}).ok());
  r = record();
  EXPECT_EQ(r.state, "wrap_up");
  EXPECT_EQ(r.ended_at, call.ended_at);
  EXPECT_EQ(r.wait, absl::Milliseconds(8250));
  EXPECT_EQ(r.talk, absl::Seconds(60));
  EXPECT_EQ(r.wrap_up, std::nullopt);
  EXPECT_EQ(r.end_reason, "caller_hangup");

  // Completed: wrap-up time, disposition and notes.
  call.state = core::CallState::kCompleted;
  call.completed_at = t0 + absl::Seconds(98) + absl::Milliseconds(250);
  call.disposition = "sale";
  call.notes = "upgrade to gold, call back Tuesday";
  ASSERT_TRUE(
      store->Append({CallEvent(5, core::EventType::kCallCompleted, call, *call.completed_at)}, {})
          .ok());
  r = record();
  EXPECT_EQ(r.call_id, "c-42");
  EXPECT_EQ(r.state, "completed");
  EXPECT_EQ(r.agent_id, "alice");
  EXPECT_EQ(r.enqueued_at, t0);
  EXPECT_EQ(r.offered_at, t0 + absl::Seconds(5));
  EXPECT_EQ(r.completed_at, call.completed_at);
  EXPECT_EQ(r.wait, absl::Milliseconds(8250));
  EXPECT_EQ(r.talk, absl::Seconds(60));
  EXPECT_EQ(r.wrap_up, absl::Seconds(30));
  EXPECT_EQ(r.disposition, "sale");
  EXPECT_EQ(r.notes, "upgrade to gold, call back Tuesday");
  EXPECT_EQ(r.last_seq, 5);

  // Events that carry no call snapshot leave the record alone.
  core::Event unrelated = AgentEvent(6);
  unrelated.call_id = "c-42";
  ASSERT_TRUE(store->Append({unrelated}, {}).ok());
  EXPECT_EQ(record().last_seq, 5);
}

TEST_F(EventStoreTest, LaterSnapshotInTheSameBatchWins) {
  std::unique_ptr<EventStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  core::Call call;
  call.call_id = "c-1";
  call.queue = "q";
  call.enqueued_at = T0();
  core::Event queued = CallEvent(1, core::EventType::kCallQueued, call, T0());
  call.state = core::CallState::kOffered;
  call.agent_id = "bob";
  call.offered_at = T0() + absl::Seconds(1);
  core::Event offered = CallEvent(2, core::EventType::kCallOffered, call, T0() + absl::Seconds(1));
  ASSERT_TRUE(store->Append({queued, offered}, {}).ok());
  absl::StatusOr<std::optional<CallRecord>> r = ReadCallRecord(path_, "c-1");
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->state, "offered");
  EXPECT_EQ((*r)->agent_id, "bob");
  EXPECT_EQ((*r)->last_seq, 2);
}

TEST_F(EventStoreTest, AbandonedCallWaitsUntilItWasAbandoned) {
  std::unique_ptr<EventStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  core::Call call;
  call.call_id = "gone";
  call.queue = "sales";
  call.enqueued_at = T0();
  ASSERT_TRUE(store->Append({CallEvent(1, core::EventType::kCallQueued, call, T0())}, {}).ok());
  // The snapshot has no end time: the abandon event's time counts.
  call.state = core::CallState::kAbandoned;
  call.end_reason = "caller_hangup";
  const absl::Time abandoned_at = T0() + absl::Seconds(42);
  ASSERT_TRUE(
      store->Append({CallEvent(2, core::EventType::kCallAbandoned, call, abandoned_at)}, {}).ok());

  absl::StatusOr<std::optional<CallRecord>> r = ReadCallRecord(path_, "gone");
  ASSERT_TRUE(r.ok() && r->has_value()) << r.status();
  EXPECT_EQ((*r)->state, "abandoned");
  EXPECT_EQ((*r)->wait, absl::Seconds(42));
  EXPECT_EQ((*r)->ended_at, abandoned_at);
  EXPECT_EQ((*r)->talk, std::nullopt);
  EXPECT_EQ((*r)->wrap_up, std::nullopt);
  EXPECT_EQ((*r)->end_reason, "caller_hangup");

  // With an end time in the snapshot, that one counts.
  call.call_id = "gone-too";
  call.ended_at = T0() + absl::Seconds(10);
  ASSERT_TRUE(
      store->Append({CallEvent(3, core::EventType::kCallAbandoned, call, abandoned_at)}, {}).ok());
  r = ReadCallRecord(path_, "gone-too");
  ASSERT_TRUE(r.ok() && r->has_value()) << r.status();
  EXPECT_EQ((*r)->wait, absl::Seconds(10));
}

TEST_F(EventStoreTest, UnknownCallHasNoRecord) {
  std::unique_ptr<EventStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  absl::StatusOr<std::optional<CallRecord>> r = ReadCallRecord(path_, "nobody");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->has_value());
}

TEST_F(EventStoreTest, NonIncreasingSeqFailsAndChangesNothing) {
  std::unique_ptr<EventStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  core::Call call;
  call.call_id = "c";
  call.queue = "q";
  call.enqueued_at = T0();
  ASSERT_TRUE(store
                  ->Append({AgentEvent(1), AgentEvent(2),
                            CallEvent(3, core::EventType::kCallQueued, call, T0())},
                           {})
                  .ok());
  const int64_t transactions = store->transactions_committed();

  call.state = core::CallState::kAbandoned;
  core::Event abandon_again = CallEvent(3, core::EventType::kCallAbandoned, call, T0());
  core::Event abandon_old = CallEvent(2, core::EventType::kCallAbandoned, call, T0());
  core::Event abandon_new = CallEvent(4, core::EventType::kCallAbandoned, call, T0());
  struct Case {
    std::vector<core::Event> batch;
    std::string mentions;
  };
  for (const Case& c : std::vector<Case>{
           {{abandon_again}, "seq 3"},  // repeats the last
           {{abandon_old}, "seq 2"},    // goes back
           {{abandon_new, AgentEvent(5), AgentEvent(5)}, "seq 5 follows seq 5"},  // repeats
           {{AgentEvent(6), abandon_new}, "seq 4 follows seq 6"},                 // out of order
       }) {
    absl::Status status = store->Append(c.batch, {});
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(status.message(), HasSubstr(c.mentions));
  }

  EXPECT_EQ(store->transactions_committed(), transactions);
  absl::StatusOr<int64_t> last = store->LastSeq();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 3);
  absl::StatusOr<std::vector<core::Event>> read = ReadStoredEvents(path_, {.limit = 100});
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->size(), 3u);
  absl::StatusOr<std::optional<CallRecord>> r = ReadCallRecord(path_, "c");
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->state, "queued");
  EXPECT_EQ((*r)->last_seq, 3);

  // The store is still usable.
  EXPECT_TRUE(store->Append({abandon_new}, {}).ok());
}

TEST_F(EventStoreTest, FailureMidBatchRollsBackTheWholeBatch) {
  std::unique_ptr<EventStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  RawDb raw(path_);
  raw.Exec(
      "CREATE TRIGGER fail_seq_3 BEFORE INSERT ON events WHEN NEW.seq = 3 "
      "BEGIN SELECT RAISE(ABORT, 'no seq 3 today'); END");

  core::Call call;
  call.call_id = "c";
  call.queue = "q";
  call.enqueued_at = T0();
  std::vector<core::Event> batch = {CallEvent(1, core::EventType::kCallQueued, call, T0()),
                                    AgentEvent(2), AgentEvent(3), AgentEvent(4)};
  absl::Status status = store->Append(batch, {});
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
  EXPECT_THAT(status.message(), HasSubstr("no seq 3 today"));
  EXPECT_THAT(status.message(), HasSubstr("seq 3"));
  EXPECT_THAT(status.message(), HasSubstr(path_));

  EXPECT_EQ(raw.Int("SELECT count(*) FROM events"), 0);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM calls"), 0);
  EXPECT_EQ(store->transactions_committed(), 0);

  raw.Exec("DROP TRIGGER fail_seq_3");
  ASSERT_TRUE(store->Append(batch, {}).ok());
  EXPECT_EQ(raw.Int("SELECT count(*) FROM events"), 4);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM calls"), 1);
}

TEST_F(EventStoreTest, SeqCheckSeesWhatIsOnDisk) {
  std::unique_ptr<EventStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  // Someone else wrote seq 1 behind the store's back: seq 1 no longer fits,
  // and the store notices inside its transaction.
  RawDb raw(path_);
  raw.Exec("INSERT INTO events (seq, time_us, type, payload) VALUES (1, 0, 'call_queued', '{}')");
  absl::Status status = store->Append({AgentEvent(1)}, {});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(raw.Int("SELECT count(*) FROM events"), 1);
  EXPECT_TRUE(store->Append({AgentEvent(2)}, {}).ok());
}

TEST_F(EventStoreTest, CallRowFollowsQueueAndAgentChangesAndItsIndexesAgree) {
  // Most events of a call keep its queue, agent and arrival (the row is
  // updated without touching the indexes on them); a transfer changes them.
  std::unique_ptr<EventStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  core::Call call;
  call.call_id = "c1";
  call.queue = "support";
  call.enqueued_at = T0();
  std::vector<core::Event> steps;
  steps.push_back(CallEvent(1, core::EventType::kCallQueued, call, T0()));
  call.state = core::CallState::kOffered;
  call.agent_id = "alice";
  steps.push_back(CallEvent(2, core::EventType::kCallOffered, call, T0()));
  call.state = core::CallState::kConnected;
  call.connected_at = T0() + absl::Seconds(5);
  steps.push_back(CallEvent(3, core::EventType::kCallConnected, call, T0()));
  call.state = core::CallState::kQueued;
  call.queue = "sales";
  call.agent_id = "";
  call.enqueued_at = T0() + absl::Seconds(60);
  call.transfers = 1;
  steps.push_back(CallEvent(4, core::EventType::kCallTransferred, call, T0()));
  call.state = core::CallState::kConnected;
  call.agent_id = "bob";
  steps.push_back(CallEvent(5, core::EventType::kCallConnected, call, T0()));
  call.state = core::CallState::kCompleted;
  call.disposition = "sold";
  steps.push_back(CallEvent(6, core::EventType::kCallCompleted, call, T0()));
  RawDb raw(path_);
  for (const core::Event& step : steps) {
    ASSERT_TRUE(store->Append({step}, {}).ok());
    const core::Call& c = *step.call;
    EXPECT_EQ(raw.Text("SELECT queue || '/' || coalesce(agent_id, '-') || '/' || state || '/' || "
                       "last_seq FROM calls WHERE call_id = 'c1'"),
              absl::StrCat(c.queue, "/", c.agent_id.empty() ? "-" : c.agent_id, "/",
                           core::CallStateName(c.state), "/", step.seq));
    // Each index finds the row under its current keys only.
    EXPECT_EQ(raw.Int(absl::StrCat("SELECT count(*) FROM calls INDEXED BY calls_by_queue WHERE "
                                   "queue = '",
                                   c.queue,
                                   "' AND enqueued_at_us = ", absl::ToUnixMicros(c.enqueued_at))),
              1);
    EXPECT_EQ(raw.Int("SELECT count(*) FROM calls INDEXED BY calls_by_agent WHERE agent_id = "
                      "'alice'"),
              c.agent_id == "alice" ? 1 : 0);
  }
  EXPECT_EQ(raw.Text("SELECT disposition || ' ' || transfers FROM calls"), "sold 1");
  EXPECT_EQ(raw.Text("PRAGMA integrity_check"), "ok");
}

TEST_F(EventStoreTest, FreshDatabaseHasCurrentSchemaInWalMode) {
  {
    std::unique_ptr<EventStore> store = OpenStore();
    ASSERT_NE(store, nullptr);
  }
  RawDb raw(path_);
  EXPECT_EQ(raw.Int("PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(raw.Text("PRAGMA journal_mode"), "wal");
  for (const char* table : {"events", "calls", "config_versions"}) {
    EXPECT_EQ(raw.Int(absl::StrCat("SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
                                   "AND name = '",
                                   table, "'")),
              1)
        << table;
  }
  // Opening again finds nothing to migrate and keeps the data.
  raw.Exec("INSERT INTO config_versions (hash, text, applied_at_us) VALUES ('h', 't', 0)");
  std::unique_ptr<EventStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM config_versions"), 1);
  EXPECT_EQ(raw.Int("PRAGMA user_version"), kSchemaVersion);
}

TEST_F(EventStoreTest, NewerSchemaIsRefusedAndLeftAlone) {
  {
    RawDb raw(path_);
    raw.Exec(absl::StrCat("PRAGMA user_version = ", kSchemaVersion + 6));
  }
  absl::StatusOr<std::unique_ptr<EventStore>> store = EventStore::Open(path_, StoreOptions());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr(absl::StrCat(kSchemaVersion + 6)));
  EXPECT_THAT(store.status().message(), HasSubstr(absl::StrCat("(", kSchemaVersion, ")")));
  EXPECT_THAT(store.status().message(), HasSubstr(path_));

  RawDb raw(path_);
  EXPECT_EQ(raw.Int("PRAGMA user_version"), kSchemaVersion + 6);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM sqlite_schema"), 0);
  EXPECT_EQ(raw.Text("PRAGMA journal_mode"), "delete");
}

TEST_F(EventStoreTest, MissingDirectoryIsAClearError) {
  const std::string bad = Path("no/such/dir/acd.db");
  absl::StatusOr<std::unique_ptr<EventStore>> store = EventStore::Open(bad, StoreOptions());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr(bad));
  EXPECT_THAT(store.status().message(), HasSubstr("unable to open"));
}

TEST_F(EventStoreTest, NotADatabaseIsDataLoss) {
  {
    std::ofstream out(path_);
    out << "this is a text file, long enough to look like a header but not SQLite at all. "
        << std::string(200, 'x');
  }
  absl::StatusOr<std::unique_ptr<EventStore>> store = EventStore::Open(path_, StoreOptions());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr(path_));
}

TEST_F(EventStoreTest, CorruptPayloadIsDataLossNamingTheSeq) {
  std::unique_ptr<EventStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append({AgentEvent(1), AgentEvent(2)}, {}).ok());
  RawDb raw(path_);
  raw.Exec("UPDATE events SET payload = '{\"type\": 17}' WHERE seq = 2");
  absl::StatusOr<std::vector<core::Event>> read = ReadStoredEvents(path_, {.limit = 10});
  EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss) << read.status();
  EXPECT_THAT(read.status().message(), HasSubstr("seq 2"));
  // The intact part is still readable.
  read = ReadStoredEvents(path_, {.limit = 1});
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->size(), 1u);
}

// A config_applied event with seq `seq`.
core::Event ConfigAppliedEvent(int64_t seq) {
  core::Event e;
  e.seq = seq;
  e.time = T0();
  e.type = core::EventType::kConfigApplied;
  e.reason = "1 queues, 0 agents, 0 rules";
  return e;
}

TEST_F(EventStoreTest, ConfigVersionIsWrittenWithItsConfigAppliedEvent) {
  std::unique_ptr<EventStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  const std::string text = "queues:\n  - name: sales\n    wrap_up_time: 30s\n";
  ASSERT_TRUE(store
                  ->Append({AgentEvent(1), ConfigAppliedEvent(2), AgentEvent(3)},
                           {{.seq = 2, .hash = "h1", .text = text, .applied_at = T0()}})
                  .ok());
  EXPECT_EQ(store->transactions_committed(), 1);  // the row included
  RawDb raw(path_);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM config_versions"), 1);
  EXPECT_EQ(raw.Text("SELECT hash FROM config_versions"), "h1");
  EXPECT_EQ(raw.Text("SELECT text FROM config_versions"), text);
  EXPECT_EQ(raw.Int("SELECT applied_at_us FROM config_versions"), absl::ToUnixMicros(T0()));

  // Two in one batch, in order; a config_applied without a version records
  // nothing.
  ASSERT_TRUE(store
                  ->Append({ConfigAppliedEvent(4), ConfigAppliedEvent(5), ConfigAppliedEvent(6)},
                           {{.seq = 4, .hash = "h4", .text = "queues: []\n", .applied_at = T0()},
                            {.seq = 6, .hash = "h6", .text = "agents: []\n", .applied_at = T0()}})
                  .ok());
  EXPECT_EQ(raw.Text("SELECT group_concat(hash, ' ') FROM (SELECT hash FROM config_versions "
                     "ORDER BY id)"),
            "h1 h4 h6");
}

TEST_F(EventStoreTest, AVersionNamingNoConfigAppliedEventOfItsBatchIsRefused) {
  std::unique_ptr<EventStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append({ConfigAppliedEvent(1)}, {}).ok());
  const ConfigVersion version{.hash = "h", .text = "queues: []\n", .applied_at = T0()};
  struct Case {
    std::vector<core::Event> events;
    std::vector<int64_t> version_seqs;
  };
  for (const Case& c : std::vector<Case>{
           {{AgentEvent(2), ConfigAppliedEvent(3)}, {2}},             // not a config_applied
           {{ConfigAppliedEvent(2)}, {1}},                            // an earlier batch's
           {{ConfigAppliedEvent(2)}, {3}},                            // a later one
           {{ConfigAppliedEvent(2)}, {2, 2}},                         // two for one event
           {{ConfigAppliedEvent(2), ConfigAppliedEvent(3)}, {3, 2}},  // out of order
           {{}, {2}},                                                 // no event at all
       }) {
    std::vector<ConfigVersion> configs;
    for (int64_t seq : c.version_seqs) {
      configs.push_back(version);
      configs.back().seq = seq;
    }
    absl::Status status = store->Append(c.events, configs);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(status.message(), HasSubstr("config version h"));
  }
  RawDb raw(path_);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM events"), 1);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM config_versions"), 0);
}

// The durability rule: a config_versions row exists exactly when its
// config_applied event is committed.
TEST_F(EventStoreTest, AFailedAppendWritesNeitherTheEventNorTheVersionAndTheRetryWritesBoth) {
  std::unique_ptr<EventStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  RawDb raw(path_);
  const std::vector<core::Event> batch = {AgentEvent(1), ConfigAppliedEvent(2), AgentEvent(3)};
  const std::vector<ConfigVersion> configs = {
      {.seq = 2, .hash = "h2", .text = "agents: []\n", .applied_at = T0()}};
  // The event after the version fails, then the version itself.
  for (const char* trigger : {"CREATE TRIGGER outage BEFORE INSERT ON events WHEN NEW.seq = 3 "
                              "BEGIN SELECT RAISE(ABORT, 'simulated outage'); END",
                              "CREATE TRIGGER outage BEFORE INSERT ON config_versions "
                              "BEGIN SELECT RAISE(ABORT, 'simulated outage'); END"}) {
    raw.Exec(trigger);
    absl::Status status = store->Append(batch, configs);
    EXPECT_THAT(status.message(), HasSubstr("simulated outage")) << status;
    EXPECT_EQ(raw.Int("SELECT count(*) FROM events"), 0);
    EXPECT_EQ(raw.Int("SELECT count(*) FROM config_versions"), 0);
    raw.Exec("DROP TRIGGER outage");
  }
  ASSERT_TRUE(store->Append(batch, configs).ok());
  EXPECT_EQ(raw.Int("SELECT count(*) FROM events"), 3);
  EXPECT_EQ(raw.Text("SELECT hash FROM config_versions"), "h2");
  EXPECT_EQ(raw.Int("SELECT count(*) FROM config_versions"), 1);
}

TEST_F(EventStoreTest, EmptyAppendIsANoOpAndAReadLimitBelowOneIsRefused) {
  std::unique_ptr<EventStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->Append({}, {}).ok());
  EXPECT_EQ(store->transactions_committed(), 0);
  ASSERT_TRUE(store->Append({AgentEvent(1)}, {}).ok());
  for (int limit : {0, -1}) {
    absl::StatusOr<std::vector<core::Event>> read = ReadStoredEvents(path_, {.limit = limit});
    EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument) << read.status();
    EXPECT_THAT(read.status().message(), HasSubstr(absl::StrCat("limit ", limit)));
  }
}

TEST_F(EventStoreTest, CallRecordKeepsTransfersAndCallback) {
  std::unique_ptr<EventStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  core::Call call;
  call.call_id = "cb-1";
  call.queue = "sales";
  call.enqueued_at = T0();
  ASSERT_TRUE(store->Append({CallEvent(1, core::EventType::kCallQueued, call, T0())}, {}).ok());
  absl::StatusOr<std::optional<CallRecord>> r = ReadCallRecord(path_, "cb-1");
  ASSERT_TRUE(r.ok() && r->has_value()) << r.status();
  EXPECT_EQ((*r)->transfers, 0);
  EXPECT_EQ((*r)->callback_number, "");
  EXPECT_EQ((*r)->callback_attempts, 0);

  call.state = core::CallState::kCallbackScheduled;
  call.transfers = 2;
  call.callback_number = "+15550100";
  call.callback_attempts = 1;
  ASSERT_TRUE(store
                  ->Append({CallEvent(2, core::EventType::kCallbackRequested, call,
                                      T0() + absl::Seconds(30))},
                           {})
                  .ok());
  r = ReadCallRecord(path_, "cb-1");
  ASSERT_TRUE(r.ok() && r->has_value()) << r.status();
  EXPECT_EQ((*r)->transfers, 2);
  EXPECT_EQ((*r)->callback_number, "+15550100");
  EXPECT_EQ((*r)->callback_attempts, 1);
  RawDb raw(path_);
  EXPECT_EQ(raw.Text("SELECT callback_number FROM calls WHERE call_id = 'cb-1'"), "+15550100");
}

// The v1 schema as shipped, frozen here: a database written by the first acd.
constexpr char kSchemaV1[] = R"sql(
CREATE TABLE events (
  seq      INTEGER PRIMARY KEY,
  time_us  INTEGER NOT NULL,
  type     TEXT NOT NULL,
  call_id  TEXT,
  agent_id TEXT,
  queue    TEXT,
  reason   TEXT,
  payload  TEXT NOT NULL
);
CREATE INDEX events_by_call ON events(call_id) WHERE call_id IS NOT NULL;
CREATE INDEX events_by_agent ON events(agent_id) WHERE agent_id IS NOT NULL;
CREATE TABLE calls (
  call_id         TEXT PRIMARY KEY,
  queue           TEXT NOT NULL,
  state           TEXT NOT NULL,
  priority        INTEGER NOT NULL,
  agent_id        TEXT,
  enqueued_at_us  INTEGER,
  offered_at_us   INTEGER,
  connected_at_us INTEGER,
  ended_at_us     INTEGER,
  completed_at_us INTEGER,
  wait_ms         INTEGER,
  talk_ms         INTEGER,
  wrap_up_ms      INTEGER,
  disposition     TEXT,
  notes           TEXT,
  end_reason      TEXT,
  missed_offers   INTEGER NOT NULL DEFAULT 0,
  attributes      TEXT NOT NULL DEFAULT '{}',
  required_skills TEXT NOT NULL DEFAULT '{}',
  last_seq        INTEGER NOT NULL
);
CREATE INDEX calls_by_queue ON calls(queue, enqueued_at_us);
CREATE INDEX calls_by_agent ON calls(agent_id) WHERE agent_id IS NOT NULL;
CREATE TABLE config_versions (
  id            INTEGER PRIMARY KEY,
  hash          TEXT NOT NULL,
  text          TEXT NOT NULL,
  applied_at_us INTEGER NOT NULL
);
PRAGMA user_version = 1;
)sql";

TEST_F(EventStoreTest, V1DatabaseMigratesToTheCurrentSchemaAndKeepsItsRows) {
  {
    RawDb raw(path_);
    raw.Exec("PRAGMA journal_mode = WAL");
    raw.Exec(kSchemaV1);
    // "moved": its last event's snapshot knows transfers and a callback.
    core::Call moved;
    moved.call_id = "moved";
    moved.queue = "billing";
    moved.agent_id = "bob";
    moved.enqueued_at = T0();
    moved.transfers = 2;
    moved.callback_number = "+15550100";
    moved.callback_attempts = 1;
    std::string payload =
        EncodeEventPayload(CallEvent(1, core::EventType::kCallTransferred, moved, T0()));
    raw.Exec(
        absl::StrCat("INSERT INTO events (seq, time_us, type, call_id, payload) VALUES "
                     "(1, 0, 'call_transferred', 'moved', '",
                     payload, "')"));
    // "plain": a payload from before those fields existed.
    raw.Exec(
        "INSERT INTO events (seq, time_us, type, call_id, payload) VALUES "
        "(2, 0, 'call_queued', 'plain', '{\"seq\": 2, \"call\": {\"call_id\": \"plain\"}}')");
    raw.Exec(
        "INSERT INTO calls (call_id, queue, state, priority, agent_id, enqueued_at_us, wait_ms, "
        "last_seq) VALUES "
        "('moved', 'billing', 'queued', 0, 'bob', 0, NULL, 1), "
        "('plain', 'sales', 'abandoned', 3, NULL, 5, 4200, 2)");
    // Agent snapshots: the latest of each agent is what a restart reads.
    for (int seq : {3, 4}) {
      core::Event e = AgentEvent(seq);
      e.agent_id = "alice";
      e.agent = FullAgent();
      e.agent->state = seq == 3 ? core::AgentState::kAvailable : core::AgentState::kAway;
      std::string agent_payload = EncodeEventPayload(e);
      raw.Exec(absl::StrCat("INSERT INTO events (seq, time_us, type, agent_id, payload) VALUES (",
                            seq, ", 0, 'agent_state_changed', 'alice', '", agent_payload, "')"));
    }
    EXPECT_EQ(raw.Int("PRAGMA user_version"), 1);
  }

  std::unique_ptr<EventStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  RawDb raw(path_);
  EXPECT_EQ(raw.Int("PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM events"), 4);
  EXPECT_EQ(raw.Text("SELECT agent_id || ' ' || state || ' ' || last_seq FROM agents"),
            "alice away 4");
  EXPECT_EQ(raw.Int("SELECT count(*) FROM calls"), 2);
  EXPECT_EQ(raw.Text("SELECT group_concat(name) FROM pragma_index_info('calls_by_agent')"),
            "agent_id,enqueued_at_us");
  // Version 5 dropped the events indexes no reader used.
  EXPECT_EQ(raw.Int("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name IN "
                    "('events_by_call', 'events_by_agent')"),
            0);

  absl::StatusOr<std::optional<CallRecord>> moved = ReadCallRecord(path_, "moved");
  ASSERT_TRUE(moved.ok() && moved->has_value()) << moved.status();
  EXPECT_EQ((*moved)->transfers, 2);
  EXPECT_EQ((*moved)->callback_number, "+15550100");
  EXPECT_EQ((*moved)->callback_attempts, 1);
  absl::StatusOr<std::optional<CallRecord>> plain = ReadCallRecord(path_, "plain");
  ASSERT_TRUE(plain.ok() && plain->has_value()) << plain.status();
  EXPECT_EQ((*plain)->state, "abandoned");
  EXPECT_EQ((*plain)->priority, 3);
  EXPECT_EQ((*plain)->wait, absl::Milliseconds(4200));
  EXPECT_EQ((*plain)->transfers, 0);
  EXPECT_EQ((*plain)->callback_number, "");
  EXPECT_EQ((*plain)->callback_attempts, 0);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM calls WHERE callback_number IS NULL"), 1);

  // The migrated store takes new events, and the next open has nothing to do.
  core::Call next;
  next.call_id = "next";
  next.queue = "sales";
  next.enqueued_at = T0();
  next.transfers = 1;
  ASSERT_TRUE(store->Append({CallEvent(5, core::EventType::kCallQueued, next, T0())}, {}).ok());
  store.reset();
  store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(raw.Int("PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(raw.Int("SELECT transfers FROM calls WHERE call_id = 'next'"), 1);
}

}  // namespace
}  // namespace acd::store
