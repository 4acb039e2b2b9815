// LoadLiveState / FirstSeqAtOrAfter over a real SQLite file, written by the
// real EventStore from the events of a real engine.
#include "server/store/live_state.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/core/engine.h"
#include "server/store/event_reader.h"
#include "server/store/event_store.h"
#include "tests/core/snapshot_fold.h"
#include "tests/store/store_test_util.h"

namespace acd::store {
namespace {

using testing::T0;

class LiveStateTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    path_ = Path("acd.db");
    absl::StatusOr<std::unique_ptr<EventStore>> store = EventStore::Open(path_, StoreOptions());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    core::QueueConfig q;
    q.name = "q";
    q.wrap_up_time = absl::ZeroDuration();
    q.callback.enabled = true;
    config_.queues = {q};
    for (const char* id : {"a", "b", "c"}) {
      core::AgentConfig a;
      a.agent_id = id;
      a.queues = {"q"};
      config_.agents.push_back(a);
    }
    ASSERT_TRUE(engine_.ApplyConfig(config_, T0()).ok());
    Commit();
  }
  // Commits what the engine emitted, and folds it as a restart would see it.
  void Commit() {
    std::vector<core::Event> events = engine_.TakeEvents();
    fold_.Add(events);
    absl::Status s = store_->Append(events, {});
    ASSERT_TRUE(s.ok()) << s;
  }
  sqlite::Database Read() {
    absl::StatusOr<sqlite::Database> db = OpenReadConnection(path_, absl::Seconds(1), "a test");
    EXPECT_TRUE(db.ok()) << db.status();
    return std::move(*db);
  }

  std::string path_;
  std::unique_ptr<EventStore> store_;
  core::RoutingConfig config_;
  core::Engine engine_;
  core::SnapshotFold fold_;
};

TEST_F(LiveStateTest, ReadsTheLiveCallsAgentsAndRequestsTheEventsLeft) {
  absl::Time t = T0();
  ASSERT_TRUE(engine_.Login("a", true, t).ok());
  ASSERT_TRUE(engine_.EnqueueCall({.call_id = "talking", .queue = "q", .priority = 2}, t).ok());
  ASSERT_TRUE(engine_.AcceptOffer("a", "talking", t).ok());
  t += absl::Minutes(3);
  ASSERT_TRUE(engine_.EndCall("talking", t).ok());  // completes: no wrap-up
  ASSERT_TRUE(engine_.EnqueueCall({.call_id = "done", .queue = "q"}, t).ok());
  ASSERT_TRUE(engine_.AcceptOffer("a", "done", t).ok());
  ASSERT_TRUE(engine_.Login("b", false, t).ok());
  ASSERT_TRUE(engine_.SetAway("b", "lunch", t).ok());
  ASSERT_TRUE(
      engine_
          .EnqueueCall(
              {.call_id = "waiting", .queue = "q", .priority = 4, .attributes = {{"lang", "fr"}}},
              t)
          .ok());
  ASSERT_TRUE(engine_.RequestCallback("waiting", "+15550100", t).ok());
  Commit();

  sqlite::Database db = Read();
  absl::StatusOr<core::RestoredState> state = LoadLiveState(db, {"q", "other"});
  ASSERT_TRUE(state.ok()) << state.status();
  core::RestoredState want = fold_.State();

  std::vector<std::string> ids;
  for (const core::RestoredCall& c : state->calls) ids.push_back(c.call.call_id);
  EXPECT_THAT(ids, ::testing::UnorderedElementsAre("done", "waiting"));
  ASSERT_EQ(state->calls.size(), want.calls.size());
  for (const core::RestoredCall& got : state->calls) {
    for (const core::RestoredCall& w : want.calls) {
      if (w.call.call_id != got.call.call_id) continue;
      testing::ExpectCallEq(got.call, w.call);
      ASSERT_TRUE(got.request.has_value());
      EXPECT_EQ(got.request->priority, w.request->priority);
      EXPECT_EQ(got.request->attributes, w.request->attributes);
    }
  }
  // The finished call, with its request.
  ASSERT_EQ(state->finished.size(), 1u);
  EXPECT_EQ(state->finished[0].call.call_id, "talking");
  EXPECT_EQ(state->finished[0].call.state, core::CallState::kCompleted);
  ASSERT_TRUE(state->finished[0].request.has_value());
  EXPECT_EQ(state->finished[0].request->priority, 2);
  ASSERT_EQ(state->agents.size(), 2u);  // c never logged in: no snapshot
  EXPECT_EQ(state->agents[0].agent_id, "a");
  EXPECT_EQ(state->agents[0].state, core::AgentState::kBusy);
  EXPECT_EQ(state->agents[1].state, core::AgentState::kAway);
  EXPECT_EQ(state->agents[1].away_reason, "lunch");
  // Handle times: the completed call's 3 minutes, for its queue only.
  ASSERT_TRUE(state->handle_times.contains("q"));
  EXPECT_THAT(state->handle_times.at("q"), ::testing::ElementsAre(absl::Minutes(3)));
  EXPECT_FALSE(state->handle_times.contains("other"));
}

