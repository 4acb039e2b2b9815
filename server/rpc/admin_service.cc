#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "server/core/erlang.h"
#include "server/rpc/services.h"
#include "server/rpc/unary.h"

namespace acd::rpc {

using core::Engine;

namespace {

constexpr int kDefaultListLimit = 1000;
constexpr int kMaxListLimit = 100000;

void Summarize(const config::Config& config,
               google::protobuf::RepeatedPtrField<std::string>* queues,
               google::protobuf::RepeatedPtrField<std::string>* agents) {
  for (const core::QueueConfig& q : config.routing.queues) queues->Add(std::string(q.name));
  for (const core::AgentConfig& a : config.routing.agents) agents->Add(std::string(a.agent_id));
}

void ToProto(const core::StaffingPrediction& p, v1::StaffingPrediction* out) {
  out->set_agents(p.agents);
  out->set_traffic_erlangs(p.traffic_erlangs);
  out->set_p_wait(p.p_wait);
  out->set_service_level(p.service_level);
  if (p.asa != absl::InfiniteDuration()) {
    *out->mutable_asa() =
        google::protobuf::util::TimeUtil::MicrosecondsToDuration(absl::ToInt64Microseconds(p.asa));
  }
  out->set_occupancy(p.occupancy);
  if (p.abandonment) out->set_abandonment(*p.abandonment);
}

// The report query a request asks for, checked: the subject is configured (or
// has call records: a queue or agent since removed from the config), and the
// thresholds are the queues' current ones.
absl::StatusOr<store::ReportQuery> ReportQueryFromProto(const v1::GetReportRequest& req,
                                                        const config::Config& config,
                                                        store::ReportReader& reports) {
  store::ReportQuery query;
  switch (req.subject_case()) {
    case v1::GetReportRequest::kQueue:
      query.subject = store::ReportSubject::kQueue;
      query.name = req.queue();
      break;
    case v1::GetReportRequest::kAgentId:
      query.subject = store::ReportSubject::kAgent;
      query.name = req.agent_id();
      break;
    default:
      break;
  }
  if (query.name.empty()) return absl::InvalidArgumentError("queue or agent_id is required");
  if (!req.has_from()) return absl::InvalidArgumentError("from is required");
  if (!req.has_to()) return absl::InvalidArgumentError("to is required");
  query.from = FromProto(req.from());
  query.to = FromProto(req.to());
  if (req.has_interval()) query.interval = FromProto(req.interval());
  if (absl::Status s = store::ValidateReportQuery(query); !s.ok()) return s;

  bool configured = false;
  for (const core::QueueConfig& q : config.routing.queues) {
    query.thresholds[q.name] = {.service_level = q.service_level_threshold,
                                .short_abandon = q.short_abandon};
    if (query.subject == store::ReportSubject::kQueue && q.name == query.name) configured = true;
  }
  for (const core::AgentConfig& a : config.routing.agents) {
    if (query.subject == store::ReportSubject::kAgent && a.agent_id == query.name) {
      configured = true;
    }
  }
  if (!configured) {
    absl::StatusOr<bool> recorded = reports.HasCalls(query.subject, query.name);
    if (!recorded.ok()) return recorded.status();
    if (!*recorded) {
      return absl::NotFoundError(absl::StrCat(
          query.subject == store::ReportSubject::kQueue ? "unknown queue \"" : "unknown agent \"",
          query.name, "\": not in the config and no calls recorded"));
    }
  }
  return query;
}

}  // namespace

grpc::ServerUnaryReactor* AdminServiceImpl::GetReport(grpc::CallbackServerContext* ctx,
                                                      const v1::GetReportRequest* req,
                                                      v1::GetReportResponse* resp) {
  if (reports_ == nullptr) {
    return Refuse(ctx, absl::UnavailableError(
                           "reports need the daemon's database in a file; this daemon runs "
                           "on a database other connections cannot read"));
  }
  // Runs here, on the gRPC thread, rather than on the engine thread: it reads
  // SQLite through the reader's own connection, never engine state, and the
  // work is bounded (at most 31 days of one queue's or agent's rows).
  absl::StatusOr<store::ReportQuery> query =
      ReportQueryFromProto(*req, config_->current(), *reports_);
  if (!query.ok()) return Refuse(ctx, query.status());
  absl::StatusOr<store::Report> report = reports_->Read(*query);
  if (!report.ok()) return Refuse(ctx, report.status());

  const bool by_queue = query->subject == store::ReportSubject::kQueue;
  if (by_queue) {
    resp->set_queue(query->name);
    const core::KpiThresholds& t = query->ThresholdsOf(query->name);
    SetDuration(t.service_level, resp->mutable_service_level_threshold());
    SetDuration(t.short_abandon, resp->mutable_short_abandon());
  } else {
    resp->set_agent_id(query->name);
  }
  SetDuration(query->interval, resp->mutable_interval());
  for (const store::ReportInterval& interval : report->intervals) {
    ToProto(interval, by_queue, resp->add_intervals());
  }
  ToProto(store::ReportInterval{.start = query->from, .end = query->to, .tally = report->total},
          by_queue, resp->mutable_total());
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* AdminServiceImpl::Staffing(grpc::CallbackServerContext* ctx,
                                                     const v1::StaffingRequest* req,
                                                     v1::StaffingResponse* resp) {
  // Pure arithmetic on the request (bounded: at most a few ms for Erlang A),
  // so it runs here rather than on the engine thread.
  core::StaffingInput in;
  in.calls_per_interval = req->calls_per_interval();
  if (req->has_interval()) in.interval = FromProto(req->interval());
  in.aht = FromProto(req->aht());
  if (req->has_service_level()) in.service_level = req->service_level();
  if (req->has_threshold()) in.threshold = FromProto(req->threshold());
  if (req->has_max_asa()) in.max_asa = FromProto(req->max_asa());
  if (req->has_max_abandonment()) in.max_abandonment = req->max_abandonment();
  if (req->has_mean_patience()) in.mean_patience = FromProto(req->mean_patience());
  if (req->has_max_occupancy()) in.max_occupancy = req->max_occupancy();
  absl::StatusOr<core::StaffingPrediction> needed = core::AgentsNeeded(in);
  if (!needed.ok()) return Refuse(ctx, needed.status());
  ToProto(*needed, resp->mutable_needed());
  if (req->agents() != 0) {
    absl::StatusOr<core::StaffingPrediction> at = core::Predict(
        needed->traffic_erlangs, req->agents(), in.aht, in.threshold, in.mean_patience);
    if (!at.ok()) return Refuse(ctx, at.status());
    ToProto(*at, resp->mutable_at_agents());
  }
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListQueues(grpc::CallbackServerContext* ctx,
                                                       const v1::ListQueuesRequest* req,
                                                       v1::ListQueuesResponse* resp) {
  using Rows = std::vector<std::pair<core::QueueConfig, core::QueueStats>>;
  return Run<Rows>(
      ctx, runtime_,
      [](Engine& engine, absl::Time now) -> absl::StatusOr<Rows> {
        Rows rows;
        for (const core::QueueConfig& q : engine.Queues()) {
          absl::StatusOr<core::QueueStats> stats = engine.GetQueueStats(q.name, now);
          if (!stats.ok()) return stats.status();
          rows.emplace_back(q, *stats);
        }
        return rows;
      },
      [resp](const Rows& rows) {
        for (const auto& [config, stats] : rows) {
          v1::Queue* q = resp->add_queues();
          ToProto(config, q);
          ToProto(stats, q->mutable_stats());
        }
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::GetQueueStats(grpc::CallbackServerContext* ctx,
                                                          const v1::GetQueueStatsRequest* req,
                                                          v1::QueueStats* resp) {
  if (req->queue().empty()) return Refuse(ctx, absl::InvalidArgumentError("queue is required"));
  return Run<core::QueueStats>(
      ctx, runtime_,
      [queue = req->queue()](Engine& engine, absl::Time now) {
        return engine.GetQueueStats(queue, now);
      },
      [resp](const core::QueueStats& stats) { ToProto(stats, resp); });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListAgents(grpc::CallbackServerContext* ctx,
                                                       const v1::ListAgentsRequest* req,
                                                       v1::ListAgentsResponse* resp) {
  return Run<std::vector<core::Agent>>(
      ctx, runtime_,
      [queue = req->queue()](Engine& engine, absl::Time) { return engine.ListAgents(queue); },
      [resp](const std::vector<core::Agent>& agents) {
        for (const core::Agent& a : agents) ToProto(a, resp->add_agents());
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListCalls(grpc::CallbackServerContext* ctx,
                                                      const v1::ListCallsRequest* req,
                                                      v1::ListCallsResponse* resp) {
  if (req->limit() < 0 || req->limit() > kMaxListLimit) {
    return Refuse(ctx, absl::InvalidArgumentError(absl::StrCat(
                           "limit ", req->limit(), " is out of range [0, ", kMaxListLimit, "]")));
  }
  std::vector<core::CallState> states;
  for (int s : req->states()) {
    absl::StatusOr<core::CallState> state = FromProto(static_cast<v1::CallState>(s));
    if (!state.ok()) return Refuse(ctx, state.status());
    states.push_back(*state);
  }
  size_t limit = req->limit() == 0 ? kDefaultListLimit : req->limit();
  return Run<std::vector<core::Call>>(
      ctx, runtime_,
      [queue = req->queue(), states, limit](Engine& engine, absl::Time) {
        return engine.ListCalls(queue, states, limit);
      },
      [resp](const std::vector<core::Call>& calls) {
        for (const core::Call& c : calls) ToProto(c, resp->add_calls());
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::MoveCall(grpc::CallbackServerContext* ctx,
                                                     const v1::MoveCallRequest* req,
                                                     v1::Call* resp) {
  return Run<core::Call>(
      ctx, runtime_,
      [id = req->call_id(), queue = req->queue()](Engine& engine, absl::Time now) {
        return engine.MoveCall(id, queue, now);
      },
      [resp](const core::Call& call) { ToProto(call, resp); });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ValidateConfig(grpc::CallbackServerContext* ctx,
                                                           const v1::ValidateConfigRequest* req,
                                                           v1::ValidateConfigResponse* resp) {
  config::ParseOutcome outcome = config_->Validate(req->config_yaml(), req->file_name());
  resp->set_valid(outcome.ok());
  for (const config::Problem& p : outcome.problems) ToProto(p, resp->add_problems());
  if (outcome.config) Summarize(*outcome.config, resp->mutable_queues(), resp->mutable_agents());
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* AdminServiceImpl::ReloadConfig(grpc::CallbackServerContext* ctx,
                                                         const v1::ReloadConfigRequest* req,
                                                         v1::ReloadConfigResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  config_->Reload([reactor, resp](absl::StatusOr<config::Config> applied) {
    if (!applied.ok()) {
      reactor->Finish(ToGrpcStatus(applied.status()));
      return;
    }
    resp->set_config_hash(applied->hash);
    Summarize(*applied, resp->mutable_queues(), resp->mutable_agents());
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

}  // namespace acd::rpc
