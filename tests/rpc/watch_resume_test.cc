// WatchEvents resumed from a seq (after_seq): the stored events after it, read
// from SQLite, then live ones, each seq exactly once. Against an in-process
// Daemon on 127.0.0.1 port 0 with its SQLite file in a temp dir; restarts
// reopen the same file.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/app/daemon.h"
#include "tests/support/client.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/test_daemon.h"

namespace acd {
namespace {

using ::acd::testing::EventWatch;
using ::acd::testing::Query;
using ::testing::AllOf;
using ::testing::HasSubstr;

// Longer than the default: the resume rounds race a producer on a loaded
// machine.
constexpr std::chrono::seconds kWatchDeadline{30};

// Seqs of the next events of `watch` until (and with) the first one >= `seq`,
// at most `max` of them.
std::vector<int64_t> SeqsThrough(EventWatch& watch, int64_t seq, int max = 100000) {
  std::vector<int64_t> seqs;
  v1::Event event;
  while (static_cast<int>(seqs.size()) < max && watch.Read(&event)) {
    seqs.push_back(event.seq());
    if (event.seq() >= seq) break;
  }
  return seqs;
}

// seq first..last, in order.
std::vector<int64_t> Range(int64_t first, int64_t last) {
  std::vector<int64_t> seqs;
  for (int64_t s = first; s <= last; ++s) seqs.push_back(s);
  return seqs;
}

class WatchResumeTest : public testing::DaemonFixture {
 protected:
  void SetUp() override { StartDaemon(testing::kTestConfig); }

