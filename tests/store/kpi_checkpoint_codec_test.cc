#include "server/store/kpi_checkpoint_codec.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gtest/gtest.h"
#include "server/store/kpi_checkpoint.pb.h"

namespace acd::store {
namespace {

const absl::Time kTakenAt = absl::FromUnixSeconds(1'780'000'000) + absl::Nanoseconds(123);

core::KpiSpan Span(int64_t base) {
  core::KpiSpan s;
  s.calls.offered = base + 1;
  s.calls.answered = base + 2;
  s.calls.answered_in_threshold = base + 3;
  s.calls.abandoned = base + 4;
  s.calls.short_abandoned = base + 5;
  s.calls.timed_out = base + 6;
  s.calls.overflowed = base + 7;
  s.calls.transfers = base + 8;
  s.calls.callbacks = base + 9;
  s.calls.answer_wait = absl::Nanoseconds(base + 10);
  s.calls.handled = base + 11;
  s.calls.handle_time = absl::Seconds(base + 12);
  for (int i = 0; i < core::kAgentStateCount; ++i) {
    s.agent_time.in_state[i] = absl::Milliseconds(base + 13 + i);
  }
  return s;
}

core::LiveStatsCheckpoint Sample() {
  core::LiveStatsCheckpoint c;
  c.bucket = absl::Minutes(1);
  core::LiveStatsCheckpoint::Spans started{{{29'666'666, Span(100)}, {29'666'667, Span(200)}},
                                           absl::CivilDay(2026, 5, 29),
                                           kTakenAt - absl::Hours(3),
                                           Span(300)};
  c.queues.push_back({"sales", started});
  c.queues.push_back({"support", {}});  // nothing counted yet: its day not started
  c.agents.push_back({"alice", started, core::AgentState::kWrapUp, kTakenAt});
  c.calls.push_back({"c1", "sales", 2, kTakenAt - absl::Seconds(5)});
  return c;
}

std::string Dump(const core::KpiSpan& s) {
  std::string out = absl::StrCat(s.calls.offered, ",", s.calls.answered, ",",
                                 s.calls.answered_in_threshold, ",", s.calls.abandoned, ",",
                                 s.calls.short_abandoned, ",", s.calls.timed_out, ",",
                                 s.calls.overflowed, ",", s.calls.transfers, ",",
                                 s.calls.callbacks, ",", absl::FormatDuration(s.calls.answer_wait),
                                 ",", s.calls.handled, ",", absl::FormatDuration(s.calls.handle_time));
  for (absl::Duration d : s.agent_time.in_state) absl::StrAppend(&out, ",", absl::FormatDuration(d));
  return out;
}

std::string Dump(const core::LiveStatsCheckpoint::Spans& s) {
  std::string out;
  for (const auto& b : s.window) absl::StrAppend(&out, "[", b.index, ":", Dump(b.span), "]");
  absl::StrAppend(&out, " day ", absl::FormatCivilTime(s.day), " from ",
                  absl::FormatTime(s.day_start), " today ", Dump(s.today));
  return out;
}

// Every field, so that a field the codec forgets shows.
std::string Dump(const core::LiveStatsCheckpoint& c) {
  std::string out = absl::StrCat("bucket ", absl::FormatDuration(c.bucket), "\n");
  for (const auto& q : c.queues) absl::StrAppend(&out, "queue ", q.queue, " ", Dump(q.spans), "\n");
  for (const auto& a : c.agents) {
    absl::StrAppend(&out, "agent ", a.agent_id, " ", Dump(a.spans), " ",
                    core::AgentStateName(a.state), " since ", absl::FormatTime(a.since), "\n");
  }
  for (const auto& k : c.calls) {
    absl::StrAppend(&out, "call ", k.call_id, " ", k.queue, " ", k.transfers, " ",
                    absl::FormatTime(k.wait_from), "\n");
  }
  return out;
}

TEST(KpiCheckpointCodecTest, RoundTripsEveryField) {
  core::LiveStatsCheckpoint sample = Sample();
  absl::StatusOr<core::LiveStatsCheckpoint> decoded = DecodeKpiCheckpoint(EncodeKpiCheckpoint(sample));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(Dump(*decoded), Dump(sample));
  EXPECT_EQ(decoded->queues[1].spans.day_start, absl::InfiniteFuture());
}

TEST(KpiCheckpointCodecTest, WhatDoesNotDecodeIsDataLossNamingIt) {
  absl::StatusOr<core::LiveStatsCheckpoint> garbage = DecodeKpiCheckpoint("\xff\xff\xff");
  EXPECT_EQ(garbage.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(garbage.status().message().find("3 bytes"), std::string::npos) << garbage.status();

  KpiCheckpointRecord record;
  ASSERT_TRUE(record.ParseFromString(EncodeKpiCheckpoint(Sample())));
  record.mutable_agents(0)->set_state(42);
  absl::StatusOr<core::LiveStatsCheckpoint> bad_state =
      DecodeKpiCheckpoint(record.SerializeAsString());
  EXPECT_EQ(bad_state.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(bad_state.status().message().find("state 42"), std::string::npos) << bad_state.status();

  record.mutable_agents(0)->set_state(1);
  record.mutable_queues(0)->mutable_spans()->mutable_today()->clear_agent_time_ns();
  absl::StatusOr<core::LiveStatsCheckpoint> short_span =
      DecodeKpiCheckpoint(record.SerializeAsString());
  EXPECT_EQ(short_span.status().code(), absl::StatusCode::kDataLoss) << short_span.status();
}

}  // namespace
}  // namespace acd::store
