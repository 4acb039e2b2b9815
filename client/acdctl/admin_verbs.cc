// Verbs of acd.v1.AdminService (queues, queue stats, agents, calls, config
// validate|reload) and of grpc.health.v1.Health (health).
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "acd/v1/admin_service.grpc.pb.h"
#include "client/acdctl/args.h"
#include "client/acdctl/output.h"
#include "client/acdctl/stream_canceller.h"
#include "client/acdctl/verbs.h"
#include "client/acdctl/views.h"
#include "google/protobuf/util/time_util.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace acd::ctl {
namespace {

using Stub = acd::v1::AdminService::Stub;

// "file:line:col: path: message", leaving out the parts the server did not
// know. `file` stands in when the server names none (text sent inline).
std::string FormatProblem(const acd::v1::ConfigProblem& problem, const std::string& file) {
  std::string text = problem.file().empty() ? file : problem.file();
  if (problem.line() > 0) {
    absl::StrAppend(&text, ":", problem.line());
    if (problem.column() > 0) absl::StrAppend(&text, ":", problem.column());
  }
  if (!problem.path().empty()) absl::StrAppend(&text, ": ", problem.path());
  absl::StrAppend(&text, ": ", problem.message());
  return text;
}

// "2 queues (sales, support)", "1 agent (alice)", "0 agents".
std::string Summary(const google::protobuf::RepeatedPtrField<std::string>& names,
                    absl::string_view noun) {
  std::string text = absl::StrCat(names.size(), " ", noun, names.size() == 1 ? "" : "s");
  if (!names.empty()) absl::StrAppend(&text, " (", absl::StrJoin(names, ", "), ")");
  return text;
}

}  // namespace

int RunQueues(const Invocation& inv) {
  acd::v1::ListQueuesResponse response;
  const grpc::Status status =
      CallUnary(*inv.global, &Stub::ListQueues, acd::v1::ListQueuesRequest(), &response);
  if (!status.ok()) return ReportRpcError(inv, status);
  if (inv.json()) {
    PrintJson(std::cout, response, /*pretty=*/true);
  } else {
    QueuesTable(response).Print(std::cout);
  }
  return kExitOk;
}

namespace {

// Parses a duration flag ("3m", "20s"); `what` names the flag in errors.
absl::Status SetDuration(const std::string& text, absl::string_view what,
                         google::protobuf::Duration* out) {
  absl::Duration d;
  if (!absl::ParseDuration(text, &d) || d < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " \"", text, "\" is not a duration like 3m, 20s or 1m30s"));
  }
  out->set_seconds(absl::ToInt64Seconds(d));
  out->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d % absl::Seconds(1))));
  return absl::OkStatus();
}

Fields PredictionFields(const acd::v1::StaffingPrediction& p) {
  Fields fields = {
      {"agents", absl::StrCat(p.agents())},
      {"traffic", absl::StrFormat("%.2f Erlangs", p.traffic_erlangs())},
      {"P(wait)", FormatPercent(p.p_wait())},
      {"service level", FormatPercent(p.service_level())},
      {"ASA", p.has_asa() ? FormatShortDuration(p.asa()) : "never answered"},
      {"occupancy", FormatPercent(p.occupancy())},
  };
  if (p.has_abandonment()) fields.emplace_back("abandonment", FormatPercent(p.abandonment()));
  return fields;
}

}  // namespace

int RunStaffing(const Invocation& inv, const StaffingArgs& args) {
  acd::v1::StaffingRequest request;
  request.set_calls_per_interval(args.calls);
  for (auto [text, what, out] :
       {std::tuple{&args.interval, "--interval", request.mutable_interval()},
        std::tuple{&args.aht, "--aht", request.mutable_aht()},
        std::tuple{&args.threshold, "--threshold", request.mutable_threshold()}}) {
    if (absl::Status s = SetDuration(*text, what, out); !s.ok()) {
      return ReportUsageError(inv, s.message());
    }
  }
  if (!args.max_asa.empty()) {
    if (absl::Status s = SetDuration(args.max_asa, "--asa", request.mutable_max_asa()); !s.ok()) {
      return ReportUsageError(inv, s.message());
    }
  }
  if (!args.patience.empty()) {
    absl::Status s = SetDuration(args.patience, "--patience", request.mutable_mean_patience());
    if (!s.ok()) return ReportUsageError(inv, s.message());
  }
  if (args.service_level) request.set_service_level(*args.service_level);
  if (args.max_abandonment) request.set_max_abandonment(*args.max_abandonment);
  if (args.max_occupancy) request.set_max_occupancy(*args.max_occupancy);
  request.set_agents(args.agents);
  acd::v1::StaffingResponse response;
  const grpc::Status status = CallUnary(*inv.global, &Stub::Staffing, request, &response);
  if (!status.ok()) return ReportRpcError(inv, status);
  if (inv.json()) {
    PrintRecord(std::cout, true, response, {});
    return kExitOk;
  }
  std::cout << "needed:\n";
  PrintFields(std::cout, PredictionFields(response.needed()));
  if (response.has_at_agents()) {
    std::cout << "\nwith " << response.at_agents().agents() << " agents:\n";
    PrintFields(std::cout, PredictionFields(response.at_agents()));
  }
  return kExitOk;
}

