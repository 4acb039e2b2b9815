#include "server/rpc/convert.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"

namespace acd::rpc {
namespace {

using google::protobuf::util::TimeUtil;

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  *out = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

void SetTime(const std::optional<absl::Time>& t, google::protobuf::Timestamp* out) {
  if (t) SetTime(*t, out);
}

}  // namespace

void SetDuration(absl::Duration d, google::protobuf::Duration* out) {
  *out = TimeUtil::MicrosecondsToDuration(absl::ToInt64Microseconds(d));
}

absl::StatusOr<absl::Duration> FromProto(const google::protobuf::Duration& d,
                                         absl::string_view field) {
  const int64_t s = d.seconds();
  const int32_t n = d.nanos();
  if (s < TimeUtil::kDurationMinSeconds || s > TimeUtil::kDurationMaxSeconds ||
      n <= -1'000'000'000 || n >= 1'000'000'000 || (s > 0 && n < 0) || (s < 0 && n > 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " {seconds: ", s, ", nanos: ", n,
        "} is not a Duration: nanos must be within a second and of the seconds' sign, and "
        "seconds within 10,000 years"));
  }
  return absl::Seconds(s) + absl::Nanoseconds(n);
}

absl::StatusOr<absl::Time> FromProto(const google::protobuf::Timestamp& t,
                                     absl::string_view field) {
  const int64_t s = t.seconds();
  const int32_t n = t.nanos();
  if (s < TimeUtil::kTimestampMinSeconds || s > TimeUtil::kTimestampMaxSeconds || n < 0 ||
      n >= 1'000'000'000) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " {seconds: ", s, ", nanos: ", n,
        "} is not a Timestamp: nanos must be 0 to 999,999,999, and the time within years 1 to "
        "9999"));
  }
  return absl::FromUnixSeconds(s) + absl::Nanoseconds(n);
}

void ToProto(const store::ReportInterval& interval, bool rates, v1::ReportRow* out) {
  const core::CallTally& t = interval.tally;
  SetTime(interval.start, out->mutable_start());
  SetTime(interval.end, out->mutable_end());
  out->set_offered(t.offered);
  out->set_answered(t.answered);
  out->set_answered_in_threshold(t.answered_in_threshold);
  out->set_abandoned(t.abandoned);
  out->set_short_abandoned(t.short_abandoned);
  out->set_timed_out(t.timed_out);
  out->set_handled(t.handled);
  out->set_transfers(t.transfers);
  out->set_callbacks(t.callbacks);
  if (rates) {
    if (std::optional<double> sl = core::ServiceLevel(t)) out->set_service_level(*sl);
    if (std::optional<double> ar = core::AbandonmentRate(t)) out->set_abandonment_rate(*ar);
  }
  if (std::optional<absl::Duration> asa = core::AverageSpeedOfAnswer(t)) {
    SetDuration(*asa, out->mutable_asa());
  }
  if (std::optional<absl::Duration> aht = core::AverageHandleTime(t)) {
    SetDuration(*aht, out->mutable_aht());
  }
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbers.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

v1::CallState ToProto(core::CallState state) {
  switch (state) {
    case core::CallState::kQueued:
      return v1::CALL_STATE_QUEUED;
    case core::CallState::kOffered:
      return v1::CALL_STATE_OFFERED;
    case core::CallState::kConnected:
      return v1::CALL_STATE_CONNECTED;
    case core::CallState::kWrapUp:
      return v1::CALL_STATE_WRAP_UP;
    case core::CallState::kCompleted:
      return v1::CALL_STATE_COMPLETED;
    case core::CallState::kAbandoned:
      return v1::CALL_STATE_ABANDONED;
    case core::CallState::kOverflowed:
      return v1::CALL_STATE_OVERFLOWED;
    case core::CallState::kTimedOut:
      return v1::CALL_STATE_TIMED_OUT;
    case core::CallState::kRejected:
      return v1::CALL_STATE_REJECTED;
    case core::CallState::kCallbackScheduled:
      return v1::CALL_STATE_CALLBACK_SCHEDULED;
  }
  return v1::CALL_STATE_UNSPECIFIED;
}

absl::StatusOr<core::CallState> FromProto(v1::CallState state) {
  switch (state) {
    case v1::CALL_STATE_QUEUED:
      return core::CallState::kQueued;
    case v1::CALL_STATE_OFFERED:
      return core::CallState::kOffered;
    case v1::CALL_STATE_CONNECTED:
      return core::CallState::kConnected;
    case v1::CALL_STATE_WRAP_UP:
      return core::CallState::kWrapUp;
    case v1::CALL_STATE_COMPLETED:
      return core::CallState::kCompleted;
    case v1::CALL_STATE_ABANDONED:
      return core::CallState::kAbandoned;
    case v1::CALL_STATE_OVERFLOWED:
      return core::CallState::kOverflowed;
    case v1::CALL_STATE_TIMED_OUT:
      return core::CallState::kTimedOut;
    case v1::CALL_STATE_REJECTED:
      return core::CallState::kRejected;
    case v1::CALL_STATE_CALLBACK_SCHEDULED:
      return core::CallState::kCallbackScheduled;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("invalid call state ", static_cast<int>(state)));
  }
}