  // Every stored seq above `after` (optionally of one queue), from the file.
  std::vector<int64_t> StoredSeqsAfter(int64_t after, const std::string& queue = "") {
    std::string sql = absl::StrCat("SELECT seq FROM events WHERE seq > ", after);
    if (!queue.empty()) absl::StrAppend(&sql, " AND queue = '", queue, "'");
    absl::StrAppend(&sql, " ORDER BY seq");
    std::vector<int64_t> seqs;
    for (const auto& row : Query(db_path_, sql)) seqs.push_back(std::stoll(row[0]));
    return seqs;
  }
  int64_t LastStoredSeq() {
    std::vector<int64_t> all = StoredSeqsAfter(0);
    return all.empty() ? 0 : all.back();
  }
};

TEST_F(WatchResumeTest, ResumeSendsExactlyTheMissedEventsThenLiveOnes) {
  ASSERT_TRUE(client().Enqueue("c0").ok());  // so the stream starts above seq 0
  int64_t last = 0;
  {
    EventWatch live(client(), {.after_seq = LastStoredSeq()}, kWatchDeadline);
    ASSERT_TRUE(client().Enqueue("c1").ok());
    ASSERT_TRUE(client().Enqueue("c2").ok());
    std::vector<int64_t> seen = SeqsThrough(live, LastStoredSeq());
    ASSERT_FALSE(seen.empty());
    last = seen.back();
  }  // disconnects

  // Missed while away, in both queues.
  ASSERT_TRUE(client().Enqueue("c3").ok());
  ASSERT_TRUE(client().Enqueue("c4", "sales").ok());
  ASSERT_TRUE(client().Enqueue("c5").ok());
  const std::vector<int64_t> missed = StoredSeqsAfter(last);
  ASSERT_GE(missed.size(), 3u);
  EXPECT_EQ(missed, Range(last + 1, missed.back())) << "the store's seqs are contiguous";

  EventWatch resumed(client(), {.after_seq = last}, kWatchDeadline);
  std::vector<int64_t> got = SeqsThrough(resumed, missed.back());
  EXPECT_EQ(got, missed);

  // Then live, continuing the same sequence.
  ASSERT_TRUE(client().Enqueue("c6").ok());
  v1::Event next = resumed.Next();
  EXPECT_EQ(next.seq(), missed.back() + 1);
  EXPECT_EQ(next.call_id(), "c6");
  EXPECT_EQ(next.type(), v1::EVENT_TYPE_CALL_QUEUED);

  // A filtered resume replays only the matching stored events.
  EventWatch sales(client(), {.queue = "sales", .after_seq = last}, kWatchDeadline);
  const std::vector<int64_t> sales_missed = StoredSeqsAfter(last, "sales");
  ASSERT_FALSE(sales_missed.empty());
  for (int64_t seq : sales_missed) {
    v1::Event e = sales.Next();
    EXPECT_EQ(e.seq(), seq);
    EXPECT_EQ(e.queue(), "sales");
  }
  ASSERT_TRUE(client().Enqueue("c7", "sales").ok());
  v1::Event sales_live = sales.Next();
  EXPECT_EQ(sales_live.call_id(), "c7");
  EXPECT_EQ(sales_live.seq(), LastStoredSeq());
}

TEST_F(WatchResumeTest, ResumeAcrossARestartOnTheSameDatabase) {
  ASSERT_TRUE(client().Enqueue("c0").ok());
  int64_t last = 0;
  {
    EventWatch live(client(), {.after_seq = LastStoredSeq()}, kWatchDeadline);
    ASSERT_TRUE(client().Enqueue("c1").ok());
    std::vector<int64_t> seen = SeqsThrough(live, LastStoredSeq());
    ASSERT_FALSE(seen.empty());
    last = seen.back();
  }
  ASSERT_TRUE(client().Enqueue("c2").ok());
  ASSERT_TRUE(client().Enqueue("c3", "sales").ok());
  const int64_t before_restart = LastStoredSeq();
  ASSERT_GT(before_restart, last);

  ASSERT_NO_FATAL_FAILURE(RestartDaemon());

  // Whatever the restart itself recorded counts too: the client gets every
  // stored seq after its last one, then live ones that continue the sequence.
  const std::vector<int64_t> missed = StoredSeqsAfter(last);
  EXPECT_EQ(missed, Range(last + 1, missed.back()));
  EXPECT_GE(missed.back(), before_restart);
  EventWatch resumed(client(), {.after_seq = last}, kWatchDeadline);
  EXPECT_EQ(SeqsThrough(resumed, missed.back()), missed);
  ASSERT_TRUE(client().Enqueue("c4").ok());
  v1::Event next = resumed.Next();
  EXPECT_EQ(next.seq(), missed.back() + 1);
  EXPECT_EQ(next.call_id(), "c4");
}

// Resumes again and again while another thread enqueues calls, so backlog
// reads race live commits; the seqs received must be exactly contiguous.
TEST_F(WatchResumeTest, ResumeWhileEventsAreProducedHasNoGapAndNoDuplicate) {
  ASSERT_TRUE(client().Enqueue("warmup").ok());
  const int64_t start = LastStoredSeq();
  constexpr int kCalls = 300;
  std::atomic<bool> producer_failed{false};
  std::atomic<bool> producer_done{false};
  std::thread producer([&] {
    for (int i = 0; i < kCalls && !producer_failed; ++i) {
      if (!client().Enqueue(absl::StrCat("p", i), i % 2 == 0 ? "support" : "sales").ok()) {
        producer_failed = true;
      }
    }
    producer_done = true;
  });

  std::vector<int64_t> received;
  int64_t last = start;
  // The last call's event ends the rounds: every event before it is then
  // stored, and the rest are read below.
  const std::string last_call = absl::StrCat("p", kCalls - 1);
  bool saw_last_call = false;
  // Each round reads a few events, then disconnects and resumes from the last
  // seq received. Bounded: at most 400 rounds, each stream by its deadline.
  for (int round = 0; round < 400 && !saw_last_call && !producer_failed; ++round) {
    // Away until a few events were stored, so the resume has a backlog to
    // read while more are committed (bounded: 2000 polls of 1ms). Real time:
    // the race under test is between the store writer's thread and the
    // resumed stream's, which no clock orders.
    for (int poll = 0; poll < 2000 && !producer_done && LastStoredSeq() < last + 3; ++poll) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EventWatch stream(client(), {.after_seq = last}, kWatchDeadline);
    for (int i = 0; i < 1 + round % 7 && !saw_last_call; ++i) {
      v1::Event e = stream.Next();
      if (e.seq() == 0) break;  // ended: Next() reported it
      received.push_back(e.seq());
      last = e.seq();
      saw_last_call = e.call_id() == last_call;
    }
  }
  producer.join();
  ASSERT_FALSE(producer_failed);
  // Then the rest, in one stream.
  const int64_t end = LastStoredSeq();
  if (last < end) {
    EventWatch stream(client(), {.after_seq = last}, kWatchDeadline);
    for (int64_t seq : SeqsThrough(stream, end)) received.push_back(seq);
  }
  EXPECT_EQ(received, Range(start + 1, end));
  EXPECT_EQ(StoredSeqsAfter(start), Range(start + 1, end));
}

TEST_F(WatchResumeTest, BadAfterSeqIsRefusedNamingTheValue) {
  ASSERT_TRUE(client().Enqueue("c0").ok());
  const int64_t last = LastStoredSeq();

  EventWatch negative(client(), {.after_seq = -1}, kWatchDeadline);
  grpc::Status s = negative.Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("after_seq -1"));

  const int64_t ahead = last + 1000;
  EventWatch future(client(), {.after_seq = ahead}, kWatchDeadline);
  s = future.Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_THAT(s.error_message(), AllOf(HasSubstr(absl::StrCat("after_seq ", ahead)),
                                       HasSubstr(absl::StrCat("last committed event seq ", last))));

  // Nothing changed, and resuming from the last seq itself is live at once.
  EXPECT_EQ(LastStoredSeq(), last);
  EventWatch at_end(client(), {.after_seq = last}, kWatchDeadline);
  ASSERT_TRUE(client().Enqueue("c1").ok());
  v1::Event next = at_end.Next();
  EXPECT_EQ(next.seq(), last + 1);
  EXPECT_EQ(next.call_id(), "c1");
}

}  // namespace
}  // namespace acd