int RunReport(const Invocation& inv, const ReportArgs& args) {
  if (args.queue.empty() == args.agent.empty()) {
    return ReportUsageError(inv, "give either --queue QUEUE or --agent AGENT_ID");
  }
  const Clock clock = Clock::Local();
  // Defaults: what a supervisor means by "today so far".
  absl::Time from = absl::FromCivil(absl::ToCivilDay(clock.now, clock.zone), clock.zone);
  absl::Time to = clock.now;
  absl::Duration interval = absl::Minutes(60);
  // The validators checked these already; parse again for the values.
  if (!args.from.empty()) from = *ParseTimeArg(args.from, clock.zone);
  if (!args.to.empty()) to = *ParseTimeArg(args.to, clock.zone);
  if (absl::StatusOr<absl::Duration> d = ParseReportInterval(args.interval); d.ok()) interval = *d;

  acd::v1::GetReportRequest request;
  if (args.queue.empty()) {
    request.set_agent_id(args.agent);
  } else {
    request.set_queue(args.queue);
  }
  using google::protobuf::util::TimeUtil;
  *request.mutable_from() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(from));
  *request.mutable_to() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(to));
  *request.mutable_interval() = TimeUtil::SecondsToDuration(absl::ToInt64Seconds(interval));
  acd::v1::GetReportResponse response;
  const grpc::Status status = CallUnary(*inv.global, &Stub::GetReport, request, &response);
  if (!status.ok()) return ReportRpcError(inv, status);
  if (inv.json()) {
    PrintJson(std::cout, response, /*pretty=*/true);
  } else if (inv.csv()) {
    ReportCsv(response, clock).PrintCsv(std::cout);
  } else {
    std::cout << ReportHeading(response, clock) << "\n\n";
    ReportTable(response, clock).Print(std::cout);
  }
  return kExitOk;
}

int RunQueueStats(const Invocation& inv, const QueueArgs& args) {
  acd::v1::GetQueueStatsRequest request;
  request.set_queue(args.queue);
  acd::v1::QueueStats stats;
  const grpc::Status status = CallUnary(*inv.global, &Stub::GetQueueStats, request, &stats);
  if (!status.ok()) return ReportRpcError(inv, status);
  PrintRecord(std::cout, inv.json(), stats, QueueStatsFields(stats));
  return kExitOk;
}

int RunWatch(const Invocation& inv, const WatchArgs& args) {
  acd::v1::WatchStatsRequest request;
  for (const std::string& q : args.queues) request.add_queues(q);
  request.set_agents(args.agents);
  if (absl::Status s = SetDuration(args.interval, "--interval", request.mutable_interval());
      !s.ok()) {
    return ReportUsageError(inv, s.message());
  }
  Stub stub(Connect(*inv.global));
  grpc::ClientContext context;  // No deadline: the stream is live.
  StreamCanceller canceller(&context, absl::InfiniteDuration());
  auto reader = stub.WatchStats(&context, request);
  // Redraw in place on a terminal; elsewhere (a pipe, a file) print blocks.
  const bool redraw = !inv.json() && isatty(STDOUT_FILENO) == 1;
  acd::v1::StatsSnapshot snapshot;
  while (reader->Read(&snapshot)) {
    if (inv.json()) {
      PrintJson(std::cout, snapshot, /*pretty=*/false);
    } else {
      const Clock clock = Clock::Local();
      std::ostringstream block;  // one write per frame: no flicker
      if (redraw) block << "\x1b[H\x1b[2J";
      block << WallboardTitle(snapshot, clock) << "\n";
      WallboardTable(snapshot).Print(block);
      if (args.agents) {
        block << "\n";
        WallboardAgentsTable(snapshot, clock).Print(block);
      }
      if (!redraw && !args.once) block << "\n";
      std::cout << block.str() << std::flush;
    }
    if (args.once) {
      canceller.Cancel();
      break;
    }
  }
  const grpc::Status status = reader->Finish();
  if (status.ok() || canceller.EndedStream(status)) return kExitOk;
  return ReportRpcError(inv, status);
}