v1::AgentState ToProto(core::AgentState state) {
  switch (state) {
    case core::AgentState::kLoggedOut:
      return v1::AGENT_STATE_LOGGED_OUT;
    case core::AgentState::kAvailable:
      return v1::AGENT_STATE_AVAILABLE;
    case core::AgentState::kReserved:
      return v1::AGENT_STATE_RESERVED;
    case core::AgentState::kBusy:
      return v1::AGENT_STATE_BUSY;
    case core::AgentState::kWrapUp:
      return v1::AGENT_STATE_WRAP_UP;
    case core::AgentState::kAway:
      return v1::AGENT_STATE_AWAY;
  }
  return v1::AGENT_STATE_UNSPECIFIED;
}

v1::EventType ToProto(core::EventType type) {
  switch (type) {
    case core::EventType::kCallQueued:
      return v1::EVENT_TYPE_CALL_QUEUED;
    case core::EventType::kCallOffered:
      return v1::EVENT_TYPE_CALL_OFFERED;
    case core::EventType::kOfferRejected:
      return v1::EVENT_TYPE_OFFER_REJECTED;
    case core::EventType::kOfferTimedOut:
      return v1::EVENT_TYPE_OFFER_TIMED_OUT;
    case core::EventType::kOfferWithdrawn:
      return v1::EVENT_TYPE_OFFER_WITHDRAWN;
    case core::EventType::kCallConnected:
      return v1::EVENT_TYPE_CALL_CONNECTED;
    case core::EventType::kCallAbandoned:
      return v1::EVENT_TYPE_CALL_ABANDONED;
    case core::EventType::kCallEnded:
      return v1::EVENT_TYPE_CALL_ENDED;
    case core::EventType::kCallCompleted:
      return v1::EVENT_TYPE_CALL_COMPLETED;
    case core::EventType::kAgentLoggedIn:
      return v1::EVENT_TYPE_AGENT_LOGGED_IN;
    case core::EventType::kAgentLoggedOut:
      return v1::EVENT_TYPE_AGENT_LOGGED_OUT;
    case core::EventType::kAgentStateChanged:
      return v1::EVENT_TYPE_AGENT_STATE_CHANGED;
    case core::EventType::kConfigApplied:
      return v1::EVENT_TYPE_CONFIG_APPLIED;
    case core::EventType::kCallOverflowed:
      return v1::EVENT_TYPE_CALL_OVERFLOWED;
    case core::EventType::kCallTimedOut:
      return v1::EVENT_TYPE_CALL_TIMED_OUT;
    case core::EventType::kCallTransferred:
      return v1::EVENT_TYPE_CALL_TRANSFERRED;
    case core::EventType::kCallEscalated:
      return v1::EVENT_TYPE_CALL_ESCALATED;
    case core::EventType::kCallbackOffered:
      return v1::EVENT_TYPE_CALLBACK_OFFERED;
    case core::EventType::kCallbackRequested:
      return v1::EVENT_TYPE_CALLBACK_REQUESTED;
    case core::EventType::kCallbackDial:
      return v1::EVENT_TYPE_CALLBACK_DIAL;
    case core::EventType::kCallbackFailed:
      return v1::EVENT_TYPE_CALLBACK_FAILED;
    case core::EventType::kCallbackWithdrawn:
      return v1::EVENT_TYPE_CALLBACK_WITHDRAWN;
    case core::EventType::kStateRestored:
      return v1::EVENT_TYPE_STATE_RESTORED;
  }
  return v1::EVENT_TYPE_UNSPECIFIED;
}

