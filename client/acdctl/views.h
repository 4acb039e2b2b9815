// Table-mode views of the acd messages: which fields an operator sees, in
// which order and how they are formatted. JSON mode bypasses these.
#ifndef ACD_CLIENT_ACDCTL_VIEWS_H_
#define ACD_CLIENT_ACDCTL_VIEWS_H_

#include <google/protobuf/map.h>

#include <string>
#include <vector>

#include "acd/v1/admin_service.pb.h"
#include "acd/v1/agent_service.pb.h"
#include "acd/v1/types.pb.h"
#include "client/acdctl/output.h"

namespace acd::ctl {

// "english=5, spanish=3", sorted by name; "-" when empty.
std::string FormatSkills(const google::protobuf::Map<std::string, int32_t>& skills);
std::string FormatAttributes(const google::protobuf::Map<std::string, std::string>& attributes);

// "available", "away (lunch)".
std::string AgentStateText(const acd::v1::Agent& agent);
// How long the call waited: until it was connected or left, else until now.
std::string CallWait(const acd::v1::Call& call, const Clock& clock);

// One record, as "key: value" lines. Unset optional fields are left out.
Fields CallFields(const acd::v1::Call& call, const Clock& clock);
Fields AgentFields(const acd::v1::Agent& agent, const Clock& clock);
// Includes the live KPIs as "window/today" pairs.
Fields QueueStatsFields(const acd::v1::QueueStats& stats);

// "85.0%" for 0.85.
std::string FormatPercent(double fraction);

// The wallboard of `acdctl watch`: a title line, one row per queue (live
// counts, then each KPI as "window/today", "-" where there is nothing to rate
// yet), and with --agents one row per agent.
std::string WallboardTitle(const acd::v1::StatsSnapshot& snapshot, const Clock& clock);
Table WallboardTable(const acd::v1::StatsSnapshot& snapshot);
Table WallboardAgentsTable(const acd::v1::StatsSnapshot& snapshot, const Clock& clock);

// Lists.
Table QueuesTable(const acd::v1::ListQueuesResponse& response);
Table AgentsTable(const acd::v1::ListAgentsResponse& response, const Clock& clock);
Table CallsTable(const acd::v1::ListCallsResponse& response, const Clock& clock);

// GetReport: a line saying what the report covers (subject, range in
// `clock.zone`, interval, thresholds), then one row per interval and a total
// row. The table is for people (local times, percentages, 1m05s); the CSV for
// spreadsheets (RFC 3339 times, fractions, seconds; empty when absent).
std::string ReportHeading(const acd::v1::GetReportResponse& report, const Clock& clock);
Table ReportTable(const acd::v1::GetReportResponse& report, const Clock& clock);
Table ReportCsv(const acd::v1::GetReportResponse& report, const Clock& clock);

// Live streams: one line per item.
StreamTable EventStreamTable();
std::vector<std::string> EventRow(const acd::v1::Event& event, const Clock& clock);

StreamTable OfferStreamTable();
std::vector<std::string> OfferRow(const acd::v1::OfferUpdate& update, const Clock& clock);
// The line `agent offers --accept` prints after accepting.
std::vector<std::string> AcceptedRow(const acd::v1::Call& call, const Clock& clock);

}  // namespace acd::ctl

#endif  // ACD_CLIENT_ACDCTL_VIEWS_H_
