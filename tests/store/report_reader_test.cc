// Reports from call records: calls written through EventStore::Append with
// hand-made snapshots, read back through a separate read-only ReportReader,
// every figure computed by hand.
#include "server/store/report_reader.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/store/event_store.h"
#include "tests/store/store_test_util.h"

namespace acd::store {
namespace {

using ::testing::HasSubstr;
using testing::RawDb;

// 2024-03-04 10:00:00 UTC: an hour boundary.
absl::Time At(int hour, int minute, int second = 0) {
  return absl::FromCivil(absl::CivilSecond(2024, 3, 4, hour, minute, second), absl::UTCTimeZone());
}

// A call as its last snapshot says; durations from arrival.
struct CallSpec {
  CallSpec(std::string id, absl::Time arrived, core::CallState state)
      : id(std::move(id)), arrived(arrived), state(state) {}
  CallSpec& Queue(std::string q) {
    queue = std::move(q);
    return *this;
  }
  CallSpec& Agent(std::string a) {
    agent = std::move(a);
    return *this;
  }
  CallSpec& Answered(absl::Duration after) {
    answered_after = after;
    return *this;
  }
  CallSpec& Ended(absl::Duration after) {
    ended_after = after;
    return *this;
  }
  CallSpec& Completed(absl::Duration after) {
    completed_after = after;
    return *this;
  }
  CallSpec& Transfers(int n) {
    transfers = n;
    return *this;
  }
  CallSpec& Callback(std::string number) {
    callback_number = std::move(number);
    return *this;
  }

  std::string id;
  absl::Time arrived;
  core::CallState state;
  std::string queue = "sales";
  std::string agent;
  std::optional<absl::Duration> answered_after;  // connected at arrival + this
  std::optional<absl::Duration> ended_after;     // ended (hung up, abandoned, timed out)
  std::optional<absl::Duration> completed_after;
  int transfers = 0;
  std::string callback_number;
};

core::Event EventFor(int64_t seq, const CallSpec& spec) {
  core::Call call;
  call.call_id = spec.id;
  call.queue = spec.queue;
  call.state = spec.state;
  call.agent_id = spec.agent;
  call.enqueued_at = spec.arrived;
  if (spec.answered_after) call.connected_at = spec.arrived + *spec.answered_after;
  if (spec.ended_after) call.ended_at = spec.arrived + *spec.ended_after;
  if (spec.completed_after) call.completed_at = spec.arrived + *spec.completed_after;
  call.transfers = spec.transfers;
  call.callback_number = spec.callback_number;
  core::Event event;
  event.seq = seq;
  event.time = spec.arrived + spec.completed_after.value_or(spec.ended_after.value_or(
                                  spec.answered_after.value_or(absl::ZeroDuration())));
  event.type = core::EventType::kCallQueued;
  event.call_id = call.call_id;
  event.queue = call.queue;
  event.call = call;
  return event;
}

using absl::Seconds;
using core::CallState;

// The calls of the tests. sales: SL threshold 20s, short abandon 5s;
// support: 30s, 5s.
std::vector<CallSpec> Calls() {
  return {
      // [10:00, 10:15)
      CallSpec("c1", At(10, 1), CallState::kCompleted)
          .Agent("alice")
          .Answered(Seconds(10))
          .Ended(Seconds(130))
          .Completed(Seconds(160)),
      CallSpec("c2", At(10, 5), CallState::kCompleted)
          .Agent("bob")
          .Answered(Seconds(30))
          .Ended(Seconds(90))
          .Completed(Seconds(90))
          .Transfers(1),
      CallSpec("c3", At(10, 10), CallState::kAbandoned).Ended(Seconds(3)),
      // [10:15, 10:30)
      CallSpec("c4", At(10, 20), CallState::kAbandoned).Ended(Seconds(40)),
      CallSpec("c5", At(10, 25), CallState::kTimedOut).Ended(Seconds(300)),
      CallSpec("c6", At(10, 29, 59), CallState::kCallbackScheduled).Callback("+15550100"),
      // [10:30, 10:45): nothing in sales.
      // [10:45, 11:00): live calls.
      CallSpec("c7", At(10, 50), CallState::kConnected).Agent("alice").Answered(Seconds(5)),
      CallSpec("c8", At(10, 55), CallState::kQueued),
      // Outside [10:00, 11:00).
      CallSpec("c9", At(11, 0), CallState::kQueued),
      CallSpec("c10", At(9, 59, 59), CallState::kQueued),
      // Other queue: alice answers one within support's 30s, not sales' 20s;
      // one abandons while offered to her.
      CallSpec("s1", At(10, 2), CallState::kCompleted)
          .Queue("support")
          .Agent("alice")
          .Answered(Seconds(25))
          .Ended(Seconds(85))
          .Completed(Seconds(95)),
      CallSpec("s2", At(10, 40), CallState::kAbandoned)
          .Queue("support")
          .Agent("alice")
          .Ended(Seconds(12)),
  };
}

class ReportReaderTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    path_ = Path("acd.db");
    absl::StatusOr<std::unique_ptr<EventStore>> store = EventStore::Open(path_, StoreOptions());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    std::vector<core::Event> events;
    for (const CallSpec& spec : Calls()) events.push_back(EventFor(next_seq_++, spec));
    ASSERT_TRUE(store_->Append(events, {}).ok());
    absl::StatusOr<std::unique_ptr<ReportReader>> reader =
        ReportReader::Open(path_, absl::Seconds(5));
    ASSERT_TRUE(reader.ok()) << reader.status();
    reader_ = *std::move(reader);
  }