void ToProto(const core::Call& call, v1::Call* out) {
  out->set_call_id(call.call_id);
  out->set_queue(call.queue);
  out->set_priority(call.priority);
  for (const auto& [k, v] : call.required_skills) (*out->mutable_required_skills())[k] = v;
  for (const auto& [k, v] : call.attributes) (*out->mutable_attributes())[k] = v;
  out->set_state(ToProto(call.state));
  out->set_agent_id(call.agent_id);
  SetTime(call.enqueued_at, out->mutable_enqueued_at());
  if (call.offered_at) SetTime(call.offered_at, out->mutable_offered_at());
  if (call.connected_at) SetTime(call.connected_at, out->mutable_connected_at());
  if (call.ended_at) SetTime(call.ended_at, out->mutable_ended_at());
  if (call.completed_at) SetTime(call.completed_at, out->mutable_completed_at());
  if (call.offer_expires_at) SetTime(call.offer_expires_at, out->mutable_offer_expires_at());
  if (call.callback_requested_at)
    SetTime(call.callback_requested_at, out->mutable_callback_requested_at());
  SetTime(call.queue_entered_at, out->mutable_queue_entered_at());
  if (call.callback_window_end)
    SetTime(call.callback_window_end, out->mutable_callback_window_end());
  if (call.callback_retry_at) SetTime(call.callback_retry_at, out->mutable_callback_retry_at());
  out->set_callback_pending(call.callback_pending);
  out->set_disposition(call.disposition);
  out->set_notes(call.notes);
  out->set_end_reason(call.end_reason);
  out->set_position(call.position);
  out->set_missed_offers(call.missed_offers);
  for (const auto& [k, v] : call.effective_skills) (*out->mutable_effective_skills())[k] = v;
  out->set_transfers(call.transfers);
  out->set_callback_number(call.callback_number);
  out->set_callback_attempts(call.callback_attempts);
  if (call.estimated_wait) SetDuration(*call.estimated_wait, out->mutable_estimated_wait());
}

void ToProto(const core::Agent& agent, v1::Agent* out) {
  out->set_agent_id(agent.agent_id);
  out->set_name(agent.name);
  for (const auto& [k, v] : agent.skills) (*out->mutable_skills())[k] = v;
  for (const std::string& q : agent.queues) out->add_queues(q);
  out->set_state(ToProto(agent.state));
  SetTime(agent.state == core::AgentState::kAvailable ? agent.idle_since : agent.state_since,
          out->mutable_state_since());
  out->set_away_reason(agent.away_reason);
  out->set_call_id(agent.call_id);
  if (agent.wrap_up_until) SetTime(agent.wrap_up_until, out->mutable_wrap_up_until());
  out->set_calls_handled(agent.calls_handled);
  SetDuration(agent.talk_time, out->mutable_talk_time());
  out->set_consecutive_missed_offers(agent.consecutive_missed_offers);
  out->set_pending_away_reason(agent.pending_away_reason);
}

void ToProto(const core::Event& event, v1::Event* out) {
  out->set_seq(event.seq);
  SetTime(event.time, out->mutable_time());
  out->set_type(ToProto(event.type));
  out->set_call_id(event.call_id);
  out->set_agent_id(event.agent_id);
  out->set_queue(event.queue);
  out->set_reason(event.reason);
  if (event.call) ToProto(*event.call, out->mutable_call());
  if (event.agent) ToProto(*event.agent, out->mutable_agent());
}

void ToProto(const core::QueueStats& s, v1::QueueStats* out) {
  out->set_queue(s.queue);
  out->set_queued(s.queued);
  out->set_offered(s.offered);
  out->set_connected(s.connected);
  out->set_wrap_up(s.wrap_up);
  out->set_completed(s.completed);
  out->set_abandoned(s.abandoned);
  out->set_agents_logged_out(s.agents_logged_out);
  out->set_agents_available(s.agents_available);
  out->set_agents_reserved(s.agents_reserved);
  out->set_agents_busy(s.agents_busy);
  out->set_agents_wrap_up(s.agents_wrap_up);
  out->set_agents_away(s.agents_away);
  SetDuration(s.longest_wait, out->mutable_longest_wait());
  out->set_timed_out(s.timed_out);
  out->set_overflowed(s.overflowed);
  out->set_rejected(s.rejected);
  out->set_open(s.open);
}

