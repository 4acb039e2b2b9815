// Shared helpers for the store tests: a fresh temporary directory per test, a
// raw SQLite connection to inspect or sabotage a database behind the store's
// back, the stored events read back, sample events, and field-by-field
// comparisons of events.
#ifndef ACD_TESTS_STORE_STORE_TEST_UTIL_H_
#define ACD_TESTS_STORE_STORE_TEST_UTIL_H_

#include <sqlite3.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/core/types.h"
#include "server/store/event_reader.h"
#include "server/store/event_store.h"

namespace acd::store::testing {

// A directory of its own for each test, removed afterwards.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "/acd_store_test_XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << pattern;
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  std::string dir_;
};

// A second, independent connection to a database file.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK) << path;
    sqlite3_busy_timeout(db_, 5000);
  }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  ~RawDb() { sqlite3_close_v2(db_); }

  void Exec(const std::string& sql) {
    char* error = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (error ? error : "");
    sqlite3_free(error);
  }
  // The first column of the first row; nullopt for no row or NULL.
  std::optional<std::string> Text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sql << ": " << sqlite3_errmsg(db_);
    std::optional<std::string> out;
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return out;
  }
  int64_t Int(const std::string& sql) {
    std::optional<std::string> text = Text(sql);
    EXPECT_TRUE(text.has_value()) << sql;
    return text.has_value() ? std::stoll(*text) : -1;
  }

 private:
  sqlite3* db_ = nullptr;
};

// The events of the database at `path` that `query` selects, read over a
// connection of their own, as a reader beside the store reads them.
inline absl::StatusOr<std::vector<core::Event>> ReadStoredEvents(const std::string& path,
                                                                 const EventQuery& query) {
  absl::StatusOr<sqlite::Database> db = OpenReadConnection(path, absl::Seconds(5), "a test");
  if (!db.ok()) return db.status();
  return ReadEvents(*db, query);
}