  ReportQuery Query(ReportSubject subject, const std::string& name, absl::Time from, absl::Time to,
                    absl::Duration interval) {
    ReportQuery q;
    q.subject = subject;
    q.name = name;
    q.from = from;
    q.to = to;
    q.interval = interval;
    q.thresholds["sales"] = core::KpiThresholds{Seconds(20), Seconds(5)};
    q.thresholds["support"] = core::KpiThresholds{Seconds(30), Seconds(5)};
    return q;
  }

  Report Read(const ReportQuery& query) {
    absl::StatusOr<Report> report = reader_->Read(query);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : Report();
  }

  std::string path_;
  std::unique_ptr<EventStore> store_;
  std::unique_ptr<ReportReader> reader_;
  int64_t next_seq_ = 1;
};

TEST_F(ReportReaderTest, QueueReportCountsEachIntervalByHand) {
  Report r = Read(Query(ReportSubject::kQueue, "sales", At(10, 0), At(11, 0), absl::Minutes(15)));
  ASSERT_EQ(r.intervals.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(r.intervals[i].start, At(10, 15 * i)) << i;
    EXPECT_EQ(r.intervals[i].end, At(10, 0) + absl::Minutes(15 * (i + 1))) << i;
  }

  // c1 answered in 10s (handled 120 + 30), c2 in 30s (handled 60 + 0, one
  // transfer), c3 abandoned after 3s: a short abandon.
  const core::CallTally& a = r.intervals[0].tally;
  EXPECT_EQ(a.offered, 3);
  EXPECT_EQ(a.answered, 2);
  EXPECT_EQ(a.answered_in_threshold, 1);
  EXPECT_EQ(a.abandoned, 1);
  EXPECT_EQ(a.short_abandoned, 1);
  EXPECT_EQ(a.timed_out, 0);
  EXPECT_EQ(a.handled, 2);
  EXPECT_EQ(a.handle_time, Seconds(210));
  EXPECT_EQ(a.answer_wait, Seconds(40));
  EXPECT_EQ(a.transfers, 1);
  EXPECT_EQ(a.callbacks, 0);
  EXPECT_EQ(core::ServiceLevel(a), 0.5);     // 1 / (2 + 1 - 1)
  EXPECT_EQ(core::AbandonmentRate(a), 0.0);  // (1 - 1) / (3 - 1)
  EXPECT_EQ(core::AverageSpeedOfAnswer(a), Seconds(20));
  EXPECT_EQ(core::AverageHandleTime(a), Seconds(105));

  // c4 abandoned after 40s, c5 timed out, c6 a callback (at 10:29:59).
  const core::CallTally& b = r.intervals[1].tally;
  EXPECT_EQ(b.offered, 3);
  EXPECT_EQ(b.answered, 0);
  EXPECT_EQ(b.abandoned, 1);
  EXPECT_EQ(b.short_abandoned, 0);
  EXPECT_EQ(b.timed_out, 1);
  EXPECT_EQ(b.callbacks, 1);
  EXPECT_EQ(core::ServiceLevel(b), 0.0);  // 0 / (0 + 1 - 0)
  EXPECT_EQ(core::AbandonmentRate(b), 1.0 / 3);
  EXPECT_EQ(core::AverageSpeedOfAnswer(b), std::nullopt);
  EXPECT_EQ(core::AverageHandleTime(b), std::nullopt);

  // Nothing arrived: returned all the same, with no rates.
  const core::CallTally& c = r.intervals[2].tally;
  EXPECT_EQ(c.offered, 0);
  EXPECT_EQ(core::ServiceLevel(c), std::nullopt);
  EXPECT_EQ(core::AbandonmentRate(c), std::nullopt);

  // Live calls: c7 connected after 5s (answered, not yet handled), c8 waiting.
  const core::CallTally& d = r.intervals[3].tally;
  EXPECT_EQ(d.offered, 2);
  EXPECT_EQ(d.answered, 1);
  EXPECT_EQ(d.answered_in_threshold, 1);
  EXPECT_EQ(d.handled, 0);
  EXPECT_EQ(core::ServiceLevel(d), 1.0);
  EXPECT_EQ(core::AbandonmentRate(d), 0.0);
  EXPECT_EQ(core::AverageSpeedOfAnswer(d), Seconds(5));

  // c9 (11:00, `to` is exclusive), c10 (09:59:59) and support's calls are out.
  const core::CallTally& t = r.total;
  EXPECT_EQ(t.offered, 8);
  EXPECT_EQ(t.answered, 3);
  EXPECT_EQ(t.answered_in_threshold, 2);
  EXPECT_EQ(t.abandoned, 2);
  EXPECT_EQ(t.short_abandoned, 1);
  EXPECT_EQ(t.timed_out, 1);
  EXPECT_EQ(t.handled, 2);
  EXPECT_EQ(t.transfers, 1);
  EXPECT_EQ(t.callbacks, 1);
  EXPECT_EQ(core::ServiceLevel(t), 0.5);         // 2 / (3 + 2 - 1)
  EXPECT_EQ(core::AbandonmentRate(t), 1.0 / 7);  // (2 - 1) / (8 - 1)
  EXPECT_EQ(core::AverageSpeedOfAnswer(t), Seconds(15));
  EXPECT_EQ(core::AverageHandleTime(t), Seconds(105));
}