TEST_F(LiveStateTest, ReadsTheLatestFinishedCallsOldestFirstUpToTheLimit) {
  absl::Time t = T0();
  ASSERT_TRUE(engine_.Login("a", false, t).ok());  // away: every call waits
  for (const char* id : {"c1", "c2", "c3", "c4"}) {
    ASSERT_TRUE(engine_.EnqueueCall({.call_id = id, .queue = "q"}, t).ok());
  }
  // Finished in another order than they came: the latest to finish count.
  for (const char* id : {"c3", "c1", "c4"}) {
    t += absl::Seconds(1);
    ASSERT_TRUE(engine_.AbandonCall(id, "hung up", t).ok());
  }
  Commit();

  sqlite::Database db = Read();
  absl::StatusOr<core::RestoredState> state = LoadLiveState(db, {"q"}, {.finished_calls = 2});
  ASSERT_TRUE(state.ok()) << state.status();
  std::vector<std::string> finished, live;
  for (const core::RestoredCall& c : state->finished) finished.push_back(c.call.call_id);
  for (const core::RestoredCall& c : state->calls) live.push_back(c.call.call_id);
  EXPECT_THAT(finished, ::testing::ElementsAre("c1", "c4"));
  EXPECT_THAT(live, ::testing::ElementsAre("c2"));
  // What the fold (and so the engine tests) hands a restart is the same.
  std::vector<std::string> folded;
  for (const core::RestoredCall& c : fold_.State(2).finished) folded.push_back(c.call.call_id);
  EXPECT_EQ(folded, finished);
}

TEST_F(LiveStateTest, FirstSeqAtOrAfterFindsTheFirstEventOfATime) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(engine_.Login("a", true, T0() + absl::Minutes(i)).ok());
    ASSERT_TRUE(engine_.Logout("a", T0() + absl::Minutes(i)).ok());
  }
  Commit();  // seq 1 is config_applied at T0, then two events a minute
  sqlite::Database db = Read();
  EXPECT_EQ(*FirstSeqAtOrAfter(db, T0() - absl::Hours(1)), 1);
  EXPECT_EQ(*FirstSeqAtOrAfter(db, T0() + absl::Minutes(4)), 10);
  EXPECT_EQ(*FirstSeqAtOrAfter(db, T0() + absl::Minutes(4) + absl::Seconds(1)), 12);
  EXPECT_EQ(*FirstSeqAtOrAfter(db, T0() + absl::Hours(1)), 22);  // none: last + 1
  // The daemon's replay reads from there in chunks.
  absl::StatusOr<std::vector<core::Event>> range =
      ReadEvents(db, {.after_seq = 9, .up_to_seq = 13, .limit = 3});
  ASSERT_TRUE(range.ok()) << range.status();
  ASSERT_EQ(range->size(), 3u);
  EXPECT_EQ(range->front().seq, 10);
  EXPECT_EQ(range->back().seq, 12);
  range = ReadEvents(db, {.after_seq = 12, .up_to_seq = 13, .limit = 3});
  ASSERT_TRUE(range.ok()) << range.status();
  ASSERT_EQ(range->size(), 1u);
  EXPECT_EQ(range->front().seq, 13);
}

TEST_F(LiveStateTest, AnUndecodableSnapshotIsDataLossNamingItsSeq) {
  ASSERT_TRUE(engine_.EnqueueCall({.call_id = "c1", .queue = "q"}, T0()).ok());
  Commit();
  store_.reset();
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw, "UPDATE events SET payload = '{\"call\": 7}' WHERE seq = 2",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(raw);
  }
  sqlite::Database db = Read();
  absl::StatusOr<core::RestoredState> state = LoadLiveState(db, {"q"});
  EXPECT_EQ(state.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(state.status().message()), ::testing::HasSubstr("event seq 2"));
}

}  // namespace
}  // namespace acd::store