int RunAgents(const Invocation& inv, const QueueArgs& args) {
  acd::v1::ListAgentsRequest request;
  request.set_queue(args.queue);
  acd::v1::ListAgentsResponse response;
  const grpc::Status status = CallUnary(*inv.global, &Stub::ListAgents, request, &response);
  if (!status.ok()) return ReportRpcError(inv, status);
  if (inv.json()) {
    PrintJson(std::cout, response, /*pretty=*/true);
  } else {
    AgentsTable(response, Clock::Local()).Print(std::cout);
  }
  return kExitOk;
}

int RunCalls(const Invocation& inv, const CallsArgs& args) {
  acd::v1::ListCallsRequest request;
  request.set_queue(args.queue);
  request.set_limit(args.limit);
  for (const std::string& value : args.states) {
    const auto state = ParseCallState(value);
    if (!state.ok()) return ReportUsageError(inv, state.status().message());
    request.add_states(*state);
  }
  acd::v1::ListCallsResponse response;
  const grpc::Status status = CallUnary(*inv.global, &Stub::ListCalls, request, &response);
  if (!status.ok()) return ReportRpcError(inv, status);
  if (inv.json()) {
    PrintJson(std::cout, response, /*pretty=*/true);
  } else {
    CallsTable(response, Clock::Local()).Print(std::cout);
  }
  return kExitOk;
}

int RunConfigValidate(const Invocation& inv, const ConfigValidateArgs& args) {
  acd::v1::ValidateConfigRequest request;
  if (!args.file.empty()) {
    std::ifstream in(args.file, std::ios::binary);
    if (!in.is_open()) {
      return ReportFailure(inv, absl::StrCat(args.file, ": cannot open: ", std::strerror(errno)));
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return ReportFailure(inv, absl::StrCat(args.file, ": cannot read"));
    // An empty config_yaml asks the daemon to check its own file instead.
    if (text.str().empty()) return ReportFailure(inv, absl::StrCat(args.file, ": file is empty"));
    request.set_config_yaml(text.str());
    request.set_file_name(args.file);
  }
  acd::v1::ValidateConfigResponse response;
  const grpc::Status status = CallUnary(*inv.global, &Stub::ValidateConfig, request, &response);
  if (!status.ok()) return ReportRpcError(inv, status);

  if (inv.json()) {
    PrintJson(std::cout, response, /*pretty=*/true);
  } else {
    const std::string file = args.file.empty() ? "acdd config" : args.file;
    for (const auto& problem : response.problems()) {
      std::cout << FormatProblem(problem, file) << '\n';
    }
    if (response.valid()) {
      std::cout << file << ": valid: " << Summary(response.queues(), "queue") << ", "
                << Summary(response.agents(), "agent") << '\n';
      if (response.changes().empty()) {
        std::cout << "no changes from the running config\n";
      } else {
        std::cout << "changes from the running config:\n";
        for (const auto& change : response.changes()) std::cout << "  " << change.summary() << '\n';
      }
      for (const std::string& blocker : response.blockers()) {
        std::cout << "a reload now would be refused: " << blocker << '\n';
      }
    } else {
      std::cout << file << ": invalid: " << response.problems_size()
                << (response.problems_size() == 1 ? " problem" : " problems") << '\n';
    }
  }
  return response.valid() ? kExitOk : kExitFailure;
}

int RunConfigReload(const Invocation& inv) {
  acd::v1::ReloadConfigResponse response;
  const grpc::Status status =
      CallUnary(*inv.global, &Stub::ReloadConfig, acd::v1::ReloadConfigRequest(), &response);
  if (!status.ok()) return ReportRpcError(inv, status);
  PrintRecord(std::cout, inv.json(), response,
              {{"applied", "yes"},
               {"config hash", OrDash(response.config_hash())},
               {"queues", OrDash(absl::StrJoin(response.queues(), ", "))},
               {"agents", OrDash(absl::StrJoin(response.agents(), ", "))}});
  return kExitOk;
}

int RunHealth(const Invocation& inv, const HealthArgs& args) {
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(args.service);
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status =
      CallUnary(*inv.global, &grpc::health::v1::Health::Stub::Check, request, &response);
  if (!status.ok()) return ReportRpcError(inv, status);
  if (inv.json()) {
    PrintJson(std::cout, response, /*pretty=*/true);
  } else {
    std::cout << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status())
              << std::endl;
  }
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? kExitOk
                                                                             : kExitFailure;
}

}  // namespace acd::ctl