TEST_F(ReportReaderTest, ShortAbandonFollowsTheQueuesThreshold) {
  // With a 2s short-abandon threshold, c3 (3s) is a real abandon.
  ReportQuery q = Query(ReportSubject::kQueue, "sales", At(10, 0), At(10, 15), absl::Minutes(15));
  q.thresholds["sales"].short_abandon = Seconds(2);
  Report r = Read(q);
  ASSERT_EQ(r.intervals.size(), 1u);
  EXPECT_EQ(r.total.abandoned, 1);
  EXPECT_EQ(r.total.short_abandoned, 0);
  EXPECT_EQ(core::AbandonmentRate(r.total), 1.0 / 3);
  EXPECT_EQ(core::ServiceLevel(r.total), 1.0 / 3);  // 1 / (2 + 1)

  // A queue without thresholds of its own uses the defaults.
  q.thresholds.clear();
  q.default_thresholds = core::KpiThresholds{Seconds(30), Seconds(5)};
  r = Read(q);
  EXPECT_EQ(r.total.answered_in_threshold, 2);
  EXPECT_EQ(r.total.short_abandoned, 1);
}

TEST_F(ReportReaderTest, IntervalsAlignToUtcBoundariesAndClipToTheRange) {
  Report r = Read(Query(ReportSubject::kQueue, "sales", At(10, 7), At(10, 52), absl::Minutes(15)));
  ASSERT_EQ(r.intervals.size(), 4u);
  EXPECT_EQ(r.intervals[0].start, At(10, 7));
  EXPECT_EQ(r.intervals[0].end, At(10, 15));
  EXPECT_EQ(r.intervals[1].start, At(10, 15));
  EXPECT_EQ(r.intervals[2].start, At(10, 30));
  EXPECT_EQ(r.intervals[3].start, At(10, 45));
  EXPECT_EQ(r.intervals[3].end, At(10, 52));
  // c1, c2 arrived before 10:07 and c8 after 10:52.
  EXPECT_EQ(r.intervals[0].tally.offered, 1);
  EXPECT_EQ(r.intervals[1].tally.offered, 3);
  EXPECT_EQ(r.intervals[2].tally.offered, 0);
  EXPECT_EQ(r.intervals[3].tally.offered, 1);
  EXPECT_EQ(r.total.offered, 5);

  r = Read(Query(ReportSubject::kQueue, "sales", At(10, 0), At(11, 0), absl::Minutes(30)));
  ASSERT_EQ(r.intervals.size(), 2u);
  EXPECT_EQ(r.intervals[0].tally.offered, 6);
  EXPECT_EQ(r.intervals[1].tally.offered, 2);

  r = Read(Query(ReportSubject::kQueue, "sales", At(9, 0), At(12, 0), absl::Minutes(60)));
  ASSERT_EQ(r.intervals.size(), 3u);
  EXPECT_EQ(r.intervals[0].tally.offered, 1);  // c10
  EXPECT_EQ(r.intervals[1].tally.offered, 8);
  EXPECT_EQ(r.intervals[2].tally.offered, 1);  // c9
  EXPECT_EQ(r.total.offered, 10);
}

