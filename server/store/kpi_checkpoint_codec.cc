#include "server/store/kpi_checkpoint_codec.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "server/store/kpi_checkpoint.pb.h"

namespace acd::store {
namespace {

const absl::CivilDay kEpochDay(1970, 1, 1);

void ToRecord(const core::KpiSpan& span, KpiSpanRecord* r) {
  const core::CallTally& c = span.calls;
  r->set_offered(c.offered);
  r->set_answered(c.answered);
  r->set_answered_in_threshold(c.answered_in_threshold);
  r->set_abandoned(c.abandoned);
  r->set_short_abandoned(c.short_abandoned);
  r->set_timed_out(c.timed_out);
  r->set_overflowed(c.overflowed);
  r->set_transfers(c.transfers);
  r->set_callbacks(c.callbacks);
  r->set_answer_wait_ns(absl::ToInt64Nanoseconds(c.answer_wait));
  r->set_handled(c.handled);
  r->set_handle_time_ns(absl::ToInt64Nanoseconds(c.handle_time));
  for (absl::Duration d : span.agent_time.in_state) r->add_agent_time_ns(absl::ToInt64Nanoseconds(d));
}

absl::Status FromRecord(const KpiSpanRecord& r, core::KpiSpan* span) {
  core::CallTally& c = span->calls;
  c.offered = r.offered();
  c.answered = r.answered();
  c.answered_in_threshold = r.answered_in_threshold();
  c.abandoned = r.abandoned();
  c.short_abandoned = r.short_abandoned();
  c.timed_out = r.timed_out();
  c.overflowed = r.overflowed();
  c.transfers = r.transfers();
  c.callbacks = r.callbacks();
  c.answer_wait = absl::Nanoseconds(r.answer_wait_ns());
  c.handled = r.handled();
  c.handle_time = absl::Nanoseconds(r.handle_time_ns());
  if (r.agent_time_ns_size() != core::kAgentStateCount) {
    return absl::DataLossError(absl::StrCat("a span holds ", r.agent_time_ns_size(),
                                            " agent times, expected ", core::kAgentStateCount));
  }
  for (int i = 0; i < core::kAgentStateCount; ++i) {
    span->agent_time.in_state[i] = absl::Nanoseconds(r.agent_time_ns(i));
  }
  return absl::OkStatus();
}

void ToRecord(const core::LiveStatsCheckpoint::Spans& spans, KpiSpansRecord* r) {
  for (const core::LiveStatsCheckpoint::Bucket& b : spans.window) {
    KpiBucketRecord* bucket = r->add_window();
    bucket->set_index(b.index);
    ToRecord(b.span, bucket->mutable_span());
  }
  if (spans.day_start != absl::InfiniteFuture()) {
    r->set_day_started(true);
    r->set_day(spans.day - kEpochDay);
    r->set_day_start_ns(absl::ToUnixNanos(spans.day_start));
  }
  ToRecord(spans.today, r->mutable_today());
}

absl::Status FromRecord(const KpiSpansRecord& r, core::LiveStatsCheckpoint::Spans* spans) {
  for (const KpiBucketRecord& b : r.window()) {
    core::LiveStatsCheckpoint::Bucket& bucket = spans->window.emplace_back();
    bucket.index = b.index();
    if (absl::Status s = FromRecord(b.span(), &bucket.span); !s.ok()) return s;
  }
  if (r.day_started()) {
    spans->day = kEpochDay + r.day();
    spans->day_start = absl::FromUnixNanos(r.day_start_ns());
  }
  return FromRecord(r.today(), &spans->today);
}

}  // namespace

std::string EncodeKpiCheckpoint(const core::LiveStatsCheckpoint& checkpoint) {
  KpiCheckpointRecord r;
  r.set_bucket_ns(absl::ToInt64Nanoseconds(checkpoint.bucket));
  for (const core::LiveStatsCheckpoint::QueueEntry& e : checkpoint.queues) {
    KpiCheckpointRecord::Queue* q = r.add_queues();
    q->set_queue(e.queue);
    ToRecord(e.spans, q->mutable_spans());
  }
  for (const core::LiveStatsCheckpoint::AgentEntry& e : checkpoint.agents) {
    KpiCheckpointRecord::Agent* a = r.add_agents();
    a->set_agent_id(e.agent_id);
    ToRecord(e.spans, a->mutable_spans());
    a->set_state(static_cast<int32_t>(e.state));
    a->set_since_ns(absl::ToUnixNanos(e.since));
  }
  for (const core::LiveStatsCheckpoint::CallEntry& e : checkpoint.calls) {
    KpiCheckpointRecord::Call* c = r.add_calls();
    c->set_call_id(e.call_id);
    c->set_queue(e.queue);
    c->set_transfers(e.transfers);
    c->set_wait_from_ns(absl::ToUnixNanos(e.wait_from));
  }
  return r.SerializeAsString();
}

absl::StatusOr<core::LiveStatsCheckpoint> DecodeKpiCheckpoint(absl::string_view bytes) {
  KpiCheckpointRecord r;
  if (!r.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(
        absl::StrCat("the live KPIs' checkpoint (", bytes.size(), " bytes) does not parse"));
  }
  if (r.bucket_ns() <= 0) {
    return absl::DataLossError(absl::StrCat("checkpoint bucket of ", r.bucket_ns(), " ns"));
  }
  core::LiveStatsCheckpoint checkpoint;
  checkpoint.bucket = absl::Nanoseconds(r.bucket_ns());
  for (const KpiCheckpointRecord::Queue& q : r.queues()) {
    core::LiveStatsCheckpoint::QueueEntry& e = checkpoint.queues.emplace_back();
    e.queue = q.queue();
    if (absl::Status s = FromRecord(q.spans(), &e.spans); !s.ok()) return s;
  }
  for (const KpiCheckpointRecord::Agent& a : r.agents()) {
    if (a.state() < 0 || a.state() >= core::kAgentStateCount) {
      return absl::DataLossError(
          absl::StrCat("agent \"", a.agent_id(), "\" in checkpoint has state ", a.state()));
    }
    core::LiveStatsCheckpoint::AgentEntry& e = checkpoint.agents.emplace_back();
    e.agent_id = a.agent_id();
    if (absl::Status s = FromRecord(a.spans(), &e.spans); !s.ok()) return s;
    e.state = static_cast<core::AgentState>(a.state());
    e.since = absl::FromUnixNanos(a.since_ns());
  }
  checkpoint.calls.reserve(static_cast<size_t>(r.calls_size()));
  for (const KpiCheckpointRecord::Call& c : r.calls()) {
    checkpoint.calls.push_back(
        {c.call_id(), c.queue(), c.transfers(), absl::FromUnixNanos(c.wait_from_ns())});
  }
  return checkpoint;
}

}  // namespace acd::store
