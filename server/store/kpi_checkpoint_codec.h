// The live KPIs' checkpoint (core::LiveStatsCheckpoint) as bytes for the
// store: a protobuf record (kpi_checkpoint.proto), binary, since nobody reads
// it but acdd and a large centre's checkpoint holds every live call.
//
// Thread safety: pure functions.
#ifndef ACD_SERVER_STORE_KPI_CHECKPOINT_CODEC_H_
#define ACD_SERVER_STORE_KPI_CHECKPOINT_CODEC_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/core/live_stats.h"

namespace acd::store {

std::string EncodeKpiCheckpoint(const core::LiveStatsCheckpoint& checkpoint);
// DATA_LOSS when `bytes` is not a checkpoint this acdd can read.
absl::StatusOr<core::LiveStatsCheckpoint> DecodeKpiCheckpoint(absl::string_view bytes);

}  // namespace acd::store

#endif  // ACD_SERVER_STORE_KPI_CHECKPOINT_CODEC_H_
