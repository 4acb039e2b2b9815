#include <algorithm>

#include "absl/container/btree_set.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "server/core/erlang.h"
#include "server/core/limits.h"
#include "server/rpc/services.h"
#include "server/rpc/stream_reactor.h"
#include "server/rpc/unary.h"
#include "server/rpc/validate.h"

namespace acd::rpc {

using core::Engine;

namespace {

constexpr int kDefaultListLimit = 1000;
constexpr int kMaxListLimit = 100000;

// WatchStats: snapshots between 200 ms and 60 s apart (default 1 s). A client
// more than kStatsBuffer snapshots behind is cut off.
constexpr absl::Duration kDefaultStatsInterval = absl::Seconds(1);
constexpr absl::Duration kMinStatsInterval = absl::Milliseconds(200);
constexpr absl::Duration kMaxStatsInterval = absl::Seconds(60);
constexpr size_t kStatsBuffer = 64;

// A queue's live counts (engine) and KPIs (LiveStats), read on the engine
// thread.
struct QueueView {
  core::QueueStats stats;
  std::optional<core::QueueKpis> kpis;
};

absl::StatusOr<QueueView> ReadQueue(const Engine& engine, const core::LiveStats& live,
                                    const std::string& queue, absl::Time now) {
  absl::StatusOr<core::QueueStats> stats = engine.GetQueueStats(queue, now);
  if (!stats.ok()) return stats.status();
  return QueueView{*std::move(stats), live.Queue(queue, now)};
}

void FillQueueStats(const QueueView& view, v1::QueueStats* out) {
  ToProto(view.stats, out);
  if (view.kpis) ToProto(*view.kpis, out);
}

// One WatchStats message: the queues asked for (all when none), and their
// member agents' KPIs if asked. An unknown queue is NOT_FOUND when `strict`,
// else left out (a reload removed it while the stream ran).
absl::StatusOr<v1::StatsSnapshot> Snapshot(const Engine& engine, const core::LiveStats& live,
                                           const v1::WatchStatsRequest& req, absl::Time now,
                                           bool strict) {
  v1::StatsSnapshot out;
  *out.mutable_time() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(now));
  *out.mutable_window() = google::protobuf::util::TimeUtil::MicrosecondsToDuration(
      absl::ToInt64Microseconds(live.options().window));
  std::vector<std::string> queues(req.queues().begin(), req.queues().end());
  if (queues.empty()) {
    for (const core::QueueConfig& q : engine.Queues()) queues.push_back(q.name);
  }
  absl::btree_set<std::string> agents;
  for (const std::string& name : queues) {
    absl::StatusOr<QueueView> view = ReadQueue(engine, live, name, now);
    if (!view.ok()) {
      if (strict) return view.status();
      continue;
    }
    FillQueueStats(*view, out.add_queues());
    if (req.agents()) {
      for (std::string& id : live.Agents(name)) agents.insert(std::move(id));
    }
  }
  for (const std::string& id : agents) {
    if (std::optional<core::AgentKpis> kpis = live.Agent(id, now)) {
      ToProto(*kpis, out.add_agents());
    }
  }
  return out;
}

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
  if (absl::Status s = core::ValidateId(
          query.subject == store::ReportSubject::kQueue ? "queue" : "agent_id", query.name);
      !s.ok()) {
    return s;
  }
  if (!req.has_from()) return absl::InvalidArgumentError("from is required");
  if (!req.has_to()) return absl::InvalidArgumentError("to is required");
  absl::StatusOr<absl::Time> from = FromProto(req.from(), "from");
  if (!from.ok()) return from.status();
  absl::StatusOr<absl::Time> to = FromProto(req.to(), "to");
  if (!to.ok()) return to.status();
  query.from = *from;
  query.to = *to;
  if (req.has_interval()) {
    absl::StatusOr<absl::Duration> interval = FromProto(req.interval(), "interval");
    if (!interval.ok()) return interval.status();
    query.interval = *interval;
  }
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
  absl::StatusOr<Caller> caller = auth_->Authorize(ctx, "/acd.v1.AdminService/GetReport");
  if (!caller.ok()) return Refuse(ctx, caller.status());
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
  absl::StatusOr<Caller> caller = auth_->Authorize(ctx, "/acd.v1.AdminService/Staffing");
  if (!caller.ok()) return Refuse(ctx, caller.status());
  // Pure arithmetic on the request (bounded: at most a few ms for Erlang A),
  // so it runs here rather than on the engine thread.
  core::StaffingInput in;
  in.calls_per_interval = req->calls_per_interval();
  // Each Duration the request sets, checked, into `out`.
  absl::Status bad;
  auto duration = [&bad](bool set, const google::protobuf::Duration& d, const char* field,
                         auto* out) {
    if (!set || !bad.ok()) return;
    absl::StatusOr<absl::Duration> value = FromProto(d, field);
    if (value.ok()) {
      *out = *value;
    } else {
      bad = value.status();
    }
  };
  duration(req->has_interval(), req->interval(), "interval", &in.interval);
  duration(true, req->aht(), "aht", &in.aht);
  duration(req->has_threshold(), req->threshold(), "threshold", &in.threshold);
  duration(req->has_max_asa(), req->max_asa(), "max_asa", &in.max_asa);
  duration(req->has_mean_patience(), req->mean_patience(), "mean_patience", &in.mean_patience);
  if (!bad.ok()) return Refuse(ctx, bad);
  if (req->has_service_level()) in.service_level = req->service_level();
  if (req->has_max_abandonment()) in.max_abandonment = req->max_abandonment();
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
  absl::StatusOr<Caller> caller = auth_->Authorize(ctx, "/acd.v1.AdminService/ListQueues");
  if (!caller.ok()) return Refuse(ctx, caller.status());
  using Rows = std::vector<std::pair<core::QueueConfig, QueueView>>;
  return RunRead<Rows>(
      ctx, runtime_,
      [runtime = runtime_](const Engine& engine, absl::Time now) -> absl::StatusOr<Rows> {
        Rows rows;
        for (const core::QueueConfig& q : engine.Queues()) {
          absl::StatusOr<QueueView> view = ReadQueue(engine, runtime->live_stats(), q.name, now);
          if (!view.ok()) return view.status();
          rows.emplace_back(q, *std::move(view));
        }
        return rows;
      },
      [resp](const Rows& rows) {
        for (const auto& [config, stats] : rows) {
          v1::Queue* q = resp->add_queues();
          ToProto(config, q);
          FillQueueStats(stats, q->mutable_stats());
        }
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::GetQueueStats(grpc::CallbackServerContext* ctx,
                                                          const v1::GetQueueStatsRequest* req,
                                                          v1::QueueStats* resp) {
  absl::StatusOr<Caller> caller = auth_->Authorize(ctx, "/acd.v1.AdminService/GetQueueStats");
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return RunRead<QueueView>(
      ctx, runtime_,
      [runtime = runtime_, queue = req->queue()](const Engine& engine, absl::Time now) {
        return ReadQueue(engine, runtime->live_stats(), queue, now);
      },
      [resp](const QueueView& view) { FillQueueStats(view, resp); });
}

grpc::ServerWriteReactor<v1::StatsSnapshot>* AdminServiceImpl::WatchStats(
    grpc::CallbackServerContext* ctx, const v1::WatchStatsRequest* req) {
  absl::StatusOr<Caller> caller = auth_->Authorize(ctx, "/acd.v1.AdminService/WatchStats");
  if (!caller.ok()) return new RefusedStream<v1::StatsSnapshot>(caller.status());
  if (absl::Status s = Validate(*req); !s.ok()) return new RefusedStream<v1::StatsSnapshot>(s);
  absl::StatusOr<absl::Duration> asked =
      req->has_interval() ? FromProto(req->interval(), "interval") : kDefaultStatsInterval;
  if (!asked.ok()) return new RefusedStream<v1::StatsSnapshot>(asked.status());
  absl::Duration interval = *asked;
  absl::Status refused;
  if (interval < kMinStatsInterval || interval > kMaxStatsInterval) {
    refused = absl::InvalidArgumentError(
        absl::StrCat("interval ", absl::FormatDuration(interval), " is out of range [",
                     absl::FormatDuration(kMinStatsInterval), ", ",
                     absl::FormatDuration(kMaxStatsInterval), "]"));
    interval = absl::ZeroDuration();  // no ticks for a refused stream
  }
  runtime::Runtime* runtime = runtime_;
  auto request = std::make_shared<const v1::WatchStatsRequest>(*req);
  return StreamReactor<v1::StatsSnapshot>::Start(
      runtime_, AcquireStream(streams_, StreamKind::kStats), runtime::Interest::None(),
      [](const core::Event&) { return std::optional<v1::StatsSnapshot>(); },
      [runtime, request,
       refused](const Engine& engine) -> absl::StatusOr<std::vector<v1::StatsSnapshot>> {
        if (!refused.ok()) return refused;
        absl::StatusOr<v1::StatsSnapshot> first =
            Snapshot(engine, runtime->live_stats(), *request, runtime->Now(), /*strict=*/true);
        if (!first.ok()) return first.status();
        return std::vector<v1::StatsSnapshot>{*std::move(first)};
      },
      kStatsBuffer,
      [runtime, request](const Engine& engine,
                         absl::Time now) -> std::optional<v1::StatsSnapshot> {
        absl::StatusOr<v1::StatsSnapshot> next =
            Snapshot(engine, runtime->live_stats(), *request, now, /*strict=*/false);
        if (!next.ok()) return std::nullopt;
        return *std::move(next);
      },
      interval);
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListAgents(grpc::CallbackServerContext* ctx,
                                                       const v1::ListAgentsRequest* req,
                                                       v1::ListAgentsResponse* resp) {
  absl::StatusOr<Caller> caller = auth_->Authorize(ctx, "/acd.v1.AdminService/ListAgents");
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return RunRead<std::vector<core::Agent>>(
      ctx, runtime_,
      [queue = req->queue()](const Engine& engine, absl::Time) { return engine.ListAgents(queue); },
      [resp](const std::vector<core::Agent>& agents) {
        for (const core::Agent& a : agents) ToProto(a, resp->add_agents());
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListCalls(grpc::CallbackServerContext* ctx,
                                                      const v1::ListCallsRequest* req,
                                                      v1::ListCallsResponse* resp) {
  absl::StatusOr<Caller> caller = auth_->Authorize(ctx, "/acd.v1.AdminService/ListCalls");
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (req->limit() < 0 || req->limit() > kMaxListLimit) {
    return Refuse(ctx, absl::InvalidArgumentError(absl::StrCat(
                           "limit ", req->limit(), " is out of range [0, ", kMaxListLimit, "]")));
  }
  std::vector<core::CallState> states;
  for (int s : req->states()) {
    absl::StatusOr<core::CallState> state = FromProto(static_cast<v1::CallState>(s));
    if (!state.ok()) {
      return Refuse(ctx,
                    absl::InvalidArgumentError(absl::StrCat("states: ", state.status().message())));
    }
    // Repeats are harmless but would cost the engine a compare per call each.
    if (std::find(states.begin(), states.end(), *state) == states.end()) states.push_back(*state);
  }
  size_t limit = req->limit() == 0 ? kDefaultListLimit : req->limit();
  return RunRead<std::vector<core::Call>>(
      ctx, runtime_,
      [queue = req->queue(), states, limit](const Engine& engine, absl::Time) {
        return engine.ListCalls(queue, states, limit);
      },
      [resp](const std::vector<core::Call>& calls) {
        for (const core::Call& c : calls) ToProto(c, resp->add_calls());
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::MoveCall(grpc::CallbackServerContext* ctx,
                                                     const v1::MoveCallRequest* req,
                                                     v1::Call* resp) {
  absl::StatusOr<Caller> caller = auth_->Authorize(ctx, "/acd.v1.AdminService/MoveCall");
  if (!caller.ok()) return Refuse(ctx, caller.status());
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
  absl::StatusOr<Caller> caller = auth_->Authorize(ctx, "/acd.v1.AdminService/ValidateConfig");
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (absl::Status s = Validate(*req); !s.ok()) return Refuse(ctx, s);
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  config_->DryRunConfig(
      req->config_yaml(), req->file_name(), [reactor, resp](absl::StatusOr<runtime::DryRun> run) {
        if (!run.ok()) {
          reactor->Finish(ToGrpcStatus(run.status()));
          return;
        }
        const config::ParseOutcome& outcome = run->outcome;
        resp->set_valid(outcome.ok());
        for (const config::Problem& p : outcome.problems) ToProto(p, resp->add_problems());
        if (outcome.config) {
          Summarize(*outcome.config, resp->mutable_queues(), resp->mutable_agents());
          resp->set_config_hash(outcome.config->hash);
        }
        for (const config::ConfigChange& c : run->changes) ToProto(c, resp->add_changes());
        for (const std::string& b : run->blockers) resp->add_blockers(b);
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

grpc::ServerUnaryReactor* AdminServiceImpl::ReloadConfig(grpc::CallbackServerContext* ctx,
                                                         const v1::ReloadConfigRequest* req,
                                                         v1::ReloadConfigResponse* resp) {
  absl::StatusOr<Caller> caller = auth_->Authorize(ctx, "/acd.v1.AdminService/ReloadConfig");
  if (!caller.ok()) return Refuse(ctx, caller.status());
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