inline absl::Time T0() { return absl::FromUnixSeconds(1'700'000'000); }

// A small agent event: enough to fill the log.
inline core::Event AgentEvent(int64_t seq) {
  core::Event event;
  event.seq = seq;
  event.time = T0() + absl::Milliseconds(seq);
  event.type = core::EventType::kAgentStateChanged;
  event.agent_id = "agent-" + std::to_string(seq % 7);
  return event;
}

// A call snapshot with every field set, including the optional times, maps,
// and values that JSON and SQL like to mangle.
inline core::Call FullCall() {
  core::Call call;
  call.call_id = "call-1";
  call.queue = "sales";
  call.priority = 7;
  call.required_skills = {{"english", 5}, {"billing", 10}};
  call.effective_skills = {{"english", 3}};  // after escalation
  call.attributes = {{"caller", "+33 1 23 45 67 89"},
                     {"language",
                      "fran\xc3\xa7"
                      "ais"},
                     {"quote", "say \"hi\"\n\\ back"},
                     {"empty", ""}};
  call.state = core::CallState::kWrapUp;
  call.agent_id = "alice";
  call.enqueued_at = T0() + absl::Microseconds(123456);
  call.offered_at = T0() + absl::Seconds(5);
  call.connected_at = T0() + absl::Seconds(8) + absl::Microseconds(1);
  call.ended_at = T0() + absl::Seconds(68);
  call.completed_at = T0() + absl::Seconds(98);
  call.offer_expires_at = T0() + absl::Seconds(25);
  call.disposition = "sale";
  call.notes = "wants the blue one";
  call.end_reason = "caller_hangup";
  call.missed_offers = 2;
  call.position = 3;
  // Beyond 2^53: JSON numbers (doubles) cannot hold it exactly.
  call.arrival_order = std::numeric_limits<uint64_t>::max() - 1;
  call.transfers = 1;
  call.callback_number = "+15550100";
  call.callback_attempts = 1;
  call.callback_requested_at = T0() + absl::Seconds(2);
  call.queue_entered_at = T0() + absl::Seconds(1);
  call.callback_window_end = T0() + absl::Hours(2);
  call.callback_retry_at = T0() + absl::Minutes(5);
  call.transfer_fallback = "support";
  call.callback_pending = true;
  return call;
}

inline core::Agent FullAgent() {
  core::Agent agent;
  agent.agent_id = "alice";
  agent.name = "Alice Martin";
  agent.skills = {{"english", 7}, {"billing", 3}};
  agent.queues = {"sales", "support"};
  agent.state = core::AgentState::kWrapUp;
  agent.state_since = T0() + absl::Seconds(68);
  agent.idle_since = T0() - absl::Hours(1);
  agent.away_reason = "lunch";
  agent.call_id = "call-1";
  agent.wrap_up_until = T0() + absl::Seconds(98);
  agent.calls_handled = 12;
  agent.talk_time = absl::Minutes(42) + absl::Microseconds(7);
  agent.consecutive_missed_offers = 1;
  agent.pending_away_reason = "training";
  return agent;
}

inline void ExpectCallEq(const core::Call& a, const core::Call& b) {
  EXPECT_EQ(a.call_id, b.call_id);
  EXPECT_EQ(a.queue, b.queue);
  EXPECT_EQ(a.priority, b.priority);
  EXPECT_EQ(a.required_skills, b.required_skills);
  EXPECT_EQ(a.attributes, b.attributes);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.agent_id, b.agent_id);
  EXPECT_EQ(a.enqueued_at, b.enqueued_at);
  EXPECT_EQ(a.offered_at, b.offered_at);
  EXPECT_EQ(a.connected_at, b.connected_at);
  EXPECT_EQ(a.ended_at, b.ended_at);
  EXPECT_EQ(a.completed_at, b.completed_at);
  EXPECT_EQ(a.offer_expires_at, b.offer_expires_at);
  EXPECT_EQ(a.disposition, b.disposition);
  EXPECT_EQ(a.notes, b.notes);
  EXPECT_EQ(a.end_reason, b.end_reason);
  EXPECT_EQ(a.missed_offers, b.missed_offers);
  EXPECT_EQ(a.position, b.position);
  EXPECT_EQ(a.arrival_order, b.arrival_order);
  EXPECT_EQ(a.transfers, b.transfers);
  EXPECT_EQ(a.callback_number, b.callback_number);
  EXPECT_EQ(a.callback_attempts, b.callback_attempts);
  EXPECT_EQ(a.callback_requested_at, b.callback_requested_at);
  EXPECT_EQ(a.queue_entered_at, b.queue_entered_at);
  EXPECT_EQ(a.callback_window_end, b.callback_window_end);
  EXPECT_EQ(a.callback_retry_at, b.callback_retry_at);
  EXPECT_EQ(a.transfer_fallback, b.transfer_fallback);
  EXPECT_EQ(a.callback_pending, b.callback_pending);
  EXPECT_EQ(a.effective_skills, b.effective_skills);
  // And whole: a field missing above still shows.
  EXPECT_TRUE(a == b) << "calls " << a.call_id << " differ";
}

inline void ExpectAgentEq(const core::Agent& a, const core::Agent& b) {
  EXPECT_EQ(a.agent_id, b.agent_id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.skills, b.skills);
  EXPECT_EQ(a.queues, b.queues);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.state_since, b.state_since);
  EXPECT_EQ(a.idle_since, b.idle_since);
  EXPECT_EQ(a.away_reason, b.away_reason);
  EXPECT_EQ(a.call_id, b.call_id);
  EXPECT_EQ(a.wrap_up_until, b.wrap_up_until);
  EXPECT_EQ(a.calls_handled, b.calls_handled);
  EXPECT_EQ(a.talk_time, b.talk_time);
  EXPECT_EQ(a.consecutive_missed_offers, b.consecutive_missed_offers);
  EXPECT_EQ(a.pending_away_reason, b.pending_away_reason);
  EXPECT_TRUE(a == b) << "agents " << a.agent_id << " differ";
}

inline void ExpectEventEq(const core::Event& a, const core::Event& b) {
  SCOPED_TRACE(::testing::Message() << "event seq " << b.seq);
  EXPECT_EQ(a.seq, b.seq);
  EXPECT_EQ(a.time, b.time);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.call_id, b.call_id);
  EXPECT_EQ(a.agent_id, b.agent_id);
  EXPECT_EQ(a.queue, b.queue);
  EXPECT_EQ(a.reason, b.reason);
  ASSERT_EQ(a.call.has_value(), b.call.has_value());
  if (a.call.has_value()) ExpectCallEq(*a.call, *b.call);
  ASSERT_EQ(a.agent.has_value(), b.agent.has_value());
  if (a.agent.has_value()) ExpectAgentEq(*a.agent, *b.agent);
  ASSERT_EQ(a.request.has_value(), b.request.has_value());
  if (a.request.has_value()) {
    EXPECT_EQ(a.request->call_id, b.request->call_id);
    EXPECT_EQ(a.request->queue, b.request->queue);
    EXPECT_EQ(a.request->priority, b.request->priority);
    EXPECT_EQ(a.request->required_skills, b.request->required_skills);
    EXPECT_EQ(a.request->attributes, b.request->attributes);
  }
  EXPECT_TRUE(a == b) << "events " << a.seq << " differ";
}

}  // namespace acd::store::testing

#endif  // ACD_TESTS_STORE_STORE_TEST_UTIL_H_