void ToProto(const core::KpiFigures& f, v1::QueueStats::Kpis* out) {
  SetTime(f.from, out->mutable_from());
  const core::CallTally& c = f.calls;
  out->set_offered(static_cast<int32_t>(c.offered));
  out->set_answered(static_cast<int32_t>(c.answered));
  out->set_answered_in_threshold(static_cast<int32_t>(c.answered_in_threshold));
  out->set_abandoned(static_cast<int32_t>(c.abandoned));
  out->set_short_abandoned(static_cast<int32_t>(c.short_abandoned));
  out->set_timed_out(static_cast<int32_t>(c.timed_out));
  out->set_overflowed(static_cast<int32_t>(c.overflowed));
  out->set_transfers(static_cast<int32_t>(c.transfers));
  out->set_callbacks(static_cast<int32_t>(c.callbacks));
  out->set_handled(static_cast<int32_t>(c.handled));
  if (f.service_level) out->set_service_level(*f.service_level);
  if (f.abandonment_rate) out->set_abandonment_rate(*f.abandonment_rate);
  if (f.asa) SetDuration(*f.asa, out->mutable_asa());
  if (f.aht) SetDuration(*f.aht, out->mutable_aht());
  if (f.occupancy) out->set_occupancy(*f.occupancy);
  const core::AgentTime& t = f.agent_time;
  SetDuration(t[core::AgentState::kAvailable], out->mutable_available_time());
  SetDuration(t[core::AgentState::kReserved], out->mutable_reserved_time());
  SetDuration(t[core::AgentState::kBusy], out->mutable_busy_time());
  SetDuration(t[core::AgentState::kWrapUp], out->mutable_wrap_up_time());
  SetDuration(t[core::AgentState::kAway], out->mutable_away_time());
}

void ToProto(const core::QueueKpis& kpis, v1::QueueStats* out) {
  ToProto(kpis.window, out->mutable_window());
  ToProto(kpis.today, out->mutable_today());
}

void ToProto(const core::AgentKpis& kpis, v1::AgentStats* out) {
  out->set_agent_id(kpis.agent_id);
  out->set_state(ToProto(kpis.state));
  SetTime(kpis.state_since, out->mutable_state_since());
  ToProto(kpis.window, out->mutable_window());
  ToProto(kpis.today, out->mutable_today());
}

void ToProto(const core::QueueConfig& queue, v1::Queue* out) {
  out->set_name(queue.name);
  SetDuration(queue.offer_timeout, out->mutable_offer_timeout());
  SetDuration(queue.wrap_up_time, out->mutable_wrap_up_time());
  out->set_max_missed_offers(queue.max_missed_offers);
  out->set_weight(queue.weight);
  out->set_strategy(std::string(core::StrategyName(queue.strategy)));
  out->set_aging_per_minute(queue.aging_per_minute);
  out->set_max_size(queue.max_size);
  SetDuration(queue.max_wait, out->mutable_max_wait());
  out->set_schedule(queue.schedule);
}

void ToProto(const config::Problem& problem, v1::ConfigProblem* out) {
  out->set_file(problem.file);
  out->set_line(problem.line);
  out->set_column(problem.column);
  out->set_path(problem.path);
  out->set_message(problem.message);
}

void ToProto(const config::ConfigChange& change, v1::ConfigChange* out) {
  switch (change.kind) {
    case config::ChangeKind::kAdded:
      out->set_kind(v1::ConfigChange::ADDED);
      break;
    case config::ChangeKind::kRemoved:
      out->set_kind(v1::ConfigChange::REMOVED);
      break;
    case config::ChangeKind::kChanged:
      out->set_kind(v1::ConfigChange::CHANGED);
      break;
  }
  out->set_section(std::string(config::ChangeSectionName(change.section)));
  out->set_name(change.name);
  for (const std::string& w : change.what) out->add_what(w);
  out->set_summary(change.ToString());
}

}  // namespace acd::rpc
