// Conversions between the public API (acd.v1 protos) and core domain types,
// and from absl::Status to grpc::Status. The RPC layer is the only place
// either happens.
//
// Thread safety: pure functions.
#ifndef ACD_SERVER_RPC_CONVERT_H_
#define ACD_SERVER_RPC_CONVERT_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "acd/v1/admin_service.pb.h"
#include "acd/v1/types.pb.h"
#include "server/config/config.h"
#include "server/config/config_diff.h"
#include "server/core/engine.h"
#include "server/core/kpi.h"
#include "server/core/live_stats.h"
#include "server/core/types.h"
#include "server/store/report_reader.h"

namespace acd::rpc {

grpc::Status ToGrpcStatus(const absl::Status& status);

void ToProto(const core::Call& call, v1::Call* out);
void ToProto(const core::Agent& agent, v1::Agent* out);
void ToProto(const core::Event& event, v1::Event* out);
void ToProto(const core::QueueStats& stats, v1::QueueStats* out);
// The live KPIs: into a QueueStats' window and today, or an AgentStats.
void ToProto(const core::KpiFigures& figures, v1::QueueStats::Kpis* out);
void ToProto(const core::QueueKpis& kpis, v1::QueueStats* out);
void ToProto(const core::AgentKpis& kpis, v1::AgentStats* out);
void ToProto(const core::QueueConfig& queue, v1::Queue* out);
void ToProto(const config::Problem& problem, v1::ConfigProblem* out);
void ToProto(const config::ConfigChange& change, v1::ConfigChange* out);
// An interval's counts with the kpi.h figures; `rates` adds service level and
// abandonment (queue reports; an agent report has no offered calls to rate).
void ToProto(const store::ReportInterval& interval, bool rates, v1::ReportRow* out);

// To the microsecond, as everything acd stores.
void SetDuration(absl::Duration d, google::protobuf::Duration* out);
// A request's Duration or Timestamp, within the range and form the
// well-known types define (nanos within a second, and of the seconds' sign
// for a Duration; years 1 to 9999 for a Timestamp): INVALID_ARGUMENT naming
// `field` and the value otherwise.
absl::StatusOr<absl::Duration> FromProto(const google::protobuf::Duration& d,
                                         absl::string_view field);
absl::StatusOr<absl::Time> FromProto(const google::protobuf::Timestamp& t,
                                     absl::string_view field);

v1::CallState ToProto(core::CallState state);
v1::AgentState ToProto(core::AgentState state);
v1::EventType ToProto(core::EventType type);
// INVALID_ARGUMENT for UNSPECIFIED or an unknown number.
absl::StatusOr<core::CallState> FromProto(v1::CallState state);

}  // namespace acd::rpc

#endif  // ACD_SERVER_RPC_CONVERT_H_