TEST_F(ReportReaderTest, AgentReportCountsTheCallsTheAgentAnswered) {
  Report r = Read(Query(ReportSubject::kAgent, "alice", At(10, 0), At(11, 0), absl::Minutes(60)));
  ASSERT_EQ(r.intervals.size(), 1u);
  // c1 (sales, 10s), s1 (support, 25s: within support's 30s), c7 (sales, 5s,
  // live). s2 abandoned while offered to her: not hers.
  const core::CallTally& t = r.total;
  EXPECT_EQ(t.offered, 0);
  EXPECT_EQ(t.abandoned, 0);
  EXPECT_EQ(t.answered, 3);
  EXPECT_EQ(t.answered_in_threshold, 3);
  EXPECT_EQ(t.answer_wait, Seconds(40));
  EXPECT_EQ(t.handled, 2);
  EXPECT_EQ(core::AverageHandleTime(t), Seconds(110));  // (150 + 70) / 2
  EXPECT_EQ(t.transfers, 0);

  r = Read(Query(ReportSubject::kAgent, "bob", At(10, 0), At(11, 0), absl::Minutes(30)));
  ASSERT_EQ(r.intervals.size(), 2u);
  EXPECT_EQ(r.intervals[0].tally.answered, 1);
  EXPECT_EQ(r.intervals[0].tally.answered_in_threshold, 0);
  EXPECT_EQ(r.intervals[0].tally.transfers, 1);
  EXPECT_EQ(core::AverageSpeedOfAnswer(r.intervals[0].tally), Seconds(30));
  EXPECT_EQ(core::AverageHandleTime(r.intervals[0].tally), Seconds(60));
  EXPECT_EQ(r.intervals[1].tally.answered, 0);
}

TEST_F(ReportReaderTest, SeesRowsTheWriterCommitsAfterItOpened) {
  ReportQuery q = Query(ReportSubject::kQueue, "sales", At(10, 30), At(10, 45), absl::Minutes(15));
  EXPECT_EQ(Read(q).total.offered, 0);
  ASSERT_TRUE(
      store_->Append({EventFor(next_seq_++, CallSpec("late", At(10, 31), CallState::kQueued))}, {})
          .ok());
  EXPECT_EQ(Read(q).total.offered, 1);
}

TEST_F(ReportReaderTest, HasCallsKnowsQueuesAndAgentsWithRows) {
  auto has = [&](ReportSubject subject, const std::string& name) {
    absl::StatusOr<bool> found = reader_->HasCalls(subject, name);
    EXPECT_TRUE(found.ok()) << found.status();
    return found.ok() && *found;
  };
  EXPECT_TRUE(has(ReportSubject::kQueue, "support"));
  EXPECT_FALSE(has(ReportSubject::kQueue, "alice"));
  EXPECT_TRUE(has(ReportSubject::kAgent, "bob"));
  EXPECT_FALSE(has(ReportSubject::kAgent, "sales"));
}

TEST_F(ReportReaderTest, BadQueriesAreInvalidArgumentNamingTheValue) {
  struct Case {
    absl::Time from;
    absl::Time to;
    absl::Duration interval;
    std::string message;
  };
  const std::vector<Case> cases = {
      {At(10, 0), At(11, 0), absl::Minutes(20), "interval 20m is not 15m, 30m or 60m"},
      {At(10, 0), At(11, 0), absl::ZeroDuration(), "interval 0 is not"},
      {At(11, 0), At(11, 0), absl::Minutes(15),
       "from 2024-03-04T11:00:00+00:00 is not before to "
       "2024-03-04T11:00:00+00:00"},
      {At(11, 0), At(10, 0), absl::Minutes(15), "is not before"},
      {At(10, 0), At(10, 0) + absl::Hours(24 * 31) + Seconds(1), absl::Minutes(60),
       "is 744h1s; a report covers at most 31 days"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Report> r =
        reader_->Read(Query(ReportSubject::kQueue, "sales", c.from, c.to, c.interval));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.message));
  }
  // Exactly 31 days is allowed: 2976 intervals of 15 minutes.
  absl::StatusOr<Report> r =
      reader_->Read(Query(ReportSubject::kQueue, "sales", At(10, 0),
                          At(10, 0) + absl::Hours(24 * 31), absl::Minutes(15)));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->intervals.size(), 2976u);
  EXPECT_EQ(r->total.offered, 9);  // all but c10
}

TEST_F(ReportReaderTest, OpenRefusesAnUnmigratedOrMissingDatabase) {
  std::string other = Path("old.db");
  {
    RawDb raw(other);
    raw.Exec("PRAGMA user_version = 1");
  }
  absl::StatusOr<std::unique_ptr<ReportReader>> reader = ReportReader::Open(other, Seconds(1));
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kFailedPrecondition) << reader.status();
  EXPECT_THAT(reader.status().message(), HasSubstr("schema version 1"));
  EXPECT_THAT(reader.status().message(), HasSubstr(other));

  reader = ReportReader::Open(Path("missing.db"), Seconds(1));
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kUnavailable) << reader.status();
}

}  // namespace
}  // namespace acd::store
